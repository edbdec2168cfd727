/**
 * Patroni scenarios. Writes go through PgBouncer's read-write database, as an
 * application's would, so a run measures the whole path: Patroni electing,
 * HAProxy's checks following the leader and PgBouncer reconnecting.
 */
import type { ManifestNode } from '../../../constructs/platform/topology';
import {
  clusterMembers,
  isPrimary,
  leaderOf,
  memberNode,
  patroniNodes,
  restCredentials,
  steadyProblem,
  switchover,
  timings,
} from '../patroni';
import { nodesOf, tlsEndpoint } from '../target';
import type { Fault, ScenarioContext, ScenarioDefinition, ScenarioRun } from '../types';
import { pgWrites, prepareTable, readRows, writeProbe, type PgTarget } from '../workloads/pg-writes';

/** Seconds beyond Patroni's own timings: HAProxy's two failed checks, PgBouncer's reconnect, the workload's timeout. */
const ROUTING_MARGIN = 8;

export function pgbouncerTarget(ctx: ScenarioContext): PgTarget {
  const pooler = nodesOf(ctx.manifest, 'pgbouncer')[0];
  if (!pooler) throw new Error('the topology manifest has no pgbouncer node');
  const password = ctx.secrets['postgres-app'];
  if (!password) throw new Error("no 'postgres-app' secret for the workload's login");
  return { ...tlsEndpoint(ctx.manifest, pooler, 'pgbouncer'), database: 'app_rw', user: 'app', password };
}

/** The shared run skeleton: steady state, workload and readback through PgBouncer. */
export async function pgRun(
  ctx: ScenarioContext,
  name: string,
  run: Omit<ScenarioRun, 'steadyState' | 'workload' | 'readback'>,
  /** The writers' client timeout, ms. @default pgWrites' default */
  writeTimeoutMs?: number,
): Promise<ScenarioRun> {
  const target = pgbouncerTarget(ctx);
  const label = `${name}-${Date.now()}`;
  const members = patroniNodes(ctx.manifest).length;
  return {
    ...run,
    // Serving again means the application's path takes a write, whatever the cluster reports.
    recovered: async () => (await run.recovered()) && (await writeProbe(target)),
    async steadyState() {
      const problem = steadyProblem(await clusterMembers(ctx.manifest), members);
      if (problem) throw new Error(problem);
      await prepareTable(target);
    },
    workload: () => pgWrites({ target, run: label, ...(writeTimeoutMs ? { timeoutMs: writeTimeoutMs } : {}) }),
    readback: () => readRows(target, label),
  };
}

const now = () => Date.now();

async function act(
  ctx: ScenarioContext,
  action: 'kill' | 'pause' | 'resume' | 'restart',
  node: ManifestNode,
): Promise<number> {
  await ctx.driver.act(action, node);
  return now();
}

/** A new leader, other than `old`, is running. */
export function newLeaderRunning(ctx: ScenarioContext, old: string): () => Promise<boolean> {
  return async () => {
    const leader = leaderOf(await clusterMembers(ctx.manifest));
    return !!leader && leader.name !== old && leader.state === 'running';
  };
}

/** Never two members acting as primary: checked by asking every reachable member's REST API. */
export async function splitBrain(ctx: ScenarioContext): Promise<string[]> {
  const primaries: string[] = [];
  for (const node of patroniNodes(ctx.manifest)) {
    if (await isPrimary(ctx.manifest, node)) primaries.push(node.name);
  }
  return primaries.length > 1 ? [`split brain: ${primaries.join(' and ')} both answer /primary`] : [];
}

const leaderCrash: ScenarioDefinition = {
  name: 'patroni-leader-crash',
  description:
    'SIGKILL/kill the Patroni leader node (Patroni and Postgres); a replica must take over within ttl + loop_wait.',
  drivers: ['docker', 'aws', 'lab'],
  async prepare(ctx) {
    const t = await timings(ctx.manifest);
    const leader = leaderOf(await clusterMembers(ctx.manifest))!;
    const node = memberNode(ctx.manifest, leader.name);
    return pgRun(ctx, this.name, {
      rtoBoundSeconds: t.ttl + t.loopWait + ROUTING_MARGIN,
      inject: async (): Promise<Fault> => ({
        description: `kill leader ${leader.name}`,
        at: await act(ctx, 'kill', node),
      }),
      recovered: newLeaderRunning(ctx, leader.name),
      rollback: async () => void (await act(ctx, 'restart', node)),
      invariants: () => splitBrain(ctx),
    });
  },
};

const leaderFreeze: ScenarioDefinition = {
  name: 'patroni-leader-freeze',
  description:
    'Pause the leader node (SIGSTOP / docker pause) past its ttl, then resume it: a replica takes over, and the old leader must come back as a replica, never a second primary.',
  drivers: ['docker', 'aws', 'lab'],
  async prepare(ctx) {
    const t = await timings(ctx.manifest);
    const leader = leaderOf(await clusterMembers(ctx.manifest))!;
    const node = memberNode(ctx.manifest, leader.name);
    return pgRun(ctx, this.name, {
      rtoBoundSeconds: t.ttl + t.loopWait + ROUTING_MARGIN,
      holdSeconds: t.ttl + t.loopWait + ROUTING_MARGIN,
      inject: async () => ({ description: `pause leader ${leader.name}`, at: await act(ctx, 'pause', node) }),
      recovered: newLeaderRunning(ctx, leader.name),
      rollback: async () => void (await act(ctx, 'resume', node)),
      invariants: () => splitBrain(ctx),
    });
  },
};

const plannedSwitchover: ScenarioDefinition = {
  name: 'patroni-switchover',
  description: 'Planned switchover to the sync standby through the REST API; the outage is a few loop_waits.',
  drivers: ['docker', 'aws', 'lab'],
  async prepare(ctx) {
    const t = await timings(ctx.manifest);
    const members = await clusterMembers(ctx.manifest);
    const leader = leaderOf(members)!;
    const candidate = members.find((m) => m.role === 'sync_standby')!;
    return pgRun(ctx, this.name, {
      rtoBoundSeconds: 2 * t.loopWait + ROUTING_MARGIN,
      inject: async () => {
        const at = now();
        await switchover(ctx.manifest, restCredentials(ctx.secrets), leader.name, candidate.name);
        return { description: `switchover ${leader.name} → ${candidate.name}`, at };
      },
      recovered: newLeaderRunning(ctx, leader.name),
      rollback: async () => undefined,
      invariants: () => splitBrain(ctx),
    });
  },
};

const replicaCrash: ScenarioDefinition = {
  name: 'patroni-replica-crash',
  description: 'Kill the sync standby: the leader must name the other replica sync standby and keep committing.',
  drivers: ['docker', 'aws', 'lab'],
  async prepare(ctx) {
    const t = await timings(ctx.manifest);
    const members = await clusterMembers(ctx.manifest);
    const leader = leaderOf(members)!;
    const standby = members.find((m) => m.role === 'sync_standby')!;
    const node = memberNode(ctx.manifest, standby.name);
    return pgRun(ctx, this.name, {
      // Commits wait on the dead standby until Patroni's next loops pick another.
      rtoBoundSeconds: 2 * t.loopWait + t.retryTimeout + ROUTING_MARGIN,
      inject: async () => ({ description: `kill sync standby ${standby.name}`, at: await act(ctx, 'kill', node) }),
      recovered: async () => {
        const ms = await clusterMembers(ctx.manifest);
        return (
          leaderOf(ms)?.name === leader.name && ms.some((m) => m.role === 'sync_standby' && m.name !== standby.name)
        );
      },
      rollback: async () => void (await act(ctx, 'restart', node)),
      invariants: async () => {
        const now = leaderOf(await clusterMembers(ctx.manifest))?.name;
        return now === leader.name
          ? []
          : [`the leader changed (${leader.name} → ${now}) although only a replica failed`];
      },
    });
  },
};

function etcdLoss(count: 'one' | 'quorum'): ScenarioDefinition {
  return {
    name: count === 'one' ? 'etcd-member-loss' : 'etcd-quorum-loss',
    description:
      count === 'one'
        ? 'Kill one etcd member: the DCS keeps quorum, the leader keeps its lock and writes go on.'
        : 'Kill a majority of etcd members past the ttl, then restart them. Without the DCS the leader cannot renew its lock and demotes itself to read-only (failsafe mode is off), so writes stop until quorum returns, and at no time do two members accept writes.',
    drivers: ['docker', 'aws', 'lab'],
    async prepare(ctx) {
      const t = await timings(ctx.manifest);
      const etcd = nodesOf(ctx.manifest, 'etcd');
      const victims = count === 'one' ? etcd.slice(0, 1) : etcd.slice(0, Math.floor(etcd.length / 2) + 1);
      const leader = leaderOf(await clusterMembers(ctx.manifest))!;
      const restart = async () => {
        for (const v of victims) await act(ctx, 'restart', v);
      };
      return pgRun(ctx, this.name, {
        rtoBoundSeconds: count === 'one' ? ROUTING_MARGIN : t.ttl + 2 * t.loopWait + ROUTING_MARGIN + t.ttl,
        ...(count === 'quorum' ? { holdSeconds: t.ttl + t.loopWait + 5 } : {}),
        inject: async () => {
          for (const v of victims) await ctx.driver.act('kill', v);
          return { description: `kill etcd ${victims.map((v) => v.name).join(', ')}`, at: now() };
        },
        recovered: async () => leaderOf(await clusterMembers(ctx.manifest))?.state === 'running',
        rollback: restart,
        invariants: async () => {
          const problems = await splitBrain(ctx);
          const after = leaderOf(await clusterMembers(ctx.manifest))?.name;
          if (count === 'one' && after !== leader.name)
            problems.push(`the leader changed (${leader.name} → ${after}) on losing one etcd member`);
          return problems;
        },
      });
    },
  };
}

export const PATRONI_SCENARIOS: readonly ScenarioDefinition[] = [
  leaderCrash,
  leaderFreeze,
  plannedSwitchover,
  replicaCrash,
  etcdLoss('one'),
  etcdLoss('quorum'),
];

/**
 * Partitions: nodes alive but cut off from their peers, while clients still
 * reach them (the lab driver's disconnect with peers; see scripts/lab/partition.ts).
 * A lost network answers nothing, so these take timeouts, not refused connections.
 */
import type { ManifestNode, TopologyManifest } from '../../../constructs/platform/topology';
import { acksAllProbe, brokerSetting, leaders, withAdmin } from '../kafka';
import { clusterMembers, isPrimary, leaderOf, memberNode, patroniNodes, timings } from '../patroni';
import { endpointOf, nodeNamed, nodesOf } from '../target';
import type { Fault, Op, ScenarioDefinition } from '../types';
import { kafkaProduce, prepareTopic, readProduced } from '../workloads/kafka-produce';
import { writeProbe, prepareTable } from '../workloads/pg-writes';
import { connectorRunning, orderWrites, readCaptured } from './cdc';
import { pgbouncerTarget, pgRun, splitBrain } from './patroni';

/** Seconds beyond Patroni's own timings: HAProxy's two failed checks, PgBouncer's reconnect, the workload's timeout. */
const ROUTING_MARGIN = 8;
/** How often the split-brain watch asks every member's /primary, ms. */
const WATCH_EVERY_MS = 500;
/** The watch ends by itself after this, should a failed run never stop it, ms. */
const WATCH_AT_MOST_MS = 300_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The manifest without `node`: views of the cluster from the side of the cut that holds the majority. */
function without(manifest: TopologyManifest, node: string): TopologyManifest {
  return { ...manifest, nodes: manifest.nodes.filter((n) => n.name !== node) };
}

/**
 * Watches every member's /primary from the fault until stopped: records the
 * last answer from `old` as primary (when it arrived: what the bound is checked
 * on, since a round without it only says it stopped some time in the last
 * round), the first round without one, and every moment two members answered.
 */
interface Demotion {
  readonly demotedAt?: number;
  readonly lastPrimaryAt?: number;
  readonly overlaps: string[];
}

function primaryWatch(manifest: TopologyManifest, old: ManifestNode) {
  let running = true;
  let demotedAt: number | undefined;
  let lastPrimaryAt: number | undefined;
  const overlaps: string[] = [];
  const until = Date.now() + WATCH_AT_MOST_MS;
  const loop = (async () => {
    while (running && Date.now() < until) {
      const at = Date.now();
      const primaries = (
        await Promise.all(
          patroniNodes(manifest).map(async (n) => {
            if (!(await isPrimary(manifest, n, 1000))) return undefined;
            if (n.name === old.name && demotedAt === undefined) lastPrimaryAt = Date.now();
            return n.name;
          }),
        )
      ).filter((n): n is string => n !== undefined);
      if (demotedAt === undefined && !primaries.includes(old.name)) demotedAt = at;
      if (primaries.length > 1) overlaps.push(`${new Date(at).toISOString()}: ${primaries.join(' and ')}`);
      await sleep(Math.max(0, WATCH_EVERY_MS - (Date.now() - at)));
    }
  })();
  return {
    async stop(): Promise<Demotion> {
      running = false;
      await loop;
      return { demotedAt, lastPrimaryAt, overlaps };
    },
  };
}

const leaderIsolated: ScenarioDefinition = {
  name: 'patroni-leader-isolated',
  description:
    'Cut the Patroni leader (Patroni and Postgres) off from etcd and the other members, still reachable by HAProxy and PgBouncer: it must demote itself within ttl, a replica is promoted, nothing acknowledged is lost, and two members never answer as primary at once.',
  drivers: ['lab'],
  async prepare(ctx) {
    const t = await timings(ctx.manifest);
    const leader = leaderOf(await clusterMembers(ctx.manifest))!;
    const node = memberNode(ctx.manifest, leader.name);
    const peers = [...nodesOf(ctx.manifest, 'etcd'), ...patroniNodes(ctx.manifest).filter((n) => n !== node)];
    const majority = without(ctx.manifest, leader.name);
    let watch: ReturnType<typeof primaryWatch> | undefined;
    let fault: Fault | undefined;
    let demotion: Demotion | undefined;
    return pgRun(ctx, this.name, {
      rtoBoundSeconds: t.ttl + t.loopWait + ROUTING_MARGIN,
      inject: async () => {
        await ctx.driver.act('disconnect', node, { peers });
        fault = {
          description: `cut leader ${leader.name} off from ${peers.map((p) => p.name).join(', ')}`,
          at: Date.now(),
        };
        watch = primaryWatch(ctx.manifest, node);
        return fault;
      },
      // The isolated member still answers /cluster from what it last knew: ask the others.
      recovered: async () => {
        const now = leaderOf(await clusterMembers(majority));
        return !!now && now.name !== leader.name && now.state === 'running';
      },
      rollback: async () => {
        demotion = await watch?.stop();
        await ctx.driver.act('connect', node);
      },
      invariants: async () => {
        const problems = await splitBrain(ctx);
        if (!demotion || !fault) return [...problems, 'the primary watch did not run'];
        problems.push(...demotion.overlaps.map((o) => `two primaries at ${o}`));
        if (demotion.demotedAt === undefined) problems.push(`${leader.name} never stopped answering as primary`);
        else {
          const gone = (demotion.demotedAt - fault.at) / 1000;
          const last = ((demotion.lastPrimaryAt ?? fault.at) - fault.at) / 1000;
          ctx.log(
            `${leader.name} last answered as primary ${last.toFixed(1)} s after the cut, and no more from ${gone.toFixed(1)} s (ttl ${t.ttl} s)`,
          );
          if (last > t.ttl)
            problems.push(
              `${leader.name} still answered as primary ${last.toFixed(1)} s after the cut, past ttl ${t.ttl} s`,
            );
        }
        return problems;
      },
    });
  },
};

const etcdMinority: ScenarioDefinition = {
  name: 'etcd-minority-partition',
  description:
    'Cut one etcd member off from every other node for a ttl and more: the other two keep quorum, Patroni moves to them, the leader keeps its lock and writes go on.',
  drivers: ['lab'],
  async prepare(ctx) {
    const t = await timings(ctx.manifest);
    const [victim] = nodesOf(ctx.manifest, 'etcd');
    if (!victim) throw new Error('the topology manifest has no etcd nodes');
    const leader = leaderOf(await clusterMembers(ctx.manifest))!;
    return pgRun(ctx, this.name, {
      rtoBoundSeconds: ROUTING_MARGIN,
      // Held past a ttl: a leader whose renewals went only to the cut member would lose its lock.
      holdSeconds: t.ttl + t.loopWait,
      inject: async () => {
        await ctx.driver.act('disconnect', victim);
        return { description: `cut etcd ${victim.name} off from every node`, at: Date.now() };
      },
      recovered: async () => leaderOf(await clusterMembers(ctx.manifest))?.state === 'running',
      rollback: () => ctx.driver.act('connect', victim),
      invariants: async () => {
        const problems = await splitBrain(ctx);
        const after = leaderOf(await clusterMembers(ctx.manifest))?.name;
        if (after !== leader.name)
          problems.push(`the leader changed (${leader.name} → ${after}) on losing one etcd member`);
        return problems;
      },
    });
  },
};

const TOPIC = 'chaos.partition';
/**
 * Seconds beyond the broker session timeout: the workload's request timeout (a send to the cut
 * leader times out, it is not refused), a new leader's election and the clients' metadata refresh.
 */
const KAFKA_MARGIN = 15;

const kafkaLeaderIsolated: ScenarioDefinition = {
  name: 'kafka-leader-isolated',
  description:
    'Cut the broker leading partition 0 (RF 3, min.insync.replicas 2) off from the controllers and the other brokers, still reachable by the acks=all producer: the controller fences it and elects another leader, and no acknowledged record is lost. A record the cut broker acknowledged alone would be truncated when it rejoins, so RPO 0 is also the proof that its writes were rejected.',
  drivers: ['lab'],
  async prepare(ctx) {
    const kafka = nodesOf(ctx.manifest, 'kafka');
    const brokers = kafka.filter((n) => n.endpoints.host);
    await prepareTopic(ctx.manifest, TOPIC);
    const sessionMs = await brokerSetting(ctx.manifest, 'broker.session.timeout.ms');
    const name = (await leaders(ctx.manifest, TOPIC)).partitionLeader;
    const node = nodeNamed(ctx.manifest, name);
    const peers = kafka.filter((n) => n !== node);
    const run = `${this.name}-${Date.now()}`;
    // Six senders: acks=all sends on the loaded two-core lab are slow, and the history needs enough of them.
    const workload = kafkaProduce(ctx.manifest, TOPIC, run, 6);
    const probe = acksAllProbe(ctx.manifest, TOPIC);
    return {
      rtoBoundSeconds: Math.ceil(sessionMs / 1000) + KAFKA_MARGIN,
      // Held past fencing and election, so writes flow to the new leader while the old one is still cut off.
      holdSeconds: Math.ceil(sessionMs / 1000) + KAFKA_MARGIN,
      async steadyState() {
        await withAdmin(ctx.manifest, async (admin) => {
          const live = (await admin.describeCluster()).brokers.length;
          if (live !== brokers.length) throw new Error(`${live} of ${brokers.length} brokers registered`);
          const [t] = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics;
          const short = t!.partitions.filter((p) => p.isr.length !== p.replicas.length);
          if (short.length) throw new Error(`${short.length} partitions of ${TOPIC} under-replicated`);
        });
      },
      workload: () => workload,
      async inject() {
        await ctx.driver.act('disconnect', node, { peers });
        return {
          description: `cut partition leader ${name} off from ${peers.map((p) => p.name).join(', ')}`,
          at: Date.now(),
        };
      },
      recovered: () => probe.recovered(),
      rollback: async () => {
        await probe.close();
        await ctx.driver.act('connect', node);
      },
      readback: () => readProduced(ctx.manifest, TOPIC, run),
    };
  },
};

/**
 * Seconds for a cut worker's task to run elsewhere: Connect's session timeout (10 s) for the group to
 * drop it, its scheduled.rebalance.max.delay.ms (30 s, connect-config.ts) before its work is handed
 * out, and the task's start (Debezium waits for the cut worker to let go of the replication slot).
 */
const CONNECT_MOVE_SECONDS = 70;
/** Seconds for the connector to run again after the heal: the same rebalance delay and a task start. */
const RUNNING_AGAIN_SECONDS = 90;

interface TaskStatus {
  readonly connector: { readonly state: string };
  readonly tasks: readonly { readonly state: string; readonly worker_id: string }[];
}

const connectWorkerIsolated: ScenarioDefinition = {
  name: 'connect-worker-isolated',
  description:
    'Cut the Connect worker running the Debezium task off from the brokers and the other worker, while orders are inserted through PgBouncer: the task moves to the other worker and every committed row still reaches Kafka (duplicates allowed and counted).',
  drivers: ['lab'],
  async prepare(ctx) {
    const workers = nodesOf(ctx.manifest, 'kafka-connect').filter((n) => n.endpoints.rest);
    const rest = (n: ManifestNode) => `http://${endpointOf(n, 'rest')}`;
    const status = async (via: ManifestNode): Promise<TaskStatus> =>
      (await (
        await fetch(`${rest(via)}/connectors/postgres-cdc/status`, { signal: AbortSignal.timeout(2000) })
      ).json()) as TaskStatus;
    const first = (await status(workers[0]!)).tasks[0]?.worker_id;
    const node = workers.find((w) => endpointOf(w, 'rest') === first);
    const other = workers.find((w) => w !== node);
    if (!node || !other) throw new Error(`no second worker to take over from the task's worker ${first}`);
    const peers = [...nodesOf(ctx.manifest, 'kafka'), ...workers.filter((w) => w !== node)];
    const target = pgbouncerTarget(ctx);
    const base = Date.now() * 1000;
    let ops: Op[] = [];
    const workload = orderWrites(target, base, 3);
    let fault: Fault | undefined;
    let movedAt: number | undefined;
    return {
      rtoBoundSeconds: CONNECT_MOVE_SECONDS,
      async steadyState() {
        if (!(await connectorRunning(rest(other)))) throw new Error('the postgres-cdc connector is not RUNNING');
        await prepareTable(target);
      },
      workload: () => ({ start: () => workload.start(), stop: async () => (ops = await workload.stop()) }),
      async inject() {
        await ctx.driver.act('disconnect', node, { peers });
        fault = {
          description: `cut Connect worker ${node.name} off from ${peers.map((p) => p.name).join(', ')}`,
          at: Date.now(),
        };
        return fault;
      },
      // Asked of the other worker: the cut one still reports what it last knew.
      recovered: async () => {
        const s = await status(other);
        const moved =
          s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING' && t.worker_id !== endpointOf(node, 'rest'));
        if (moved && (await writeProbe(target))) movedAt ??= Date.now();
        return movedAt !== undefined;
      },
      rollback: () => ctx.driver.act('connect', node),
      readback: () => readCaptured(ctx, base, ops),
      invariants: async () => {
        // The healed worker rejoins and a rebalance may hand the task back: it must be RUNNING again, within a bound.
        let states = 'not asked';
        for (const until = Date.now() + RUNNING_AGAIN_SECONDS * 1000; Date.now() < until; await sleep(2000)) {
          const s = await status(other).catch((e: Error) => e.message);
          if (
            typeof s !== 'string' &&
            s.connector.state === 'RUNNING' &&
            s.tasks.length > 0 &&
            s.tasks.every((t) => t.state === 'RUNNING')
          ) {
            states = 'RUNNING';
            break;
          }
          states =
            typeof s === 'string'
              ? s
              : JSON.stringify([s.connector.state, ...s.tasks.map((t) => `${t.state}@${t.worker_id}`)]);
        }
        const problems =
          states === 'RUNNING'
            ? []
            : [`the postgres-cdc connector is not RUNNING ${RUNNING_AGAIN_SECONDS} s after the heal: ${states}`];
        if (movedAt === undefined || !fault)
          problems.push(`the task never ran on ${other.name} while ${node.name} was cut off`);
        else ctx.log(`the task ran on ${other.name} ${((movedAt - fault.at) / 1000).toFixed(1)} s after the cut`);
        return problems;
      },
    };
  },
};

export const PARTITION_SCENARIOS: readonly ScenarioDefinition[] = [
  leaderIsolated,
  etcdMinority,
  kafkaLeaderIsolated,
  connectWorkerIsolated,
];

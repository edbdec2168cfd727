/**
 * Rolling restarts: one node at a time, each restart an orderly stop and start
 * through the target's driver, and the next only once the component is whole
 * again. Every wait is bounded and names what it waited for.
 *
 * - kafka: every partition's ISR full before each broker; the active controller last.
 * - connect: each worker, then every connector and task RUNNING again.
 * - patroni: replicas first, then a zero-error switchover, then the old leader.
 * - etcd: each member only while every member is healthy (quorum checked), then healthy again.
 */
import type { ManifestNode } from '../../constructs/platform/topology';
import { withAdmin } from '../chaos/kafka';
import { clusterMembers, leaderOf, memberNode, patroniNodes, steadyProblem } from '../chaos/patroni';
import { endpointOf, nodesOf } from '../chaos/target';
import type { ScenarioContext } from '../chaos/types';
import { WHOLE_WITHIN_SECONDS, type RollingComponent } from './limits';
import { zeroErrorSwitchover } from './switchover';

type Ctx = Pick<ScenarioContext, 'manifest' | 'secrets' | 'driver' | 'log'>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `problem` until it returns undefined; throws with the last problem after `seconds`. */
async function whole(what: string, seconds: number, problem: () => Promise<string | undefined>): Promise<void> {
  let last = 'not checked';
  for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline; await sleep(500)) {
    const p = await problem().catch((e: Error) => e.message);
    if (p === undefined) return;
    last = p;
  }
  throw new Error(`${what}: not whole within ${seconds} s: ${last}`);
}

async function kafkaProblem(ctx: Ctx, brokers: number): Promise<string | undefined> {
  return withAdmin(ctx.manifest, async (admin) => {
    const live = (await admin.describeCluster()).brokers.length;
    if (live !== brokers) return `${live} of ${brokers} brokers registered`;
    const { topics } = await admin.fetchTopicMetadata({ topics: await admin.listTopics() });
    const short = topics.flatMap((t) =>
      t.partitions.filter((p) => p.isr.length !== p.replicas.length).map((p) => `${t.name}/${p.partitionId}`),
    );
    return short.length ? `ISR not full: ${short.slice(0, 5).join(', ')}${short.length > 5 ? ', …' : ''}` : undefined;
  });
}

async function connectProblem(workers: readonly ManifestNode[]): Promise<string | undefined> {
  for (const w of workers) {
    const rest = `http://${endpointOf(w, 'rest')}`;
    const names = (await (await fetch(`${rest}/connectors`, { signal: AbortSignal.timeout(3000) })).json()) as string[];
    for (const name of names) {
      const s = (await (
        await fetch(`${rest}/connectors/${name}/status`, { signal: AbortSignal.timeout(3000) })
      ).json()) as {
        connector: { state: string };
        tasks: { state: string }[];
      };
      if (s.connector.state !== 'RUNNING' || s.tasks.length === 0 || s.tasks.some((t) => t.state !== 'RUNNING'))
        return `${name} is ${s.connector.state}, tasks ${s.tasks.map((t) => t.state).join(', ') || 'none'} (asked ${w.name})`;
    }
  }
  return undefined;
}

async function etcdProblem(members: readonly ManifestNode[]): Promise<string | undefined> {
  const sick: string[] = [];
  for (const m of members) {
    const res = await fetch(`http://${endpointOf(m, 'client')}/health`, { signal: AbortSignal.timeout(2000) }).catch(
      () => undefined,
    );
    const ok = res?.ok && ((await res.json()) as { health: string }).health === 'true';
    if (!ok) sick.push(m.name);
  }
  return sick.length ? `not healthy: ${sick.join(', ')}` : undefined;
}

async function restart(ctx: Ctx, node: ManifestNode, check: () => Promise<string | undefined>): Promise<void> {
  await whole(`before restarting ${node.name}`, WHOLE_WITHIN_SECONDS, check);
  ctx.log(`restarting ${node.name}`);
  await ctx.driver.act('restart', node);
  await whole(`after restarting ${node.name}`, WHOLE_WITHIN_SECONDS, check);
  ctx.log(`${node.name} back, component whole`);
}

/** Brokers in restart order: the active controller last, so the quorum moves its leadership once only. */
export function controllerLast(brokers: readonly ManifestNode[], controller: string): ManifestNode[] {
  return [...brokers.filter((b) => b.name !== controller), ...brokers.filter((b) => b.name === controller)];
}

/** Drivers act on a node by name (the lab reads its current pid from its state), so the manifest read once serves throughout. */
export async function rollingRestart(ctx: Ctx, component: RollingComponent): Promise<void> {
  switch (component) {
    case 'kafka': {
      const brokers = nodesOf(ctx.manifest, 'kafka').filter((n) => n.endpoints.host);
      const controller = await withAdmin(ctx.manifest, async (a) => `kafka-${(await a.describeCluster()).controller}`);
      for (const b of controllerLast(brokers, controller))
        await restart(ctx, b, () => kafkaProblem(ctx, brokers.length));
      return;
    }
    case 'connect': {
      const workers = nodesOf(ctx.manifest, 'kafka-connect').filter((n) => n.endpoints.rest && n.role !== 'init');
      for (const w of workers) await restart(ctx, w, () => connectProblem(workers));
      return;
    }
    case 'etcd': {
      const members = nodesOf(ctx.manifest, 'etcd');
      for (const m of members) await restart(ctx, m, () => etcdProblem(members));
      return;
    }
    case 'patroni': {
      const count = patroniNodes(ctx.manifest).length;
      const healthy = async () => steadyProblem(await clusterMembers(ctx.manifest), count);
      const leader = leaderOf(await clusterMembers(ctx.manifest));
      if (!leader) throw new Error('no Patroni leader: nothing restarted');
      for (const m of patroniNodes(ctx.manifest).filter((n) => n.name !== leader.name)) await restart(ctx, m, healthy);
      await whole('before the switchover', WHOLE_WITHIN_SECONDS, healthy);
      await zeroErrorSwitchover(ctx, { log: ctx.log });
      await restart(ctx, memberNode(ctx.manifest, leader.name), healthy);
      return;
    }
  }
}

/**
 * CDC through a Patroni failover: rows committed through PgBouncer while the
 * leader is killed must all reach Kafka through Debezium. The slot is a Patroni
 * permanent slot, so the new leader has it; duplicates (Debezium replaying
 * from its last flushed position) are allowed and counted.
 */
import { clusterMembers, leaderOf, memberNode, patroniNodes, steadyProblem, timings } from '../patroni';
import { readTopic } from '../kafka';
import { endpointOf, nodeNamed } from '../target';
import type { Op, Readback, ScenarioDefinition, Workload } from '../types';
import { pgWrites, prepareTable, writeProbe, type PgTarget } from '../workloads/pg-writes';
import { pgbouncerTarget } from './patroni';

const TABLE = 'orders';
const TOPIC = 'pg.public.orders';
/** Seconds for Debezium to reconnect through HAProxy and catch up after recovery. */
const CATCH_UP_SECONDS = 120;

export async function connectorRunning(rest: string): Promise<boolean> {
  const res = await fetch(`${rest}/connectors/postgres-cdc/status`, { signal: AbortSignal.timeout(2000) });
  const s = (await res.json()) as { connector: { state: string }; tasks: { state: string }[] };
  return s.connector.state === 'RUNNING' && s.tasks.length > 0 && s.tasks.every((t) => t.state === 'RUNNING');
}

/** Ids of change events in the topic at or above `base`, with their counts. */
async function capturedIds(
  ctx: Parameters<ScenarioDefinition['prepare']>[0],
  base: number,
): Promise<Map<string, number>> {
  const present = new Map<string, number>();
  for (const value of await readTopic(ctx.manifest, TOPIC)) {
    const id = /"id":(\d+)/.exec(value)?.[1];
    if (id && Number(id) > base) present.set(id, (present.get(id) ?? 0) + 1);
  }
  return present;
}

/** Orders inserted through `target` with ids counting up from above `firstId`: the demo table Debezium captures. */
export function orderWrites(target: PgTarget, firstId: number, clients: number): Workload {
  return pgWrites({
    target,
    run: 'orders',
    clients,
    firstKey: firstId,
    insert: (id) => ({
      text: `INSERT INTO ${TABLE} (id, customer_id, amount, status) VALUES ($1, 'chaos', 1, 'new')`,
      values: [id],
    }),
  });
}

/** The topic's ids above `base`, read until every acknowledged op of `ops` is there or CATCH_UP_SECONDS pass. */
export async function readCaptured(
  ctx: Parameters<ScenarioDefinition['prepare']>[0],
  base: number,
  ops: readonly Op[],
): Promise<Readback> {
  const acked = ops.filter((o) => o.ok).map((o) => o.key);
  let present = new Map<string, number>();
  for (const deadline = Date.now() + CATCH_UP_SECONDS * 1000; Date.now() < deadline;) {
    present = await capturedIds(ctx, base);
    if (acked.every((k) => present.has(k))) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return { present };
}

export const CDC_FAILOVER: ScenarioDefinition = {
  name: 'cdc-patroni-failover',
  description:
    'Kill the Patroni leader while orders are inserted through PgBouncer: every committed row must still reach Kafka through Debezium (duplicates allowed and counted).',
  drivers: ['docker', 'aws', 'lab'],
  async prepare(ctx) {
    const t = await timings(ctx.manifest);
    const rest = `http://${endpointOf(nodeNamed(ctx.manifest, 'connect-1'), 'rest')}`;
    const target = pgbouncerTarget(ctx);
    const leader = leaderOf(await clusterMembers(ctx.manifest))!;
    const node = memberNode(ctx.manifest, leader.name);
    // Ids far above anything the demo or other runs used, so this run's rows are told apart.
    const base = Date.now() * 1000;
    let ops: Op[] = [];
    const workload = orderWrites(target, base, 3);
    return {
      rtoBoundSeconds: t.ttl + t.loopWait + 8,
      async steadyState() {
        const problem = steadyProblem(await clusterMembers(ctx.manifest), patroniNodes(ctx.manifest).length);
        if (problem) throw new Error(problem);
        if (!(await connectorRunning(rest))) throw new Error('the postgres-cdc connector is not RUNNING');
        await prepareTable(target); // for the recovery probe's writes
      },
      workload: () => ({
        start: () => workload.start(),
        stop: async () => (ops = await workload.stop()),
      }),
      async inject() {
        await ctx.driver.act('kill', node);
        return { description: `kill leader ${leader.name} under CDC`, at: Date.now() };
      },
      recovered: () => writeProbe(target),
      rollback: async () => ctx.driver.act('restart', node),
      // Debezium may still be catching up: read until every acknowledged id is there, or the bound runs out.
      readback: () => readCaptured(ctx, base, ops),
      invariants: async () =>
        (await connectorRunning(rest)) ? [] : ['the postgres-cdc connector is not RUNNING after recovery'],
    };
  },
};

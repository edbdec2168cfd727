/**
 * ClickHouse restart while the CDC sink consumes: orders inserted in Postgres
 * during the restart must all be in ClickHouse afterwards (FINAL collapses
 * replays, so duplicates from Kafka re-delivery do not show).
 *
 * Not run here: no ClickHouse server runs on this machine (only chDB, which has
 * no Kafka consumer to restart). The query building is unit-tested.
 */
import { endpointOf, nodesOf } from '../target';
import type { ScenarioDefinition } from '../types';
import { prepareTable, writeProbe } from '../workloads/pg-writes';
import { orderWrites } from './cdc';
import { pgbouncerTarget } from './patroni';

/** Seconds for a restarted server to serve again and its Kafka tables to resume. */
const RESTART_BOUND = 30;
/** Seconds the sink may take to catch up after recovery. */
const CATCH_UP_SECONDS = 120;

/** The ids of this run present in the sink table, one row per id after replays collapse (FINAL). */
export function sinkQuery(database: string, firstKey: number): string {
  return `SELECT toString(id) AS id, count() AS n FROM ${database}.orders FINAL WHERE id > ${Math.trunc(firstKey)} GROUP BY id FORMAT JSONEachRow`;
}

export const CLICKHOUSE_RESTART: ScenarioDefinition = {
  name: 'clickhouse-restart',
  description:
    'Restart a ClickHouse server while the CDC sink consumes orders: every order committed in Postgres reaches ClickHouse once consumption resumes.',
  drivers: ['docker', 'aws'],
  async prepare(ctx) {
    const server = nodesOf(ctx.manifest, 'clickhouse').find((n) => n.role !== 'init' && n.endpoints.http);
    if (!server) throw new Error('the topology manifest has no ClickHouse server');
    const password = ctx.secrets['clickhouse-platform'];
    if (!password) throw new Error("no 'clickhouse-platform' secret");
    const target = pgbouncerTarget(ctx);
    const base = Date.now() * 1000;
    const query = async (sql: string) => {
      const res = await fetch(`http://${endpointOf(server, 'http')}/?user=platform`, {
        method: 'POST',
        body: sql,
        headers: { 'X-ClickHouse-Key': password },
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`ClickHouse: HTTP ${res.status} ${await res.text()}`);
      return res.text();
    };
    let acked: string[] = [];
    const workload = orderWrites(target, base, 2);
    return {
      rtoBoundSeconds: RESTART_BOUND,
      async steadyState() {
        await query('SELECT 1');
        await prepareTable(target); // for the recovery probe's writes
      },
      workload: () => ({
        start: () => workload.start(),
        stop: async () => {
          const ops = await workload.stop();
          acked = ops.filter((o) => o.ok).map((o) => o.key);
          return ops;
        },
      }),
      async inject() {
        await ctx.driver.act('restart', server);
        return { description: `restart ${server.name}`, at: Date.now() };
      },
      // The Postgres side never stops; serving again means ClickHouse answers.
      recovered: async () => (await query('SELECT 1')).trim() === '1' && (await writeProbe(target)),
      rollback: async () => undefined,
      async readback() {
        let present = new Map<string, number>();
        for (const deadline = Date.now() + CATCH_UP_SECONDS * 1000; Date.now() < deadline;) {
          const rows = (await query(sinkQuery('cdc', base))).trim().split('\n').filter(Boolean);
          present = new Map(
            rows.map((r) => JSON.parse(r) as { id: string; n: string }).map((r) => [r.id, Number(r.n)]),
          );
          if (acked.every((k) => present.has(k))) break;
          await new Promise((r) => setTimeout(r, 2000));
        }
        return { present };
      },
    };
  },
};

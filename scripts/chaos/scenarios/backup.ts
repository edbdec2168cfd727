/**
 * Restore drills, in the chaos runner's shape (steady state, a workload that
 * records every acknowledged write, the fault, recovery, a verdict from the
 * history), on the lab:
 *
 * - backup-drop-table: a base backup, more writes, the moment T, writes after
 *   T, `DROP TABLE`; PITR to T. Every row acknowledged before T must be back
 *   and none written after it: RPO 0.
 * - backup-lose-all-data: a base backup, writes, then every member killed and
 *   its data directory deleted; restore to the latest archived WAL. Rows lost
 *   may only be those of the last archive_timeout seconds.
 *
 * RTO is the restore's start to the first write the restored leader accepts.
 */
import { rmSync } from 'node:fs';
import pg from 'pg';
import { nodeNamed, tlsEndpoint } from '../target';
import { clusterMembers, patroniNodes, steadyProblem } from '../patroni';
import { pgWrites, type PgTarget } from '../workloads/pg-writes';
import { LabBackups } from '../../ops/pg-backup-lab';
import { LabDriver } from '../drivers/lab';
import type { Op } from '../types';

export const DRILLS = ['backup-drop-table', 'backup-lose-all-data'] as const;
export type DrillName = (typeof DRILLS)[number];

export interface DrillVerdict {
  readonly drill: DrillName;
  readonly passed: boolean;
  readonly failures: readonly string[];
  /** Rows acknowledged before the target (a) or the loss (b). */
  readonly acknowledgedBefore: number;
  /** Of those, missing after the restore. */
  readonly lost: number;
  /** Seconds of acknowledged writes lost: from the first lost row to the disaster; 0 when none. */
  readonly rpoSeconds: number;
  readonly rpoBoundSeconds: number;
  /** Rows written after the target that came back (must be 0). */
  readonly afterTargetPresent: number;
  readonly rtoSeconds: number;
  /** Restore start until every member streams again. */
  readonly wholeSeconds: number;
  readonly runSeconds: number;
}

const TABLE = 'drill_rows';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDrill(
  drill: DrillName,
  root: string,
  log: (m: string) => void = () => undefined,
): Promise<DrillVerdict> {
  const started = Date.now();
  const backups = new LabBackups(root, (m) => log(`${drill}: ${m}`));
  const manifest = backups.manifest;
  const s = backups.plan.platform.postgres.patroni.settings;
  const target: PgTarget = {
    ...tlsEndpoint(manifest, nodeNamed(manifest, 'haproxy'), 'primary'),
    database: s.database,
    user: s.appUser,
    password: backups.plan.values.secrets['postgres-app']!,
  };
  const sql = async (text: string, values: unknown[] = []) => {
    const c = new pg.Client({ ...target, connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      return (await c.query(text, values)).rows;
    } finally {
      await c.end();
    }
  };
  const members = patroniNodes(manifest).map((n) => n.name);
  let steady: string | undefined = 'not checked';
  for (const deadline = Date.now() + 120_000; steady && Date.now() < deadline; await sleep(500)) {
    steady = steadyProblem(await clusterMembers(manifest).catch(() => []), members.length);
  }
  if (steady) throw new Error(`${drill}: no steady state to start from within 120 s: ${steady}`);

  await sql(`DROP TABLE IF EXISTS ${TABLE}`);
  await sql(`CREATE TABLE ${TABLE} (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  const writer = pgWrites({
    target,
    run: drill,
    clients: 2,
    insert: (key) => ({ text: `INSERT INTO ${TABLE} (id) VALUES ($1)`, values: [key] }),
  });
  writer.start();
  await sleep(2000);
  await backups.backupNow('full');
  const archiveTimeout = backups.plan.platform.postgres.patroni.backupSettings.archiveTimeoutSeconds;
  let disasterAt: number;
  let restoreTarget: Parameters<LabBackups['restore']>[0];
  let before: Op[];
  const afterTarget: string[] = [];
  let restored: Awaited<ReturnType<LabBackups['restore']>>;
  if (drill === 'backup-drop-table') {
    await sleep(3000);
    before = await writer.stop();
    const t = new Date();
    await sleep(50);
    for (let id = 1_000_000; id < 1_000_020; id++) {
      await sql(`INSERT INTO ${TABLE} (id) VALUES ($1)`, [id]);
      afterTarget.push(String(id));
    }
    disasterAt = Date.now();
    await sql(`DROP TABLE ${TABLE}`);
    log(
      `${drill}: DROP TABLE ${TABLE} after ${before.filter((o) => o.ok).length} acknowledged rows; target ${t.toISOString()}`,
    );
    restoreTarget = { kind: 'time', time: t.toISOString() };
    restored = await backups.restore(restoreTarget);
  } else {
    // Past archive_timeout, so part of what follows the backup comes back from archived WAL.
    await sleep((archiveTimeout + 2) * 1000);
    const driver = new LabDriver(root);
    disasterAt = Date.now();
    await Promise.all(members.map((m) => driver.act('kill', nodeNamed(manifest, m))));
    for (const m of members) {
      rmSync(backups.plan.platform.placement.path(m, '/home/postgres/pgdata/pgroot'), { recursive: true, force: true });
    }
    log(`${drill}: every member killed and its data directory deleted`);
    // The writer keeps trying through the restore; its first acknowledged write after it is the RTO's end.
    restoreTarget = { kind: 'latest' };
    restored = await backups.restore(restoreTarget);
    await sleep(1000);
    before = (await writer.stop()).filter((o) => o.endedAt < disasterAt);
  }
  const present = new Set((await sql(`SELECT id::text AS id FROM ${TABLE}`)).map((r: { id: string }) => r.id));
  const acked = before.filter((o) => o.ok);
  const lostOps = acked.filter((o) => !present.has(o.key));
  const rpoSeconds = lostOps.length ? (disasterAt - Math.min(...lostOps.map((o) => o.startedAt))) / 1000 : 0;
  const rpoBoundSeconds = drill === 'backup-drop-table' ? 0 : archiveTimeout;
  const failures: string[] = [];
  if (acked.length < 20) failures.push(`only ${acked.length} rows acknowledged before the disaster`);
  if (rpoSeconds > rpoBoundSeconds) {
    failures.push(
      `RPO ${rpoSeconds.toFixed(1)} s (${lostOps.length} acknowledged rows lost) exceeds ${rpoBoundSeconds} s`,
    );
  }
  const afterTargetPresent = afterTarget.filter((k) => present.has(k)).length;
  if (afterTargetPresent) failures.push(`${afterTargetPresent} rows written after the target came back`);
  const verdict: DrillVerdict = {
    drill,
    passed: failures.length === 0,
    failures,
    acknowledgedBefore: acked.length,
    lost: lostOps.length,
    rpoSeconds,
    rpoBoundSeconds,
    afterTargetPresent,
    rtoSeconds: (restored.writableAt - restored.startedAt) / 1000,
    wholeSeconds: (restored.steadyAt - restored.startedAt) / 1000,
    runSeconds: (Date.now() - started) / 1000,
  };
  log(
    `${drill}: ${verdict.passed ? 'PASS' : 'FAIL'}: RTO ${verdict.rtoSeconds.toFixed(1)} s, ` +
      `RPO ${rpoSeconds.toFixed(1)} s (${lostOps.length} of ${acked.length} lost, bound ${rpoBoundSeconds} s), ` +
      `whole after ${verdict.wholeSeconds.toFixed(1)} s, run ${verdict.runSeconds.toFixed(0)} s`,
  );
  return verdict;
}

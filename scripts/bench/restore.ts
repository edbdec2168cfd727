/**
 * Restore RTO for a stated data size, on a lab of its own (Postgres, etcd,
 * HAProxy, VersityGW only):
 *   flock -o /work/locks/lab.lock npm run bench:restore -- [--rows N]   (default 1,000,000)
 * Loads N pgbench-like rows (int key, int balance, 84-char filler), takes a
 * full backup, restores to the latest WAL and prints the data size, the
 * backup time, the RTO (restore start → writes accepted) and the time until
 * every member streams again.
 */
import { mkdtempSync } from 'node:fs';
import pg from 'pg';
import { argv } from 'zx';
import { labTarget, nodeNamed, tlsEndpoint } from '../chaos/target';
import { LabBackups } from '../ops/pg-backup-lab';
import { readState, startLab, stopLab } from '../lab/runtime';

const rows = Number(argv.rows ?? 1_000_000);
if (!Number.isInteger(rows) || rows < 1 || rows > 50_000_000) {
  console.error(`--rows must be an integer between 1 and 50000000 (got ${String(argv.rows)})`);
  process.exit(2);
}
const root = mkdtempSync('/tmp/dplab-bench-restore-');
const log = (m: string) => console.log(`${new Date().toISOString().slice(11, 23)} ${m}`);
try {
  const lab = await startLab({
    root,
    basePort: Number(process.env.LAB_BASE_PORT ?? 32000),
    include: (n) => ['patroni', 'versitygw', 'pgbackrest', 'haproxy'].includes(n.spec.component),
  });
  const s = lab.plan.platform.postgres.patroni.settings;
  const { manifest } = labTarget(root);
  const c = new pg.Client({
    ...tlsEndpoint(manifest, nodeNamed(manifest, 'haproxy'), 'primary'),
    database: s.database,
    user: s.appUser,
    password: lab.values.secrets['postgres-app'],
  });
  await c.connect();
  log(`loading ${rows} rows`);
  await c.query('CREATE TABLE bench_accounts (aid int PRIMARY KEY, bid int, abalance int, filler char(84))');
  await c.query('INSERT INTO bench_accounts SELECT g, g % 100, 0, $1 FROM generate_series(1, $2) g', ['x', rows]);
  const [{ size }] = (await c.query('SELECT pg_database_size(current_database()) AS size')).rows as { size: string }[];
  await c.end();
  const backups = new LabBackups(root, log);
  const t0 = Date.now();
  await backups.backupNow('full');
  const backupSeconds = (Date.now() - t0) / 1000;
  const r = await backups.restore({ kind: 'latest' });
  console.log(
    [
      `rows ${rows}, database ${(Number(size) / 2 ** 20).toFixed(0)} MiB`,
      `full backup ${backupSeconds.toFixed(1)} s`,
      `restore RTO (start → writes accepted) ${((r.writableAt - r.startedAt) / 1000).toFixed(1)} s`,
      `every member streaming ${((r.steadyAt - r.startedAt) / 1000).toFixed(1)} s`,
    ].join('\n'),
  );
} finally {
  stopLab(readState(root), { keepRoot: false });
}

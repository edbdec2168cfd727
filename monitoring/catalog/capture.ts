#!/usr/bin/env -S npx tsx
/**
 * Regenerates the metric catalogs that come from real binaries: starts each
 * server and exporter on 127.0.0.1, scrapes its /metrics and writes the series
 * names it exposes to monitoring/catalog/<exporter>.txt.
 *
 *   npx tsx monitoring/catalog/capture.ts            (as root or the postgres user, after scripts/lab/setup.sh)
 *   ETCD_3_6=… POSTGRES_EXPORTER_0_20=… PROMETHEUS_3_15=… ALERTMANAGER_0_34=… npx tsx monitoring/catalog/capture.ts
 *     (paths to binaries of the images' versions, built from source, which the lab does not run)
 *
 * Catalogs of exporters that cannot run here are read from upstream source;
 * each says so in its header.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve('.tmp/catalog-capture');
const out = resolve('monitoring/catalog');
const LAB = process.env.LAB_HOME ?? '/opt/dataplatform';
const PG_BIN = '/usr/lib/postgresql/15/bin';
const PASSWORD = 'capture';
const children: ChildProcess[] = [];
let nextPort = 27100;
let finished = false;
const port = () => nextPort++;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const asPostgres = (argv: string[]) =>
  process.getuid?.() === 0 ? ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', ...argv] : argv;

function start(name: string, argv: string[], env: Record<string, string> = {}): void {
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  child.on('exit', (code) => code && !finished && console.error(`${name} exited ${code}:\n${log.slice(-2000)}`));
  children.push(child);
}

/** Fetches `url` until it answers 200 and `ready` accepts the body (bounded: 60 s). */
async function scrape(url: string, ready: (body: string) => boolean = () => true): Promise<string> {
  for (let i = 0; i < 120; i++) {
    try {
      const res = await fetch(url);
      const body = await res.text();
      if (res.ok && ready(body)) return body;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  throw new Error(`${url} never became ready`);
}

/** Series names in a text exposition: sample lines only, so histograms give `_bucket`, `_sum` and `_count`. */
function seriesNames(exposition: string): string[] {
  const names = exposition
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.match(/^[a-zA-Z_:][a-zA-Z0-9_:]*/)![0]);
  return [...new Set(names)].sort();
}

function writeCatalog(file: string, source: string, names: string[]): void {
  const header = [
    `# ${source}`,
    `# Captured by monitoring/catalog/capture.ts on ${new Date().toISOString().slice(0, 10)}.`,
  ];
  writeFileSync(join(out, file), [...header, ...names, ''].join('\n'));
  console.log(`${file}: ${names.length} names`);
}

async function etcd(binary: string, file: string, version: string): Promise<string> {
  const [client, peer] = [port(), port()];
  const dir = join(root, file);
  start(file, [
    binary,
    `--name=capture`,
    `--data-dir=${dir}`,
    `--listen-client-urls=http://127.0.0.1:${client}`,
    `--advertise-client-urls=http://127.0.0.1:${client}`,
    `--listen-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
    `--initial-cluster=capture=http://127.0.0.1:${peer}`,
  ]);
  const body = await scrape(`http://127.0.0.1:${client}/metrics`, (b) => b.includes('etcd_server_has_leader 1'));
  writeCatalog(file, `etcd ${version}: the real server's /metrics (single member).`, seriesNames(body));
  return `127.0.0.1:${client}`;
}

async function main(): Promise<void> {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  if (process.getuid?.() === 0) chownSync(root, 101, 104);
  chmodSync(root, 0o777);

  const etcdEndpoint = await etcd('/usr/bin/etcd', 'etcd-3.4.txt', '3.4 (Debian 12 package)');
  if (process.env.ETCD_3_6)
    await etcd(process.env.ETCD_3_6, 'etcd-3.6.txt', '3.6.15 (built from the v3.6.15 Go module)');

  // Patroni bootstraps its own Postgres; the exporters then watch that server.
  const [pg, rest] = [port(), port()];
  const patroniYml = join(root, 'patroni.yml');
  writeFileSync(
    patroniYml,
    JSON.stringify({
      scope: 'capture',
      name: 'capture-1',
      restapi: { listen: `127.0.0.1:${rest}`, connect_address: `127.0.0.1:${rest}` },
      etcd3: { hosts: [etcdEndpoint] },
      bootstrap: {
        dcs: { ttl: 20, loop_wait: 2, retry_timeout: 5, postgresql: { parameters: { wal_level: 'logical' } } },
      },
      postgresql: {
        listen: `127.0.0.1:${pg}`,
        connect_address: `127.0.0.1:${pg}`,
        data_dir: join(root, 'pgdata'),
        bin_dir: PG_BIN,
        pgpass: join(root, 'pgpass'),
        authentication: {
          superuser: { username: 'postgres', password: PASSWORD },
          replication: { username: 'replicator', password: PASSWORD },
        },
        parameters: { unix_socket_directories: root },
        pg_hba: [
          'local all all trust',
          'host all all 127.0.0.1/32 scram-sha-256',
          'host replication all 127.0.0.1/32 scram-sha-256',
        ],
      },
    }),
  );
  start('patroni', asPostgres([`${LAB}/patroni-venv/bin/patroni`, patroniYml]));
  const patroni = await scrape(`http://127.0.0.1:${rest}/metrics`, (b) => /patroni_primary\{[^}]*\} 1/.test(b));
  writeCatalog(
    'patroni-4.0.txt',
    `Patroni ${process.env.PATRONI_VERSION ?? '4.0.11'}: the real REST API's /metrics (leader).`,
    seriesNames(patroni),
  );

  // A logical slot, an idle-in-transaction session and a pool in use, so that row-driven metrics appear.
  const psql = (sql: string) =>
    new Promise<void>((ok, fail) => {
      const p = spawn('psql', [
        `postgresql://postgres:${PASSWORD}@127.0.0.1:${pg}/postgres`,
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ]);
      p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`psql exited ${code}: ${sql}`))));
    });
  await psql("SELECT pg_create_logical_replication_slot('debezium', 'pgoutput')");
  await psql(`CREATE ROLE monitor LOGIN PASSWORD '${PASSWORD}' IN ROLE pg_monitor`);
  start('idle-tx', [
    'psql',
    `postgresql://postgres:${PASSWORD}@127.0.0.1:${pg}/postgres`,
    '-c',
    'BEGIN; SELECT pg_sleep(60);',
  ]);

  const pgExporter = async (binary: string, file: string, version: string) => {
    const listen = port();
    start(file, [binary, `--web.listen-address=127.0.0.1:${listen}`, '--collector.long_running_transactions'], {
      DATA_SOURCE_URI: `127.0.0.1:${pg}/postgres?sslmode=disable`,
      DATA_SOURCE_USER: 'monitor',
      DATA_SOURCE_PASS: PASSWORD,
    });
    const body = await scrape(
      `http://127.0.0.1:${listen}/metrics`,
      (b) => b.includes('pg_up 1') && b.includes('slot_is_active'),
    );
    writeCatalog(
      file,
      `postgres_exporter ${version} against PostgreSQL 15 with a logical slot and an open transaction, run with --collector.long_running_transactions.`,
      seriesNames(body),
    );
  };
  await pgExporter(
    `${LAB}/bin/postgres_exporter`,
    'postgres-exporter-0.19.txt',
    '0.19.1 (Go-built by scripts/lab/setup.sh)',
  );
  if (process.env.POSTGRES_EXPORTER_0_20) {
    await pgExporter(
      process.env.POSTGRES_EXPORTER_0_20,
      'postgres-exporter-0.20.txt',
      '0.20.1 (built from its v0.20.1 git tag)',
    );
  }

  const bouncer = port();
  const ini = join(root, 'pgbouncer.ini');
  writeFileSync(join(root, 'userlist.txt'), `"postgres" "${PASSWORD}"\n"pgbouncer_exporter" "${PASSWORD}"\n`);
  writeFileSync(
    ini,
    [
      '[databases]',
      `app_rw = host=127.0.0.1 port=${pg} dbname=postgres`,
      '[pgbouncer]',
      `listen_addr = 127.0.0.1`,
      `listen_port = ${bouncer}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(root, 'userlist.txt')}`,
      'pool_mode = transaction',
      'stats_users = pgbouncer_exporter',
      'ignore_startup_parameters = extra_float_digits',
      '',
    ].join('\n'),
  );
  start('pgbouncer', asPostgres(['/usr/sbin/pgbouncer', ini]));
  await sleep(1000);
  await psql('SELECT 1').catch(() => undefined);
  start('pool-client', [
    'psql',
    `postgresql://postgres:${PASSWORD}@127.0.0.1:${bouncer}/app_rw`,
    '-c',
    'SELECT pg_sleep(30)',
  ]);
  const bouncerExporter = port();
  start('pgbouncer_exporter', [
    `${LAB}/bin/pgbouncer_exporter`,
    `--web.listen-address=127.0.0.1:${bouncerExporter}`,
    `--pgBouncer.connectionString=postgres://pgbouncer_exporter:${PASSWORD}@127.0.0.1:${bouncer}/pgbouncer?sslmode=disable`,
  ]);
  const bouncerMetrics = await scrape(
    `http://127.0.0.1:${bouncerExporter}/metrics`,
    (b) => b.includes('pgbouncer_up 1') && b.includes('pgbouncer_pools_'),
  );
  writeCatalog(
    'pgbouncer-exporter-0.12.txt',
    'pgbouncer_exporter 0.12.1 (Go-built by scripts/lab/setup.sh) against PgBouncer 1.18 with one pool in use.',
    seriesNames(bouncerMetrics),
  );

  const [front, metrics] = [port(), port()];
  const haproxyCfg = join(root, 'haproxy.cfg');
  writeFileSync(
    haproxyCfg,
    [
      'defaults',
      '  mode tcp',
      '  timeout connect 4s',
      '  timeout client 30s',
      '  timeout server 30s',
      'listen primary',
      `  bind 127.0.0.1:${front}`,
      '  option httpchk',
      `  server capture-1 127.0.0.1:${pg} check port ${rest}`,
      'frontend metrics',
      '  mode http',
      `  bind 127.0.0.1:${metrics}`,
      '  http-request use-service prometheus-exporter if { path /metrics }',
      '',
    ].join('\n'),
  );
  start('haproxy', ['/usr/sbin/haproxy', '-f', haproxyCfg]);
  const haproxy = await scrape(`http://127.0.0.1:${metrics}/metrics`, (b) => b.includes('haproxy_server_status'));
  writeCatalog(
    'haproxy-2.6.txt',
    "HAProxy 2.6 (Debian 12 package): the built-in prometheus-exporter service's /metrics with one listen section and one checked server.",
    seriesNames(haproxy),
  );

  await alertmanager('/usr/bin/prometheus-alertmanager', 'alertmanager-0.25.txt', '0.25 (Debian 12 package)');
  if (process.env.ALERTMANAGER_0_34)
    await alertmanager(
      process.env.ALERTMANAGER_0_34,
      'alertmanager-0.34.txt',
      '0.34.1 (built from its v0.34.1 Go module)',
    );
  await prometheus('/usr/bin/prometheus', 'prometheus-2.42.txt', '2.42 (Debian 12 package)');
  if (process.env.PROMETHEUS_3_15)
    await prometheus(process.env.PROMETHEUS_3_15, 'prometheus-3.15.txt', '3.15.0 (built from its v0.315.0 Go module)');
}

async function alertmanager(binary: string, file: string, version: string): Promise<void> {
  const listen = port();
  const dir = join(root, file);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'alertmanager.yml'), 'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n');
  start(file, [
    binary,
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${dir}`,
    `--web.listen-address=127.0.0.1:${listen}`,
    '--cluster.listen-address=',
  ]);
  const body = await scrape(`http://127.0.0.1:${listen}/metrics`, (b) => b.includes('alertmanager_build_info'));
  writeCatalog(file, `Alertmanager ${version}: its own /metrics.`, seriesNames(body));
}

async function prometheus(binary: string, file: string, version: string): Promise<void> {
  const listen = port();
  const dir = join(root, file);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: {scrape_interval: 1s, evaluation_interval: 1s}\nrule_files: [rules.yml]\nscrape_configs:\n  - job_name: self\n    static_configs: [{targets: ['127.0.0.1:${listen}']}]\n`,
  );
  // One rule group, so that the per-group rule metrics exist.
  writeFileSync(
    join(dir, 'rules.yml'),
    'groups:\n  - name: capture\n    rules:\n      - alert: Always\n        expr: vector(1)\n',
  );
  start(file, [
    binary,
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${dir}`,
    `--web.listen-address=127.0.0.1:${listen}`,
  ]);
  // Names in its TSDB after a few self-scrapes: its own metrics, the synthetic up and scrape_* series, and ALERTS.
  const values = await scrape(
    `http://127.0.0.1:${listen}/api/v1/label/__name__/values`,
    (b) => b.includes('scrape_series_added') && b.includes('prometheus_rule_evaluation_failures_total'),
  );
  writeCatalog(
    file,
    `Prometheus ${version}: every series name in its TSDB after scraping itself with one rule group loaded.`,
    (JSON.parse(values).data as string[]).sort(),
  );
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => {
    finished = true;
    for (const c of children) c.kill('SIGTERM');
  });

#!/usr/bin/env -S npx tsx
/**
 * Memory benchmark: brings the lab up on a profile's rendered settings, runs a
 * standard workload (writes through PgBouncer, their CDC events into Kafka,
 * Prometheus scraping and queries), samples every server's process tree each
 * second, and prints per node the Docker memory limit, the measured peak and
 * their ratio, plus totals. Start it under the lab lock:
 *   npm run bench:memory -- [--profile default|minimal] [--seconds 60]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { App } from 'cdktf';
import { Kafka, logLevel } from 'kafkajs';
import { PROFILES, type Profile } from '../../constructs/profiles';
import { LocalStack } from '../../stacks/local-stack';
import { endpointOf, labTarget, nodeNamed, nodesOf, tlsEndpoint } from '../chaos/target';
import { pgWrites } from '../chaos/workloads/pg-writes';
import { httpsJson } from '../lab/https';
import { startLab, stopLab } from '../lab/runtime';
import { labOperatorTls } from '../lab/tls';
import { LAB_TOOLS } from '../lab/tools';
import { snapshotProcs, treeMemory, treeOf } from './proc-memory';

const { values: args } = parseArgs({
  options: { profile: { type: 'string', default: 'default' }, seconds: { type: 'string', default: '60' } },
});
const profile = args.profile as Profile;
if (!(profile in PROFILES)) throw new Error(`--profile must be one of ${Object.keys(PROFILES).join(', ')}`);
const seconds = Number(args.seconds);

/** Why a node the Docker stack runs has no figure here, and what its limit rests on instead. */
const UNMEASURED: Record<string, string> = {
  mongo: 'no MongoDB server for this machine; WiredTiger cache 256 MiB (its minimum) + mongod overhead',
  'mongodb-exporter': 'not built here; a Go exporter like the measured ones',
  'clickhouse-keeper': 'no ClickHouse package here; Keeper is small at this size (a few znodes)',
  clickhouse: 'no ClickHouse package here; max_server_memory_usage rendered at 80 % of the limit',
  minio: 'no object store server in the lab',
  grafana: 'Grafana is not packaged for Debian',
  cadvisor: 'needs a container engine',
  'kafka-exporter': 'not built here; a Go exporter like the measured ones',
};

// What Docker would run: the limits come from here, by node name.
const docker = new LocalStack(new App({ outdir: mkdtempSync('/tmp/bench-memory-out-') }), 'local', {
  settings: { profile },
});
const limits = new Map(docker.platform.nodes.filter((n) => !n.oneShot).map((n) => [n.name, n]));

const started = Date.now();
const lab = await startLab({ root: mkdtempSync('/tmp/dplab-mem-'), basePort: 25000, profile });
console.log(`lab up in ${((Date.now() - started) / 1000).toFixed(1)} s (profile ${profile})`);
const peaks = new Map<string, { rssMb: number; pssMb: number; processes: number }>();
let failed = false;
let kafkaCheckMb = 0;
try {
  const target = labTarget(lab.root);
  const manifest = target.manifest;
  const sample = () => {
    const snap = snapshotProcs();
    for (const node of lab.plan.nodes) {
      const pid = lab.pids[node.spec.name];
      if (pid === undefined) continue;
      const m = treeMemory(treeOf(snap, [pid], node.dir));
      const peak = peaks.get(node.spec.name);
      peaks.set(node.spec.name, {
        rssMb: Math.max(peak?.rssMb ?? 0, m.rssMb),
        pssMb: Math.max(peak?.pssMb ?? 0, m.pssMb),
        processes: Math.max(peak?.processes ?? 0, m.processes),
      });
    }
  };
  const sampler = setInterval(sample, 1000);

  const pgbouncer = nodesOf(manifest, 'pgbouncer')[0]!;
  const writes = pgWrites({
    target: {
      ...tlsEndpoint(manifest, pgbouncer, 'pgbouncer'),
      database: 'app_rw',
      user: 'app',
      password: target.secrets['postgres-app']!,
    },
    run: 'bench-memory',
    firstKey: 1_000_000,
    insert: (key) => ({
      text: 'INSERT INTO orders (id, customer_id, status, amount) VALUES ($1, 1, $2, 10)',
      values: [key, 'new'],
    }),
  });
  const kafka = new Kafka({
    clientId: 'bench-memory',
    brokers: nodesOf(manifest, 'kafka')
      .filter((n) => n.endpoints.host)
      .map((n) => endpointOf(n, 'host')),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `bench-memory-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: 'pg.public.orders', fromBeginning: true });
  let events = 0;
  await consumer.run({ eachMessage: async () => void events++ });
  const prometheus = `https://${endpointOf(nodeNamed(manifest, 'prometheus'), 'web')}`;
  const operator = labOperatorTls(lab.root);
  let upTargets = 0;
  let queries = 0;
  const query = async () => {
    const body = (await httpsJson(`${prometheus}/api/v1/query?query=${encodeURIComponent('sum(up)')}`, operator)) as {
      data: { result: { value: [number, string] }[] };
    };
    upTargets = Number(body.data.result[0]?.value[1] ?? 0);
    queries++;
  };

  writes.start();
  for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline;) {
    await query().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2000));
  }
  const ops = await writes.stop();
  const acked = ops.filter((o) => o.ok).length;
  // Let the last events through Debezium before the final samples.
  for (const deadline = Date.now() + 30_000; Date.now() < deadline && events < acked;) {
    await new Promise((r) => setTimeout(r, 500));
  }
  await consumer.disconnect();
  sample();
  clearInterval(sampler);
  // Docker runs each broker's health check, a JVM tool with the image's default tool heap, inside the
  // broker's container every 15 s, so its peak counts into the broker's. GNU time reports its peak RSS.
  const broker = nodesOf(manifest, 'kafka').find((n) => n.endpoints.internal)!;
  const check = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%M',
      LAB_TOOLS.java,
      '-Xmx256M',
      '-cp',
      `${LAB_TOOLS.kafkaLibs}/*`,
      'org.apache.kafka.tools.BrokerApiVersionsCommand',
      '--bootstrap-server',
      endpointOf(broker, 'internal'),
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  kafkaCheckMb = Number(check.stderr.trim().split('\n').at(-1)) / 1024;
  if (!(kafkaCheckMb > 0))
    throw new Error(`bench: no peak RSS from GNU time for the Kafka health check:\n${check.stderr}`);
  console.log(
    `kafka health check (JVM tool, exit ${check.status}): peak RSS ${kafkaCheckMb.toFixed(0)} MiB, added to each broker's peak`,
  );
  console.log(
    `workload ${seconds} s: ${acked} writes acknowledged through PgBouncer (${ops.length - acked} failed), ` +
      `${events} CDC events read from Kafka, ${queries} Prometheus queries (${upTargets} targets up)`,
  );
  failed = acked === 0 || events < acked;
} finally {
  stopLab(lab, { keepRoot: failed });
}

const mb = (x: number) => x.toFixed(0).padStart(6);
console.log(
  `\n${'node'.padEnd(22)} ${'limit'.padStart(6)} ${'PSS'.padStart(6)} ${'RSS'.padStart(6)} ${'limit/PSS'.padStart(9)}  (MiB; peak over the run, process tree)`,
);
let limitSum = 0;
let measuredLimitSum = 0;
let pssSum = 0;
for (const [name, spec] of limits) {
  limitSum += spec.memoryMb;
  const measured = peaks.get(name);
  const extra = spec.component === 'kafka' ? kafkaCheckMb : 0;
  const peak = measured && { ...measured, pssMb: measured.pssMb + extra, rssMb: measured.rssMb + extra };
  if (!peak) {
    console.log(
      `${name.padEnd(22)} ${mb(spec.memoryMb)}      -      -         -  not run: ${UNMEASURED[spec.component] ?? 'not in the lab'}`,
    );
    continue;
  }
  measuredLimitSum += spec.memoryMb;
  pssSum += peak.pssMb;
  const ratio = spec.memoryMb / peak.pssMb;
  console.log(
    `${name.padEnd(22)} ${mb(spec.memoryMb)} ${mb(peak.pssMb)} ${mb(peak.rssMb)} ${ratio.toFixed(2).padStart(9)}${ratio < 1.3 ? '  BELOW 1.3x' : ''}`,
  );
}
console.log(
  `\ntotal limits ${limitSum} MiB (${(limitSum / 1024).toFixed(2)} GiB, budget ${PROFILES[profile].budgetMb} MiB) over ${limits.size} services; ` +
    `measured nodes: limits ${measuredLimitSum} MiB, peak PSS ${pssSum.toFixed(0)} MiB (ratio ${(measuredLimitSum / pssSum).toFixed(2)})`,
);
process.exitCode = failed ? 1 : 0;

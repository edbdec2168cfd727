import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parsePgUrl } from 'pg-connection-string';
import { describe, expect, it } from 'vitest';
import { GENERATED_ID_BYTES, idFromBytes, idsIn, resolveIds } from '../../constructs/platform/generated-ids';
import type { NodeSpec } from '../../constructs/platform/node-spec';
import { SECRET_ALPHABET, resolveSecrets, secretFromBytes, secretsIn } from '../../constructs/platform/secrets';
import { planLab } from '../../scripts/lab/plan';
import { nativeLaunch } from '../../scripts/lab/natives';
import { LAB_TOOLS } from '../../scripts/lab/tools';
import { dockerPlatform } from '../helpers';
import { findTool, haveTools, scratch } from '../real-tools/tools';

/**
 * Property checks: could any value a target generates be misread where it
 * lands? Every target generates IDs as 16 random bytes in base64url
 * (random_id, the lab) and secrets from SECRET_ALPHABET (random_password with
 * special = false, the lab). Each check runs many such values, seeded draws
 * plus the corners of each space, through the consumer's renderer and reads
 * them back as the consumer would.
 */
const RUNS = 200;
/**
 * Seeded draws for the checks that run a real bash per value (three processes each). Neither alphabet holds
 * a character bash splits, globs or expands, so the power there comes from the corners, which are always
 * included; 40 draws still hold every character of both alphabets (asserted below).
 */
const SPAWNED_RUNS = 40;
/** The n-th pseudo-random draw of `length` bytes: deterministic, so a failure can be replayed. */
const draw = (kind: string, n: number, length: number) =>
  createHash('sha512').update(`${kind}:${n}`).digest().subarray(0, length);

const idSamples = (runs: number) => [
  ...Array.from({ length: runs }, (_, n) => idFromBytes(draw('id', n, GENERATED_ID_BYTES))),
  idFromBytes(Buffer.alloc(GENERATED_ID_BYTES, 0xf8)), // begins with '-'
  idFromBytes(Buffer.alloc(GENERATED_ID_BYTES, 0xfc)), // begins with '_'
  idFromBytes(Buffer.alloc(GENERATED_ID_BYTES, 0x00)),
  idFromBytes(Buffer.alloc(GENERATED_ID_BYTES, 0xff)),
  '-fX0uk1PAQTOsccHQ2WRmg', // issue 15
];
const ID_SAMPLES = idSamples(RUNS);

const sampled = new Map<string, string[]>();
function secretSamples(length: number, runs = RUNS): string[] {
  const key = `${length}/${runs}`;
  if (!sampled.has(key)) sampled.set(key, drawSecrets(length, runs));
  return sampled.get(key)!;
}

function drawSecrets(length: number, runs: number): string[] {
  const fill = (pattern: string) => pattern.repeat(length).slice(0, length);
  return [
    ...Array.from({ length: runs }, (_, n) => secretFromBytes(draw(`secret-${length}`, n, length))),
    // Corners a YAML, ini or number parser could take for something else: all digits, hex, exponent, octal.
    fill('0'),
    fill('1234567890'),
    `0x${fill('f')}`.slice(0, length),
    `1e${fill('9')}`.slice(0, length),
    `0o${fill('7')}`.slice(0, length),
    fill('Z'),
  ];
}

const platform = dockerPlatform();
const lengthOf = (name: string) => platform.secrets.find((s) => s.name === name)!.length ?? 32;
/** Text with every placeholder filled: secrets and IDs from `values`, by name. */
const fill = (text: string, values: Record<string, string>) =>
  resolveIds(
    resolveSecrets(text, (n) => values[n]!),
    (n) => values[n]!,
  );

/**
 * Where a placeholder lands and which check below covers it. A placeholder in a
 * place not listed here fails the coverage test: add a check for it.
 */
const PLAIN_ENV =
  /^(PATRONI_\w+_PASSWORD|APP_DB_PASSWORD|DEBEZIUM_DB_PASSWORD|MONITOR_DB_PASSWORD|MONGO_\w*PASSWORD|CDC_\w+_PASSWORD|CLICKHOUSE_PLATFORM_PASSWORD|DATA_SOURCE_PASS|MONGODB_PASSWORD|GF_SECURITY_ADMIN_PASSWORD|ROOT_ACCESS_KEY|ROOT_SECRET_KEY|PGBACKREST_REPO1_S3_KEY|PGBACKREST_REPO1_S3_KEY_SECRET|BACKUP_S3_ACCESS_KEY|BACKUP_S3_SECRET_KEY|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|CLUSTER_ID)$/;
const URL_ENV = /^PGBOUNCER_EXPORTER_CONNECTION_STRING$/;
const FILES = /\/(userlist\.txt|keyfile\.source)$/;

function landings(nodes: readonly NodeSpec[]): string[] {
  const out: string[] = [];
  for (const n of nodes) {
    for (const [key, value] of Object.entries(n.env)) {
      if (secretsIn(value).length + idsIn(value).length > 0) out.push(`${n.name} env ${key}`);
    }
    for (const f of n.files) {
      if (secretsIn(f.content).length + idsIn(f.content).length > 0) out.push(`${n.name} file ${f.path}`);
    }
    const rest = JSON.stringify({ command: n.command, health: n.health });
    if (secretsIn(rest).length + idsIn(rest).length > 0) out.push(`${n.name} command or health check`);
  }
  return out;
}

function covered(landing: string): boolean {
  const [, kind, where] = landing.split(' ');
  if (kind === 'env') return PLAIN_ENV.test(where!) || URL_ENV.test(where!);
  return kind === 'file' && FILES.test(where!);
}

describe('generated values where they land', () => {
  it('samples every corner of each generator', () => {
    expect(ID_SAMPLES.some((id) => id.startsWith('-'))).toBe(true);
    expect(ID_SAMPLES.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id))).toBe(true);
    expect(secretSamples(32).every((s) => s.length === 32 && [...s].every((c) => SECRET_ALPHABET.includes(c)))).toBe(
      true,
    );
  });

  it('holds every character of each alphabet in the fewer draws that go through bash', () => {
    const chars = (values: string[]) => new Set(values.join(''));
    expect([...SECRET_ALPHABET].filter((c) => !chars(secretSamples(32, SPAWNED_RUNS)).has(c))).toEqual([]);
    const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    expect([...base64url].filter((c) => !chars(idSamples(SPAWNED_RUNS)).has(c))).toEqual([]);
  });

  it('has a check below for every place a placeholder lands', () => {
    const found = landings(platform.nodes);
    expect(found.length).toBeGreaterThan(20);
    expect(found.filter((l) => !covered(l))).toEqual([]);
    // Negative control: a placeholder in an unchecked place is reported.
    expect(covered('x file /etc/x/app.yml')).toBe(false);
    expect(covered('x env SOME_URL')).toBe(false);
  });

  it('reads back every secret from the connection URLs (WHATWG URL, libpq URL)', () => {
    const urls = platform.nodes.flatMap((n) =>
      Object.entries(n.env)
        .filter(([k]) => URL_ENV.test(k))
        .map(([k, v]) => ({ at: `${n.name} ${k}`, template: v })),
    );
    // One since MinIO's MC_HOST_ URL went with MinIO.
    expect(urls.length).toBeGreaterThanOrEqual(1);
    for (const { at, template } of urls) {
      const names = secretsIn(template);
      for (let i = 0; i < RUNS; i++) {
        // Each secret of the URL gets its own sample.
        const values = Object.fromEntries(names.map((n, j) => [n, secretSamples(lengthOf(n))[(i + j * 7) % RUNS]!]));
        const text = fill(template, values);
        const read = text.startsWith('postgres')
          ? // The parser reads the sslrootcert file, which exists only in the node: the secrets are what is checked.
            parsePgUrl(text.replace(/[?&]sslrootcert=[^&]*/, ''))
          : (({ username, password }) => ({
              user: decodeURIComponent(username),
              password: decodeURIComponent(password),
            }))(new URL(text));
        expect(read.password, `${at}: ${text}`).toBe(values[names.at(-1)!]);
        if (names.length === 2) expect(read.user, `${at}: ${text}`).toBe(values[names[0]!]);
      }
    }
  });

  it('keeps every secret inside its quotes in the PgBouncer userlist, and within the mongod keyfile rules', () => {
    const userlist = platform.nodes
      .find((n) => n.name === 'pgbouncer')!
      .files.find((f) => f.path.endsWith('userlist.txt'))!;
    const keyfile = platform.nodes
      .find((n) => n.name === 'mongo-1')!
      .files.find((f) => f.path.endsWith('keyfile.source'))!;
    for (const s of secretSamples(32)) {
      const values = Object.fromEntries(platform.secrets.map((x) => [x.name, s]));
      // PgBouncer's userlist grammar: "name" "password" per line, a '"' inside doubled.
      for (const line of fill(userlist.content, values).trimEnd().split('\n')) {
        expect(line).toMatch(/^"[^"]+" "[^"\s]+"$/);
        expect(line.split(' ')[1]).toBe(`"${s}"`);
      }
      // mongod: 6–1024 characters of the base64 set.
      expect(fill(keyfile.content, values)).toMatch(/^[A-Za-z0-9+/=]{6,1024}$/);
    }
  });
});

/** Runs `script` with bash, every tool in `tools` replaced by a stub that prints its argv, TAB-separated. */
function argvOf(script: string, env: Record<string, string>, stubs: string): string[] {
  const r = spawnSync('bash', ['-c', script, 'script', 'postgresql://postgres@127.0.0.1/postgres'], {
    env: { PATH: `${stubs}:/usr/bin:/bin`, ...env },
    encoding: 'utf8',
    input: '',
  });
  if (r.status !== 0) throw new Error(`${script}\nexited ${r.status}: ${r.stderr}`);
  return r.stdout.trimEnd().split('\n');
}

function stubDir(names: string[]): string {
  const dir = scratch(`argv-stubs-${process.pid}`);
  for (const name of names) {
    writeFileSync(join(dir, name), `#!/bin/bash\ncat >/dev/null\nIFS=$'\\t'\necho "${name}"$'\\t'"$*"\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

const stubs = stubDir(['psql', 'clickhouse-client', 'kafka-storage.sh', 'kafka-server-start.sh']);

describe('generated values in command lines', () => {
  it('passes every secret to psql as one -v name=value word (post-bootstrap.sh)', () => {
    const patroni = platform.nodes.find((n) => n.name === 'patroni-1')!;
    const script = patroni.files.find((f) => f.path.endsWith('post-bootstrap.sh'))!.content;
    for (const s of secretSamples(32, SPAWNED_RUNS)) {
      const env = { APP_DB_PASSWORD: s, DEBEZIUM_DB_PASSWORD: s, MONITOR_DB_PASSWORD: s };
      const [psql] = argvOf(script, env, stubs);
      const words = psql!.split('\t');
      for (const name of ['app_password', 'cdc_password', 'monitor_password']) {
        expect(words[words.indexOf(`${name}=${s}`) - 1]).toBe('-v');
      }
    }
  });

  it('passes every secret to clickhouse-client as the value of --password, never as an option', () => {
    const job = platform.nodes.find((n) => n.name === 'clickhouse-ddl')!;
    const script = job.files.find((f) => f.content.includes('clickhouse-client'))!.content;
    for (const s of secretSamples(32, SPAWNED_RUNS)) {
      for (const line of argvOf(script, { CLICKHOUSE_PLATFORM_PASSWORD: s }, stubs)) {
        if (!line.startsWith('clickhouse-client')) continue;
        const words = line.split('\t');
        expect(words[words.indexOf('--password') + 1]).toBe(s);
        // boost::program_options reads a next word beginning with '-' as an option.
        expect(s.startsWith('-')).toBe(false);
      }
    }
  });
});

const libs = LAB_TOOLS.kafkaLibs;
const PARSER = fileURLToPath(new URL('../real-tools/ParseStorageArgs.java', import.meta.url));

/** What kafka-storage's own argument parser (Kafka 4.3.1) reads as the cluster ID of each argv. */
function kafkaParses(argvs: readonly (readonly string[])[]): string[] {
  // C1 only: the run is mostly the in-memory javac of PARSER, which the C2 compiler slows by ~40 %.
  const r = spawnSync(LAB_TOOLS.java, ['-Xmx128m', '-XX:TieredStopAtLevel=1', '-cp', `${libs}/*`, PARSER], {
    input: argvs.map((a) => a.join('\t')).join('\n') + '\n',
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`ParseStorageArgs failed: ${r.stderr}`);
  return r.stdout.trimEnd().split('\n');
}

describe.runIf(haveTools({ java: findTool(LAB_TOOLS.java), 'Kafka jars': existsSync(libs) ? libs : undefined }))(
  'generated IDs in the kafka-storage command, read by Kafka 4.3.1',
  () => {
    it('gives kafka-storage every ID as its cluster ID: container command (Docker, AWS) and lab', () => {
      const kafka = platform.nodes.find((n) => n.name === 'kafka-1')!;
      const ids = idSamples(SPAWNED_RUNS);
      const script = kafka.command!.find((c) => c.includes('kafka-storage.sh'))!.replaceAll('/opt/kafka/bin/', '');
      const container = ids.map((id) => {
        const [line] = argvOf(script, { CLUSTER_ID: fill(kafka.env.CLUSTER_ID!, { 'kafka-cluster-id': id }) }, stubs);
        return line!.split('\t').slice(1);
      });
      const labKafka = planLab('/tmp/dplab-property', 21000).platform.nodes.find((n) => n.name === 'kafka-1')!;
      const lab = ids.map((id) => {
        const launch = nativeLaunch(labKafka, { path: (p) => `/tmp/dplab-property${p}`, env: { CLUSTER_ID: id } })!;
        const argv = launch.prepare![0]!;
        return argv.slice(argv.indexOf('kafka.tools.StorageTool') + 1);
      });
      // Negative control: the form before the fix, the ID as the next argument.
      const before = ids.map((id) => ['format', '--cluster-id', id, '--config', '/etc/kafka/server.properties']);
      const read = kafkaParses([...container, ...lab, ...before]);
      const n = ids.length;
      expect(read.slice(0, n)).toEqual(ids.map((id) => `OK\t${id}`));
      expect(read.slice(n, 2 * n)).toEqual(ids.map((id) => `OK\t${id}`));
      const misread = ids.filter((_, i) => !read[2 * n + i]!.startsWith('OK'));
      expect(misread.length).toBeGreaterThan(0);
      expect(misread.every((id) => id.startsWith('-'))).toBe(true);
    }, 180_000);
  },
);

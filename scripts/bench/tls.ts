#!/usr/bin/env -S npx tsx
/**
 * What TLS costs pgbench through PgBouncer, on this machine: one Postgres
 * (ssl=on, SCRAM) and two PgBouncers in transaction mode, one plaintext on
 * both sides and one with client TLS required and server TLS verify-full,
 * as the platform runs it. Rounds alternate between the two so drift in the
 * machine's load hits both. Prints TPS per round, the medians and the ratio.
 * The servers are the bench's own (a scratch folder, ports 26500+), not the
 * lab's, since the platform's configs refuse plaintext.
 *   npm run bench:tls -- [--seconds 20] [--rounds 3] [--clients 8] [--reconnect]
 * --reconnect opens a connection per transaction (pgbench -C), so every
 * transaction pays a handshake: the worst case, for clients without a pool.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { asServiceUser } from '../lab/runtime';
import { issueLabTls } from '../lab/tls';
import { LAB_TOOLS } from '../lab/tools';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    clients: { type: 'string', default: '8' },
    reconnect: { type: 'boolean', default: false },
  },
});
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);
const clients = Number(args.clients);
for (const [name, value, max] of [
  ['--seconds', seconds, 600],
  ['--rounds', rounds, 20],
  ['--clients', clients, 64],
] as const) {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new Error(`${name} must be an integer from 1 to ${max}`);
}

const PORTS = { postgres: 26500, plain: 26501, tls: 26502 };
const PASSWORD = 'benchPassw0rd';
const root = mkdtempSync(join(tmpdir(), 'bench-tls-'));
const bin = (tool: string) => join(LAB_TOOLS.pgBin, tool);
const env = { ...process.env, PGPASSWORD: PASSWORD };
const children: ChildProcess[] = [];

function cleanUp() {
  for (const c of children) c.kill('SIGTERM');
  spawnSync(...asUser([bin('pg_ctl'), '-D', join(root, 'data'), '-m', 'immediate', 'stop']), { stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
}
process.on('exit', cleanUp);
process.on('SIGINT', () => process.exit(130));

issueLabTls(join(root, 'tls'), [{ node: 'bench', hosts: ['127.0.0.1'], certPath: '/cert', keyPath: '/key' }]);
const tls = { ca: join(root, 'tls/ca.crt'), cert: join(root, 'tls/bench.crt'), key: join(root, 'tls/bench.key') };
// Postgres and PgBouncer refuse root: as root, the servers run as the lab's service user.
const own = () => process.getuid?.() === 0 && execFileSync('chown', ['-R', 'postgres:postgres', root]);
const asUser = (argv: string[]) => {
  const [cmd, ...rest] = asServiceUser(argv);
  return [cmd!, rest] as const;
};
const run = (argv: string[], options: Parameters<typeof execFileSync>[2] = {}) =>
  execFileSync(...asUser(argv), options);

console.log(
  `bench:tls in ${root}: initdb, Postgres on ${PORTS.postgres}, PgBouncer plaintext ${PORTS.plain}, TLS ${PORTS.tls}`,
);
writeFileSync(join(root, 'pw'), PASSWORD);
own();
run(
  [bin('initdb'), '-D', join(root, 'data'), '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${join(root, 'pw')}`],
  {
    stdio: 'ignore',
  },
);
writeFileSync(
  join(root, 'data/postgresql.auto.conf'),
  [
    `port = ${PORTS.postgres}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${root}'`,
    'ssl = on',
    `ssl_cert_file = '${tls.cert}'`,
    `ssl_key_file = '${tls.key}'`,
    'max_connections = 100',
    '',
  ].join('\n'),
);
writeFileSync(join(root, 'data/pg_hba.conf'), 'local all all scram-sha-256\nhost all all 127.0.0.1/32 scram-sha-256\n');
own();
run([bin('pg_ctl'), '-D', join(root, 'data'), '-l', join(root, 'postgres.log'), '-w', 'start'], { stdio: 'ignore' });
const psql = (sql: string) =>
  execFileSync(bin('psql'), ['-h', root, '-p', String(PORTS.postgres), '-U', 'postgres', '-Atc', sql], { env });
psql('CREATE DATABASE bench');
execFileSync(
  bin('pgbench'),
  ['-h', root, '-p', String(PORTS.postgres), '-U', 'postgres', '-i', '-q', '-s', '10', 'bench'],
  {
    env,
    stdio: 'ignore',
  },
);

function pgbouncer(name: 'plain' | 'tls') {
  const ini = join(root, `${name}.ini`);
  const secure = name === 'tls';
  writeFileSync(join(root, 'userlist.txt'), `"postgres" "${PASSWORD}"\n`);
  writeFileSync(
    ini,
    [
      '[databases]',
      `bench = host=127.0.0.1 port=${PORTS.postgres} dbname=bench`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${PORTS[name]}`,
      `unix_socket_dir = ${root}/${name}`,
      'auth_type = scram-sha-256',
      `auth_file = ${root}/userlist.txt`,
      'pool_mode = transaction',
      'default_pool_size = 20',
      'max_client_conn = 200',
      `logfile = ${root}/${name}.log`,
      ...(secure
        ? [
            'client_tls_sslmode = require',
            `client_tls_cert_file = ${tls.cert}`,
            `client_tls_key_file = ${tls.key}`,
            'server_tls_sslmode = verify-full',
            `server_tls_ca_file = ${tls.ca}`,
          ]
        : ['client_tls_sslmode = disable', 'server_tls_sslmode = disable']),
      '',
    ].join('\n'),
  );
  execFileSync('mkdir', ['-p', `${root}/${name}`]);
  own();
  children.push(spawn(...asUser([LAB_TOOLS.pgbouncer, ini]), { stdio: 'ignore' }));
}
pgbouncer('plain');
pgbouncer('tls');
await new Promise((r) => setTimeout(r, 1500));

function tps(mode: 'plain' | 'tls'): number {
  const sslmode = mode === 'tls' ? `sslmode=verify-full sslrootcert=${tls.ca}` : 'sslmode=disable';
  const conninfo = `host=127.0.0.1 port=${PORTS[mode]} user=postgres dbname=bench ${sslmode}`;
  const out = execFileSync(
    bin('pgbench'),
    ['-n', '-c', String(clients), '-j', '2', '-T', String(seconds), ...(args.reconnect ? ['-C'] : []), conninfo],
    { env, encoding: 'utf8', timeout: (seconds + 60) * 1000 },
  );
  // "(without initial connection time)", or with -C "(including reconnection times)".
  const m = /tps = ([\d.]+) \(/.exec(out);
  if (!m) throw new Error(`pgbench printed no tps:\n${out}`);
  return Number(m[1]);
}

const results = { plain: [] as number[], tls: [] as number[] };
for (let round = 1; round <= rounds; round++) {
  for (const mode of round % 2 ? (['plain', 'tls'] as const) : (['tls', 'plain'] as const)) {
    const value = tps(mode);
    results[mode].push(value);
    console.log(`round ${round}/${rounds}  ${mode.padEnd(5)}  ${value.toFixed(0)} tps`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const plain = median(results.plain);
const secure = median(results.tls);
console.log(
  `pgbench -c ${clients} -T ${seconds}${args.reconnect ? ' -C' : ''} through PgBouncer: ` +
    `plaintext ${plain.toFixed(0)} tps, TLS ${secure.toFixed(0)} tps (medians of ${rounds}); ` +
    `TLS/plaintext ${(secure / plain).toFixed(3)}, cost ${((1 - secure / plain) * 100).toFixed(1)} % (goal ≤ 15 %)`,
);

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RootConstruct } from 'constructs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataPlatform } from '../../constructs/data-platform';
import { LoopbackPlacement } from '../../constructs/platform/placement';
import {
  PGBACKREST_KEY_ENV,
  archiveParameters,
  renderPgBackRestConf,
  resolveBackupSettings,
} from '../../constructs/postgres/pgbackrest-config';
import { renderBucketScript } from '../../constructs/storage/bucket-job';
import { LAB_TOOLS } from '../../scripts/lab/tools';
import { asPostgres, findTool, haveTools, run, scratch } from './tools';

const tools = {
  pgbackrest: findTool('/usr/bin/pgbackrest'),
  versitygw: findTool(LAB_TOOLS.versitygw),
  aws: findTool(LAB_TOOLS.aws),
  openssl: findTool('openssl'),
  initdb: findTool(`${LAB_TOOLS.pgBin}/initdb`),
  pg_ctl: findTool(`${LAB_TOOLS.pgBin}/pg_ctl`),
};
const S3_PORT = 23771;
const PG_PORT = 23772;
const KEYS = { access: 'backupaccesskey', secret: 'backupsecretkey0123456789' };
const STANZA = 'pg-ha';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A one-day self-signed certificate for localhost, `<name>.crt` and `<name>.key` in `dir`. */
function selfSignedCert(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const args = 'req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext subjectAltName=DNS:localhost';
  const made = run([tools.openssl!, ...args.split(' '), '-keyout', key, '-out', cert]);
  if (made.code !== 0) throw new Error(`openssl could not make ${cert}: ${made.output}`);
  return { cert, key };
}

/**
 * pgBackRest 2.45 (Debian) on the rendered pgbackrest.conf and archive
 * parameters, against VersityGW 1.8.0 (the platform's rendered server command,
 * plus TLS: pgBackRest speaks only HTTPS to S3) and a real PostgreSQL 15: WAL
 * archiving, a full backup, and a point-in-time restore to before a DROP TABLE.
 * The certificate is made here with openssl; the platform does not issue one yet.
 */
describe.runIf(haveTools(tools))('pgBackRest on VersityGW: archive, backup, PITR', () => {
  const dir = scratch('pgbackrest');
  const data = join(dir, 'pgdata');
  const conf = join(dir, 'pgbackrest.conf');
  const settings = resolveBackupSettings({ archiveTimeoutSeconds: 10 });
  const env = {
    PATH: '/usr/bin:/bin',
    [PGBACKREST_KEY_ENV.accessKey]: KEYS.access,
    [PGBACKREST_KEY_ENV.secretKey]: KEYS.secret,
  };
  let gateway: ChildProcess | undefined;
  /** Runs `argv` as the postgres user with the repository keys in its environment (servers it starts inherit them). */
  const asPg = (argv: string[], timeout = 120_000) => {
    const [cmd, ...rest] = asPostgres(argv);
    return execFileSync(cmd!, rest, { env, encoding: 'utf8', timeout, stdio: 'pipe' });
  };
  const pgbackrest = (...args: string[]) =>
    asPg([tools.pgbackrest!, `--config=${conf}`, `--stanza=${STANZA}`, ...args]);
  const pgCtl = (...args: string[]) => asPg([tools.pg_ctl!, '-D', data, ...args], 60_000);
  const sql = async (text: string) => {
    const client = new pg.Client({ host: dir, port: PG_PORT, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      return (await client.query(text)).rows;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    chownSync(dir, Number(run(['id', '-u', 'postgres']).output), Number(run(['id', '-g', 'postgres']).output));
    const { cert, key } = selfSignedCert(dir, 'tls');
    // The platform's own VersityGW command, placed on loopback, with TLS flags before the backend.
    const platform = new DataPlatform(new RootConstruct(), 'platform', {
      placement: new LoopbackPlacement(dir, S3_PORT),
    });
    const command = [...platform.nodes.find((n) => n.name === 'versitygw')!.command!];
    command.splice(command.indexOf('posix'), 0, '--cert', cert, '--key', key);
    execFileSync('mkdir', ['-p', command.at(-1)!]);
    gateway = spawn(tools.versitygw!, command, {
      env: { ROOT_ACCESS_KEY: KEYS.access, ROOT_SECRET_KEY: KEYS.secret },
      stdio: 'ignore',
    });
    const s3port = Number(command[1]!.split(':')[1]);
    const script = join(dir, 'create-buckets.sh');
    writeFileSync(
      script,
      renderBucketScript({ endpoint: `https://localhost:${s3port}`, buckets: ['postgres-backups'] }),
    );
    execFileSync('bash', [script], {
      env: {
        PATH: '/usr/bin:/bin',
        AWS_ACCESS_KEY_ID: KEYS.access,
        AWS_SECRET_ACCESS_KEY: KEYS.secret,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CA_BUNDLE: cert,
      },
      timeout: 90_000,
    });
    writeFileSync(
      conf,
      renderPgBackRestConf({
        stanza: STANZA,
        pgDataDir: data,
        pgPort: PG_PORT,
        pgSocketDir: dir,
        repo: {
          host: 'localhost',
          port: s3port,
          region: 'us-east-1',
          bucket: 'postgres-backups',
          caFile: cert,
          keyType: 'shared',
        },
        workDir: join(dir, 'work'),
        settings,
      }),
    );
    asPg([tools.initdb!, '-D', data, '-A', 'trust', '-U', 'postgres']);
    const params = {
      ...archiveParameters(STANZA, conf, settings),
      port: PG_PORT,
      unix_socket_directories: dir,
      listen_addresses: '',
    };
    const lines = Object.entries(params).map(([k, v]) => `${k} = '${String(v).replace(/'/g, "''")}'`);
    writeFileSync(join(data, 'postgresql.auto.conf'), `${lines.join('\n')}\n`);
    // pg_ctl hands the server our env, so archive_command finds the repository keys.
    expect(pgCtl('-l', join(dir, 'pg.log'), '-w', 'start')).toContain('server started');
  }, 180_000);

  afterAll(() => {
    run(asPostgres([tools.pg_ctl!, '-D', data, '-m', 'immediate', 'stop']));
    gateway?.kill('SIGKILL');
  });

  it('creates the stanza and archives WAL through archive_command (pgbackrest check)', () => {
    pgbackrest('stanza-create');
    expect(pgbackrest('--log-level-console=info', 'check')).toContain('check command end: completed successfully');
  }, 180_000);

  it('restores to a point in time: every row committed before it, none after, the dropped table back', async () => {
    await sql('CREATE TABLE acked (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');
    await sql('INSERT INTO acked (id) SELECT generate_series(1, 500)');
    pgbackrest('--type=full', 'backup');
    await sql('INSERT INTO acked (id) SELECT generate_series(501, 1000)');
    await sleep(1100);
    const [{ target }] = (await sql("SELECT to_char(clock_timestamp(), 'YYYY-MM-DD HH24:MI:SS.US+00') AS target")) as {
      target: string;
    }[];
    await sleep(1100);
    await sql('INSERT INTO acked (id) SELECT generate_series(1001, 1100)');
    await sql('DROP TABLE acked');
    await sql('SELECT pg_switch_wal()');
    // Wait until the segment holding the DROP is in the repository.
    pgbackrest('check');
    pgCtl('-m', 'fast', 'stop');
    execFileSync('rm', ['-rf', data]);
    pgbackrest('--type=time', `--target=${target}`, '--target-action=promote', 'restore');
    expect(pgCtl('-l', join(dir, 'pg-restored.log'), '-w', 'start')).toContain('server started');
    for (let i = 0; i < 60 && (await sql('SELECT pg_is_in_recovery() AS r').catch(() => [{ r: true }]))[0]!.r; i++)
      await sleep(500);
    const [row] = await sql('SELECT count(*)::int AS n, max(id) AS last FROM acked');
    expect(row).toEqual({ n: 1000, last: 1000 });
    await sql('INSERT INTO acked (id) VALUES (1001)'); // writable again
  }, 240_000);

  it('refuses a repository whose certificate it cannot verify (negative control)', () => {
    const wrong = selfSignedCert(dir, 'other').cert;
    // `info` reports a repository it cannot reach in its output and still exits 0.
    const output = pgbackrest(`--repo1-storage-ca-file=${wrong}`, '--io-timeout=3', 'info');
    expect(output).toMatch(/certificate verify failed|unable to verify/i);
  }, 90_000);
});

/** No server: pgBackRest parses the Docker-rendered file and goes for the repository the file names. */
describe.runIf(haveTools({ pgbackrest: tools.pgbackrest }))(
  'pgBackRest reads the Docker-rendered pgbackrest.conf',
  () => {
    const dir = scratch('pgbackrest-parse');
    const docker = renderPgBackRestConf({
      stanza: STANZA,
      pgDataDir: '/home/postgres/pgdata/pgroot/data',
      pgPort: 5432,
      pgSocketDir: '/home/postgres/pgdata',
      repo: { host: 'versitygw', port: 7070, region: 'us-east-1', bucket: 'postgres-backups', keyType: 'shared' },
      workDir: join(dir, 'work'),
      settings: resolveBackupSettings(),
    });
    const info = (text: string) => {
      writeFileSync(join(dir, 'pgbackrest.conf'), text);
      // The keys come from the environment, as on the members.
      const r = spawnSync(
        tools.pgbackrest!,
        [`--config=${join(dir, 'pgbackrest.conf')}`, `--stanza=${STANZA}`, '--io-timeout=1', 'info'],
        {
          env: { PATH: '/usr/bin:/bin', [PGBACKREST_KEY_ENV.accessKey]: 'k', [PGBACKREST_KEY_ENV.secretKey]: 's' },
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      return `${r.stdout}${r.stderr}`;
    };

    it('accepts every option, takes the keys from the environment and looks for the repository at versitygw', () => {
      const out = info(docker);
      expect(out).not.toContain('requires option');
      expect(out).not.toContain('invalid option');
      expect(out).toContain("unable to get address for 'versitygw'");
    });

    it('warns about an option it does not know (negative control)', () => {
      expect(info(`${docker}bogus-option=1\n`)).toContain("configuration file contains invalid option 'bogus-option'");
    });
  },
);

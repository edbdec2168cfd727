import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTool, haveTools, scratch } from '../real-tools/tools';

const BOOT = fileURLToPath(new URL('../../constructs/targets/aws/boot.sh', import.meta.url));
const shellcheck = findTool('shellcheck');

/**
 * Stand-ins for what the boot script calls on an instance. Each logs its
 * arguments; `aws` answers as Secrets Manager and Parameter Store would;
 * `curl` keeps the container spec it was sent.
 */
const STUBS: Record<string, string> = {
  aws: `echo "aws $*" >>"$LOG"
case "$*" in
  *secretsmanager*dp/postgres-app*) echo "$APP_PASSWORD" ;;
  *secretsmanager*) echo Secret0123456789 ;;
  *ssm*) echo "$CLUSTER_ID" ;;
  *) exit 2 ;;
esac`,
  docker: `echo "docker $*" >>"$LOG"
case "$1 $2" in "volume inspect") exit 1 ;; "wait "*) echo "$JOB_EXIT" ;; "pull -q") [[ $3 != broken/* ]] || exit 1 ;; esac`,
  curl: `echo "curl $*" >>"$LOG"
for a in "$@"; do case "$a" in @*) f=\${a#@}; n=\${f%/container.json}; cp "$f" "$CREATED/\${n##*/}.json" ;; esac; done`,
  systemctl: 'echo "systemctl $*" >>"$LOG"',
  dnf: 'echo "dnf $*" >>"$LOG"',
  sleep: 'true',
};

interface Run {
  code: number;
  stderr: string;
  log: string[];
  /** Container spec sent to the Docker API, per node. */
  created: Record<string, any>;
  root: string;
}

let dependency: Server;
let dependencyPort = 0;

beforeAll(async () => {
  dependency = createServer((socket) => socket.on('error', () => undefined).end());
  await new Promise<void>((resolve) => dependency.listen(0, '127.0.0.1', resolve));
  dependencyPort = (dependency.address() as { port: number }).port;
});
afterAll(() => dependency.close());

interface StubNode {
  name: string;
  image?: string;
  volumes?: string;
  oneShot?: boolean;
  waitFor?: string;
  template?: string;
}

const POOLER: StubNode = { name: 'pgbouncer', volumes: 'data' };

function boot(
  options: {
    appPassword?: string;
    clusterId?: string;
    template?: string;
    oneShot?: boolean;
    jobExit?: number;
    nodes?: StubNode[];
  } = {},
): Run {
  const dir = scratch(`boot-${Math.random().toString(36).slice(2)}`);
  const root = join(dir, 'opt');
  const stubs = join(dir, 'stubs');
  const envDir = join(dir, 'etc');
  mkdirSync(stubs);
  for (const [name, body] of Object.entries(STUBS)) {
    writeFileSync(join(stubs, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(stubs, name), 0o755);
  }
  const file = (path: string, content: string, mode = 0o644) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode });
  };
  const assignments = (env: Record<string, string>) =>
    Object.entries(env)
      .map(([k, v]) => `${k}='${v}'\n`)
      .join('');
  const nodes = options.nodes ?? [
    { ...POOLER, oneShot: options.oneShot ?? false, ...(options.template ? { template: options.template } : {}) },
  ];
  for (const node of nodes) {
    const image = node.image ?? 'edoburu/pgbouncer:v1.25.2-p0';
    file(
      join(root, `templates/${node.name}/container.json`),
      JSON.stringify({ Image: image, Env: ['ID={{id:kafka-cluster-id}}'] }),
      0o600,
    );
    file(
      join(root, `templates/${node.name}/files/etc/pgbouncer/userlist.txt`),
      node.template ?? '"app" "{{secret:postgres-app}}"\n',
    );
    file(
      join(envDir, `nodes/${node.name}.env`),
      assignments({
        NODE: node.name,
        IMAGE: image,
        VOLUMES: node.volumes ?? '',
        WAIT_FOR: node.waitFor ?? `127.0.0.1:${dependencyPort}`,
        ONE_SHOT: node.oneShot ? '1' : '0',
      }),
    );
  }
  file(
    join(envDir, 'machine.env'),
    assignments({
      MACHINE: nodes[0]!.name,
      REGION: 'eu-west-1',
      DATA_DIR: join(dir, 'data'),
      DATA_DEVICE: '',
      SECRETS: 'postgres-app=dp/postgres-app',
      IDS: 'kafka-cluster-id=/dp/ids/kafka-cluster-id',
      NODES: nodes.map((n) => n.name).join(' '),
    }),
  );
  const log = join(dir, 'calls.log');
  const created = join(dir, 'created');
  mkdirSync(created);
  const result = spawnSync('bash', [BOOT], {
    encoding: 'utf8',
    timeout: 20_000,
    env: {
      PATH: `${stubs}:${process.env.PATH}`,
      DP_ROOT: root,
      DP_ENV_DIR: envDir,
      LOG: log,
      CREATED: created,
      APP_PASSWORD: options.appPassword ?? 'AppPassw0rdFromSecretsManager',
      CLUSTER_ID: options.clusterId ?? 'Zx_9-clusterIdAbCdEfGh',
      JOB_EXIT: String(options.jobExit ?? 0),
    },
  });
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  return {
    code: result.status ?? -1,
    stderr: result.stderr,
    log: (read(log) ?? '').trim().split('\n'),
    created: Object.fromEntries(
      readdirSync(created).map((f) => [f.replace(/\.json$/, ''), JSON.parse(read(join(created, f))!)]),
    ),
    root,
  };
}

describe('boot.sh (stubbed AWS CLI and Docker)', () => {
  it('renders secrets and IDs fetched at boot, then creates and starts the container', () => {
    const run = boot();
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(run.root, 'rendered/pgbouncer/files/etc/pgbouncer/userlist.txt'), 'utf8')).toBe(
      '"app" "AppPassw0rdFromSecretsManager"\n',
    );
    expect(run.created).toEqual({
      pgbouncer: { Image: 'edoburu/pgbouncer:v1.25.2-p0', Env: ['ID=Zx_9-clusterIdAbCdEfGh'] },
    });
    // Templates keep their placeholders, so a re-run renders afresh.
    expect(readFileSync(join(run.root, 'templates/pgbouncer/files/etc/pgbouncer/userlist.txt'), 'utf8')).toContain(
      '{{secret:postgres-app}}',
    );
    expect(run.log).toEqual([
      'systemctl enable --now docker',
      'aws secretsmanager get-secret-value --region eu-west-1 --secret-id dp/postgres-app --query SecretString --output text',
      'aws ssm get-parameter --region eu-west-1 --name /dp/ids/kafka-cluster-id --query Parameter.Value --output text',
      'docker pull -q edoburu/pgbouncer:v1.25.2-p0',
      'docker volume inspect pgbouncer-data',
      expect.stringMatching(
        /^docker volume create --driver local --opt type=none --opt o=bind --opt device=.*\/data\/pgbouncer\/data pgbouncer-data$/,
      ),
      'docker rm -f pgbouncer',
      expect.stringMatching(/^curl .* http:\/\/localhost\/v1\.41\/containers\/create\?name=pgbouncer$/),
      'docker start pgbouncer',
    ]);
    expect(run.stderr).toContain(`127.0.0.1:${dependencyPort} is up`);
  });

  it('renders generated IDs that begin with "-" or "_" as they are', () => {
    for (const clusterId of ['-fX0uk1PAQTOsccHQ2WRmg', '_-_-_-_-_-_-_-_-_-_-_w']) {
      const run = boot({ clusterId });
      expect(run.code, run.stderr).toBe(0);
      expect(run.created.pgbouncer?.Env).toEqual([`ID=${clusterId}`]);
    }
  });

  it('refuses a secret value that is unsafe to substitute', () => {
    const run = boot({ appPassword: 'with/slash&amp' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/secret 'postgres-app' has characters outside \[A-Za-z0-9_-\]/);
    expect(run.created).toEqual({});
  });

  it('refuses to start with a placeholder left unresolved', () => {
    const run = boot({ template: '{{secret:never-declared}}\n' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/a placeholder was left unresolved/);
    expect(run.created).toEqual({});
  });

  it('runs a one-shot job to completion and retries a failing one', () => {
    const ok = boot({ oneShot: true });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.log.slice(-2)).toEqual(['docker start pgbouncer', 'docker wait pgbouncer']);
    const failing = boot({ oneShot: true, jobExit: 3 });
    expect(failing.code).not.toBe(0);
    expect(failing.log.filter((l) => l === 'docker wait pgbouncer')).toHaveLength(10);
    expect(failing.stderr).toMatch(/job failed 10 times/);
    expect(failing.stderr).toMatch(/these nodes did not start: pgbouncer$/m);
  });

  it('runs every node of a machine in the order given, each with its own volume folder and container', () => {
    const run = boot({
      nodes: [
        { name: 'etcd-1', image: 'etcd:v3.6.15', volumes: 'data' },
        { name: 'patroni-1', image: 'spilo:4.0-p3', volumes: 'pgdata', waitFor: `127.0.0.1:${dependencyPort}` },
        { name: 'postgres-exporter-1', image: 'exporter:v0.20.1' },
        { name: 'init', image: 'job:1', oneShot: true },
      ],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(run.created).sort()).toEqual(['etcd-1', 'init', 'patroni-1', 'postgres-exporter-1']);
    expect(run.created['patroni-1'].Image).toBe('spilo:4.0-p3');
    const starts = run.log.filter((l) => /^docker (start|wait) /.test(l));
    expect(starts).toEqual([
      'docker start etcd-1',
      'docker start patroni-1',
      'docker start postgres-exporter-1',
      'docker start init',
      'docker wait init',
    ]);
    expect(
      run.log.filter((l) => l.startsWith('docker volume create')).map((l) => l.split(' ').slice(-2).join(' ')),
    ).toEqual([
      expect.stringMatching(/\/data\/etcd-1\/data etcd-1-data$/),
      expect.stringMatching(/\/data\/patroni-1\/pgdata patroni-1-pgdata$/),
    ]);
    // Secrets are fetched once for the whole machine.
    expect(run.log.filter((l) => l.startsWith('aws secretsmanager'))).toHaveLength(1);
  });

  it('starts the other nodes of a machine when one fails, then exits non-zero naming it', () => {
    const run = boot({
      nodes: [
        { name: 'haproxy', image: 'broken/haproxy:3.2.25' },
        { name: 'pgbouncer', image: 'edoburu/pgbouncer:v1.25.2-p0' },
      ],
    });
    expect(run.code).not.toBe(0);
    expect(run.log).not.toContain('docker start haproxy');
    expect(run.log).toContain('docker start pgbouncer');
    expect(run.stderr).toMatch(/these nodes did not start: haproxy$/m);
  });
});

describe.runIf(haveTools({ shellcheck }))('boot.sh lint', () => {
  it('passes shellcheck, which does flag a broken script (negative control)', () => {
    expect(spawnSync(shellcheck!, [BOOT], { encoding: 'utf8' }).stdout).toBe('');
    const bad = join(scratch('shellcheck'), 'bad.sh');
    writeFileSync(bad, '#!/bin/bash\nrm -rf $1/*\n');
    expect(spawnSync(shellcheck!, [bad]).status).not.toBe(0);
  });
});

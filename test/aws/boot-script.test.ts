import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
case "$1 $2" in "volume inspect") exit 1 ;; "wait "*) echo "$JOB_EXIT" ;; esac`,
  curl: `echo "curl $*" >>"$LOG"
for a in "$@"; do case "$a" in @*) cp "\${a#@}" "$CREATED" ;; esac; done`,
  systemctl: 'echo "systemctl $*" >>"$LOG"',
  dnf: 'echo "dnf $*" >>"$LOG"',
  sleep: 'true',
};

interface Run {
  code: number;
  stderr: string;
  log: string[];
  created?: any;
  root: string;
}

let dependency: Server;
let dependencyPort = 0;

beforeAll(async () => {
  dependency = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => dependency.listen(0, '127.0.0.1', resolve));
  dependencyPort = (dependency.address() as { port: number }).port;
});
afterAll(() => dependency.close());

function boot(
  options: { appPassword?: string; clusterId?: string; template?: string; oneShot?: boolean; jobExit?: number } = {},
): Run {
  const dir = scratch(`boot-${Math.random().toString(36).slice(2)}`);
  const root = join(dir, 'opt');
  const stubs = join(dir, 'stubs');
  mkdirSync(stubs);
  for (const [name, body] of Object.entries(STUBS)) {
    writeFileSync(join(stubs, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(stubs, name), 0o755);
  }
  const file = (path: string, content: string, mode = 0o644) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content, { mode });
  };
  file(
    join(root, 'templates/container.json'),
    JSON.stringify({ Image: 'edoburu/pgbouncer:v1.25.2-p0', Env: ['ID={{id:kafka-cluster-id}}'] }),
    0o600,
  );
  file(
    join(root, 'templates/files/etc/pgbouncer/userlist.txt'),
    options.template ?? '"app" "{{secret:postgres-app}}"\n',
  );
  const env = {
    NODE: 'pgbouncer',
    REGION: 'eu-west-1',
    IMAGE: 'edoburu/pgbouncer:v1.25.2-p0',
    DATA_DIR: join(dir, 'data'),
    DATA_DEVICE: '',
    VOLUMES: 'data',
    SECRETS: 'postgres-app=dp/postgres-app',
    IDS: 'kafka-cluster-id=/dp/ids/kafka-cluster-id',
    WAIT_FOR: `127.0.0.1:${dependencyPort}`,
    ONE_SHOT: options.oneShot ? '1' : '0',
  };
  file(
    join(dir, 'node.env'),
    Object.entries(env)
      .map(([k, v]) => `${k}='${v}'\n`)
      .join(''),
  );
  const log = join(dir, 'calls.log');
  const created = join(dir, 'created.json');
  const result = spawnSync('bash', [BOOT], {
    encoding: 'utf8',
    timeout: 20_000,
    env: {
      PATH: `${stubs}:${process.env.PATH}`,
      DP_ROOT: root,
      DP_NODE_ENV: join(dir, 'node.env'),
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
  const createdText = read(created);
  return {
    code: result.status ?? -1,
    stderr: result.stderr,
    log: (read(log) ?? '').trim().split('\n'),
    ...(createdText ? { created: JSON.parse(createdText) } : {}),
    root,
  };
}

describe('boot.sh (stubbed AWS CLI and Docker)', () => {
  it('renders secrets and IDs fetched at boot, then creates and starts the container', () => {
    const run = boot();
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(run.root, 'rendered/files/etc/pgbouncer/userlist.txt'), 'utf8')).toBe(
      '"app" "AppPassw0rdFromSecretsManager"\n',
    );
    expect(run.created).toEqual({ Image: 'edoburu/pgbouncer:v1.25.2-p0', Env: ['ID=Zx_9-clusterIdAbCdEfGh'] });
    // Templates keep their placeholders, so a re-run renders afresh.
    expect(readFileSync(join(run.root, 'templates/files/etc/pgbouncer/userlist.txt'), 'utf8')).toContain(
      '{{secret:postgres-app}}',
    );
    expect(run.log).toEqual([
      'systemctl enable --now docker',
      'aws secretsmanager get-secret-value --region eu-west-1 --secret-id dp/postgres-app --query SecretString --output text',
      'aws ssm get-parameter --region eu-west-1 --name /dp/ids/kafka-cluster-id --query Parameter.Value --output text',
      'docker pull -q edoburu/pgbouncer:v1.25.2-p0',
      'docker volume inspect pgbouncer-data',
      expect.stringMatching(
        /^docker volume create --driver local --opt type=none --opt o=bind --opt device=.*\/data\/data pgbouncer-data$/,
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
      expect(run.created.Env).toEqual([`ID=${clusterId}`]);
    }
  });

  it('refuses a secret value that is unsafe to substitute', () => {
    const run = boot({ appPassword: 'with/slash&amp' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/secret 'postgres-app' has characters outside \[A-Za-z0-9_-\]/);
    expect(run.created).toBeUndefined();
  });

  it('refuses to start with a placeholder left unresolved', () => {
    const run = boot({ template: '{{secret:never-declared}}\n' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/a placeholder was left unresolved/);
    expect(run.created).toBeUndefined();
  });

  it('runs a one-shot job to completion and retries a failing one', () => {
    const ok = boot({ oneShot: true });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.log.slice(-2)).toEqual(['docker start pgbouncer', 'docker wait pgbouncer']);
    const failing = boot({ oneShot: true, jobExit: 3 });
    expect(failing.code).not.toBe(0);
    expect(failing.log.filter((l) => l === 'docker wait pgbouncer')).toHaveLength(10);
    expect(failing.stderr).toMatch(/job failed 10 times/);
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

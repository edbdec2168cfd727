/**
 * Runs constructs/targets/aws/boot.sh off-instance: a machine of stub nodes in a
 * scratch folder, with stand-ins for the commands it calls on an instance.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scratch } from '../real-tools/tools';

export const BOOT = fileURLToPath(new URL('../../constructs/targets/aws/boot.sh', import.meta.url));

/**
 * Stand-ins for what the boot script calls on an instance. Each logs its
 * arguments; `aws` answers as Secrets Manager and Parameter Store would;
 * `curl` keeps the container spec it was sent.
 */
export const STUBS: Record<string, string> = {
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

export interface Run {
  code: number;
  stderr: string;
  log: string[];
  /** Container spec sent to the Docker API, per node. */
  created: Record<string, any>;
  root: string;
}

export interface StubNode {
  name: string;
  image?: string;
  volumes?: string;
  oneShot?: boolean;
  waitFor?: string;
  template?: string;
  /** Added to the node's env file. */
  env?: Record<string, string>;
}

export const POOLER: StubNode = { name: 'pgbouncer', volumes: 'data' };

export function boot(
  options: {
    /** WAIT_FOR of nodes that set none. */
    waitFor?: string;
    /** Replacements of STUBS' bodies, by command. */
    stubs?: Record<string, string>;
    /** Added to machine.env. */
    machineEnv?: Record<string, string>;
    /** Added to the script's environment. */
    env?: Record<string, string>;
    /** @default 20 s */
    timeoutMs?: number;
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
  for (const [name, body] of Object.entries({ ...STUBS, ...options.stubs })) {
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
        WAIT_FOR: node.waitFor ?? options.waitFor ?? '',
        ...node.env,
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
      ...options.machineEnv,
    }),
  );
  const log = join(dir, 'calls.log');
  const created = join(dir, 'created');
  mkdirSync(created);
  const result = spawnSync('bash', [BOOT], {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 20_000,
    env: {
      PATH: `${stubs}:${process.env.PATH}`,
      DP_ROOT: root,
      DP_ENV_DIR: envDir,
      LOG: log,
      CREATED: created,
      APP_PASSWORD: options.appPassword ?? 'AppPassw0rdFromSecretsManager',
      CLUSTER_ID: options.clusterId ?? 'Zx_9-clusterIdAbCdEfGh',
      JOB_EXIT: String(options.jobExit ?? 0),
      ...options.env,
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

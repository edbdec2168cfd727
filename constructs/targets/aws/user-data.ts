import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { idsIn } from '../../platform/generated-ids';
import { imageName } from '../../platform/images';
import type { NodeSpec } from '../../platform/node-spec';
import { secretsIn } from '../../platform/secrets';

/** Where the boot script keeps templates and rendered files on the instance. */
export const NODE_ROOT = '/opt/dataplatform';
/** Mount point of the EBS data volume; each NodeSpec volume is a folder in it. */
export const DATA_DIR = '/var/lib/dataplatform';
/** EBS device name of the data volume; Amazon Linux's udev rules link it to the NVMe device. */
export const DATA_DEVICE = '/dev/sdf';
/** EC2 accepts at most 16 KiB of user data (after base64 decoding, before cloud-init unzips it). */
export const USER_DATA_LIMIT = 16 * 1024;

const BOOT_SCRIPT = readFileSync(new URL('./boot.sh', import.meta.url), 'utf8');
const NS_PER_SECOND = 1_000_000_000;

/**
 * The Docker Engine API `POST /containers/create` body for a node: the same
 * image, command, env, files, volumes, health check and memory limit as the
 * Docker target, on the host's network. Env values may hold placeholders,
 * which the boot script substitutes on the instance.
 */
export function containerSpec(node: NodeSpec): Record<string, unknown> {
  const h = node.health;
  return {
    Image: imageName(node.image),
    ...(node.entrypoint ? { Entrypoint: [...node.entrypoint] } : {}),
    ...(node.command ? { Cmd: [...node.command] } : {}),
    Env: Object.entries(node.env).map(([k, v]) => `${k}=${v}`),
    Labels: { 'dataplatform.component': node.component, 'dataplatform.role': node.role },
    ...(h
      ? {
          Healthcheck: {
            Test: [...h.test],
            Interval: (h.intervalSeconds ?? 5) * NS_PER_SECOND,
            Timeout: (h.timeoutSeconds ?? 3) * NS_PER_SECOND,
            Retries: h.retries ?? 10,
            StartPeriod: (h.startPeriodSeconds ?? 10) * NS_PER_SECOND,
          },
        }
      : {}),
    HostConfig: {
      // Host networking: the node name resolves (Route 53) to this instance, and
      // servers bind its addresses; security groups decide who reaches them.
      NetworkMode: 'host',
      RestartPolicy: { Name: node.oneShot ? 'no' : 'unless-stopped' },
      Memory: node.memoryMb * 1024 * 1024,
      Binds: [
        ...node.files.map((f) => `${NODE_ROOT}/rendered/files${f.path}:${f.path}:ro`),
        ...(node.hostAccess?.mounts ?? []).map((m) => `${m.hostPath}:${m.path}:ro`),
      ],
      ...(node.hostAccess?.privileged ? { Privileged: true } : {}),
      Mounts: node.volumes.map((v) => ({ Type: 'volume', Source: `${node.name}-${v.name}`, Target: v.path })),
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
  };
}

export interface CloudConfigInput {
  readonly node: NodeSpec;
  /** The node's name in the private hosted zone. */
  readonly fqdn: string;
  readonly region: string;
  /** Secrets Manager secret name per secret the node references. */
  readonly secretIds: ReadonlyMap<string, string>;
  /** SSM parameter name per generated ID the node references. */
  readonly idParameters: ReadonlyMap<string, string>;
  /** `host:port` of each service port the node uses on the nodes it depends on. */
  readonly waitFor: readonly string[];
}

/** Names of the secrets and generated IDs a node's container spec and files reference. */
export function placeholdersOf(node: NodeSpec): { secrets: string[]; ids: string[] } {
  const text = [JSON.stringify(containerSpec(node)), ...node.files.map((f) => f.content)].join('\n');
  return { secrets: secretsIn(text), ids: idsIn(text) };
}

/**
 * cloud-init `#cloud-config` for a node: host name, the templates (files with
 * placeholders, the container spec), node.env and the boot script. Holds no
 * secret value and no Terraform reference, so it is complete at synth time.
 */
export function renderCloudConfig(input: CloudConfigInput): string {
  const { node } = input;
  const used = placeholdersOf(node);
  const pairs = (names: string[], source: ReadonlyMap<string, string>) =>
    names.map((n) => `${n}=${source.get(n)!}`).join(' ');
  const env: Record<string, string> = {
    NODE: node.name,
    REGION: input.region,
    IMAGE: imageName(node.image),
    DATA_DIR,
    DATA_DEVICE: node.volumes.length > 0 ? DATA_DEVICE : '',
    VOLUMES: node.volumes.map((v) => v.name).join(' '),
    SECRETS: pairs(used.secrets, input.secretIds),
    IDS: pairs(used.ids, input.idParameters),
    WAIT_FOR: input.waitFor.join(' '),
    ONE_SHOT: node.oneShot ? '1' : '0',
  };
  const file = (path: string, content: string, permissions: string) => ({ path, permissions, content });
  const config = {
    hostname: node.name,
    fqdn: input.fqdn,
    write_files: [
      file('/etc/dataplatform/node.env', shellAssignments(env), '0600'),
      file(`${NODE_ROOT}/templates/container.json`, `${JSON.stringify(containerSpec(node), null, 1)}\n`, '0600'),
      ...node.files.map((f) => file(`${NODE_ROOT}/templates/files${f.path}`, f.content, f.mode ?? '0644')),
      file(`${NODE_ROOT}/bin/boot.sh`, BOOT_SCRIPT, '0755'),
    ],
    runcmd: [[`${NODE_ROOT}/bin/boot.sh`]],
  };
  return `#cloud-config\n${stringify(config, { lineWidth: 0 })}`;
}

/** User data as EC2 takes it: gzip (cloud-init unzips it), then base64. */
export function encodeUserData(cloudConfig: string): string {
  return gzipSync(cloudConfig, { level: 9 }).toString('base64');
}

function shellAssignments(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([key, value]) => {
      if (/['\n]/.test(value)) throw new Error(`node.env ${key}: value must not contain quotes or newlines`);
      return `${key}='${value}'\n`;
    })
    .join('');
}

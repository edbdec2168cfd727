import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { idsIn } from '../../platform/generated-ids';
import { imageName } from '../../platform/images';
import type { NodeSpec } from '../../platform/node-spec';
import { secretsIn } from '../../platform/secrets';
import { PLATFORM_CA_PATH, subjectAltName, type CertificateSpec } from '../../platform/tls';

/** Where the boot script keeps templates and rendered files on the instance. */
export const NODE_ROOT = '/opt/dataplatform';
/** Where cloud-init writes machine.env and nodes/<node>.env for the boot script. */
export const ENV_DIR = '/etc/dataplatform';
/** Mount point of the machine's EBS data volume; each node's volume is a folder `<node>/<volume>` in it. */
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
 * which the boot script substitutes on the instance. `tlsFiles` are the paths
 * of the CA and certificate files the boot script writes beside the rendered files.
 */
export function containerSpec(node: NodeSpec, tlsFiles: readonly string[] = []): Record<string, unknown> {
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
      // Nodes sharing a machine therefore need distinct ports (the target checks).
      NetworkMode: 'host',
      RestartPolicy: { Name: node.oneShot ? 'no' : 'unless-stopped' },
      Memory: node.memoryMb * 1024 * 1024,
      Binds: [
        ...[...node.files.map((f) => f.path), ...tlsFiles].map(
          (path) => `${NODE_ROOT}/rendered/${node.name}/files${path}:${path}:ro`,
        ),
        ...(node.hostAccess?.mounts ?? []).map((m) => `${m.hostPath}:${m.path}:ro`),
      ],
      ...(node.hostAccess?.privileged ? { Privileged: true } : {}),
      Mounts: node.volumes.map((v) => ({ Type: 'volume', Source: `${node.name}-${v.name}`, Target: v.path })),
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
  };
}

/** What the boot script needs about one node on a machine. */
export interface MachineNode {
  readonly node: NodeSpec;
  /** `host:port` of each service port the node uses on the nodes it depends on. */
  readonly waitFor: readonly string[];
}

export interface CloudConfigInput {
  /** Machine name (see hosts.ts): the instance's host name. */
  readonly machine: string;
  /** The machine's name in the private zone, when one of its nodes is named like it. @default none */
  readonly fqdn?: string;
  readonly region: string;
  /** The nodes the machine runs, in platform order (dependencies first). */
  readonly nodes: readonly MachineNode[];
  /** Secrets Manager secret name per secret the machine's nodes reference. */
  readonly secretIds: ReadonlyMap<string, string>;
  /** SSM parameter name per generated ID the machine's nodes reference. */
  readonly idParameters: ReadonlyMap<string, string>;
  /**
   * The platform CA (see private-ca.ts): every node gets its certificate, and the
   * nodes in `certificates` a key and certificate issued at boot.
   * @default none: the platform declares no certificate
   */
  readonly tls?: {
    /** SSM parameter holding the CA's ARN. */
    readonly caParameter: string;
    readonly validityDays: number;
    /** Per node name, its certificate. */
    readonly certificates: ReadonlyMap<string, CertificateSpec>;
  };
}

/** Names of the secrets and generated IDs the nodes' container specs and files reference. */
export function placeholdersOf(nodes: readonly NodeSpec[]): { secrets: string[]; ids: string[] } {
  const text = nodes.flatMap((n) => [JSON.stringify(containerSpec(n)), ...n.files.map((f) => f.content)]).join('\n');
  return { secrets: secretsIn(text), ids: idsIn(text) };
}

/**
 * Order in which the boot script starts a machine's nodes: services first,
 * then one-shot jobs, each in platform order (dependencies first). A job
 * that fails then never keeps a service of its machine from starting, and
 * no service waits on a job (AWS waits for services' ports only).
 */
export function startOrder(nodes: readonly NodeSpec[]): NodeSpec[] {
  return [...nodes.filter((n) => !n.oneShot), ...nodes.filter((n) => n.oneShot)];
}

/**
 * cloud-init `#cloud-config` for a machine: host name, per node its
 * templates (files with placeholders, the container spec) and node env, the
 * machine env and the boot script. Holds no secret value and no Terraform
 * reference, so it is complete at synth time.
 */
export function renderCloudConfig(input: CloudConfigInput): string {
  const nodes = startOrder(input.nodes.map((m) => m.node));
  const waitFor = new Map(input.nodes.map((m) => [m.node.name, m.waitFor]));
  const used = placeholdersOf(nodes);
  const pairs = (names: string[], source: ReadonlyMap<string, string>) =>
    names.map((n) => `${n}=${source.get(n)!}`).join(' ');
  const withVolumes = nodes.some((n) => n.volumes.length > 0);
  const machineEnv: Record<string, string> = {
    MACHINE: input.machine,
    REGION: input.region,
    DATA_DIR,
    DATA_DEVICE: withVolumes ? DATA_DEVICE : '',
    SECRETS: pairs(used.secrets, input.secretIds),
    IDS: pairs(used.ids, input.idParameters),
    NODES: nodes.map((n) => n.name).join(' '),
    CA_PARAMETER: input.tls?.caParameter ?? '',
    CA_PATH: PLATFORM_CA_PATH,
    CERT_DAYS: String(input.tls?.validityDays ?? ''),
  };
  const certificate = (node: NodeSpec) => input.tls?.certificates.get(node.name);
  const tlsFiles = (node: NodeSpec) => {
    const cert = certificate(node);
    return input.tls ? [PLATFORM_CA_PATH, ...(cert ? [cert.certPath, cert.keyPath] : [])] : [];
  };
  const file = (path: string, content: string, permissions: string) => ({ path, permissions, content });
  const config = {
    hostname: input.machine,
    ...(input.fqdn ? { fqdn: input.fqdn } : {}),
    write_files: [
      file(`${ENV_DIR}/machine.env`, shellAssignments(machineEnv), '0600'),
      ...nodes.flatMap((node) => [
        file(
          `${ENV_DIR}/nodes/${node.name}.env`,
          shellAssignments({
            NODE: node.name,
            IMAGE: imageName(node.image),
            // A derived image (NodeSpec image.build) is built on the machine from its Dockerfile instead of pulled.
            DOCKERFILE: node.image.build ? `${NODE_ROOT}/templates/${node.name}/Dockerfile` : '',
            VOLUMES: node.volumes.map((v) => v.name).join(' '),
            WAIT_FOR: (waitFor.get(node.name) ?? []).join(' '),
            ONE_SHOT: node.oneShot ? '1' : '0',
            CERT_PATH: certificate(node)?.certPath ?? '',
            KEY_PATH: certificate(node)?.keyPath ?? '',
            CERT_SAN: certificate(node) ? subjectAltName(certificate(node)!.hosts) : '',
          }),
          '0600',
        ),
        file(
          `${NODE_ROOT}/templates/${node.name}/container.json`,
          `${JSON.stringify(containerSpec(node, tlsFiles(node)), null, 1)}\n`,
          '0600',
        ),
        ...node.files.map((f) =>
          file(`${NODE_ROOT}/templates/${node.name}/files${f.path}`, f.content, f.mode ?? '0644'),
        ),
        ...(node.image.build
          ? [file(`${NODE_ROOT}/templates/${node.name}/Dockerfile`, node.image.build.dockerfile, '0644')]
          : []),
      ]),
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
      if (/['\n]/.test(value)) throw new Error(`env file ${key}: value must not contain quotes or newlines`);
      return `${key}='${value}'\n`;
    })
    .join('');
}

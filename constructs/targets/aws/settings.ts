import type { NodeSpec } from '../../platform/node-spec';
import type { PlatformModel } from '../../platform/context';
import { checkCertificateValidity } from '../../platform/tls';
import { ValidationError, checkInt } from '../../platform/validation';
import { AZ_COUNT } from './network';
import type { NodeSizing } from './machine-host';

export interface AwsTargetProps {
  readonly platform: PlatformModel;
  /** Region of the stack's AWS provider. */
  readonly region: string;
  /**
   * Private hosted zone the node names live in. The platform's placement must
   * name nodes `<node>.<domain>` (see AwsStack).
   */
  readonly domain: string;
  /** Prefix of every name (roles, secrets, buckets, tags), so several platforms can share an account. @default 'dp' */
  readonly prefix?: string;
  /**
   * The 3 availability zones nodes are spread over, in order.
   * @default the region's zones a, b and c (set them where those do not all exist, e.g. us-west-1)
   */
  readonly availabilityZones?: readonly string[];
  /** VPC address block, /16 to /20. @default '10.40.0.0/16' */
  readonly cidr?: string;
  /** A NAT gateway in each AZ (about 3× the NAT cost) instead of one. @default false */
  readonly natPerAz?: boolean;
  /** VPC endpoints for SSM, Secrets Manager (interface, billed per AZ-hour) and S3 (gateway, free). @default false */
  readonly vpcEndpoints?: boolean;
  /**
   * Instance type and data volume size per component, e.g. `{ patroni: { instanceType: 'm6i.large' } }`.
   * A machine (see NodeSpec.host) takes the instance type set for any of its components (two different
   * ones fail synth) and the largest data volume set for its components with volumes.
   * @default per machine, the smallest burstable type (t3) with room for its nodes' memoryMb plus 512 MiB
   * for the OS and Docker, and a `dataVolumeGb` data volume
   */
  readonly sizing?: Readonly<Record<string, Partial<NodeSizing>>>;
  /** Data volume of a node whose component sets none in `sizing`. @default 20 */
  readonly dataVolumeGb?: number;
  /** Root volume of every instance (OS and container images). @default 30 */
  readonly rootVolumeGb?: number;
  /** CPU architecture of the AMI; every instance type and image must support it. @default 'x86_64' */
  readonly architecture?: 'x86_64' | 'arm64';
  /** Days VPC flow logs are kept. @default 90 */
  readonly flowLogRetentionDays?: number;
  /** Days S3 keeps replaced or deleted object versions. @default 30 */
  readonly noncurrentVersionDays?: number;
  /**
   * EC2 detailed (1-minute) monitoring, about $2 per instance and month. Prometheus
   * already watches every node closely, so the free 5-minute metrics are the default.
   * @default false
   */
  readonly detailedMonitoring?: boolean;
  /** Snapshot each data volume when it is destroyed. @default true */
  readonly finalSnapshot?: boolean;
  /**
   * Plaintext ports allowed on AWS, as `<component or node>:<port name>`; any other
   * port without TLS (see PortSpec.plaintext) fails synth.
   * @default none
   */
  readonly allowPlaintext?: readonly string[];
  /** Days each node certificate is valid (see platform/tls.ts); a machine gets new ones at every boot. @default 365 */
  readonly certificateValidityDays?: number;
}

/** Burstable types by memory (MiB), smallest first: the default for nodes without a sizing. */
const BURSTABLE_TYPES: readonly (readonly [string, number])[] = [
  ['t3.micro', 1024],
  ['t3.small', 2048],
  ['t3.medium', 4096],
  ['t3.large', 8192],
  ['t3.xlarge', 16384],
  ['t3.2xlarge', 32768],
];
/** Memory left to the OS, Docker and the SSM agent beside the machine's containers. */
const HOST_OVERHEAD_MB = 512;

/**
 * The smallest burstable type whose memory holds the services' memory limits,
 * the largest job's (the boot script runs a machine's jobs one at a time,
 * beside its services) and the host's own.
 */
export function burstableTypeFor(machine: string, nodes: readonly NodeSpec[]): string {
  const services = nodes.filter((n) => !n.oneShot).reduce((sum, n) => sum + n.memoryMb, 0);
  const memoryMb = services + Math.max(0, ...nodes.filter((n) => n.oneShot).map((n) => n.memoryMb));
  const fit = BURSTABLE_TYPES.find(([, mb]) => mb >= memoryMb + HOST_OVERHEAD_MB);
  if (!fit) {
    const components = [...new Set(nodes.map((n) => n.component))];
    throw new ValidationError(
      `machine ${machine} (${nodes.map((n) => n.name).join(', ')}) asks for ${memoryMb} MiB, more than the largest ` +
        `default instance type holds: set aws.sizing.${components.join(' or aws.sizing.')}.instanceType`,
    );
  }
  return fit[0];
}

/** Instance type and data volume of a machine, from the sizing of its nodes' components. */
export function machineSizing(
  machine: string,
  nodes: readonly NodeSpec[],
  sizing: Readonly<Record<string, Partial<NodeSizing>>>,
  dataVolumeGb: number,
): NodeSizing {
  const components = [...new Set(nodes.map((n) => n.component))];
  const typed = components.filter((c) => sizing[c]?.instanceType !== undefined);
  const types = new Set(typed.map((c) => sizing[c]!.instanceType!));
  if (types.size > 1) {
    throw new ValidationError(
      `aws.sizing.${typed.join(', aws.sizing.')} set different instance types, but these components share ` +
        `machine ${machine}: set the same type, or only one`,
    );
  }
  const withVolumes = [...new Set(nodes.filter((n) => n.volumes.length > 0).map((n) => n.component))];
  return {
    instanceType: [...types][0] ?? burstableTypeFor(machine, nodes),
    dataVolumeGb: Math.max(...withVolumes.map((c) => sizing[c]?.dataVolumeGb ?? dataVolumeGb), 1),
  };
}

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557];

/** Settings with defaults applied, each checked; errors name the setting. */
export function resolveSettings(props: AwsTargetProps) {
  const prefix = props.prefix ?? 'dp';
  const availabilityZones = props.availabilityZones ?? ['a', 'b', 'c'].map((zone) => `${props.region}${zone}`);
  if (
    availabilityZones.length !== AZ_COUNT ||
    new Set(availabilityZones).size !== AZ_COUNT ||
    !availabilityZones.every((z) => z.startsWith(props.region) && /^[a-z]$/.test(z.slice(props.region.length)))
  ) {
    throw new ValidationError(
      `aws.availabilityZones is [${availabilityZones.join(', ')}]: name ${AZ_COUNT} distinct zones of ${props.region}, e.g. ${props.region}a`,
    );
  }
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(prefix)) {
    throw new ValidationError(
      `aws.prefix '${prefix}' must be 1 to 20 lower-case letters, digits or '-', starting with a letter (it begins IAM, bucket and secret names)`,
    );
  }
  const cidr = props.cidr ?? '10.40.0.0/16';
  const bits = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!bits || bits.slice(1, 5).some((o) => Number(o) > 255) || Number(bits[5]) < 16 || Number(bits[5]) > 20) {
    throw new ValidationError(`aws.cidr '${cidr}' must be an IPv4 block from /16 to /20, e.g. '10.40.0.0/16'`);
  }
  const flowLogRetentionDays = props.flowLogRetentionDays ?? 90;
  if (!LOG_RETENTION_DAYS.includes(flowLogRetentionDays)) {
    throw new ValidationError(
      `aws.flowLogRetentionDays is ${flowLogRetentionDays}: CloudWatch Logs accepts ${LOG_RETENTION_DAYS.join(', ')}`,
    );
  }
  const sizing = props.sizing ?? {};
  for (const [component, s] of Object.entries(sizing)) {
    if (s.instanceType !== undefined && !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(s.instanceType)) {
      throw new ValidationError(
        `aws.sizing.${component}.instanceType '${s.instanceType}' is not an EC2 instance type such as 'm6i.large'`,
      );
    }
    if (s.dataVolumeGb !== undefined)
      checkInt(`aws.sizing.${component}.dataVolumeGb`, s.dataVolumeGb, { min: 1, max: 16384 });
  }
  return {
    prefix,
    availabilityZones,
    cidr,
    natPerAz: props.natPerAz ?? false,
    vpcEndpoints: props.vpcEndpoints ?? false,
    sizing,
    dataVolumeGb: checkInt('aws.dataVolumeGb', props.dataVolumeGb ?? 20, { min: 1, max: 16384 }),
    rootVolumeGb: checkInt('aws.rootVolumeGb', props.rootVolumeGb ?? 30, { min: 8, max: 16384 }),
    architecture: props.architecture ?? 'x86_64',
    flowLogRetentionDays,
    noncurrentVersionDays: checkInt('aws.noncurrentVersionDays', props.noncurrentVersionDays ?? 30, { min: 1 }),
    finalSnapshot: props.finalSnapshot ?? true,
    detailedMonitoring: props.detailedMonitoring ?? false,
    allowPlaintext: props.allowPlaintext ?? [],
    certificateValidityDays: checkCertificateValidity('aws.certificateValidityDays', props.certificateValidityDays),
  };
}

import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Annotations, Aspects, S3Backend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DataPlatform, type DataPlatformProps } from '../constructs/data-platform';
import { NetworkPlacement } from '../constructs/platform/placement';
import { AwsTarget, type AwsTargetProps } from '../constructs/targets/aws/aws-target';
import { plaintextPortsOf } from '../constructs/targets/aws/plaintext-ports';
import { AwsGuardrails } from '../constructs/targets/aws/guardrails';

/** The Amazon-provided DNS server, reachable from every instance in a VPC: it answers the private zone. */
export const VPC_DNS = '169.254.169.253:53';

export interface AwsStateProps {
  /**
   * Bucket holding the Terraform state; create it first (versioned, encrypted, private).
   * There is no default: bucket names are global, and state written to a guessed name
   * could land in someone else's bucket.
   * @default none: synth warns, and `terraform init` fails until it is set
   */
  readonly bucket?: string;
  /** @default 'data-platform/aws.tfstate' */
  readonly key?: string;
  /** @default the stack's region */
  readonly region?: string;
}

export interface AwsStackProps {
  /** @default 'eu-west-1' */
  readonly region?: string;
  /**
   * Platform settings; placement is the private zone's.
   * @default every component's defaults, with objectStorage 's3'
   */
  readonly settings?: Omit<DataPlatformProps, 'placement'>;
  /** Private hosted zone the node names live in. @default 'dp.internal' */
  readonly domain?: string;
  /** @default see AwsTargetProps; Patroni members on m6i.large with 100 GB data volumes */
  readonly aws?: Omit<AwsTargetProps, 'platform' | 'region' | 'domain'>;
  /** Terraform state in S3, locked with an S3 lock file (Terraform ≥ 1.10). @default see AwsStateProps */
  readonly state?: AwsStateProps;
}

/**
 * The plaintext ports this stack allows by default (aws.allowPlaintext), of the
 * components present: each stays plaintext until its TLS is built (README "Security").
 * Any other plaintext port fails synth.
 */
export const PLAINTEXT_UNTIL_TLS: readonly string[] = [
  'etcd:client',
  'etcd:peer',
  'haproxy:metrics',
  'kafka:internal',
  'kafka:host',
  'kafka:controller',
  'kafka:metrics',
  'kafka-connect:rest',
  'kafka-connect:metrics',
  'clickhouse-keeper:client',
  'clickhouse-keeper:raft',
  'clickhouse-keeper:http',
  'clickhouse-keeper:metrics',
  'clickhouse:http',
  'clickhouse:native',
  'clickhouse:interserver',
  'clickhouse:metrics',
  'mongodb-exporter:metrics',
  'kafka-exporter:metrics',
];

/**
 * The platform on AWS (`cdktf deploy aws`): the same NodeSpecs as the local
 * stack, each on its own EC2 instance, with the guardrails checked at synth.
 *
 * Node names: configs carry fully qualified names (`etcd-1.dp.internal`),
 * resolved by the VPC's DNS server from the private zone. A search domain
 * would let short names work for glibc, but HAProxy's run-time resolver sends
 * names as written, so the names in the configs must be complete.
 */
export class AwsStack extends TerraformStack {
  readonly platform: DataPlatform;
  readonly target: AwsTarget;

  constructor(scope: Construct, id: string, props: AwsStackProps = {}) {
    super(scope, id);
    const region = props.region ?? 'eu-west-1';
    const domain = props.domain ?? 'dp.internal';
    new AwsProvider(this, 'aws', {
      region,
      defaultTags: [{ tags: { 'dataplatform:stack': id, 'dataplatform:managed-by': 'cdktf' } }],
    });
    const state = props.state ?? {};
    const backend = new S3Backend(this, {
      bucket: state.bucket ?? '',
      key: state.key ?? 'data-platform/aws.tfstate',
      region: state.region ?? region,
      encrypt: true,
    });
    // S3 native locking (Terraform ≥ 1.10); the DynamoDB lock table is deprecated.
    backend.addOverride('use_lockfile', true);
    if (!state.bucket) {
      Annotations.of(this).addWarning(
        'aws stack: no state bucket is set (state.bucket, DP_STATE_BUCKET in main.ts): deploying needs one, see README "AWS"',
      );
    }

    this.platform = new DataPlatform(this, 'platform', {
      objectStorage: 's3',
      ...props.settings,
      placement: new NetworkPlacement(VPC_DNS, domain),
    });
    const known = plaintextPortsOf(this.platform.nodes);
    this.target = new AwsTarget(this, 'target', {
      sizing: { patroni: { instanceType: 'm6i.large', dataVolumeGb: 100 } },
      allowPlaintext: PLAINTEXT_UNTIL_TLS.filter((port) => known.includes(port)),
      ...props.aws,
      platform: this.platform,
      region,
      domain,
    });
    Aspects.of(this).add(new AwsGuardrails());
  }
}

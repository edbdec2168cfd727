import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { EbsVolume } from '@cdktf/provider-aws/lib/ebs-volume';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import type { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { VolumeAttachment } from '@cdktf/provider-aws/lib/volume-attachment';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { NodeSpec } from '../../platform/node-spec';
import { skipCheck } from './scanner-skips';
import { DATA_DEVICE } from './user-data';

/** Instance type and data volume size of a component's nodes (of the machine they run on). */
export interface NodeSizing {
  readonly instanceType: string;
  /** Size of the encrypted gp3 data volume; only machines whose nodes declare volumes get one. */
  readonly dataVolumeGb: number;
}

export interface MachineHostProps {
  /** Machine name (see hosts.ts); it names the instance, its role and its security group. */
  readonly machine: string;
  /** The nodes it runs; each gets its own name in the private zone, pointing at this instance. */
  readonly nodes: readonly NodeSpec[];
  readonly prefix: string;
  readonly fqdn: (node: string) => string;
  readonly sizing: NodeSizing;
  readonly rootVolumeGb: number;
  readonly amiId: string;
  readonly subnet: Subnet;
  readonly securityGroupId: string;
  readonly zoneId: string;
  readonly userDataBase64: string;
  readonly kmsKeyArn: string;
  readonly partition: string;
  readonly region: string;
  /** ARNs of the Secrets Manager secrets the machine's nodes reference: the only ones it may read. */
  readonly secretArns: readonly string[];
  /** ARNs of the SSM parameters holding the generated IDs the machine's nodes reference. */
  readonly parameterArns: readonly string[];
  /** The private CA its nodes' certificates come from (see private-ca.ts). @default none: the platform declares no certificate */
  readonly ca?: { readonly arn: string; readonly endEntityTemplateArn: string; readonly issues: boolean };
  /** The S3 buckets the machine's nodes use, each with the key prefix they are limited to. */
  readonly buckets: readonly { readonly arn: string; readonly prefix?: string }[];
  /** Snapshot the data volume when it is destroyed. */
  readonly finalSnapshot: boolean;
  readonly detailedMonitoring: boolean;
  /** What the boot script reads (secret versions, parameters): created before the instance. */
  readonly bootDependencies: readonly ITerraformDependable[];
}

/**
 * One machine on EC2: an instance in a private subnet running the containers
 * of its nodes, its encrypted data volume (a separate resource, so it
 * outlives the instance), a name per node in the private zone, a role that
 * reaches SSM and its nodes' own secrets, nothing more, and a CloudWatch
 * alarm that recovers the instance onto new hardware when AWS's system
 * status check fails (same instance ID, private IP, volumes, hence names).
 */
export class MachineHost extends Construct {
  readonly instance: Instance;
  readonly recoveryAlarm: CloudwatchMetricAlarm;

  constructor(scope: Construct, id: string, props: MachineHostProps) {
    super(scope, id);
    const { machine, nodes } = props;
    const role = new IamRole(this, 'role', {
      name: `${props.prefix}-${machine}`,
      description: `Instance role of platform machine ${machine} (${nodes.map((n) => n.name).join(', ')})`.slice(
        0,
        1000,
      ),
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    });
    // Session Manager: the only way in (no SSH, no key pair).
    new IamRolePolicyAttachment(this, 'ssm', {
      role: role.name,
      policyArn: `arn:${props.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
    });
    const statements = nodeStatements(props);
    const access =
      statements.length === 0
        ? []
        : [
            new IamRolePolicy(this, 'access', {
              name: 'node-access',
              role: role.id,
              policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }),
            }),
          ];
    const profile = new IamInstanceProfile(this, 'profile', { name: `${props.prefix}-${machine}`, role: role.name });

    // Tag values hold at most 256 characters; the ops machine's node list is the longest (about 150).
    const tags = {
      Name: `${props.prefix}-${machine}`,
      'dataplatform:machine': machine,
      'dataplatform:nodes': nodes.map((n) => n.name).join(' '),
      'dataplatform:components': [...new Set(nodes.map((n) => n.component))].join(' '),
    };
    this.instance = new Instance(this, 'instance', {
      ami: props.amiId,
      instanceType: props.sizing.instanceType,
      subnetId: props.subnet.id,
      vpcSecurityGroupIds: [props.securityGroupId],
      iamInstanceProfile: profile.name,
      associatePublicIpAddress: false,
      ebsOptimized: true,
      monitoring: props.detailedMonitoring,
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        // Containers share the host network, so a hop limit of 1 still reaches IMDS from them.
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: 'disabled',
      },
      rootBlockDevice: {
        volumeType: 'gp3',
        volumeSize: props.rootVolumeGb,
        encrypted: true,
        kmsKeyId: props.kmsKeyArn,
        deleteOnTermination: true,
      },
      userDataBase64: props.userDataBase64,
      // Simplified automatic recovery, stated rather than left to the account's default; the alarm
      // below acts sooner (two 1-minute periods) and is visible in CloudWatch.
      maintenanceOptions: { autoRecovery: 'default' },
      tags,
      volumeTags: tags,
      // A new AMI or a changed config must not replace every member of a cluster at
      // once: replace nodes one at a time (README, "Changing a deployed platform").
      lifecycle: { ignoreChanges: ['ami', 'user_data_base64'] },
      dependsOn: [...props.bootDependencies, ...access],
    });

    if (!props.detailedMonitoring) {
      skipCheck(
        this.instance,
        'CKV_AWS_126',
        'detailed monitoring is the setting aws.detailedMonitoring, off by default: Prometheus scrapes every node, and 1-minute EC2 metrics cost about $2 per instance and month',
      );
    }
    if (nodes.some((n) => n.volumes.length > 0)) {
      const volume = new EbsVolume(this, 'data', {
        availabilityZone: props.subnet.availabilityZone,
        type: 'gp3',
        size: props.sizing.dataVolumeGb,
        encrypted: true,
        kmsKeyId: props.kmsKeyArn,
        finalSnapshot: props.finalSnapshot,
        tags: { ...tags, Name: `${props.prefix}-${machine}-data` },
      });
      new VolumeAttachment(this, 'data-attachment', {
        deviceName: DATA_DEVICE,
        volumeId: volume.id,
        instanceId: this.instance.id,
        // Stop the instance first, so the file system is unmounted cleanly.
        stopInstanceBeforeDetaching: true,
      });
    }

    for (const node of nodes) {
      new Route53Record(this, `dns-${node.name}`, {
        zoneId: props.zoneId,
        name: props.fqdn(node.name),
        type: 'A',
        ttl: 30,
        records: [this.instance.privateIp],
      });
    }

    // EC2's recover action: the instance moves to other hardware and keeps its ID, private IP,
    // EBS volumes and metadata. It covers only AWS-side failures (README, "Instance recovery").
    this.recoveryAlarm = new CloudwatchMetricAlarm(this, 'recover', {
      alarmName: `${props.prefix}-${machine}-recover`,
      alarmDescription: `Recovers machine ${machine} when the EC2 system status check fails`,
      namespace: 'AWS/EC2',
      metricName: 'StatusCheckFailed_System',
      dimensions: { InstanceId: this.instance.id },
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 2,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      // Missing data is not a failure: a stopped instance reports none.
      treatMissingData: 'notBreaching',
      alarmActions: [`arn:${props.partition}:automate:${props.region}:ec2:recover`],
    });
  }
}

function nodeStatements(props: MachineHostProps): Record<string, unknown>[] {
  const viaService = (service: string) => ({
    StringEquals: { 'kms:ViaService': `${service}.${props.region}.amazonaws.com` },
  });
  const statements: Record<string, unknown>[] = [];
  if (props.secretArns.length > 0) {
    statements.push(
      { Sid: 'OwnSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: props.secretArns },
      {
        Sid: 'DecryptOwnSecrets',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: props.kmsKeyArn,
        Condition: viaService('secretsmanager'),
      },
    );
  }
  if (props.parameterArns.length > 0) {
    statements.push({
      Sid: 'GeneratedIds',
      Effect: 'Allow',
      Action: 'ssm:GetParameter',
      Resource: props.parameterArns,
    });
  }
  if (props.ca) {
    statements.push({
      Sid: 'PlatformCaCertificate',
      Effect: 'Allow',
      Action: 'acm-pca:GetCertificateAuthorityCertificate',
      Resource: props.ca.arn,
    });
  }
  if (props.ca?.issues) {
    statements.push(
      // Only end-entity certificates: a machine can never make itself a CA.
      {
        Sid: 'IssueNodeCertificates',
        Effect: 'Allow',
        Action: 'acm-pca:IssueCertificate',
        Resource: props.ca.arn,
        Condition: { StringEquals: { 'acm-pca:TemplateArn': props.ca.endEntityTemplateArn } },
      },
      { Sid: 'ReadNodeCertificates', Effect: 'Allow', Action: 'acm-pca:GetCertificate', Resource: props.ca.arn },
    );
  }
  if (props.buckets.length > 0) {
    const whole = props.buckets.filter((b) => !b.prefix);
    const scoped = props.buckets.filter((b) => b.prefix);
    statements.push(
      ...(whole.length
        ? [{ Sid: 'ListBuckets', Effect: 'Allow', Action: 's3:ListBucket', Resource: whole.map((b) => b.arn) }]
        : []),
      // A bucket shared by prefix: listing is allowed under the prefix only.
      ...scoped.map((b, i) => ({
        Sid: `ListPrefix${i + 1}`,
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: b.arn,
        Condition: { StringLike: { 's3:prefix': [`${b.prefix}*`] } },
      })),
      {
        Sid: 'UseObjects',
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        Resource: props.buckets.map((b) => `${b.arn}/${b.prefix ?? ''}*`),
      },
      {
        Sid: 'EncryptObjects',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: props.kmsKeyArn,
        Condition: viaService('s3'),
      },
    );
  }
  return statements;
}

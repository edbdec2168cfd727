import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { NodeSpec } from '../../platform/node-spec';
import { machinesOf, type Machine } from '../../platform/hosts';
import { manifestNode, type TopologyManifest } from '../../platform/topology';
import { ValidationError } from '../../platform/validation';
import { connectionsOf, machineGrants, type HostOf } from './connectivity';
import { AwsNetwork, AZ_COUNT } from './network';
import { MachineHost } from './machine-host';
import { checkPlaintextPorts } from './plaintext-ports';
import { PrivateCa } from './private-ca';
import { S3Buckets } from './s3-buckets';
import { machineSizing, resolveSettings, type AwsTargetProps } from './settings';
import { SecretStore } from './secret-store';
import { USER_DATA_LIMIT, encodeUserData, placeholdersOf, renderCloudConfig } from './user-data';

export type { AwsTargetProps } from './settings';

/**
 * Renders a platform's NodeSpecs onto AWS. Nodes are grouped into machines
 * (NodeSpec.host, see hosts.ts): per machine an EC2 instance in a private
 * subnet running its nodes' containers from cloud-init, an encrypted data
 * volume, an instance role, a recovery alarm and a security group open only
 * to the machines whose nodes use its ports; per node a private DNS name.
 * The stack adds the guardrails (see guardrails.ts).
 */
export class AwsTarget extends Construct {
  readonly manifest: TopologyManifest;
  readonly network: AwsNetwork;
  /** Per machine name (see hosts.ts), its instance and the rest. */
  readonly machines: ReadonlyMap<string, MachineHost>;

  constructor(scope: Construct, id: string, props: AwsTargetProps) {
    super(scope, id);
    const { platform, region, domain } = props;
    const settings = resolveSettings(props);
    const { prefix } = settings;
    for (const node of platform.nodes) {
      if (platform.placement.host(node.name) !== `${node.name}.${domain}`) {
        throw new ValidationError(
          `aws.domain is '${domain}' but the placement names node ${node.name} '${platform.placement.host(node.name)}': ` +
            `place nodes with new NetworkPlacement(resolver, '${domain}')`,
        );
      }
    }

    checkPlaintextPorts(platform.nodes, settings.allowPlaintext);

    const partition = new DataAwsPartition(this, 'partition').partition;
    const account = new DataAwsCallerIdentity(this, 'account').accountId;
    const key = this.platformKey(prefix, region, partition, account);
    this.network = new AwsNetwork(this, 'network', {
      prefix,
      region,
      availabilityZones: settings.availabilityZones,
      cidr: settings.cidr,
      natPerAz: settings.natPerAz,
      vpcEndpoints: settings.vpcEndpoints,
      flowLogRetentionDays: settings.flowLogRetentionDays,
      kmsKeyArn: key.arn,
    });
    const zone = new Route53Zone(this, 'zone', {
      name: domain,
      comment: `Node names of platform ${prefix}`,
      vpc: [{ vpcId: this.network.vpc.id }],
    });
    const store = new SecretStore(this, 'secrets', {
      prefix,
      secrets: platform.secrets,
      generatedIds: platform.generatedIds,
      kmsKeyArn: key.arn,
    });
    const buckets =
      platform.objectStorage === 's3'
        ? new S3Buckets(this, 'buckets', {
            prefix,
            buckets: platform.buckets,
            kmsKeyArn: key.arn,
            noncurrentVersionDays: settings.noncurrentVersionDays,
          }).buckets
        : new Map();
    const ca = platform.certificates.length > 0 ? new PrivateCa(this, 'ca', { prefix, partition }) : undefined;
    const certificates = new Map(platform.certificates.map((c) => [c.node, c]));
    const machines = machinesOf(platform.nodes);
    const machineOf = new Map(machines.flatMap((m) => m.nodes.map((n) => [n.name, m.name] as const)));
    const fqdn = (name: string) => platform.placement.host(name);
    const groups = this.securityGroups(prefix, machines, platform.nodes, fqdn, (n) => machineOf.get(n)!);
    const ami = new DataAwsSsmParameter(this, 'ami', {
      name: `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${settings.architecture}`,
    });

    const byName = new Map(platform.nodes.map((n) => [n.name, n]));
    const hosts = new Map<string, MachineHost>();
    const anchorIndex = new Map<string, number>();
    for (const machine of machines) {
      checkPorts(machine);
      // Machines anchored by members of one component take the AZs in turn, so each
      // cluster spans all three; the nodes beside a member share its AZ.
      const component = machine.anchor?.component ?? machine.name;
      const index = anchorIndex.get(component) ?? 0;
      anchorIndex.set(component, index + 1);
      const used = placeholdersOf(machine.nodes);
      const lookup = <T>(kind: string, names: string[], source: ReadonlyMap<string, T>) =>
        names.map((n) => {
          if (!source.has(n))
            throw new ValidationError(`machine ${machine.name} uses ${kind} '${n}', which the platform never declared`);
          return source.get(n)!;
        });
      const secrets = lookup('secret', used.secrets, store.secrets);
      const ids = lookup('generated ID', used.ids, store.ids);
      const cloudConfig = renderCloudConfig({
        machine: machine.name,
        ...(machine.anchor ? { fqdn: fqdn(machine.name) } : {}),
        region,
        nodes: machine.nodes.map((node) => ({
          node,
          waitFor: connectionsOf(node, platform.nodes, fqdn)
            .filter((ref) => node.dependsOn.includes(ref.node) && !byName.get(ref.node)!.oneShot)
            .map((ref) => `${fqdn(ref.node)}:${byName.get(ref.node)!.ports.find((p) => p.name === ref.port)!.port}`),
        })),
        secretIds: new Map(used.secrets.map((n, i) => [n, secrets[i]!.name])),
        idParameters: new Map(used.ids.map((n, i) => [n, ids[i]!.name])),
        ...(ca
          ? { tls: { caParameter: ca.parameter.name, validityDays: settings.certificateValidityDays, certificates } }
          : {}),
      });
      const userData = encodeUserData(cloudConfig);
      const size = Buffer.from(userData, 'base64').length;
      if (size > USER_DATA_LIMIT) {
        throw new ValidationError(
          `machine ${machine.name}: its user data is ${size} bytes compressed, over EC2's ${USER_DATA_LIMIT}: ` +
            `shrink the files of ${machine.nodes.map((n) => n.name).join(', ')}, or give a node a machine of its own (NodeSpec.host)`,
        );
      }
      hosts.set(
        machine.name,
        new MachineHost(this, `machine-${machine.name}`, {
          machine: machine.name,
          nodes: machine.nodes,
          prefix,
          fqdn,
          sizing: machineSizing(machine.name, machine.nodes, settings.sizing, settings.dataVolumeGb),
          rootVolumeGb: settings.rootVolumeGb,
          amiId: ami.insecureValue,
          subnet: this.network.privateSubnets[index % AZ_COUNT]!,
          securityGroupId: groups.get(machine.name)!.id,
          zoneId: zone.zoneId,
          userDataBase64: userData,
          kmsKeyArn: key.arn,
          partition,
          region,
          secretArns: secrets.map((s) => s.arn),
          parameterArns: [...ids.map((s) => s.arn), ...(ca ? [ca.parameter.arn] : [])],
          ...(ca
            ? {
                ca: {
                  arn: ca.arn,
                  endEntityTemplateArn: ca.endEntityTemplateArn,
                  issues: machine.nodes.some((n) => certificates.has(n.name)),
                },
              }
            : {}),
          buckets: platform.buckets
            .filter((b) => buckets.has(b.name) && machine.nodes.some((n) => b.users?.includes(n.name)))
            .map((b) => ({ arn: buckets.get(b.name)!.arn, ...(b.prefix ? { prefix: b.prefix } : {}) })),
          finalSnapshot: settings.finalSnapshot,
          detailedMonitoring: settings.detailedMonitoring,
          bootDependencies: [...[...secrets, ...ids].map((v) => v.ready), ...(ca ? [ca.ready] : [])],
        }),
      );
    }
    this.machines = hosts;

    this.manifest = {
      version: 1,
      target: 'aws',
      ...(ca ? { caCert: ca.certificatePem } : {}),
      nodes: platform.nodes.map((n) =>
        manifestNode(n, platform.placement, {
          instanceId: hosts.get(machineOf.get(n.name)!)!.instance.id,
          container: n.name,
        }),
      ),
    };
    new TerraformOutput(this, 'topology', {
      value: this.manifest,
      description:
        'Topology manifest: every node, its endpoints (private DNS names) and its instance ID (read by scripts/chaos).',
    }).overrideLogicalId('topology');
    new TerraformOutput(this, 'secret-names', {
      value: Object.fromEntries([...store.secrets].map(([name, s]) => [name, s.name])),
      description: 'Secrets Manager name of each platform secret (names only; read values with the AWS CLI).',
    }).overrideLogicalId('secret_names');
    if (buckets.size > 0) {
      new TerraformOutput(this, 'bucket-names', {
        value: Object.fromEntries([...buckets].map(([name, b]) => [name, b.bucket])),
        description: 'S3 bucket of each platform bucket.',
      }).overrideLogicalId('bucket_names');
    }
  }

  /** The customer managed key for every volume, secret, bucket and log group of the platform. */
  private platformKey(prefix: string, region: string, partition: string, account: string): KmsKey {
    const key = new KmsKey(this, 'key', {
      description: `Data platform ${prefix}: EBS volumes, secrets, buckets and logs`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            // The account's IAM policies decide who uses the key (the KMS default).
            Sid: 'AccountIamPolicies',
            Effect: 'Allow',
            Principal: { AWS: `arn:${partition}:iam::${account}:root` },
            Action: 'kms:*',
            Resource: '*',
          },
          {
            Sid: 'FlowLogGroup',
            Effect: 'Allow',
            Principal: { Service: `logs.${region}.amazonaws.com` },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            Resource: '*',
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': `arn:${partition}:logs:${region}:${account}:log-group:/${prefix}/*`,
              },
            },
          },
        ],
      }),
    });
    new KmsAlias(this, 'key-alias', { name: `alias/${prefix}-platform`, targetKeyId: key.keyId });
    return key;
  }

  /**
   * One security group per machine. Ingress: each port only from the machines
   * whose nodes use it (connectivity.ts). Egress: the same openings seen from
   * the consumer, plus HTTPS anywhere for image registries, packages and AWS
   * APIs. The VPC resolver and time service are not filtered by groups.
   */
  private securityGroups(
    prefix: string,
    machines: readonly Machine[],
    nodes: readonly NodeSpec[],
    hostOf: HostOf,
    machineOf: (node: string) => string,
  ): Map<string, SecurityGroup> {
    const groups = new Map<string, SecurityGroup>();
    for (const machine of machines) {
      const name = machine.name;
      const group = new SecurityGroup(this, `sg-${name}`, {
        name: `${prefix}-${name}`,
        description: `Platform machine ${name}`,
        vpcId: this.network.vpc.id,
        tags: { Name: `${prefix}-${name}`, 'dataplatform:machine': name },
      });
      new VpcSecurityGroupEgressRule(this, `sg-${name}-https-out`, {
        securityGroupId: group.id,
        cidrIpv4: '0.0.0.0/0',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        description: 'HTTPS: image registries, OS packages, AWS APIs',
      });
      this.network.allowEndpointAccess(name, group.id);
      groups.set(name, group);
    }
    for (const g of machineGrants(nodes, hostOf, machineOf)) {
      const id = `${g.provider}-${g.port}-${g.protocol}-from-${g.consumer}`;
      const description = `${g.consumer} to ${g.provider} on ${g.protocol}/${g.port}`;
      const rule = { ipProtocol: g.protocol, fromPort: g.port, toPort: g.port, description };
      new VpcSecurityGroupIngressRule(this, `in-${id}`, {
        ...rule,
        securityGroupId: groups.get(g.provider)!.id,
        referencedSecurityGroupId: groups.get(g.consumer)!.id,
      });
      new VpcSecurityGroupEgressRule(this, `out-${id}`, {
        ...rule,
        securityGroupId: groups.get(g.consumer)!.id,
        referencedSecurityGroupId: groups.get(g.provider)!.id,
      });
    }
    return groups;
  }
}

/** Nodes on one machine share its network (host networking): no two may listen on one port. */
function checkPorts(machine: Machine): void {
  const owners = new Map<string, string>();
  for (const node of machine.nodes) {
    for (const p of node.ports) {
      const key = `${p.protocol ?? 'tcp'}/${p.port}`;
      const owner = owners.get(key);
      if (owner) {
        throw new ValidationError(
          `nodes ${owner} and ${node.name} share machine ${machine.name} and both listen on ${key}: ` +
            `give one another port, or its own machine (NodeSpec.host)`,
        );
      }
      owners.set(key, node.name);
    }
  }
}

import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { skipCheck } from './scanner-skips';

/** Availability zones the network spans; cluster members are spread over them in turn. */
export const AZ_COUNT = 3;

export interface AwsNetworkProps {
  readonly prefix: string;
  readonly region: string;
  /** Exactly AZ_COUNT zone names. Named, not looked up: a looked-up list can shift when a zone is added or impaired, and with it every subnet and instance. */
  readonly availabilityZones: readonly string[];
  /** A /16 to /20 block; it is cut into 3 private /(n+2) and 3 public /(n+6) subnets. */
  readonly cidr: string;
  /** One NAT gateway per AZ (survives an AZ outage) instead of one in the first AZ. */
  readonly natPerAz: boolean;
  /** Interface endpoints for SSM and Secrets Manager, and a gateway endpoint for S3. */
  readonly vpcEndpoints: boolean;
  readonly flowLogRetentionDays: number;
  readonly kmsKeyArn: string;
}

/**
 * A VPC across 3 AZs: private subnets for every node, public subnets that hold
 * only the NAT gateways (nothing gets a public IP), VPC flow logs, and a
 * default security group that allows nothing.
 */
export class AwsNetwork extends Construct {
  readonly vpc: Vpc;
  readonly privateSubnets: readonly Subnet[];
  readonly publicSubnets: readonly Subnet[];
  /** Security group of the interface endpoints; the target opens 443 on it to every node. */
  readonly endpointSecurityGroup?: SecurityGroup;

  constructor(scope: Construct, id: string, props: AwsNetworkProps) {
    super(scope, id);
    const { prefix } = props;
    const az = (i: number) => props.availabilityZones[i]!;
    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.cidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: `${prefix}-vpc` },
    });
    new DefaultSecurityGroup(this, 'default-sg', { vpcId: this.vpc.id, tags: { Name: `${prefix}-default-deny` } });

    const range = [...Array(AZ_COUNT).keys()];
    this.privateSubnets = range.map(
      (i) =>
        new Subnet(this, `private-${i}`, {
          vpcId: this.vpc.id,
          availabilityZone: az(i),
          cidrBlock: Fn.cidrsubnet(props.cidr, 2, i),
          mapPublicIpOnLaunch: false,
          tags: { Name: `${prefix}-private-${i}`, 'dataplatform:tier': 'private' },
        }),
    );
    this.publicSubnets = range.map(
      (i) =>
        new Subnet(this, `public-${i}`, {
          vpcId: this.vpc.id,
          availabilityZone: az(i),
          // The last quarter of the block, cut into /(n+6): NAT gateways need few addresses.
          cidrBlock: Fn.cidrsubnet(Fn.cidrsubnet(props.cidr, 2, 3), 4, i),
          mapPublicIpOnLaunch: false,
          tags: { Name: `${prefix}-public-${i}`, 'dataplatform:tier': 'public' },
        }),
    );

    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: { Name: `${prefix}-igw` } });
    const publicRoutes = new RouteTable(this, 'public-routes', {
      vpcId: this.vpc.id,
      route: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }],
      tags: { Name: `${prefix}-public` },
    });
    this.publicSubnets.forEach(
      (s, i) =>
        new RouteTableAssociation(this, `public-${i}-routes`, { subnetId: s.id, routeTableId: publicRoutes.id }),
    );

    const nats = (props.natPerAz ? range : [0]).map((i) => {
      const eip = new Eip(this, `nat-${i}-ip`, { domain: 'vpc', tags: { Name: `${prefix}-nat-${i}` } });
      return new NatGateway(this, `nat-${i}`, {
        allocationId: eip.allocationId,
        subnetId: this.publicSubnets[i]!.id,
        tags: { Name: `${prefix}-nat-${i}` },
        dependsOn: [igw],
      });
    });
    const privateRoutes = range.map((i) => {
      const table = new RouteTable(this, `private-${i}-routes`, {
        vpcId: this.vpc.id,
        route: [{ cidrBlock: '0.0.0.0/0', natGatewayId: (nats[i] ?? nats[0]!).id }],
        tags: { Name: `${prefix}-private-${i}` },
      });
      new RouteTableAssociation(this, `private-${i}-association`, {
        subnetId: this.privateSubnets[i]!.id,
        routeTableId: table.id,
      });
      return table;
    });

    if (props.vpcEndpoints) {
      this.endpointSecurityGroup = new SecurityGroup(this, 'endpoints-sg', {
        name: `${prefix}-vpc-endpoints`,
        description: 'Interface VPC endpoints: HTTPS from platform nodes only',
        vpcId: this.vpc.id,
        tags: { Name: `${prefix}-vpc-endpoints` },
      });
      for (const service of ['ssm', 'ssmmessages', 'ec2messages', 'secretsmanager']) {
        new VpcEndpoint(this, `endpoint-${service}`, {
          vpcId: this.vpc.id,
          serviceName: `com.amazonaws.${props.region}.${service}`,
          vpcEndpointType: 'Interface',
          privateDnsEnabled: true,
          subnetIds: this.privateSubnets.map((s) => s.id),
          securityGroupIds: [this.endpointSecurityGroup.id],
          tags: { Name: `${prefix}-${service}` },
        });
      }
      new VpcEndpoint(this, 'endpoint-s3', {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${props.region}.s3`,
        vpcEndpointType: 'Gateway',
        routeTableIds: privateRoutes.map((t) => t.id),
        tags: { Name: `${prefix}-s3` },
      });
    }

    this.flowLogs(props);
  }

  /** Allows HTTPS from `securityGroupId` to the interface endpoints, if there are any. */
  allowEndpointAccess(id: string, securityGroupId: string): void {
    if (!this.endpointSecurityGroup) return;
    new VpcSecurityGroupIngressRule(this, `endpoints-from-${id}`, {
      securityGroupId: this.endpointSecurityGroup.id,
      referencedSecurityGroupId: securityGroupId,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: `HTTPS to VPC endpoints from ${id}`,
    });
  }

  private flowLogs(props: AwsNetworkProps): void {
    const group = new CloudwatchLogGroup(this, 'flow-log-group', {
      name: `/${props.prefix}/vpc-flow-logs`,
      retentionInDays: props.flowLogRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });
    if (props.flowLogRetentionDays < 365) {
      skipCheck(
        group,
        'CKV_AWS_338',
        `retention is the setting aws.flowLogRetentionDays (${props.flowLogRetentionDays} days here), kept short to bound cost; set 365 or more where a year of flow logs is required`,
      );
    }
    const role = new IamRole(this, 'flow-log-role', {
      name: `${props.prefix}-vpc-flow-logs`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    });
    new IamRolePolicy(this, 'flow-log-policy', {
      role: role.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: `${group.arn}:*`,
          },
        ],
      }),
    });
    new FlowLog(this, 'flow-log', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: group.arn,
      iamRoleArn: role.arn,
    });
  }
}

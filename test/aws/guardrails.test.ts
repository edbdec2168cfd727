import { EbsVolume } from '@cdktf/provider-aws/lib/ebs-volume';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { SecurityGroupRule } from '@cdktf/provider-aws/lib/security-group-rule';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Aspects, Testing, TerraformStack } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { AwsGuardrails } from '../../constructs/targets/aws/guardrails';

/** A stack with the guardrails and whatever `build` adds; synth throws on a violation. */
function synthWith(build: (stack: TerraformStack) => void): string {
  const stack = new TerraformStack(Testing.app(), 'guarded');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
  build(stack);
  Aspects.of(stack).add(new AwsGuardrails());
  return Testing.synth(stack);
}

const compliantInstance = {
  ami: 'ami-12345678',
  instanceType: 't3.micro',
  associatePublicIpAddress: false,
  metadataOptions: { httpTokens: 'required' },
  rootBlockDevice: { encrypted: true },
};

function compliantBucket(stack: TerraformStack, id: string, overrides: { blockPublicPolicy?: boolean } = {}): S3Bucket {
  const bucket = new S3Bucket(stack, id, { bucketPrefix: 'x-' });
  new S3BucketServerSideEncryptionConfigurationA(stack, `${id}-sse`, {
    bucket: bucket.id,
    rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' } }],
  });
  new S3BucketPublicAccessBlock(stack, `${id}-pab`, {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: overrides.blockPublicPolicy ?? true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  return bucket;
}

describe('AWS guardrails (cdktf Aspect)', () => {
  // The aws stack itself carries these guardrails: every synth in aws-stack.test.ts passes them.
  it('passes compliant resources', () => {
    expect(() =>
      synthWith((s) => {
        new Instance(s, 'node', compliantInstance);
        new EbsVolume(s, 'data', { availabilityZone: 'eu-west-1a', size: 10, encrypted: true });
        compliantBucket(s, 'bucket');
        new VpcSecurityGroupIngressRule(s, 'peer', {
          securityGroupId: 'sg-1',
          referencedSecurityGroupId: 'sg-2',
          ipProtocol: 'tcp',
          fromPort: 5432,
          toPort: 5432,
        });
      }),
    ).not.toThrow();
  });

  it('no-open-ingress: rejects ingress from 0.0.0.0/0, naming the resource and the rule', () => {
    expect(() =>
      synthWith((s) => {
        new VpcSecurityGroupIngressRule(s, 'world', {
          securityGroupId: 'sg-1',
          cidrIpv4: '0.0.0.0/0',
          ipProtocol: 'tcp',
          fromPort: 443,
          toPort: 443,
        });
      }),
    ).toThrow(
      /\[no-open-ingress\] aws_vpc_security_group_ingress_rule\.world \(guarded\/world\): ingress from 0\.0\.0\.0\/0\. Rule: no security group ingress/,
    );
    expect(() =>
      synthWith((s) => {
        new SecurityGroup(s, 'inline', {
          ingress: [{ fromPort: 80, toPort: 80, protocol: 'tcp', ipv6CidrBlocks: ['::/0'] }],
        });
      }),
    ).toThrow(/\[no-open-ingress\] aws_security_group\.inline .*ingress from ::\/0/);
  });

  it('no-ssh-ingress: rejects port 22, even from a private range, and all-port rules', () => {
    expect(() =>
      synthWith((s) => {
        new SecurityGroupRule(s, 'ssh', {
          type: 'ingress',
          securityGroupId: 'sg-1',
          protocol: 'tcp',
          fromPort: 20,
          toPort: 25,
          cidrBlocks: ['10.0.0.0/8'],
        });
      }),
    ).toThrow(/\[no-ssh-ingress\] aws_security_group_rule\.ssh .*ingress on ports 20-25.*through SSM Session Manager/);
    expect(() =>
      synthWith((s) => {
        new VpcSecurityGroupIngressRule(s, 'everything', {
          securityGroupId: 'sg-1',
          referencedSecurityGroupId: 'sg-2',
          ipProtocol: '-1',
        });
      }),
    ).toThrow(/\[no-ssh-ingress\] aws_vpc_security_group_ingress_rule\.everything .*ingress on all ports/);
  });

  it('encrypted-storage: rejects an unencrypted EBS volume, root device and bucket', () => {
    expect(() =>
      synthWith((s) => {
        new EbsVolume(s, 'plain', { availabilityZone: 'eu-west-1a', size: 10 });
      }),
    ).toThrow(/\[encrypted-storage\] aws_ebs_volume\.plain .*encrypted is not true/);
    expect(() =>
      synthWith((s) => {
        new Instance(s, 'node', { ...compliantInstance, rootBlockDevice: { encrypted: false } });
      }),
    ).toThrow(/\[encrypted-storage\] aws_instance\.node .*a block device is not encrypted/);
    expect(() =>
      synthWith((s) => {
        const bucket = new S3Bucket(s, 'raw', {});
        new S3BucketPublicAccessBlock(s, 'raw-pab', {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
      }),
    ).toThrow(/\[encrypted-storage\] aws_s3_bucket\.raw .*no server-side encryption configuration refers to it/);
  });

  it('imdsv2-required: rejects optional metadata tokens', () => {
    expect(() =>
      synthWith((s) => {
        new Instance(s, 'node', { ...compliantInstance, metadataOptions: { httpTokens: 'optional' } });
      }),
    ).toThrow(/\[imdsv2-required\] aws_instance\.node .*metadata_options\.http_tokens is optional/);
  });

  it('no-public-ip: rejects an associated public IP and a subnet that maps one', () => {
    expect(() =>
      synthWith((s) => {
        new Instance(s, 'node', { ...compliantInstance, associatePublicIpAddress: true });
      }),
    ).toThrow(/\[no-public-ip\] aws_instance\.node .*associate_public_ip_address is not false/);
    expect(() =>
      synthWith((s) => {
        const subnet = new Subnet(s, 'public', { vpcId: 'vpc-1', cidrBlock: '10.0.0.0/24', mapPublicIpOnLaunch: true });
        new Instance(s, 'node', { ...compliantInstance, subnetId: subnet.id });
      }),
    ).toThrow(/\[no-public-ip\] aws_instance\.node .*its subnet aws_subnet\.public maps public IPs on launch/);
  });

  it('s3-public-access-blocked: rejects a bucket whose public access block leaves one setting off', () => {
    expect(() =>
      synthWith((s) => {
        compliantBucket(s, 'leaky', { blockPublicPolicy: false });
      }),
    ).toThrow(/\[s3-public-access-blocked\] aws_s3_bucket\.leaky .*no public access block with all four settings on/);
  });

  it('sees overrides: an escape hatch cannot switch a guardrail off', () => {
    expect(() =>
      synthWith((s) => {
        new EbsVolume(s, 'sneaky', { availabilityZone: 'eu-west-1a', size: 10, encrypted: true }).addOverride(
          'encrypted',
          false,
        );
      }),
    ).toThrow(/\[encrypted-storage\] aws_ebs_volume\.sneaky/);
  });
});

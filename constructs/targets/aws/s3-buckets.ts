import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { Construct } from 'constructs';
import { skipCheck } from './scanner-skips';
import type { BucketSpec } from '../../platform/object-storage';

export interface S3BucketsProps {
  readonly prefix: string;
  readonly buckets: readonly BucketSpec[];
  readonly kmsKeyArn: string;
  /** Days a replaced or deleted object version is kept. */
  readonly noncurrentVersionDays: number;
}

/**
 * The platform's buckets on S3: private (all public access blocked, ACLs off),
 * encrypted with the platform key, versioned, TLS only, and old versions
 * expire; objects of a bucket with a retention expire after it. Bucket names are `<prefix>-<name>-` plus a suffix Terraform picks,
 * because S3 names are global.
 */
export class S3Buckets extends Construct {
  readonly buckets: ReadonlyMap<string, S3Bucket>;

  constructor(scope: Construct, id: string, props: S3BucketsProps) {
    super(scope, id);
    this.buckets = new Map(
      props.buckets.map((spec) => {
        const bucket = new S3Bucket(this, spec.name, {
          bucketPrefix: `${props.prefix}-${spec.name}-`,
          tags: { 'dataplatform:bucket': spec.name, 'dataplatform:description': spec.description },
        });
        skipCheck(
          bucket,
          'CKV_AWS_18',
          'access is audited by CloudTrail data events at account level; a log bucket per platform bucket would need its own log bucket in turn',
        );
        skipCheck(
          bucket,
          'CKV_AWS_144',
          'cross-region replication is a disaster-recovery choice with its own cost and region; versioning covers deletes and overwrites',
        );
        skipCheck(bucket, 'CKV2_AWS_62', 'nothing in the platform consumes bucket events');
        new S3BucketPublicAccessBlock(this, `${spec.name}-public-access`, {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
        new S3BucketOwnershipControls(this, `${spec.name}-ownership`, {
          bucket: bucket.id,
          rule: { objectOwnership: 'BucketOwnerEnforced' },
        });
        new S3BucketServerSideEncryptionConfigurationA(this, `${spec.name}-encryption`, {
          bucket: bucket.id,
          rule: [
            {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.kmsKeyArn },
              bucketKeyEnabled: true,
            },
          ],
        });
        const versioning = new S3BucketVersioningA(this, `${spec.name}-versioning`, {
          bucket: bucket.id,
          versioningConfiguration: { status: 'Enabled' },
        });
        new S3BucketLifecycleConfiguration(this, `${spec.name}-lifecycle`, {
          bucket: bucket.id,
          rule: [
            {
              id: 'expire-old-versions',
              status: 'Enabled',
              filter: [{}],
              noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays }],
              abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
            },
            // The retention of what the bucket holds (backups); the expired version is kept as noncurrent above.
            ...(spec.expireAfterDays
              ? [
                  {
                    id: 'expire-after-retention',
                    status: 'Enabled',
                    filter: [spec.prefix ? { prefix: spec.prefix } : {}],
                    expiration: [{ days: spec.expireAfterDays }],
                  },
                ]
              : []),
          ],
          dependsOn: [versioning],
        });
        new S3BucketPolicy(this, `${spec.name}-tls-only`, {
          bucket: bucket.id,
          policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'DenyInsecureTransport',
                Effect: 'Deny',
                Principal: '*',
                Action: 's3:*',
                Resource: [bucket.arn, `${bucket.arn}/*`],
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          }),
        });
        return [spec.name, bucket];
      }),
    );
  }
}

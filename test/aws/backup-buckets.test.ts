import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { machinesOf } from '../../constructs/platform/hosts';
import { mergeBucket } from '../../constructs/platform/object-storage';
import { ValidationError } from '../../constructs/platform/validation';
import { awsStack, synthAws } from './helpers';

/** The bucket resource name of a platform bucket, its lifecycle rules, and each machine's S3 statements. */
function backupView(tf: any, bucket: string) {
  const [name] = Object.entries(tf.resource.aws_s3_bucket as Record<string, any>).find(
    ([, b]) => b.tags['dataplatform:bucket'] === bucket,
  )!;
  const arn = `\${aws_s3_bucket.${name}.arn}`;
  const lifecycle = Object.values(tf.resource.aws_s3_bucket_lifecycle_configuration as Record<string, any>).find(
    (l) => l.bucket === `\${aws_s3_bucket.${name}.id}`,
  )!;
  const statementsOf = (machine: string) => {
    const [role] = Object.entries(tf.resource.aws_iam_role as Record<string, any>).find(
      ([, r]) => r.name === `dp-${machine}`,
    )!;
    const policy = Object.values(tf.resource.aws_iam_role_policy as Record<string, any>).find(
      (p) => p.role === `\${aws_iam_role.${role}.id}`,
    );
    return (policy ? JSON.parse(policy.policy).Statement : []) as any[];
  };
  return { arn, rules: lifecycle.rule as any[], statementsOf };
}

const stack = awsStack();
const tf = JSON.parse(Testing.synth(stack));
const machines = machinesOf(stack.platform.nodes);
const machineOf = (node: string) => machines.find((m) => m.nodes.some((n) => n.name === node))!.name;

describe('the Postgres backup bucket on S3', () => {
  const view = backupView(tf, 'postgres-backups');

  it('expires objects under the stanza after the retention, beside the old-version rule', () => {
    // retentionFull 2 weekly fulls: one more week than kept, and a day.
    expect(view.rules.find((r) => r.id === 'expire-after-retention')).toEqual({
      id: 'expire-after-retention',
      status: 'Enabled',
      filter: [{ prefix: 'pg-ha/' }],
      expiration: [{ days: 22 }],
    });
    expect(view.rules.map((r) => r.id)).toContain('expire-old-versions');
    const longer = backupView(
      synthAws({ settings: { postgres: { backup: { retentionFull: 4 } } } }),
      'postgres-backups',
    );
    expect(longer.rules.find((r) => r.id === 'expire-after-retention')!.expiration).toEqual([{ days: 36 }]);
  });

  it("scopes each Patroni machine's role to the stanza prefix: list under it, get/put/delete in it", () => {
    const statements = view.statementsOf(machineOf('patroni-1'));
    const list = statements.filter((s) => s.Action === 's3:ListBucket' && [s.Resource].flat().includes(view.arn));
    expect(list).toEqual([
      {
        Sid: expect.stringMatching(/^ListPrefix/),
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: view.arn,
        Condition: { StringLike: { 's3:prefix': ['pg-ha/*'] } },
      },
    ]);
    const objects = statements.find((s) => s.Sid === 'UseObjects')!;
    expect(objects.Action).toEqual(['s3:GetObject', 's3:PutObject', 's3:DeleteObject']);
    expect(objects.Resource).toContain(`${view.arn}/pg-ha/*`);
    // Negative control: never the whole bucket.
    expect(objects.Resource).not.toContain(`${view.arn}/*`);
  });

  it('grants nothing on it to machines without a Patroni member', () => {
    const text = JSON.stringify(view.statementsOf(machineOf('prometheus')));
    expect(text).not.toContain(view.arn);
  });
});

describe('bucket declarations', () => {
  it('merges users and keeps one prefix and retention', () => {
    const a = mergeBucket(undefined, { name: 'b', description: 'd', users: ['x'] });
    expect(mergeBucket(a, { name: 'b', description: 'd', users: ['y'], prefix: 'p/', expireAfterDays: 3 })).toEqual({
      name: 'b',
      description: 'd',
      users: ['x', 'y'],
      prefix: 'p/',
      expireAfterDays: 3,
    });
  });

  it.each([
    [{ prefix: 'p/' }, { prefix: 'q/' }, /buckets\[b\]\.prefix is declared as both 'p\/' and 'q\/'/],
    [{ expireAfterDays: 3 }, { expireAfterDays: 4 }, /buckets\[b\]\.expireAfterDays is declared as both '3' and '4'/],
    [{}, { prefix: 'Pg/' }, /buckets\[b\]\.prefix 'Pg\/' must be lower-case path segments ending in '\/'/],
    [{}, { prefix: 'pg' }, /ending in '\/'/],
    [{}, { expireAfterDays: 0 }, /buckets\[b\]\.expireAfterDays/],
  ])('rejects %j then %j', (first, second, message) => {
    const known = mergeBucket(undefined, { name: 'b', description: 'd', ...first });
    expect(() => mergeBucket(known, { name: 'b', description: 'd', ...second })).toThrow(ValidationError);
    expect(() => mergeBucket(known, { name: 'b', description: 'd', ...second })).toThrow(message);
  });
});

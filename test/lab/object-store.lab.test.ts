import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { endpointOf, labTarget, nodeNamed } from '../../scripts/chaos/target';
import { LAB_TOOLS } from '../../scripts/lab/tools';
import { labAvailable, useLab } from './lab-fixture';

/** VersityGW from the rendered command, its buckets made by the rendered bucket job, used by a real S3 client. */
describe.runIf(labAvailable())('lab: VersityGW as the object store', () => {
  const lab = useLab();
  /** The AWS CLI against VersityGW over HTTPS, checking its certificate against the lab's CA. */
  const aws = (keys: { id: string; secret: string }, args: string[]) => {
    const endpoint = endpointOf(nodeNamed(labTarget(lab().root).manifest, 'versitygw'), 's3');
    return execFileSync(LAB_TOOLS.aws, ['--endpoint-url', `https://${endpoint}`, ...args], {
      encoding: 'utf8',
      stdio: 'pipe',
      env: {
        PATH: '/usr/bin:/bin',
        AWS_ACCESS_KEY_ID: keys.id,
        AWS_SECRET_ACCESS_KEY: keys.secret,
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_CA_BUNDLE: join(lab().root, 'tls/ca.crt'),
      },
    });
  };
  const s3 = (...args: string[]) => {
    const { secrets } = labTarget(lab().root);
    return aws({ id: secrets['versitygw-root-access-key']!, secret: secrets['versitygw-root-secret-key']! }, args);
  };

  it('has every declared bucket, created by the bucket job', () => {
    const names = JSON.parse(s3('s3api', 'list-buckets', '--output', 'json')).Buckets.map((b: any) => b.Name);
    expect(names.sort()).toEqual(
      lab()
        .plan.platform.buckets.map((b) => b.name)
        .sort(),
    );
  });

  it('stores an object as a plain file in its volume, and serves it back', () => {
    const local = join(lab().root, 'probe.txt');
    execFileSync('sh', ['-c', `echo hello-vgw > ${local}`]);
    s3('s3', 'cp', local, 's3://postgres-backups/probe/probe.txt');
    expect(s3('s3', 'cp', 's3://postgres-backups/probe/probe.txt', '-')).toBe('hello-vgw\n');
    const onDisk = join(lab().root, 'versitygw/data/postgres-backups/probe/probe.txt');
    expect(existsSync(onDisk) && readFileSync(onDisk, 'utf8')).toBe('hello-vgw\n');
  });

  it('refuses a request signed with a wrong key (negative control)', () => {
    expect(() => aws({ id: 'nobody', secret: 'wrong' }, ['s3api', 'list-buckets'])).toThrow(
      /XAdminUserNotFound|InvalidAccessKeyId|AccessDenied/,
    );
  });
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBucketName } from '../../constructs/platform/object-storage';
import { renderBucketScript } from '../../constructs/storage/bucket-job';
import { planLab } from '../../scripts/lab/plan';
import { LAB_TOOLS } from '../../scripts/lab/tools';
import { dockerPlatform, file, node } from '../helpers';

describe('object storage: VersityGW', () => {
  const platform = dockerPlatform();

  it('is the default store: one pinned server with generated root keys, a volume and a health check', () => {
    const server = node(platform, 'versitygw');
    expect(server.image).toEqual({ repository: 'docker.io/versity/versitygw', tag: 'v1.8.0' });
    expect(server.command).toEqual([
      ...['--port', '0.0.0.0:7070', '--cert', '/etc/versitygw/tls/tls.crt', '--key', '/etc/versitygw/tls/tls.key'],
      ...['--health', '/health', 'posix', '/data'],
    ]);
    // HTTPS with a certificate the target issues for the node's host name.
    expect(platform.certificates.filter((c) => c.node === 'versitygw')).toEqual([
      {
        node: 'versitygw',
        hosts: ['versitygw'],
        certPath: '/etc/versitygw/tls/tls.crt',
        keyPath: '/etc/versitygw/tls/tls.key',
      },
    ]);
    expect(server.env).toEqual({
      ROOT_ACCESS_KEY: '{{secret:versitygw-root-access-key}}',
      ROOT_SECRET_KEY: '{{secret:versitygw-root-secret-key}}',
    });
    expect(server.volumes).toEqual([{ name: 'data', path: '/data' }]);
    expect(server.health?.test).toEqual([
      ...['CMD', 'wget', '-q', '--no-check-certificate', '-O', '/dev/null', 'https://127.0.0.1:7070/health'],
    ]);
    expect(server.ports).toEqual([{ name: 's3', port: 7070, hostPort: 7070 }]);
    expect(platform.storage.s3).toEqual({
      endpoint: 'versitygw:7070',
      region: 'us-east-1',
      caPath: '/etc/dataplatform/tls/ca.crt',
      credentials: {
        accessKey: '{{secret:versitygw-root-access-key}}',
        secretKey: '{{secret:versitygw-root-secret-key}}',
      },
    });
  });

  it('creates every declared bucket with the AWS CLI, after the server is healthy, as the last node of the storage', () => {
    const job = node(platform, 'create-buckets');
    expect(job).toMatchObject({ oneShot: true, dependsOn: ['versitygw'], entrypoint: ['bash'] });
    expect(job.image.repository).toBe('amazon/aws-cli');
    const script = file(job, '/etc/dataplatform/create-buckets.sh');
    expect(script).toContain('aws --endpoint-url https://versitygw:7070 s3api create-bucket');
    expect(job.env.AWS_CA_BUNDLE).toBe('/etc/dataplatform/tls/ca.crt');
    expect(script).toContain(`for bucket in ${platform.buckets.map((b) => b.name).join(' ')}; do`);
    expect(job.env.AWS_SECRET_ACCESS_KEY).toBe('{{secret:versitygw-root-secret-key}}');
  });

  it('runs no server and no job where the target provides S3', () => {
    const s3 = dockerPlatform({ objectStorage: 's3' });
    expect(s3.nodes.filter((n) => n.component === 'versitygw')).toEqual([]);
    expect(s3.storage.s3).toEqual({});
    expect(s3.certificates.map((c) => c.node)).not.toContain('versitygw');
  });

  it('bucket script: creates only what is missing (run against a stand-in aws)', () => {
    const dir = mkdtempSync('/tmp/dp-buckets-');
    const log = join(dir, 'calls');
    // The stand-in lists one bucket as existing and records every call.
    writeFileSync(
      join(dir, 'aws'),
      `#!/bin/bash\necho "$*" >> ${log}\n[[ $* == *list-buckets* ]] && printf 'cdc-archive\\tother\\n'\nexit 0\n`,
      { mode: 0o755 },
    );
    const script = join(dir, 'create-buckets.sh');
    writeFileSync(
      script,
      renderBucketScript({ endpoint: 'http://s3:7070', buckets: ['cdc-archive', 'postgres-backups'] }),
    );
    const out = execFileSync('bash', [script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
    expect(out).toContain('bucket cdc-archive exists');
    expect(out).toContain('bucket postgres-backups created');
    const calls = execFileSync('cat', [log], { encoding: 'utf8' }).trim().split('\n');
    expect(calls).toEqual([
      '--endpoint-url http://s3:7070 s3api list-buckets --query Buckets[].Name --output text',
      '--endpoint-url http://s3:7070 s3api create-bucket --bucket postgres-backups',
    ]);
  });
});

describe('bucket names S3 rejects', () => {
  it.each(['ab', 'Upper', 'has_underscore', 'dots.in.name', '-leading', 'trailing-', 'x'.repeat(43)])(
    'rejects %s',
    (name) => {
      expect(() => checkBucketName('storage.buckets[x].name', name)).toThrow(
        /storage\.buckets\[x\]\.name '.*' is not a bucket name S3 accepts: use 3–42 lower-case letters, digits or '-'/,
      );
    },
  );

  it.each(['xn--punycode', 'sthree-bucket', 'data-s3alias', 'data--ol-s3'])('rejects the S3-reserved %s', (name) => {
    expect(() => checkBucketName('b', name)).toThrow(/is reserved by S3/);
  });

  it('accepts the platform defaults (negative control)', () => {
    for (const name of ['cdc-archive', 'postgres-backups', 'clickhouse', 'a-b']) {
      expect(checkBucketName('b', name)).toBe(name);
    }
  });

  it('fails synth naming the setting', () => {
    expect(() => dockerPlatform({ storage: { buckets: [{ name: 'xn--bad', description: 'd' }] } })).toThrow(
      /storage\.buckets\[xn--bad\]\.name 'xn--bad' is not a bucket name S3 accepts/,
    );
  });
});

describe('object storage in the lab plan', () => {
  const plan = planLab('/tmp/dplab-plan', 26000);
  const lab = (name: string) => plan.nodes.find((n) => n.spec.name === name)!;

  it('runs VersityGW natively on the rendered command, ready when /health answers', () => {
    const server = lab('versitygw');
    const port = server.spec.ports[0]!.port;
    expect(server.launch.argv).toEqual([
      LAB_TOOLS.versitygw,
      ...['--port', `127.0.0.1:${port}`],
      ...['--cert', '/tmp/dplab-plan/versitygw/etc/versitygw/tls/tls.crt'],
      ...['--key', '/tmp/dplab-plan/versitygw/etc/versitygw/tls/tls.key'],
      ...['--health', '/health', 'posix', '/tmp/dplab-plan/versitygw/data'],
    ]);
    expect(server.launch.probeDescription).toBe(`GET https://127.0.0.1:${port}/health (CA-checked)`);
    expect(server.launch.env.ROOT_SECRET_KEY).toBe(plan.values.secrets['versitygw-root-secret-key']);
    expect(plan.notRun).not.toContain('versitygw');
  });

  it('runs the bucket job on the rendered script with the AWS CLI on PATH, once the server is ready', () => {
    const job = lab('create-buckets');
    expect(job.launch).toMatchObject({
      job: true,
      argv: ['bash', '/tmp/dplab-plan/create-buckets/etc/dataplatform/create-buckets.sh'],
    });
    expect(job.launch.env.PATH!.split(':')).toContain('/usr/bin');
    expect(job.spec.dependsOn).toEqual(['versitygw']);
    expect(plan.resolve(file(job.spec, '/etc/dataplatform/create-buckets.sh'))).toContain(
      `--endpoint-url https://127.0.0.1:${lab('versitygw').spec.ports[0]!.port} s3api`,
    );
    expect(job.launch.env.AWS_CA_BUNDLE).toBe('/tmp/dplab-plan/create-buckets/etc/dataplatform/tls/ca.crt');
  });
});

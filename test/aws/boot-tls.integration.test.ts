/**
 * boot.sh's certificates on a real ACM Private CA API (moto): the AWS CLI and
 * openssl are real, Docker is stubbed. A node gets the CA's certificate and a
 * key made on the machine with a certificate the CA signed for its names; a
 * node without a certificate gets only the CA; a CA that refuses fails the boot.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLATFORM_CA_PATH, subjectAltName } from '../../constructs/platform/tls';
import { findTool, haveTools, scratch } from '../real-tools/tools';
import { boot } from './boot-harness';
import { motoServer, startMoto, type Moto } from './moto';

const awsCli = findTool('/usr/bin/aws', 'aws');
const REGION = 'eu-west-1';
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'moto', AWS_SECRET_ACCESS_KEY: 'moto', AWS_EC2_METADATA_DISABLED: 'true' };

describe.runIf(
  haveTools(
    { aws: awsCli, moto_server: motoServer, openssl: findTool('openssl') },
    'scripts/lab/setup.sh installs awscli and moto',
  ),
)('boot.sh issues node certificates from AWS Private CA (moto)', () => {
  const dir = scratch('boot-tls');
  let moto: Moto;
  let caArn = '';
  const aws = (...args: string[]) => {
    const r = spawnSync(awsCli!, ['--endpoint-url', moto.endpoint, '--region', REGION, '--output', 'text', ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...CREDENTIALS },
      timeout: 60_000,
    });
    if (r.status !== 0) throw new Error(`aws ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  // The boot script's CA and certificate calls go to moto; secrets and IDs keep the harness's answers.
  const stubs = {
    aws: `echo "aws $*" >>"$LOG"
case "$*" in
  *acm-pca*|*ssm*/tls/*) exec ${awsCli} --endpoint-url "$MOTO" "$@" ;;
  *secretsmanager*) echo Secret0123456789 ;;
  *ssm*) echo "$CLUSTER_ID" ;;
  *) exit 2 ;;
esac`,
  };
  const env = { ...CREDENTIALS, MOTO: '' };
  const names = ['patroni-1.dp.internal', 'postgres.dp.internal'];
  const tlsNode = (cert: boolean) => ({
    name: 'patroni-1',
    env: cert
      ? { CERT_PATH: '/etc/tls/node.crt', KEY_PATH: '/etc/tls/node.key', CERT_SAN: subjectAltName(names) }
      : { CERT_PATH: '', KEY_PATH: '', CERT_SAN: '' },
  });
  const machineEnv = { CA_PARAMETER: '/dp/tls/ca-arn', CA_PATH: PLATFORM_CA_PATH, CERT_DAYS: '30' };
  const openssl = (...args: string[]) => spawnSync('openssl', args, { encoding: 'utf8' });

  beforeAll(async () => {
    moto = await startMoto(dir);
    env.MOTO = moto.endpoint;
    // The CA as private-ca.ts makes it: created, self-signed through its own API, installed.
    caArn = aws(
      ...['acm-pca', 'create-certificate-authority', '--certificate-authority-type', 'ROOT'],
      '--certificate-authority-configuration',
      'KeyAlgorithm=EC_prime256v1,SigningAlgorithm=SHA256WITHECDSA,Subject={CommonName=dp data platform CA}',
      ...['--query', 'CertificateAuthorityArn'],
    );
    writeFileSync(
      join(dir, 'ca.csr'),
      aws('acm-pca', 'get-certificate-authority-csr', '--certificate-authority-arn', caArn),
    );
    const rootArn = aws(
      ...[
        'acm-pca',
        'issue-certificate',
        '--certificate-authority-arn',
        caArn,
        '--csr',
        `fileb://${join(dir, 'ca.csr')}`,
      ],
      ...[
        '--signing-algorithm',
        'SHA256WITHECDSA',
        '--template-arn',
        'arn:aws:acm-pca:::template/RootCACertificate/V1',
      ],
      ...['--validity', 'Value=10,Type=YEARS', '--query', 'CertificateArn'],
    );
    const rootPem = aws(
      ...['acm-pca', 'get-certificate', '--certificate-authority-arn', caArn, '--certificate-arn', rootArn],
      ...['--query', 'Certificate'],
    );
    writeFileSync(join(dir, 'root.pem'), `${rootPem}\n`);
    aws(
      ...['acm-pca', 'import-certificate-authority-certificate', '--certificate-authority-arn', caArn],
      ...['--certificate', `fileb://${join(dir, 'root.pem')}`],
    );
    aws('ssm', 'put-parameter', '--name', machineEnv.CA_PARAMETER, '--type', 'String', '--value', caArn);
  }, 90_000);
  afterAll(() => moto?.stop());

  it('gives a node a key of its own and a certificate for its names, signed by the CA', () => {
    const run = boot({ nodes: [tlsNode(true)], stubs, env, machineEnv, timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    const files = join(run.root, 'rendered/patroni-1/files');
    const ca = join(files, PLATFORM_CA_PATH);
    const cert = join(files, '/etc/tls/node.crt');
    expect(readFileSync(ca, 'utf8').trim()).toBe(readFileSync(join(dir, 'root.pem'), 'utf8').trim());
    const verify = openssl('verify', '-CAfile', ca, cert);
    expect(verify.stdout + verify.stderr).toContain(': OK');
    const text = openssl('x509', '-in', cert, '-noout', '-ext', 'subjectAltName,extendedKeyUsage').stdout;
    expect(text).toContain('DNS:patroni-1.dp.internal, DNS:postgres.dp.internal');
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    // The certificate is for the key made on the machine.
    expect(openssl('x509', '-in', cert, '-noout', '-pubkey').stdout.trim()).toBe(
      openssl('pkey', '-in', join(files, '/etc/tls/node.key'), '-pubout').stdout.trim(),
    );
    expect(run.log).toContainEqual(expect.stringContaining('acm-pca issue-certificate'));
    expect(run.log).toContainEqual(
      expect.stringContaining('--template-arn arn:aws:acm-pca:::template/EndEntityCertificate/V1'),
    );
  }, 60_000);

  it('gives a node without a certificate only the CA, and issues nothing', () => {
    const run = boot({ nodes: [tlsNode(false)], stubs, env, machineEnv, timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(run.root, 'rendered/patroni-1/files', PLATFORM_CA_PATH), 'utf8')).toContain(
      'BEGIN CERTIFICATE',
    );
    expect(run.log.filter((l) => l.includes('issue-certificate'))).toEqual([]);
  }, 60_000);

  it('fails the node, naming the CA, when the CA does not exist (negative control)', () => {
    aws('ssm', 'put-parameter', '--overwrite', '--name', '/dp/tls/gone', '--type', 'String', '--value', `${caArn}0`);
    const run = boot({
      nodes: [tlsNode(true)],
      stubs,
      env,
      machineEnv: { ...machineEnv, CA_PARAMETER: '/dp/tls/gone' },
      timeoutMs: 100_000, // ten tries of the AWS CLI
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr.slice(-600)).toMatch(/cannot read the certificate of CA arn:aws:acm-pca/);
  }, 120_000);
});

/**
 * The lab's TLS: per run, a CA of its own and each declared server
 * certificate (platform/tls.ts), made with openssl under <root>/tls and never
 * kept past the run. The CA goes to PLATFORM_CA_PATH in every node's folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { subjectAltName, type CertificateSpec } from '../../constructs/platform/tls';

export interface IssuedCertificate {
  readonly spec: CertificateSpec;
  readonly cert: string;
  readonly key: string;
}

export interface LabTls {
  readonly caCert: string;
  readonly certificates: readonly IssuedCertificate[];
}

const DAYS = '7';
const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe', timeout: 30_000 });
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function issueLabTls(dir: string, specs: readonly CertificateSpec[]): LabTls {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  openssl([
    ...['req', '-x509', ...ecKey, '-days', DAYS, '-subj', '/CN=dataplatform lab CA'],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ...['-keyout', ca.key, '-out', ca.cert],
  ]);
  const certificates = specs.map((spec) => {
    const base = join(dir, spec.node);
    const ext = `${base}.ext`;
    writeFileSync(ext, `subjectAltName=${subjectAltName(spec.hosts)}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    openssl(['req', '-new', ...ecKey, '-subj', `/CN=${spec.node}`, '-keyout', `${base}.key`, '-out', `${base}.csr`]);
    openssl([
      ...['x509', '-req', '-in', `${base}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'],
      ...['-days', DAYS, '-extfile', ext, '-out', `${base}.crt`],
    ]);
    return { spec, cert: readFileSync(`${base}.crt`, 'utf8'), key: readFileSync(`${base}.key`, 'utf8') };
  });
  return { caCert: readFileSync(ca.cert, 'utf8'), certificates };
}

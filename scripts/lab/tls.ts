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

/**
 * The lab's operator: a client certificate (clientAuth only) for the tests,
 * benches and chaos scripts, which servers requiring mutual TLS (Prometheus,
 * Alertmanager) accept. Files under <root>/tls, beside the CA.
 */
export const LAB_OPERATOR = 'operator';

/** The PEM text a lab client connects with: the lab's CA and the operator's certificate. */
export function labOperatorTls(root: string): { ca: string; cert: string; key: string } {
  const read = (name: string) => readFileSync(join(root, 'tls', name), 'utf8');
  return { ca: read('ca.crt'), cert: read(`${LAB_OPERATOR}.crt`), key: read(`${LAB_OPERATOR}.key`) };
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
  const issue = (name: string, extensions: string) => {
    const base = join(dir, name);
    writeFileSync(`${base}.ext`, extensions);
    openssl(['req', '-new', ...ecKey, '-subj', `/CN=${name}`, '-keyout', `${base}.key`, '-out', `${base}.csr`]);
    openssl([
      ...['x509', '-req', '-in', `${base}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'],
      ...['-days', DAYS, '-extfile', `${base}.ext`, '-out', `${base}.crt`],
    ]);
    return { cert: readFileSync(`${base}.crt`, 'utf8'), key: readFileSync(`${base}.key`, 'utf8') };
  };
  const certificates = specs.map((spec) => ({
    spec,
    ...issue(spec.node, `subjectAltName=${subjectAltName(spec.hosts)}\nextendedKeyUsage=serverAuth,clientAuth\n`),
  }));
  issue(LAB_OPERATOR, 'extendedKeyUsage=clientAuth\n');
  return { caCert: readFileSync(ca.cert, 'utf8'), certificates };
}

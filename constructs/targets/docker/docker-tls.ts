/**
 * The Docker target's private CA and server certificates (see platform/tls.ts), made by
 * Terraform's tls provider. Their keys are in the stack's local state, as the random
 * passwords already are: this target's state is a file on the machine that runs the
 * containers, which holds the same keys in the containers anyway. The AWS stack, whose state is
 * shared in S3, must not do this.
 */
import { CertRequest } from '@cdktf/provider-tls/lib/cert-request';
import { LocallySignedCert } from '@cdktf/provider-tls/lib/locally-signed-cert';
import { PrivateKey } from '@cdktf/provider-tls/lib/private-key';
import { TlsProvider } from '@cdktf/provider-tls/lib/provider';
import { SelfSignedCert } from '@cdktf/provider-tls/lib/self-signed-cert';
import { Construct } from 'constructs';
import { PLATFORM_CA_PATH, subjectAltNames, type CertificateSpec } from '../../platform/tls';

/** A file the target uploads into a container. */
export interface TlsUpload {
  readonly file: string;
  readonly content: string;
  readonly permissions: string;
}

const CA_VALIDITY_HOURS = 10 * 365 * 24;
const key = (scope: Construct, id: string) => new PrivateKey(scope, id, { algorithm: 'ECDSA', ecdsaCurve: 'P256' });

export class DockerTls extends Construct {
  private readonly uploads = new Map<string, TlsUpload[]>();
  /** The CA certificate (public), for the topology manifest's clients. */
  readonly caPem: string;

  constructor(
    scope: Construct,
    id: string,
    props: {
      readonly prefix: string;
      readonly certificates: readonly CertificateSpec[];
      readonly validityDays: number;
    },
  ) {
    super(scope, id);
    new TlsProvider(this, 'tls');
    const caKey = key(this, 'ca-key');
    const ca = new SelfSignedCert(this, 'ca', {
      privateKeyPem: caKey.privateKeyPem,
      subject: [{ commonName: `${props.prefix} data platform CA` }],
      isCaCertificate: true,
      validityPeriodHours: CA_VALIDITY_HOURS,
      allowedUses: ['cert_signing', 'crl_signing'],
    });
    this.caPem = ca.certPem;
    for (const spec of props.certificates) {
      const serverKey = key(this, `${spec.node}-key`);
      const { dns, ips } = subjectAltNames(spec.hosts);
      const request = new CertRequest(this, `${spec.node}-request`, {
        privateKeyPem: serverKey.privateKeyPem,
        subject: [{ commonName: spec.hosts[0] ?? spec.node }],
        dnsNames: dns,
        ...(ips.length ? { ipAddresses: ips } : {}),
      });
      const cert = new LocallySignedCert(this, `${spec.node}-cert`, {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        validityPeriodHours: props.validityDays * 24,
        allowedUses: ['digital_signature', 'key_encipherment', 'server_auth', 'client_auth'],
      });
      this.uploads.set(spec.node, [
        { file: spec.certPath, content: cert.certPem, permissions: '0644' },
        // Readable by the container's one server, whatever user its image runs it as.
        { file: spec.keyPath, content: serverKey.privateKeyPemPkcs8, permissions: '0644' },
      ]);
    }
  }

  /** What `node` gets: the CA certificate, and its own certificate and key if it serves TLS. */
  filesFor(node: string): TlsUpload[] {
    return [{ file: PLATFORM_CA_PATH, content: this.caPem, permissions: '0644' }, ...(this.uploads.get(node) ?? [])];
  }
}

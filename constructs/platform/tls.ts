/**
 * TLS inside the platform. Each deployment has one private CA: the target
 * issues it (the lab per run, under its root), puts its certificate at
 * PLATFORM_CA_PATH in every node, and issues each declared server certificate
 * with the declared host names as SANs. A node's certificate also serves as
 * its client certificate (TLS client auth, e.g. to etcd). Nothing here holds a key or a
 * certificate; components only declare what they serve and where the files go.
 */
export const PLATFORM_CA_PATH = '/etc/dataplatform/tls/ca.crt';

export interface CertificateSpec {
  /** The node that serves with it. */
  readonly node: string;
  /** DNS names or IP addresses clients reach the node by (the SANs), e.g. the placement's host. */
  readonly hosts: readonly string[];
  /** Paths inside the node (as in FileSpec) of the PEM certificate and its unencrypted PEM key. */
  readonly certPath: string;
  readonly keyPath: string;
}

/**
 * TLS inside the platform. Each deployment has one private CA: the target
 * issues it (the lab per run, under its root), puts its certificate at
 * PLATFORM_CA_PATH in every node, and issues each declared server certificate
 * with the declared host names as SANs. A node's certificate also serves as
 * its client certificate (TLS client auth, e.g. to etcd). Nothing here holds a key or a
 * certificate; components only declare what they serve and where the files go.
 */
import { isIP } from 'node:net';
import { checkInt } from './validation';

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

/**
 * How long a node certificate is valid, in days (the Docker and AWS targets'
 * `certificateValidityDays`). Nothing renews one in place: a target issues new
 * ones when a node is recreated, so a week is the shortest that outlives a
 * maintenance window, and 825 days is the longest that Apple's TLS clients accept.
 */
export const CERTIFICATE_VALIDITY_DAYS = { default: 365, min: 7, max: 825 } as const;

export function checkCertificateValidity(setting: string, days: number | undefined): number {
  const { min, max } = CERTIFICATE_VALIDITY_DAYS;
  return checkInt(setting, days ?? CERTIFICATE_VALIDITY_DAYS.default, { min, max });
}

/**
 * The SANs of a certificate for `hosts`: every host as a DNS name, and an
 * address also as an IP, since pgBackRest 2.45 compares the host with DNS
 * entries only (seen here: "unable to find hostname '127.0.0.1' in
 * certificate … subject alternative names").
 */
export function subjectAltNames(hosts: readonly string[]): { dns: string[]; ips: string[] } {
  return { dns: [...hosts], ips: hosts.filter((h) => isIP(h)) };
}

/** The same SANs as an OpenSSL subjectAltName value. */
export function subjectAltName(hosts: readonly string[]): string {
  const { ips } = subjectAltNames(hosts);
  return hosts.map((h) => (ips.includes(h) ? `IP:${h},DNS:${h}` : `DNS:${h}`)).join(',');
}

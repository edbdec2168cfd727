import { stringify } from 'yaml';
import type { FileSpec } from './node-spec';
import type { Placement } from './placement';
import { PLATFORM_CA_PATH } from './tls';

/**
 * HTTPS for the servers built on Prometheus' exporter-toolkit (Prometheus,
 * Alertmanager, Pushgateway, blackbox and most exporters), all of which read
 * the same `--web.config.file`. A node serves with its platform certificate
 * at WEB_TLS_CERT / WEB_TLS_KEY; its web config sits at WEB_CONFIG_PATH.
 */
export const WEB_CONFIG_PATH = '/etc/dataplatform/web/web-config.yml';
export const WEB_TLS_CERT = '/etc/dataplatform/web/tls.crt';
export const WEB_TLS_KEY = '/etc/dataplatform/web/tls.key';
/** An HTTP client config (Prometheus' http_config) with the node's certificate: for promtool and amtool. */
export const WEB_CLIENT_CONFIG_PATH = '/etc/dataplatform/web/client.yml';

/**
 * Who may connect: `mutual` requires a client certificate of the platform CA
 * (every node certificate is one); `server` only encrypts and proves the
 * server, for read-only endpoints whose health check is the image's busybox
 * wget, which cannot present a certificate.
 */
export type WebClientAuth = 'mutual' | 'server';

/** The exporter-toolkit web config of `node`, with paths as the node sees them. */
export function renderWebConfig(p: Placement, node: string, clientAuth: WebClientAuth): string {
  return stringify({
    tls_server_config: {
      cert_file: p.path(node, WEB_TLS_CERT),
      key_file: p.path(node, WEB_TLS_KEY),
      min_version: 'TLS12',
      ...(clientAuth === 'mutual'
        ? { client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: p.path(node, PLATFORM_CA_PATH) }
        : { client_auth_type: 'NoClientCert' }),
    },
  });
}

/**
 * How `client` verifies a platform server and proves itself: Prometheus'
 * tls_config, used in scrape jobs, the Alertmanager client and the
 * http_config files of promtool and amtool.
 */
export function clientTlsConfig(p: Placement, client: string, serverName?: string) {
  return {
    ca_file: p.path(client, PLATFORM_CA_PATH),
    cert_file: p.path(client, WEB_TLS_CERT),
    key_file: p.path(client, WEB_TLS_KEY),
    ...(serverName ? { server_name: serverName } : {}),
  };
}

/** The web config file of `node` (see renderWebConfig). */
export function webConfigFile(p: Placement, node: string, clientAuth: WebClientAuth): FileSpec {
  return { path: WEB_CONFIG_PATH, content: renderWebConfig(p, node, clientAuth) };
}

/**
 * A Docker health check over HTTPS with busybox wget. It checks liveness, not
 * the certificate: 127.0.0.1 is not among the node's SANs on Docker.
 */
export function httpsWgetHealth(port: number, path: string): string[] {
  return ['CMD', 'wget', '-q', '--no-check-certificate', '-O', '/dev/null', `https://127.0.0.1:${port}${path}`];
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DataPlatform } from '../../constructs/data-platform';
import { PLATFORM_CA_PATH } from '../../constructs/platform/tls';
import { issueLabTls } from '../../scripts/lab/tls';

/** A client's PEM files: the CA to check servers with, and a certificate of that CA to present. */
export interface ClientTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * Issues the lab's CA and every declared certificate under `<root>/tls`, as
 * `npm run lab` does, and writes them into the folders of `nodes`. Returns the
 * PEM files of each issued node (any of them is a valid client certificate).
 */
export function placeLabTls(lab: DataPlatform, root: string, nodes: readonly string[]): Record<string, ClientTls> {
  const tls = issueLabTls(join(root, 'tls'), lab.certificates);
  const put = (node: string, path: string, content: string) => {
    const target = lab.placement.path(node, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, { mode: 0o600 });
  };
  for (const node of nodes) {
    put(node, PLATFORM_CA_PATH, tls.caCert);
    for (const c of tls.certificates.filter((i) => i.spec.node === node)) {
      put(node, c.spec.certPath, c.cert);
      put(node, c.spec.keyPath, c.key);
    }
  }
  return Object.fromEntries(tls.certificates.map((c) => [c.spec.node, { ca: tls.caCert, cert: c.cert, key: c.key }]));
}

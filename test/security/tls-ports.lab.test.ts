/**
 * Every port of every running lab server speaks TLS with a certificate the
 * platform CA signed for the name clients use, unless its PortSpec says why
 * not (PortSpec.plaintext). A port added without TLS fails here, so the
 * manifest's plaintext list and the AWS guardrail built on it stay true.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { connect } from 'node:tls';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { PortSpec } from '../../constructs/platform/node-spec';
import { labAvailable, useLab } from '../lab/lab-fixture';

const HANDSHAKE_MS = 5000;

/** undefined when TLS was negotiated and the server's certificate verified; otherwise why not. */
function directTls(host: string, port: number, ca: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, ca, ...(isIP(host) ? {} : { servername: host }), timeout: HANDSHAKE_MS });
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.on('secureConnect', () => done(undefined));
    socket.on('timeout', () => done(`no TLS handshake within ${HANDSHAKE_MS} ms`));
    // A server that demands a client certificate speaks TLS: that is a pass.
    socket.on('error', (e: NodeJS.ErrnoException) =>
      done(
        /CERTIFICATE_REQUIRED|certificate required/i.test(`${e.code} ${e.message}`)
          ? undefined
          : `${e.code ?? ''} ${e.message}`,
      ),
    );
  });
}

/** The same through Postgres's SSLRequest: a server that answers in its protocol after TLS (any error) passes. */
async function postgresTls(host: string, port: number, ca: string): Promise<string | undefined> {
  const client = new pg.Client({
    host,
    port,
    user: 'tls_probe',
    password: 'not-a-password',
    database: 'postgres',
    ssl: { ca },
    connectionTimeoutMillis: HANDSHAKE_MS,
  });
  try {
    await client.connect();
    return undefined;
  } catch (e) {
    // A DatabaseError (it has a severity) came over the encrypted connection.
    return (e as { severity?: string }).severity ? undefined : (e as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe.runIf(labAvailable())('TLS on every lab port', () => {
  const lab = useLab();

  it('every TCP port not declared plaintext completes a verified TLS handshake', async () => {
    const ca = readFileSync(join(lab().root, 'tls', 'ca.crt'), 'utf8');
    const host = (name: string) => lab().plan.platform.placement.host(name);
    const checked: string[] = [];
    const plaintext: string[] = [];
    const failures: string[] = [];
    for (const { spec } of lab().plan.nodes.filter((n) => !n.spec.oneShot)) {
      for (const port of spec.ports.filter((p: PortSpec) => (p.protocol ?? 'tcp') === 'tcp')) {
        const where = `${spec.name}:${port.name} (${host(spec.name)}:${port.port})`;
        if (port.plaintext) {
          plaintext.push(`${where}: ${port.plaintext}`);
          continue;
        }
        const problem =
          port.handshake === 'postgres'
            ? await postgresTls(host(spec.name), port.port, ca)
            : await directTls(host(spec.name), port.port, ca);
        (problem ? failures : checked).push(problem ? `${where}: ${problem}` : where);
      }
    }
    console.info(`TLS verified on ${checked.length} ports:\n  ${checked.join('\n  ')}`);
    console.info(`declared plaintext (${plaintext.length}):\n  ${plaintext.join('\n  ')}`);
    expect(checked.length).toBeGreaterThan(0);
    expect(failures).toEqual([]);
  }, 300_000);
});

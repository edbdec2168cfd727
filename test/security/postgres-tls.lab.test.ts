/**
 * TLS and authentication of the Postgres family on the lab's real servers: the secure path
 * (every TCP session to Postgres encrypted, replication and Debezium included; PgBouncer's
 * server side too), and each insecure path refused: plaintext to Postgres and to PgBouncer,
 * a wrong password, a client that trusts another CA or expects another name, an
 * unauthenticated POST /switchover, plain HTTP to Patroni's REST port.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { leaderOf, clusterMembers, memberNode, patroniRest, restCredentials } from '../../scripts/chaos/patroni';
import { endpointOf, hostPort, labTarget, nodesOf, tlsEndpoint } from '../../scripts/chaos/target';
import { issueLabTls } from '../../scripts/lab/tls';
import { labAvailable, useLab } from '../lab/lab-fixture';

async function query(config: pg.ClientConfig, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionTimeoutMillis: 5000, query_timeout: 10_000, ...config });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The error a connection attempt ends with (fails the test if it connects). */
async function refusal(config: pg.ClientConfig): Promise<Error> {
  const rows = await query(config, 'SELECT 1').then(
    () => undefined,
    (e: Error) => e,
  );
  if (!rows) throw new Error('the connection was accepted');
  return rows;
}

describe.runIf(labAvailable())('lab: Postgres, PgBouncer and Patroni REST refuse the insecure path', () => {
  const lab = useLab();
  const target = () => labTarget(lab().root);
  const manifest = () => target().manifest;
  const secret = (name: string) => target().secrets[name]!;
  const leader = async () => memberNode(manifest(), leaderOf(await clusterMembers(manifest()))!.name);
  const superuser = async () => ({
    ...tlsEndpoint(manifest(), await leader(), 'postgres'),
    user: 'postgres',
    password: secret('postgres-superuser'),
    database: 'postgres',
  });
  const pooler = () => nodesOf(manifest(), 'pgbouncer')[0]!;
  const app = () => ({
    ...tlsEndpoint(manifest(), pooler(), 'pgbouncer'),
    user: 'app',
    password: secret('postgres-app'),
    database: 'app_rw',
  });

  it('encrypts every TCP session to the leader: replication, Debezium and PgBouncer included', async () => {
    const rows = await query(
      await superuser(),
      `SELECT a.backend_type, a.application_name, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
       WHERE a.client_addr IS NOT NULL`,
    );
    const seen = JSON.stringify(rows);
    // Both replicas stream from it, and Debezium is connected (its streaming walsender comes and goes with its task).
    expect(
      rows.filter((r) => r.backend_type === 'walsender' && /^patroni-/.test(String(r.application_name))).length,
      seen,
    ).toBe(2);
    expect(
      rows.some((r) => String(r.application_name).startsWith('Debezium')),
      seen,
    ).toBe(true);
    expect(rows.filter((r) => r.ssl !== true)).toEqual([]);
    // PgBouncer's own server connection, as the application's query sees it.
    expect(await query(app(), 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).toEqual([{ ssl: true }]);
  });

  it('refuses plaintext to Postgres before asking for a password', async () => {
    const { ssl: _, ...plain } = await superuser();
    const e = await refusal({ ...plain, ssl: false });
    expect(e.message).toMatch(/pg_hba\.conf rejects connection .* no encryption/);
  });

  it('refuses plaintext to PgBouncer', async () => {
    const { ssl: _, ...plain } = app();
    expect((await refusal({ ...plain, ssl: false })).message).toMatch(/SSL required/);
  });

  it('refuses a wrong password over TLS, at PgBouncer and at Postgres', async () => {
    expect((await refusal({ ...app(), password: 'wrong' })).message).toMatch(/password authentication failed|SASL/);
    expect((await refusal({ ...(await superuser()), password: 'wrong' })).message).toMatch(
      /password authentication failed/,
    );
  });

  it('is refused by a client that trusts another CA, or expects another name (verify-full)', async () => {
    const other = issueLabTls(mkdtempSync(join(tmpdir(), 'other-ca-')), []).caCert;
    for (const config of [app(), await superuser()]) {
      const e = (await refusal({ ...config, ssl: { ca: other } })) as Error & { code?: string };
      expect(e.code ?? e.message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i);
      const named = (await refusal({ ...config, ssl: { ...config.ssl, servername: 'not-the-server' } })) as Error & {
        code?: string;
      };
      expect(named.code ?? named.message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID|does not match/);
    }
  });

  it('answers 401 to POST /switchover without credentials or with a wrong password, and never switches', async () => {
    const before = await leader();
    const body = JSON.stringify({ leader: before.name });
    const none = await patroniRest(manifest(), before, '/switchover', { method: 'POST', body });
    expect(none.status).toBe(401);
    const wrong = await patroniRest(manifest(), before, '/switchover', {
      method: 'POST',
      body,
      auth: { ...restCredentials(target().secrets), password: 'wrong' },
    });
    expect(wrong.status).toBe(401);
    expect((await leader()).name).toBe(before.name);
    // The safe methods stay open to the checks: HAProxy's and Prometheus' GETs.
    expect((await patroniRest(manifest(), before, '/health')).status).toBe(200);
  });

  it('refuses plain HTTP on the REST port', async () => {
    const { host, port } = hostPort(endpointOf(await leader(), 'rest'));
    const res = await fetch(`http://${host}:${port}/health`, { signal: AbortSignal.timeout(3000) }).then(
      (r) => r.status,
      (e: Error) => e,
    );
    expect(res).toBeInstanceOf(Error);
  });
});

/**
 * PgBouncer's admin console (the virtual database `pgbouncer`): PAUSE, RESUME
 * and which databases are paused. It speaks the simple query protocol only,
 * which is what `pg` uses for a query without parameters.
 *
 * Databases are paused one by one (`PAUSE <db>`), not with a global PAUSE:
 * PgBouncer 1.18 shows only per-database pauses (SHOW DATABASES, `paused`), so
 * only those can be checked and resumed by someone who did not pause them.
 */
import pg from 'pg';
import { PGBOUNCER_ADMIN_USER } from '../../constructs/postgres/pgbouncer-config';
import type { ScenarioContext } from '../chaos/types';
import { nodesOf, tlsEndpoint, type VerifiedTls } from '../chaos/target';

export interface AdminTarget {
  readonly host: string;
  readonly port: number;
  readonly ssl: VerifiedTls;
  readonly password: string;
}

/** The admin console of the manifest's PgBouncer, with the `pgbouncer-admin` secret. */
export function adminTarget(ctx: Pick<ScenarioContext, 'manifest' | 'secrets'>): AdminTarget {
  const pooler = nodesOf(ctx.manifest, 'pgbouncer')[0];
  if (!pooler) throw new Error('the topology manifest has no pgbouncer node');
  const password = ctx.secrets['pgbouncer-admin'];
  if (!password) throw new Error("no 'pgbouncer-admin' secret: the admin console needs it");
  return { ...tlsEndpoint(ctx.manifest, pooler, 'pgbouncer'), password };
}

export async function adminConnect(t: AdminTarget, timeoutMs = 3000): Promise<pg.Client> {
  const c = new pg.Client({
    host: t.host,
    port: t.port,
    ssl: t.ssl,
    user: PGBOUNCER_ADMIN_USER,
    password: t.password,
    database: 'pgbouncer',
    connectionTimeoutMillis: timeoutMs,
  });
  c.on('error', () => undefined); // a dropped console surfaces on the next command
  await c.connect();
  return c;
}

/** Names of the paused databases (SHOW DATABASES, column `paused`). */
export async function pausedDatabases(c: pg.Client): Promise<string[]> {
  const { rows } = await c.query<{ name: string; paused: number | string }>('SHOW DATABASES');
  return rows.filter((r) => Number(r.paused) === 1).map((r) => r.name);
}

/** The pooled databases (every one but the admin console itself). */
export async function poolDatabases(c: pg.Client): Promise<string[]> {
  const { rows } = await c.query<{ name: string }>('SHOW DATABASES');
  return rows.map((r) => r.name).filter((n) => n !== 'pgbouncer');
}

/** PAUSE each database in turn: each returns once its transactions in flight are done. */
export async function pause(c: pg.Client, databases: readonly string[]): Promise<void> {
  for (const db of databases) await c.query(`PAUSE ${quoteIdent(db)}`);
}

/** RESUME every paused database, treating "not paused" as done: resuming twice (command and watchdog) is harmless. */
export async function resume(c: pg.Client): Promise<void> {
  for (const db of await pausedDatabases(c)) {
    try {
      await c.query(`RESUME ${quoteIdent(db)}`);
    } catch (e) {
      if (!/not paused/i.test((e as Error).message)) throw e;
    }
  }
}

/** The admin console parses a database name as an identifier, double quotes included. */
function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

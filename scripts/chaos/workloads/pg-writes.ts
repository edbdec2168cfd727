/**
 * Inserts rows with unique ids from a few concurrent clients and records every
 * attempt: the key, when it started and ended, and whether the server
 * acknowledged the commit. A failed client reconnects and carries on with a
 * new key; nothing is retried, so the history says exactly what was promised.
 */
import pg from 'pg';
import type { VerifiedTls } from '../target';
import type { Op, Readback, Workload } from '../types';

export interface PgTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** The server is checked against the platform CA (see tlsEndpoint in ../target). */
  readonly ssl: VerifiedTls;
}

export interface PgWritesOptions {
  readonly target: PgTarget;
  /** Run label written with each row, so runs never mix. */
  readonly run: string;
  /** @default 4 */
  readonly clients?: number;
  /** Client-side timeout of a connect or an insert, ms. @default 2000 */
  readonly timeoutMs?: number;
  /** The insert for a key. @default a row (run, key) in the workload's own table */
  readonly insert?: (key: string) => { readonly text: string; readonly values: unknown[] };
  /** Keys count up from above this. @default 0 */
  readonly firstKey?: number;
}

export const TABLE = 'chaos_writes';

function client(t: PgTarget, timeoutMs: number): pg.Client {
  return new pg.Client({ ...t, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
}

/** Creates the table the workload writes to (idempotent). */
export async function prepareTable(target: PgTarget): Promise<void> {
  const c = client(target, 10_000);
  await c.connect();
  try {
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${TABLE} (run text NOT NULL, id bigint NOT NULL, at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run, id))`,
    );
  } finally {
    await c.end();
  }
}

export function pgWrites(opts: PgWritesOptions): Workload {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const ops: Op[] = [];
  let nextId = opts.firstKey ?? 0;
  const insert =
    opts.insert ??
    ((key: string) => ({ text: `INSERT INTO ${TABLE} (run, id) VALUES ($1, $2)`, values: [opts.run, key] }));
  let running = false;
  const workers: Promise<void>[] = [];

  async function worker(): Promise<void> {
    let c: pg.Client | undefined;
    while (running) {
      const key = String(++nextId);
      const startedAt = Date.now();
      try {
        if (!c) {
          c = client(opts.target, timeoutMs);
          c.on('error', () => undefined); // a dropped connection surfaces on the next query
          await c.connect();
        }
        await c.query(insert(key));
        ops.push({ key, startedAt, endedAt: Date.now(), ok: true });
      } catch (e) {
        ops.push({ key, startedAt, endedAt: Date.now(), ok: false, error: (e as Error).message });
        c?.end().catch(() => undefined);
        c = undefined;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    await c?.end().catch(() => undefined);
  }

  return {
    start() {
      running = true;
      for (let i = 0; i < (opts.clients ?? 4); i++) workers.push(worker());
    },
    async stop() {
      running = false;
      await Promise.all(workers);
      return ops;
    },
  };
}

/** Every id of the run that is readable, with its count. */
export async function readRows(target: PgTarget, run: string): Promise<Readback> {
  const c = client(target, 10_000);
  await c.connect();
  try {
    const { rows } = await c.query<{ id: string; n: string }>(
      `SELECT id, count(*) AS n FROM ${TABLE} WHERE run = $1 GROUP BY id`,
      [run],
    );
    return { present: new Map(rows.map((r) => [r.id, Number(r.n)])) };
  } finally {
    await c.end();
  }
}

/** One write through `target` succeeds: the application path serves again. */
export async function writeProbe(target: PgTarget): Promise<boolean> {
  const c = client(target, 2000);
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query(`INSERT INTO ${TABLE} (run, id) VALUES ('probe', 1) ON CONFLICT DO NOTHING`);
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { findPort } from '../../constructs/platform/node-spec';
import { labInstalled, useLab } from './lab-fixture';

interface Member {
  name: string;
  role: 'leader' | 'replica' | 'sync_standby';
  state: string;
  port: number;
}

const POSTGRES_CORE = new Set(['etcd', 'patroni', 'haproxy', 'pgbouncer']);

describe.runIf(labInstalled())('lab: Postgres HA core on real servers', () => {
  const lab = useLab({ basePort: 23000, include: (n) => POSTGRES_CORE.has(n.spec.component) });
  const node = (name: string) => lab().plan.nodes.find((n) => n.spec.name === name)!.spec;
  const restUrl = (member: string) => `http://127.0.0.1:${findPort(node(member), 'rest').port}`;
  const secret = (name: string) => lab().plan.secrets[name]!;

  async function cluster(): Promise<Member[]> {
    const res = await fetch(`${restUrl('patroni-1')}/cluster`);
    return ((await res.json()) as { members: Member[] }).members;
  }

  /** Polls until `check` holds, for at most `seconds`; returns the last value seen. */
  async function waitFor<T>(
    what: string,
    seconds: number,
    get: () => Promise<T>,
    check: (v: T) => boolean,
  ): Promise<T> {
    let last: T | undefined;
    for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline;) {
      last = await get().catch(() => undefined as T);
      if (last !== undefined && check(last)) return last;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${what} not reached within ${seconds} s; last seen: ${JSON.stringify(last)}`);
  }

  async function query<R extends pg.QueryResultRow>(config: pg.ClientConfig, sql: string): Promise<R[]> {
    const client = new pg.Client({ host: '127.0.0.1', connectionTimeoutMillis: 5000, ...config });
    await client.connect();
    try {
      return (await client.query<R>(sql)).rows;
    } finally {
      await client.end();
    }
  }
  const asSuperuser = (member: string, sql: string) =>
    query<Record<string, unknown>>(
      {
        port: findPort(node(member), 'postgres').port,
        user: 'postgres',
        password: secret('postgres-superuser'),
        database: 'app',
      },
      sql,
    );
  const viaPgbouncer = (database: string, sql: string) =>
    query<Record<string, unknown>>(
      { port: findPort(node('pgbouncer'), 'pgbouncer').port, user: 'app', password: secret('postgres-app'), database },
      sql,
    );
  const leaderOf = (members: Member[]) => members.find((m) => m.role === 'leader')!;

  it('has one leader and two streaming replicas, one of them the sync standby', async () => {
    const members = await waitFor(
      '2 streaming replicas and a sync standby',
      60,
      cluster,
      // Patroni names the sync standby on the loop after a replica starts streaming.
      (ms) => ms.filter((m) => m.state === 'streaming').length === 2 && ms.some((m) => m.role === 'sync_standby'),
    );
    expect(members.filter((m) => m.role === 'leader')).toHaveLength(1);
    expect(members.filter((m) => m.role === 'sync_standby')).toHaveLength(1);
    expect(members.filter((m) => m.role !== 'leader').every((m) => m.state === 'streaming')).toBe(true);
  });

  it('sends PgBouncer read-write traffic to the leader and read-only traffic to a replica', async () => {
    const members = await cluster();
    const leader = leaderOf(members);
    await viaPgbouncer(
      'app_rw',
      'CREATE TABLE IF NOT EXISTS lab_probe (id bigint PRIMARY KEY, at timestamptz DEFAULT now())',
    );
    const [written] = await viaPgbouncer(
      'app_rw',
      'INSERT INTO lab_probe (id) VALUES (1) RETURNING inet_server_port() AS port, pg_is_in_recovery() AS recovery',
    );
    expect(written).toEqual({ port: leader.port, recovery: false });
    expect(await asSuperuser(leader.name, 'SELECT id FROM lab_probe')).toEqual([{ id: '1' }]);

    const [read] = await viaPgbouncer('app_ro', 'SELECT inet_server_port() AS port, pg_is_in_recovery() AS recovery');
    expect(read!.recovery).toBe(true);
    expect(members.filter((m) => m.role !== 'leader').map((m) => m.port)).toContain(read!.port);
  });

  it('keeps the permanent logical slot on the leader, and on the new leader after a switchover', async () => {
    const slotSql =
      "SELECT slot_type, database, pg_is_in_recovery() AS recovery FROM pg_replication_slots WHERE slot_name = 'debezium'";
    const before = leaderOf(await cluster());
    expect(await asSuperuser(before.name, slotSql)).toEqual([
      { slot_type: 'logical', database: 'app', recovery: false },
    ]);

    const candidate = (await cluster()).find((m) => m.role === 'sync_standby')!;
    const res = await fetch(`${restUrl(before.name)}/switchover`, {
      method: 'POST',
      body: JSON.stringify({ leader: before.name, candidate: candidate.name }),
    });
    expect(res.status, await res.text()).toBe(200);

    await waitFor(
      'the candidate leading',
      60,
      cluster,
      (ms) => leaderOf(ms)?.name === candidate.name && leaderOf(ms).state === 'running',
    );
    expect(await asSuperuser(candidate.name, slotSql)).toEqual([
      { slot_type: 'logical', database: 'app', recovery: false },
    ]);
    // The old leader rejoins as a streaming replica.
    await waitFor(
      `${before.name} streaming again`,
      60,
      cluster,
      (ms) => ms.find((m) => m.name === before.name)?.state === 'streaming',
    );
  });
});

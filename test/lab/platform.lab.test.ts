import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { LabDriver } from '../../scripts/chaos/drivers/lab';
import {
  clusterMembers,
  leaderOf,
  memberNode,
  restCredentials,
  steadyProblem,
  switchover,
} from '../../scripts/chaos/patroni';
import { endpointOf, labTarget, nodeNamed, nodesOf, tlsEndpoint } from '../../scripts/chaos/target';
import { labAvailable, useLab } from './lab-fixture';
import { httpsJson } from '../../scripts/lab/https';
import { labOperatorTls } from '../../scripts/lab/tls';

/** Polls until `check` holds, for at most `seconds`; returns the last value seen. */
async function waitFor<T>(what: string, seconds: number, get: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline;) {
    last = await get().catch(() => undefined);
    if (last !== undefined && check(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} not reached within ${seconds} s; last seen: ${JSON.stringify(last)}`);
}

async function query(config: pg.ClientConfig, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionTimeoutMillis: 5000, query_timeout: 10_000, ...config });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The whole lab on real servers, from the rendered configs: the Postgres HA
 * core, Kafka, Kafka Connect with Debezium, and Prometheus with Alertmanager
 * and the exporters. One bring-up; the tests run in order, the disruptive
 * ones (switchover, leader kill) last.
 */
describe.runIf(labAvailable())('lab: the platform on real servers', () => {
  const lab = useLab();
  const target = () => labTarget(lab().root);
  const manifest = () => target().manifest;
  const secret = (name: string) => target().secrets[name]!;
  const members = () => clusterMembers(manifest());
  const pgbouncer = (database: string) => ({
    ...tlsEndpoint(manifest(), nodesOf(manifest(), 'pgbouncer')[0]!, 'pgbouncer'),
    user: 'app',
    password: secret('postgres-app'),
    database,
  });
  const asSuperuser = (member: string, sql: string) =>
    query(
      {
        ...tlsEndpoint(manifest(), memberNode(manifest(), member), 'postgres'),
        user: 'postgres',
        password: secret('postgres-superuser'),
        database: 'app',
      },
      sql,
    );
  const kafka = () =>
    new Kafka({
      clientId: 'lab-test',
      brokers: nodesOf(manifest(), 'kafka')
        .filter((n) => n.endpoints.host)
        .map((n) => endpointOf(n, 'host')),
      logLevel: logLevel.NOTHING,
    });
  // Prometheus wants a client certificate of the lab's CA: the tests connect as the lab operator.
  const prometheus = (path: string) =>
    httpsJson(`https://${endpointOf(nodeNamed(manifest(), 'prometheus'), 'web')}${path}`, labOperatorTls(lab().root));

  it('has one leader and two streaming replicas, one of them the sync standby', async () => {
    // Patroni names the sync standby on the loop after a replica starts streaming.
    const ms = await waitFor(
      '2 streaming replicas and a sync standby',
      60,
      members,
      (m) => m.filter((x) => x.state === 'streaming').length === 2 && m.some((x) => x.role === 'sync_standby'),
    );
    expect(ms.filter((m) => m.role === 'leader')).toHaveLength(1);
    expect(ms.filter((m) => m.role === 'sync_standby')).toHaveLength(1);
  });

  it('sends PgBouncer read-write traffic to the leader and read-only traffic to a replica', async () => {
    const ms = await members();
    const leader = leaderOf(ms)!;
    await query(pgbouncer('app_rw'), 'CREATE TABLE IF NOT EXISTS lab_probe (id bigint PRIMARY KEY)');
    const [written] = await query(
      pgbouncer('app_rw'),
      'INSERT INTO lab_probe VALUES (1) RETURNING inet_server_port() AS port, pg_is_in_recovery() AS recovery',
    );
    expect(written).toEqual({ port: leader.port, recovery: false });
    expect(await asSuperuser(leader.name, 'SELECT id FROM lab_probe')).toEqual([{ id: '1' }]);
    const [read] = await query(
      pgbouncer('app_ro'),
      'SELECT inet_server_port() AS port, pg_is_in_recovery() AS recovery',
    );
    expect(read!.recovery).toBe(true);
    expect(ms.filter((m) => m.role !== 'leader').map((m) => m.port)).toContain(read!.port);
  });

  it('runs 3 Kafka brokers, and the CDC topic has RF 3 with all 3 in sync', async () => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      expect((await admin.describeCluster()).brokers).toHaveLength(3);
      const [topic] = (await admin.fetchTopicMetadata({ topics: ['pg.public.orders'] })).topics;
      expect(topic!.partitions.length).toBeGreaterThan(0);
      for (const p of topic!.partitions) {
        expect(p.replicas).toHaveLength(3);
        expect(p.isr).toHaveLength(3);
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('has the Debezium connector RUNNING, and rows inserted through PgBouncer arrive in its topic', async () => {
    const rest = `http://${endpointOf(nodeNamed(manifest(), 'connect-1'), 'rest')}`;
    const status = (await (await fetch(`${rest}/connectors/postgres-cdc/status`)).json()) as {
      connector: { state: string };
      tasks: { state: string }[];
    };
    expect(status.connector.state).toBe('RUNNING');
    expect(status.tasks.map((t) => t.state)).toEqual(['RUNNING']);

    const consumer = kafka().consumer({ groupId: `lab-test-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'pg.public.orders', fromBeginning: true });
    const seen = new Map<string, number>();
    await consumer.run({ eachMessage: async ({ message }) => void seen.set(String(message.value), Date.now()) });
    try {
      const ids = [9001, 9002, 9003];
      const committed = Date.now();
      for (const id of ids) {
        await query(
          pgbouncer('app_rw'),
          'INSERT INTO orders (id, customer_id, status, amount) VALUES ($1, 1, $2, 10)',
          [id, 'new'],
        );
      }
      const arrived = (id: number) => [...seen.keys()].some((v) => v.includes(`"id":${id}`));
      await waitFor(
        'the inserted rows in pg.public.orders',
        60,
        async () => ids.filter(arrived),
        (found) => found.length === ids.length,
      );
      const first = Math.min(...[...seen.entries()].filter(([v]) => v.includes('"id":9001')).map(([, t]) => t));
      console.log(
        `lab: first CDC event in Kafka ${((first - committed) / 1000).toFixed(2)} s after the insert committed`,
      );
    } finally {
      await consumer.disconnect();
    }
  });

  it('has Prometheus reporting every target the lab runs up', async () => {
    // Targets of nodes the lab does not run (no server packaged here) are the only ones allowed down.
    const plan = lab().plan;
    const notRun = new Set(
      plan.platform.nodes
        .filter((n) => plan.notRun.includes(n.name))
        .flatMap((n) => n.ports.map((p) => `127.0.0.1:${p.port}`)),
    );
    const targets = await waitFor(
      'every target of a running node up',
      60,
      async () =>
        (
          (await prometheus('/api/v1/targets')) as {
            data: {
              activeTargets: {
                labels: Record<string, string>;
                discoveredLabels: Record<string, string>;
                health: string;
              }[];
            };
          }
        ).data.activeTargets,
      (ts) => ts.length > 0 && ts.every((t) => t.health === 'up' || notRun.has(t.discoveredLabels.__address__!)),
    );
    const jobs = new Set(targets.map((t) => t.labels.job));
    for (const job of ['etcd', 'patroni', 'postgres', 'pgbouncer', 'haproxy', 'prometheus', 'alertmanager']) {
      expect(jobs).toContain(job);
    }
    console.log(
      `lab: ${targets.filter((t) => t.health === 'up').length} of ${targets.length} targets up; not run here: ${plan.notRun.join(', ') || 'none'}`,
    );
  }, 90_000);

  it('keeps the permanent logical slot on the leader, and on the new leader after a switchover', async () => {
    const slotSql =
      "SELECT slot_type, database, pg_is_in_recovery() AS recovery FROM pg_replication_slots WHERE slot_name = 'debezium'";
    const before = leaderOf(await members())!;
    expect(await asSuperuser(before.name, slotSql)).toEqual([
      { slot_type: 'logical', database: 'app', recovery: false },
    ]);
    const candidate = (await members()).find((m) => m.role === 'sync_standby')!;
    await switchover(manifest(), restCredentials(target().secrets), before.name, candidate.name);
    await waitFor(
      'the candidate leading',
      60,
      members,
      (ms) => leaderOf(ms)?.name === candidate.name && leaderOf(ms)?.state === 'running',
    );
    expect(await asSuperuser(candidate.name, slotSql)).toEqual([
      { slot_type: 'logical', database: 'app', recovery: false },
    ]);
    await waitFor(
      `${before.name} streaming again`,
      60,
      members,
      (ms) => ms.find((m) => m.name === before.name)?.state === 'streaming',
    );
  }, 150_000);

  it('fires PatroniLeaderChanged and PatroniMemberDown within their windows when the leader is killed', async () => {
    // In synchronous mode only the sync standby may be promoted: wait until the member that rejoined after
    // the switchover is named sync standby, or Patroni would (rightly) refuse to fail over.
    await waitFor('a steady cluster with a sync standby', 60, members, (ms) => steadyProblem(ms, 3) === undefined);
    const leader = leaderOf(await members())!;
    const killedAt = Date.now();
    await new LabDriver(lab().root).act('kill', memberNode(manifest(), leader.name));
    // PatroniMemberDown has `for: 30s`; scrapes and evaluations run every 5 s in the lab; a new leader takes ttl + loop_wait.
    const firing = await waitFor(
      'both alerts firing',
      90,
      async () =>
        (
          (await prometheus('/api/v1/alerts')) as {
            data: { alerts: { labels: Record<string, string>; state: string }[] };
          }
        ).data.alerts,
      (alerts) =>
        ['PatroniLeaderChanged', 'PatroniMemberDown'].every((name) =>
          alerts.some((a) => a.labels.alertname === name && a.state === 'firing'),
        ),
    );
    console.log(
      `lab: leader-changed and member-down alerts firing ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`,
    );
    const down = firing.find((a) => a.labels.alertname === 'PatroniMemberDown' && a.state === 'firing')!;
    expect(down.labels.instance).toBe(leader.name);
  }, 120_000);
});

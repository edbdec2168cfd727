import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderRegisterScript } from '../../constructs/cdc/connect-config';
import { renderTopicsScript } from '../../constructs/kafka/topics';
import { file } from '../helpers';
import { labAvailable, useLab } from '../lab/lab-fixture';
import { findTool, haveTools, run, scratch } from '../real-tools/tools';
import { chdb, chdbPython } from './chdb';
import { StreamingOnLab, tools } from './streaming-lab';

/**
 * The streaming path with real engines, on the shared lab: its 3-node KRaft
 * cluster, its Kafka Connect workers with Debezium and its Patroni cluster
 * (bootstrapped by the rendered post-bootstrap script), all on the files the
 * platform renders. The default platform (Mongo and ClickHouse included, which
 * the lab does not run) is rendered onto the lab's ports for what the lab's own
 * settings leave out: the Mongo change topic, and the ClickHouse DDL that chDB
 * runs against the lab's Kafka.
 */
describe.runIf(labAvailable() && haveTools(tools))('a real Kafka 4.3 cluster on the rendered server.properties', () => {
  const shared = useLab();
  const dir = scratch(`streaming-${process.pid}`);
  let lab: StreamingOnLab;
  let kafka: StreamingOnLab['kafka'];
  beforeAll(() => {
    lab = new StreamingOnLab(shared());
    kafka = lab.kafka;
  });
  const topicCommand = (args: string[]) =>
    run(
      lab.java('org.apache.kafka.tools.TopicCommand', [
        '--bootstrap-server',
        `127.0.0.1:${lab.port('kafka-2', 'host')}`,
        ...args,
      ]),
      60_000,
    );
  /** The platform's own DDL, with the one change chDB needs: no Keeper, so no replicated engine. */
  const clickhouseDdl = () =>
    file(lab.platform.clickhouse!.ddlJob, '/etc/clickhouse-ddl/cdc.sql')
      .split(/;\n(?:\n|$)/)
      .filter((q) => q.trim())
      .map((q) => q.replace(/ReplicatedReplacingMergeTree\('[^']*', '[^']*', /, 'ReplacingMergeTree('));

  it('renders the default platform onto the lab: same brokers, same Connect worker, same connector', () => {
    const labPlatform = shared().plan.platform;
    expect(kafka.bootstrapServers).toBe(labPlatform.kafka!.bootstrapServers);
    const connector = (p: typeof labPlatform) =>
      file(p.cdc!.registerJob, '/etc/kafka-connect/connectors/postgres-cdc.json');
    expect(connector(lab.platform)).toBe(connector(labPlatform));
  });

  it('creates every declared topic with its partitions, RF and config, and converges on a re-run', () => {
    // The lab's topics job created the lab's topics at bring-up; the Mongo change topic is created here.
    expect(topicCommand(['--list']).output).not.toContain('mongo.app.customers');
    const script = join(dir, 'create-topics.sh');
    writeFileSync(script, renderTopicsScript(kafka.topics, kafka.bootstrapServers, lab.binDir));
    for (const attempt of [1, 2]) {
      const result = run(['bash', script], 240_000);
      expect(result.code, `run ${attempt}: ${result.output}`).toBe(0);
      expect(result.output).toContain(`${kafka.topics.length} topics in place`);
    }
    const described = topicCommand(['--describe', '--topic', 'pg.public.orders']);
    expect(described.output).toMatch(/PartitionCount: 3\s+ReplicationFactor: 3\s+Configs: .*cleanup\.policy=delete/);
    expect(described.output).toMatch(/retention\.ms=604800000/);
    expect(topicCommand(['--describe', '--topic', 'mongo.app.customers']).output).toMatch(
      /PartitionCount: 3\s+ReplicationFactor: 3\s+Configs: .*cleanup\.policy=delete/,
    );
  }, 300_000);

  it('serves clients through the host listeners at 127.0.0.1 with acks=all', async () => {
    // A topic of its own at RF 3: the lab's connector writes real heartbeats into the heartbeat topic.
    const topic = 'lab-probe.acks';
    const admin = new Kafka({
      clientId: 'streaming-test',
      brokers: [`127.0.0.1:${lab.port('kafka-1', 'host')}`],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const records = ['{"id":1}', '{"id":2}', '{"id":3}'];
    const produced = lab.produce(topic, records);
    expect(produced.status, String(produced.stderr)).toBe(0);
    const consumed = run(
      lab.java('org.apache.kafka.tools.consumer.ConsoleConsumer', [
        ...['--bootstrap-server', `127.0.0.1:${lab.port('kafka-3', 'host')}`, '--topic', topic],
        // Its one partition, assigned rather than joined: no group coordinator to wait for.
        ...['--partition', '0', '--offset', 'earliest', '--max-messages', '3', '--timeout-ms', '60000'],
      ]),
      90_000,
    );
    expect(
      consumed.output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .sort(),
    ).toEqual(records);
  }, 120_000);

  it('refuses a broken copy, so the check is not a no-op', () => {
    const broken = join(dir, 'broken.properties');
    const text = file(kafka.brokers[0]!, '/etc/kafka/server.properties');
    writeFileSync(broken, text.replace(/process\.roles = .*/, 'process.roles = leader'));
    const id = randomBytes(16).toString('base64url');
    expect(run(lab.java('kafka.tools.StorageTool', ['format', '-t', id, '-c', broken]), 60_000).code).not.toBe(0);
  }, 60_000);

  describe.runIf(haveTools({ chdb: chdbPython }))('and ClickHouse consumes the change topics', () => {
    it('lands Debezium-shaped events through the rendered Kafka tables and views: latest version, deletes hidden', () => {
      const meta = (op: string, lsn: number) => ({
        __op: op,
        __lsn: lsn,
        __source_ts_ms: lsn,
        __deleted: op === 'd' ? 'true' : 'false',
      });
      const orders = [
        {
          id: 1,
          customer_id: 'c-1',
          amount: '10.50',
          status: 'new',
          updated_at: '2026-11-01T10:00:00Z',
          ...meta('c', 100),
        },
        {
          id: 2,
          customer_id: 'c-2',
          amount: '20.00',
          status: 'new',
          updated_at: '2026-11-01T10:00:01Z',
          ...meta('c', 110),
        },
        {
          id: 1,
          customer_id: 'c-1',
          amount: '11.00',
          status: 'paid',
          updated_at: '2026-11-01T10:05:00Z',
          ...meta('u', 200),
        },
        { id: 2, customer_id: null, amount: null, status: null, updated_at: null, ...meta('d', 300) },
      ];
      const customer = (name: string, ord: number) => ({
        _id: 'c-1',
        name,
        email: 'ada@example.com',
        country: 'UK',
        __op: 'u',
        __ord: ord,
        __source_ts_ms: 5000,
        __deleted: 'false',
      });
      expect(
        lab.produce(
          'pg.public.orders',
          orders.map((o) => JSON.stringify(o)),
        ).status,
      ).toBe(0);
      expect(
        lab.produce(
          'mongo.app.customers',
          [customer('Ada', 1), customer('Ada L', 2)].map((c) => JSON.stringify(c)),
        ).status,
      ).toBe(0);
      const result = chdb({
        statements: clickhouseDdl(),
        steps: [
          {
            query: 'SELECT id, status, toString(amount) AS amount FROM cdc.orders FINAL WHERE id < 100 ORDER BY id',
            until: [{ id: 1, status: 'paid', amount: '11' }],
            timeout: 120,
          },
          { query: 'SELECT _id, name FROM cdc.customers FINAL', until: [{ _id: 'c-1', name: 'Ada L' }], timeout: 30 },
        ],
      });
      expect(result.errors).toEqual([]);
      expect(result.results).toEqual([[{ id: 1, status: 'paid', amount: '11' }], [{ _id: 'c-1', name: 'Ada L' }]]);
    }, 240_000);
  });

  describe.runIf(haveTools({ psql: findTool('psql') }))(
    "and Debezium captures PostgreSQL through the lab's Connect workers",
    () => {
      let rest = '';
      beforeAll(() => {
        rest = `http://127.0.0.1:${lab.port('connect-1', 'rest')}`;
      });

      it('creates its internal topics compacted at RF 3', () => {
        const described = topicCommand(['--describe', '--topic', 'cdc-configs']);
        expect(described.output).toMatch(
          /PartitionCount: 1\s+ReplicationFactor: 3\s+Configs: .*cleanup\.policy=compact/,
        );
      }, 60_000);

      it('validates the rendered Postgres connector, and rejects a broken copy', async () => {
        const config = JSON.parse(
          file(lab.platform.cdc!.registerJob, '/etc/kafka-connect/connectors/postgres-cdc.json'),
        );
        const validate = (body: object) =>
          fetch(`${rest}/connector-plugins/${config['connector.class']}/config/validate`, {
            method: 'PUT',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          }).then(
            (r) =>
              r.json() as Promise<{ error_count: number; configs: { value: { name: string; errors: string[] } }[] }>,
          );
        const good = await validate({ ...config, name: 'postgres-cdc' });
        expect(good.configs.filter((c) => c.value.errors.length).map((c) => c.value)).toEqual([]);
        const broken = await validate({
          ...config,
          name: 'x',
          'transforms.unwrap.delete.tombstone.handling.mode': 'shred',
        });
        expect(broken.error_count).toBeGreaterThan(0);
      }, 60_000);

      it('registers it with the rendered script and streams inserts, updates and deletes into ClickHouse', () => {
        // The lab's register job created the connector at bring-up: this run updates it, as a re-deploy would.
        const path = join(dir, 'postgres-cdc.json');
        writeFileSync(path, file(lab.platform.cdc!.registerJob, '/etc/kafka-connect/connectors/postgres-cdc.json'));
        const script = join(dir, 'register.sh');
        writeFileSync(
          script,
          renderRegisterScript({ restUrl: rest, connectors: { 'postgres-cdc': path }, timeoutSeconds: 120 }),
        );
        const registered = run(['bash', script], 150_000);
        expect(registered.output).toContain('postgres-cdc running');

        const pg = lab.platform.postgres.readWrite; // HAProxy's read-write endpoint: the Patroni leader
        const sql = [
          "INSERT INTO orders (id, customer_id, amount, status) VALUES (101, 'c-1', 10.50, 'new'), (102, 'c-2', 20.00, 'new'), (103, 'c-3', 5.25, 'new');",
          "UPDATE orders SET status = 'paid', amount = 11.00, updated_at = now() WHERE id = 101;",
          'DELETE FROM orders WHERE id = 102;',
        ].join('\n');
        const dml = run([
          'psql',
          `postgresql://app:${shared().values.secrets['postgres-app']}@127.0.0.1:${pg.port}/app`,
          '-v',
          'ON_ERROR_STOP=1',
          '-c',
          sql,
        ]);
        expect(dml.code, dml.output).toBe(0);

        const expected = [
          { id: 101, status: 'paid', amount: '11' },
          { id: 103, status: 'new', amount: '5.25' },
        ];
        const result = chdb(
          {
            statements: clickhouseDdl(),
            steps: [
              {
                query: 'SELECT id, status, toString(amount) AS amount FROM cdc.orders FINAL WHERE id > 100 ORDER BY id',
                until: expected,
                timeout: 150,
              },
              // Versions are the events' LSNs (never 0), and the delete arrived as a marked row.
              {
                query:
                  'SELECT min(version) > 0 AS lsn, countIf(is_deleted = 1) AS deletes FROM cdc.orders WHERE id > 100',
              },
            ],
          },
          200_000,
        );
        expect(result.errors).toEqual([]);
        expect(result.results[0]).toEqual(expected);
        expect(result.results[1]!.map((r) => [Number(r.lsn), Number(r.deletes)])).toEqual([[1, 1]]);
        // Heartbeats (every 10 s, as the cdc role) have run by now; the task survived them.
        const status = run(['curl', '-fsS', `${rest}/connectors/postgres-cdc/status`]);
        expect(status.output).not.toContain('FAILED');
      }, 300_000);
    },
  );
});

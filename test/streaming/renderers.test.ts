import { getProperties } from 'properties-file';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { cdcTopics, postgresBootstrap, resolveCdc } from '../../constructs/cdc/cdc-settings';
import { renderConnectProperties, renderRegisterScript } from '../../constructs/cdc/connect-config';
import { mongoConnector, postgresConnector } from '../../constructs/cdc/connectors';
import { renderPostgresTable } from '../../constructs/cdc/postgres-tables';
import { DEMO_STREAMS } from '../../constructs/cdc/streams';
import { renderCdcDdl, renderSinkSelect } from '../../constructs/clickhouse/cdc-ddl';
import {
  renderKeeperConfig,
  renderServerConfig,
  renderUsersConfig,
} from '../../constructs/clickhouse/clickhouse-config';
import { renderServerProperties } from '../../constructs/kafka/server-properties';
import { renderTopicsScript, resolveTopics, topicCommands } from '../../constructs/kafka/topics';
import { renderMongoInit, renderMongodConf } from '../../constructs/mongo/mongo-config';
import { LoopbackPlacement, NetworkPlacement, type Placement } from '../../constructs/platform/placement';
import { renderPostBootstrap } from '../../constructs/postgres/patroni-config';

const docker = new NetworkPlacement();
const voters = [1, 2, 3].map((id) => ({ name: `kafka-${id}`, id }));
const serverProps = (placement: Placement = docker, role: 'combined' | 'broker' | 'controller' = 'combined') =>
  getProperties(
    renderServerProperties({
      node: { ...voters[1]!, role },
      voters,
      hostPort: 9093,
      logDir: '/var/lib/kafka/data',
      replicationFactor: 3,
      minInsyncReplicas: 2,
      partitions: 3,
      session: { timeoutMs: 4000, heartbeatMs: 1000 },
      placement,
    }),
  );

describe('server.properties', () => {
  it('advertises the node name inside the network and 127.0.0.1 on the host, on the port it listens on', () => {
    const p = serverProps();
    expect(p['listeners']).toBe('INTERNAL://0.0.0.0:19092,HOST://0.0.0.0:9093,CONTROLLER://0.0.0.0:19093');
    expect(p['advertised.listeners']).toBe('INTERNAL://kafka-2:19092,HOST://127.0.0.1:9093');
    expect(p['inter.broker.listener.name']).toBe('INTERNAL');
    expect(p['controller.quorum.voters']).toBe('1@kafka-1:19093,2@kafka-2:19093,3@kafka-3:19093');
  });

  it('takes every address from the placement: in the lab all listeners are on 127.0.0.1 ports of their own', () => {
    const p = serverProps(new LoopbackPlacement('/tmp/lab', 40000));
    const ports = p['listeners']!.match(/:(\d+)/g)!;
    expect(new Set(ports).size).toBe(3);
    expect(p['listeners']).not.toContain('0.0.0.0');
    const host = p['listeners']!.match(/HOST:\/\/127\.0\.0\.1:(\d+)/)![1];
    expect(p['advertised.listeners']).toContain(`HOST://127.0.0.1:${host}`);
    expect(p['log.dirs']).toBe('/var/lib/kafka/data');
  });

  it('sets the durability defaults explicitly', () => {
    expect(serverProps()).toMatchObject({
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
      'unclean.leader.election.enable': 'false',
      'auto.create.topics.enable': 'false',
      'process.roles': 'broker,controller',
      'broker.session.timeout.ms': '4000',
      'broker.heartbeat.interval.ms': '1000',
    });
  });

  it('gives a dedicated controller no broker listener and a broker no controller listener', () => {
    const controller = serverProps(docker, 'controller');
    expect(controller['process.roles']).toBe('controller');
    expect(controller['listeners']).toBe('CONTROLLER://0.0.0.0:19093');
    expect(controller['advertised.listeners']).toBeUndefined();
    const broker = serverProps(docker, 'broker');
    expect(broker['process.roles']).toBe('broker');
    expect(broker['listeners']).not.toContain('CONTROLLER');
  });
});

describe('topics', () => {
  const cluster = { brokers: 3, replicationFactor: 3, minInsyncReplicas: 2 };

  it('creates idempotently and converges config, bracketing list values for kafka-configs', () => {
    const [topic] = resolveTopics('kafka.topics', [{ name: 'orders', cleanupPolicy: 'compact,delete' }], cluster);
    const c = topicCommands(topic!, 'kafka-1:19092');
    expect(c.topics).toEqual(expect.arrayContaining(['--create', '--if-not-exists', '--replication-factor', '3']));
    expect(c.configs.at(-1)).toBe('retention.ms=604800000,cleanup.policy=[compact,delete]');
    const script = renderTopicsScript([topic!], 'kafka-1:19092', '/opt/kafka/bin');
    expect(script).toContain(
      'retry /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka-1:19092 --create --if-not-exists --topic orders',
    );
    // One listing decides, per topic, between creating it and converging its config.
    expect(script).toContain(
      'existing=$(retry /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka-1:19092 --list)',
    );
    expect(script).toMatch(
      /if exists orders; then\n {2}retry [^\n]*kafka-configs\.sh[^\n]*\nelse\n {2}retry [^\n]*--create/,
    );
    // A bracketed value is quoted for the shell; plain words stay as they are.
    expect(script).toContain(String.raw`--add-config retention.ms\=604800000\,cleanup.policy\=\[compact\,delete\]`);
  });
});

describe('connect and connectors', () => {
  const settings = resolveCdc({});

  it('renders a worker config whose secrets come from the environment', () => {
    const p = getProperties(
      renderConnectProperties({
        worker: 'connect-1',
        bootstrapServers: 'kafka-1:19092',
        groupId: 'cdc',
        topics: { configs: 'c', offsets: 'o', status: 's' },
        replicationFactor: 3,
        pluginPath: '/kafka/connect',
        placement: docker,
      }),
    );
    expect(p).toMatchObject({
      'config.storage.replication.factor': '3',
      'offset.storage.replication.factor': '3',
      'status.storage.replication.factor': '3',
      'rest.advertised.host.name': 'connect-1',
      listeners: 'http://0.0.0.0:8083',
      'config.providers.env.class': 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
      // A crashed worker's connectors move within 30 s, not Connect's default 5 min.
      'scheduled.rebalance.max.delay.ms': '30000',
    });
  });

  it('points the Postgres connector at the read-write endpoint and the permanent slot, never creating either', () => {
    const c = postgresConnector({
      readWrite: { host: 'haproxy', port: 5000 },
      database: 'app',
      user: 'debezium',
      passwordEnv: 'PW',
      caFileEnv: 'CA',
      topicPrefix: 'pg',
      slot: 'debezium',
      publication: 'debezium',
      heartbeatTable: 'debezium_heartbeat',
      heartbeatMs: 10000,
      snapshotMode: 'initial',
      streams: DEMO_STREAMS.filter((s) => s.source === 'postgres'),
    });
    expect(c).toMatchObject({
      'database.hostname': 'haproxy',
      'database.port': '5000',
      'database.password': '${env:PW}',
      'database.sslmode': 'verify-full',
      'database.sslrootcert': '${env:CA}',
      'plugin.name': 'pgoutput',
      'slot.drop.on.stop': 'false',
      'publication.autocreate.mode': 'disabled',
      'table.include.list': 'public.orders',
      'snapshot.mode': 'initial',
      'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
      'transforms.unwrap.delete.tombstone.handling.mode': 'rewrite',
      'transforms.unwrap.add.fields': 'op,lsn,source.ts_ms',
    });
    expect(c['heartbeat.action.query']).toMatch(/^INSERT INTO public\.debezium_heartbeat /);
  });

  it('scopes the Mongo connector to the application database over the replica-set string', () => {
    const c = mongoConnector({
      connectionString: 'mongodb://mongo-1:27017,mongo-2:27017/?replicaSet=rs0&authSource=admin',
      database: 'app',
      user: 'debezium',
      passwordEnv: 'PW',
      topicPrefix: 'mongo',
      heartbeatMs: 10000,
      snapshotMode: 'initial',
      streams: DEMO_STREAMS.filter((s) => s.source === 'mongo'),
    });
    expect(c).toMatchObject({
      'capture.scope': 'database',
      'capture.target': 'app',
      'collection.include.list': 'app.customers',
      'capture.mode': 'change_streams_update_full',
      'transforms.unwrap.type': 'io.debezium.connector.mongodb.transforms.ExtractNewDocumentState',
    });
  });

  it('derives one topic per stream and a heartbeat topic per connector', () => {
    expect(cdcTopics(settings, 'app').map((t) => t.name)).toEqual([
      'pg.public.orders',
      'mongo.app.customers',
      '__debezium-heartbeat.pg',
      '__debezium-heartbeat.mongo',
    ]);
  });

  it('registers with PUT (idempotent) and waits for RUNNING', () => {
    const script = renderRegisterScript({
      restUrl: 'http://connect-1:8083',
      connectors: { 'postgres-cdc': '/c/postgres-cdc.json' },
      timeoutSeconds: 60,
    });
    expect(script).toContain('-X PUT');
    expect(script).toContain('"$url/connectors/$name/config"');
    expect(script).toContain('register postgres-cdc /c/postgres-cdc.json');
    expect(script).not.toContain('${');
  });
});

describe('Postgres bootstrap for CDC', () => {
  const script = renderPostBootstrap({ database: 'app', appUser: 'app', cdc: postgresBootstrap(resolveCdc({}))! });

  it('creates a least-privilege REPLICATION role, the tables, and the publication, reading the password from env', () => {
    expect(script).toContain(`-v cdc_password="$DEBEZIUM_DB_PASSWORD"`);
    expect(script).toContain(`CREATE ROLE debezium LOGIN REPLICATION PASSWORD :'cdc_password';`);
    expect(script).toContain('GRANT SELECT ON orders TO debezium;');
    expect(script).toContain('GRANT SELECT, INSERT, UPDATE ON debezium_heartbeat TO debezium;');
    expect(script).toContain('CREATE PUBLICATION debezium FOR TABLE orders, debezium_heartbeat;');
    expect(script).not.toMatch(/SUPERUSER|GRANT ALL|CREATE ON DATABASE/);
    // The tables belong to the application role, created before the publication.
    expect(script.indexOf('SET ROLE app;')).toBeLessThan(script.indexOf('CREATE TABLE orders'));
    expect(script.indexOf('CREATE TABLE orders')).toBeLessThan(script.indexOf('CREATE PUBLICATION'));
  });

  it('renders the demo table with an identity key', () => {
    expect(renderPostgresTable(DEMO_STREAMS[0]!)).toContain('id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY');
  });
});

describe('MongoDB', () => {
  it('renders mongod.conf with the replica set and the keyfile', () => {
    const conf = parse(
      renderMongodConf({
        member: 'mongo-1',
        replicaSet: 'rs0',
        dataDir: '/data/db',
        keyFile: '/etc/mongo/keyfile',
        tls: { certificateKeyFile: '/etc/mongo/member.pem', caFile: '/etc/dataplatform/tls/ca.crt' },
        cacheSizeGb: 0.25,
        placement: docker,
      }),
    );
    expect(conf).toEqual({
      storage: { dbPath: '/data/db', wiredTiger: { engineConfig: { cacheSizeGB: 0.25 } } },
      net: {
        port: 27017,
        bindIp: '0.0.0.0',
        // No plaintext connection; clients authenticate with SCRAM, so they need no certificate.
        tls: {
          mode: 'requireTLS',
          certificateKeyFile: '/etc/mongo/member.pem',
          CAFile: '/etc/dataplatform/tls/ca.crt',
          allowConnectionsWithoutCertificates: true,
        },
      },
      replication: { replSetName: 'rs0' },
      security: { keyFile: '/etc/mongo/keyfile' },
    });
  });

  it('initiates with host names and reads every password from env', () => {
    const script = renderMongoInit({
      replicaSet: 'rs0',
      members: ['mongo-1:27017', 'mongo-2:27017', 'mongo-3:27017'],
      rootUser: 'root',
      database: 'app',
      appUser: 'app',
      cdcUser: 'debezium',
      collections: ['customers'],
      adminUsers: [],
      timeoutSeconds: 300,
      tlsCAFile: '/etc/dataplatform/tls/ca.crt',
    });
    expect(script).not.toMatch(/127\.0\.0\.1|localhost/);
    expect(script).toContain('"mongo-2:27017"');
    expect(script).toContain('env.MONGO_ROOT_PASSWORD');
    expect(script).toContain('env.MONGO_CDC_PASSWORD');
    // Valid JavaScript (mongosh's own globals are only referenced, not called).
    expect(() => new Function(script)).not.toThrow();
  });

  it('creates, then on a re-run updates, each further admin user with its password from env', () => {
    const roles = [{ role: 'clusterMonitor', db: 'admin' }];
    const script = renderMongoInit({
      replicaSet: 'rs0',
      members: ['mongo-1:27017'],
      rootUser: 'root',
      database: 'app',
      appUser: 'app',
      collections: [],
      adminUsers: [{ user: 'exporter', passwordEnv: 'MONGO_EXPORTER_PASSWORD', roles }],
      timeoutSeconds: 1,
      tlsCAFile: '/etc/dataplatform/tls/ca.crt',
    });
    // mongosh stand-ins: an initiated one-member set whose users exist on the second run.
    const uris: string[] = [];
    const run = (usersExist: boolean) => {
      const commands: { db: string; command: Record<string, unknown> }[] = [];
      const db = (name: string) => ({
        getName: () => name,
        getUser: () => (usersExist ? {} : null),
        getCollectionNames: () => [],
        runCommand: (command: Record<string, unknown>) => {
          commands.push({ db: name, command });
          return { ok: 1, members: [{ stateStr: 'PRIMARY' }] };
        },
      });
      const Mongo = class {
        getDB = db;
        constructor(uri: string) {
          uris.push(uri);
        }
      };
      const env = { MONGO_ROOT_PASSWORD: 'r', MONGO_APP_PASSWORD: 'a', MONGO_EXPORTER_PASSWORD: 'e' };
      new Function('process', 'Mongo', 'sleep', 'print', script)(
        { env },
        Mongo,
        () => {},
        () => {},
      );
      return commands;
    };
    expect(run(false)).toContainEqual({ db: 'admin', command: { createUser: 'exporter', pwd: 'e', roles } });
    expect(run(true)).toContainEqual({ db: 'admin', command: { updateUser: 'exporter', pwd: 'e', roles } });
    // Every connection over TLS, checked against the platform CA.
    expect(uris.length).toBeGreaterThan(0);
    for (const uri of uris) expect(uri).toContain('tls=true&tlsCAFile=%2Fetc%2Fdataplatform%2Ftls%2Fca.crt');
  });
});

describe('ClickHouse', () => {
  const sinks = DEMO_STREAMS.map((stream) => ({ stream, topic: `t.${stream.table}` }));

  it('lands each topic through a Kafka table and a view in ReplacingMergeTree(version, is_deleted)', () => {
    const ddl = renderCdcDdl({ database: 'cdc', sinks, brokers: 'kafka-1:19092', replicated: true });
    expect(ddl).toHaveLength(1 + 3 * sinks.length);
    expect(ddl[1]).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version, is_deleted)",
    );
    expect(ddl[2]).toContain("kafka_topic_list = 't.orders'");
    expect(ddl[2]).toContain("kafka_group_name = 'clickhouse-cdc-orders'");
    expect(ddl[3]).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS cdc\.orders_mv TO cdc\.orders AS/);
  });

  it('versions Postgres rows by LSN and Mongo documents by oplog time, and marks rewritten deletes', () => {
    expect(renderSinkSelect(DEMO_STREAMS[0]!, 'q')).toContain('toUInt64(ifNull(__lsn, 0)) AS version');
    expect(renderSinkSelect(DEMO_STREAMS[1]!, 'q')).toContain('bitShiftLeft(');
    expect(renderSinkSelect(DEMO_STREAMS[1]!, 'q')).toContain(
      "toUInt8(ifNull(__deleted, 'false') = 'true') AS is_deleted",
    );
  });

  it('configures Keeper, replicas and users in YAML, with the password from env', () => {
    const keeper = parse(
      renderKeeperConfig({
        node: 'keeper-2',
        id: 2,
        ensemble: [1, 2, 3].map((id) => ({ name: `keeper-${id}`, id })),
        dataDir: '/k',
        metricsPort: 9363,
        placement: docker,
      }),
    );
    expect(keeper.keeper_server.server_id).toBe(2);
    expect(keeper.prometheus).toMatchObject({ endpoint: '/metrics', port: 9363, metrics: true });
    expect(keeper.keeper_server.raft_configuration.server).toHaveLength(3);
    const server = parse(
      renderServerConfig({
        server: 'clickhouse-1',
        replicas: ['clickhouse-1', 'clickhouse-2'],
        keepers: ['keeper-1'],
        memoryMb: 1024,
        placement: docker,
      }),
    );
    expect(server.macros).toEqual({ shard: '01', replica: 'clickhouse-1' });
    // Sized from the node's limit: 80 % for the server, an eighth for the mark cache.
    expect(server.max_server_memory_usage).toBe(819 * 1024 * 1024);
    expect(server.mark_cache_size).toBe(128 * 1024 * 1024);
    expect(server.zookeeper.node).toEqual([{ host: 'keeper-1', port: 9181 }]);
    const users = parse(renderUsersConfig('platform'));
    expect(users.users.platform.password).toEqual({ '@from_env': 'CLICKHOUSE_PLATFORM_PASSWORD' });
    expect(users.users.default.networks.ip).toEqual(['::1', '127.0.0.1']);
  });
});

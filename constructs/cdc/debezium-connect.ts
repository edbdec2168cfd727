import { Construct } from 'constructs';
import type { KafkaCluster } from '../kafka/kafka-cluster';
import type { MongoReplicaSet } from '../mongo/mongo-replica-set';
import { platformOf } from '../platform/context';
import { IMAGES } from '../platform/images';
import type { NodeSpec, PortRef } from '../platform/node-spec';
import { ValidationError, checkInt, checkPinned } from '../platform/validation';
import type { PostgresHa } from '../postgres/postgres-ha';
import type { CdcProps, CdcSettings } from './cdc-settings';
import { changeTopic, streamsOf } from './cdc-settings';
import { monitorCdc } from './cdc-monitoring';
import {
  CONNECT_REST_PORT,
  renderConnectProperties,
  renderConnectorJson,
  renderRegisterScript,
} from './connect-config';
import { mongoConnector, postgresConnector, type ConnectorConfig } from './connectors';
import { PLATFORM_CA_PATH } from '../platform/tls';

export interface DebeziumConnectConstructProps {
  /** The cdc settings as given (worker count, memory, image…)… */
  readonly props: CdcProps;
  /** …and as resolved (streams, connector names). */
  readonly settings: CdcSettings;
  readonly kafka: KafkaCluster;
  readonly postgres: PostgresHa;
  /** Absent when the platform runs no MongoDB. */
  readonly mongo?: MongoReplicaSet;
}

/** Env vars of the workers that Connect's EnvVarConfigProvider hands to the connectors. */
export const CONNECTOR_PASSWORD_ENV = { postgres: 'CDC_POSTGRES_PASSWORD', mongo: 'CDC_MONGO_PASSWORD' } as const;
/** Env var holding the platform CA's path in the worker, for connectors that check a server certificate. */
export const CONNECT_CA_FILE_ENV = 'PLATFORM_CA_FILE';

const CONFIG_PATH = '/etc/kafka-connect/connect-distributed.properties';
const CONNECTORS_DIR = '/etc/kafka-connect/connectors';
const KAFKA_HOME = '/kafka';
const REGISTER_JOB = 'connect-register';

/** A Kafka Connect cluster running Debezium, and the job that registers its connectors. */
export class DebeziumConnect extends Construct {
  readonly workers: readonly NodeSpec[];
  readonly registerJob: NodeSpec;
  /** Connector name → its configuration, as registered. */
  readonly connectors: Readonly<Record<string, ConnectorConfig>>;
  readonly settings: CdcSettings;
  /** Captured table → the topic its change events go to. */
  readonly topics: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, input: DebeziumConnectConstructProps) {
    super(scope, id);
    const platform = platformOf(this);
    const p = platform.placement;
    const { props, settings: s } = input;
    this.settings = s;
    this.topics = Object.fromEntries(
      s.streams.map((stream) => [stream.table, changeTopic(s, stream, input.mongo?.database ?? '')]),
    );
    const count = checkInt('cdc.workers', props.workers ?? 2, { min: 1, max: 9 });
    const image = checkPinned('cdc.image', props.image ?? IMAGES.debeziumConnect);
    const memoryMb = checkInt('cdc.memoryMb', props.memoryMb ?? 640, { min: 384 });
    const heapMb = checkInt('cdc.heapMb', props.heapMb ?? 256, { min: 256, max: Math.floor(memoryMb * 0.75) });
    const restHostPort = checkInt('cdc.restHostPort', props.restHostPort ?? CONNECT_REST_PORT, {
      min: 1024,
      max: 65535 - count,
    });

    const connectors: Record<string, ConnectorConfig> = {};
    const env: Record<string, string> = { KAFKA_HEAP_OPTS: `-Xms${heapMb}m -Xmx${heapMb}m` };
    // What the connectors need; the workers themselves need only the brokers, so they start beside the topics job.
    const connectorsNeed: string[] = [input.kafka.topicsJob.name];
    // Declared rather than derived from dependsOn, which would open every port of the brokers and of the jobs' targets.
    const workersConnectTo: PortRef[] = input.kafka.brokers.map((b) => ({ node: b.name, port: 'internal' }));
    const pgStreams = streamsOf(s, 'postgres');
    if (pgStreams.length > 0) {
      const patroni = input.postgres.patroni.settings;
      const slot = patroni.logicalSlots.find((l) => l.name === s.postgres.slot);
      if (!slot || slot.database !== patroni.database || (slot.plugin ?? 'pgoutput') !== 'pgoutput') {
        throw new ValidationError(
          `cdc.postgres.slot '${s.postgres.slot}' is not a permanent pgoutput slot on database '${patroni.database}': ` +
            `declare it in postgres.patroni.logicalSlots, or Patroni does not keep it across failover and changes are lost`,
        );
      }
      env[CONNECTOR_PASSWORD_ENV.postgres] = platform.secret({
        name: 'postgres-cdc',
        description: `Postgres CDC role (${s.postgres.user})`,
      });
      connectors['postgres-cdc'] = postgresConnector({
        readWrite: input.postgres.readWrite,
        database: patroni.database,
        user: s.postgres.user,
        passwordEnv: CONNECTOR_PASSWORD_ENV.postgres,
        caFileEnv: CONNECT_CA_FILE_ENV,
        topicPrefix: s.postgres.topicPrefix,
        slot: s.postgres.slot,
        publication: s.postgres.publication,
        heartbeatTable: s.postgres.heartbeatTable,
        heartbeatMs: s.heartbeatIntervalMs,
        snapshotMode: s.postgres.snapshotMode,
        streams: pgStreams,
      });
      connectorsNeed.push(input.postgres.haproxy.name);
      workersConnectTo.push({ node: input.postgres.haproxy.name, port: 'primary' });
    }
    const mongoStreams = streamsOf(s, 'mongo');
    if (mongoStreams.length > 0) {
      if (!input.mongo) {
        throw new ValidationError(
          `cdc.streams[${mongoStreams[0]!.table}] captures MongoDB, but mongo is disabled: enable mongo or remove the stream`,
        );
      }
      env[CONNECTOR_PASSWORD_ENV.mongo] = platform.secret({
        name: 'mongo-cdc',
        description: `MongoDB change-stream user (${s.mongo.user})`,
      });
      connectors['mongo-cdc'] = mongoConnector({
        connectionString: input.mongo.connectionString,
        database: input.mongo.database,
        user: s.mongo.user,
        passwordEnv: CONNECTOR_PASSWORD_ENV.mongo,
        topicPrefix: s.mongo.topicPrefix,
        heartbeatMs: s.heartbeatIntervalMs,
        snapshotMode: s.mongo.snapshotMode,
        streams: mongoStreams,
      });
      connectorsNeed.push(input.mongo.initJob.name);
      workersConnectTo.push(...input.mongo.members.map((m) => ({ node: m.name, port: 'mongo' })));
    }
    this.connectors = connectors;

    const names = Array.from({ length: count }, (_, i) => `connect-${i + 1}`);
    const workers = names.map((name, i): NodeSpec => ({
      name,
      component: 'kafka-connect',
      role: 'worker',
      image,
      // The image's entrypoint runs any command other than `start` as given: Connect on our file.
      command: [`${KAFKA_HOME}/bin/connect-distributed.sh`, CONFIG_PATH],
      env: { ...env, [CONNECT_CA_FILE_ENV]: p.path(name, PLATFORM_CA_PATH) },
      files: [
        {
          path: CONFIG_PATH,
          content: renderConnectProperties({
            worker: name,
            bootstrapServers: input.kafka.bootstrapServers,
            groupId: 'cdc',
            topics: { configs: 'cdc-configs', offsets: 'cdc-offsets', status: 'cdc-status' },
            replicationFactor: input.kafka.replicationFactor,
            pluginPath: p.path(name, `${KAFKA_HOME}/connect`),
            placement: p,
          }),
        },
      ],
      ports: [
        {
          name: 'rest',
          port: p.port(name, 'rest', CONNECT_REST_PORT),
          hostPort: restHostPort + i,
          plaintext: 'Kafka Connect REST is plaintext and unauthenticated until its login lands (issue 11)',
        },
      ],
      volumes: [],
      // Connect keeps its state (configs, offsets, status) in Kafka topics, none on disk.
      stateful: false,
      health: {
        test: ['CMD', 'curl', '-fsS', `http://127.0.0.1:${CONNECT_REST_PORT}/`],
        intervalSeconds: 10,
        startPeriodSeconds: 60,
      },
      memoryMb,
      dependsOn: input.kafka.brokers.map((b) => b.name),
      connectsTo: workersConnectTo,
      // Worker i runs beside broker i where machines are shared (Connect keeps no state of its own).
      ...(input.kafka.brokers[i] ? { host: input.kafka.brokers[i]!.name } : {}),
    }));
    this.workers = monitorCdc(this, workers);

    const files = Object.keys(connectors).map((name) => `${CONNECTORS_DIR}/${name}.json`);
    this.registerJob = {
      name: REGISTER_JOB,
      component: 'kafka-connect',
      role: 'init',
      image,
      command: ['bash', `${CONNECTORS_DIR}/register.sh`],
      env: {},
      files: [
        ...Object.values(connectors).map((config, i) => ({
          path: files[i]!,
          content: renderConnectorJson(config),
        })),
        {
          path: `${CONNECTORS_DIR}/register.sh`,
          content: renderRegisterScript({
            restUrl: `http://${p.host(names[0]!)}:${p.port(names[0]!, 'rest', CONNECT_REST_PORT)}`,
            connectors: Object.fromEntries(
              Object.keys(connectors).map((name, i) => [name, p.path(REGISTER_JOB, files[i]!)]),
            ),
            timeoutSeconds: 300,
          }),
          mode: '0755',
        },
      ],
      ports: [],
      volumes: [],
      stateful: false,
      oneShot: true,
      memoryMb: 128,
      dependsOn: [...names, ...connectorsNeed],
      connectsTo: names.map((name) => ({ node: name, port: 'rest' })),
    };
    platform.addNodes([...this.workers, this.registerJob]);
  }
}

import type { Endpoint } from '../platform/node-spec';
import type { CdcStream } from './streams';

/** Connector configuration as Kafka Connect's REST API takes it: every value a string. */
export type ConnectorConfig = Readonly<Record<string, string>>;

export type SnapshotMode = 'initial' | 'no_data' | 'when_needed';

/** Topic Debezium writes a stream's change events to. */
export function streamTopic(prefix: string, database: string, stream: CdcStream): string {
  return stream.source === 'postgres' ? `${prefix}.public.${stream.table}` : `${prefix}.${database}.${stream.table}`;
}

/** Topic Debezium writes heartbeats to (`topic.heartbeat.prefix` left at its default). */
export function heartbeatTopic(prefix: string): string {
  return `__debezium-heartbeat.${prefix}`;
}

/** Kafka Connect resolves `${env:NAME}` from the worker's environment (EnvVarConfigProvider), so no password is in the JSON. */
export function envReference(name: string): string {
  return `\${env:${name}}`;
}

/**
 * Shared by both connectors: schemaless JSON, so ClickHouse reads each value as
 * one flat JSON row, and the unwrap transform that turns the change envelope
 * into the row after the change. Deletes are rewritten into a row with
 * `__deleted: "true"` (and no tombstone follows), so the sink can mark the row
 * deleted instead of dropping the event.
 */
function common(snapshotMode: SnapshotMode, heartbeatMs: number, unwrapType: string, metadata: string) {
  return {
    'tasks.max': '1',
    'snapshot.mode': snapshotMode,
    'heartbeat.interval.ms': String(heartbeatMs),
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    'tombstones.on.delete': 'false',
    transforms: 'unwrap',
    'transforms.unwrap.type': unwrapType,
    'transforms.unwrap.delete.tombstone.handling.mode': 'rewrite',
    'transforms.unwrap.add.fields': metadata,
  };
}

export interface PostgresConnectorInput {
  /** The HAProxy read-write endpoint, so the connector follows the leader after a failover. */
  readonly readWrite: Endpoint;
  readonly database: string;
  readonly user: string;
  readonly passwordEnv: string;
  /** Worker env var naming the platform CA file (its path differs per worker in the lab). */
  readonly caFileEnv: string;
  readonly topicPrefix: string;
  /** A Patroni permanent slot: it survives failover, and the connector never creates or drops it. */
  readonly slot: string;
  /** Created at bootstrap (publication.autocreate.mode=disabled), so the connector needs no CREATE privilege. */
  readonly publication: string;
  readonly heartbeatTable: string;
  readonly heartbeatMs: number;
  readonly snapshotMode: SnapshotMode;
  readonly streams: readonly CdcStream[];
}

/**
 * Debezium Postgres connector over pgoutput. The heartbeat writes to a table in
 * the publication, so the slot's confirmed position advances even while the
 * captured tables are idle and WAL is not retained without bound.
 */
export function postgresConnector(input: PostgresConnectorInput): ConnectorConfig {
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'database.hostname': input.readWrite.host,
    'database.port': String(input.readWrite.port),
    'database.dbname': input.database,
    'database.user': input.user,
    'database.password': envReference(input.passwordEnv),
    // pgjdbc checks the member's certificate (HAProxy passes it through) and that it names the endpoint's host.
    'database.sslmode': 'verify-full',
    'database.sslrootcert': envReference(input.caFileEnv),
    'topic.prefix': input.topicPrefix,
    'plugin.name': 'pgoutput',
    'slot.name': input.slot,
    'slot.drop.on.stop': 'false',
    'publication.name': input.publication,
    'publication.autocreate.mode': 'disabled',
    // Also how often the connector probes its connection. A leader shutting down for a switchover waits for this
    // logical walsender to go; at the default 10 s that held a switchover's writes for ~8 s in the lab.
    'status.update.interval.ms': '1000',
    'table.include.list': input.streams.map((s) => `public.${s.table}`).join(','),
    'heartbeat.action.query':
      `INSERT INTO public.${input.heartbeatTable} (id, ts) VALUES (1, now()) ` +
      'ON CONFLICT (id) DO UPDATE SET ts = EXCLUDED.ts',
    // Exact decimals as strings, not base64 bytes, so the sink can parse them.
    'decimal.handling.mode': 'string',
    ...common(
      input.snapshotMode,
      input.heartbeatMs,
      'io.debezium.transforms.ExtractNewRecordState',
      'op,lsn,source.ts_ms',
    ),
  };
}

export interface MongoConnectorInput {
  /** Replica-set connection string without credentials. */
  readonly connectionString: string;
  readonly database: string;
  readonly user: string;
  readonly passwordEnv: string;
  readonly topicPrefix: string;
  readonly heartbeatMs: number;
  readonly snapshotMode: SnapshotMode;
  readonly streams: readonly CdcStream[];
}

/**
 * Debezium MongoDB connector on change streams, scoped to the application
 * database (so its user needs no cluster-wide read). Updates carry the full
 * document, which the sink needs to replace the row.
 */
export function mongoConnector(input: MongoConnectorInput): ConnectorConfig {
  return {
    'connector.class': 'io.debezium.connector.mongodb.MongoDbConnector',
    'mongodb.connection.string': input.connectionString,
    'mongodb.user': input.user,
    'mongodb.password': envReference(input.passwordEnv),
    'mongodb.authsource': 'admin',
    'topic.prefix': input.topicPrefix,
    'capture.mode': 'change_streams_update_full',
    'capture.scope': 'database',
    'capture.target': input.database,
    'collection.include.list': input.streams.map((s) => `${input.database}.${s.table}`).join(','),
    ...common(
      input.snapshotMode,
      input.heartbeatMs,
      'io.debezium.connector.mongodb.transforms.ExtractNewDocumentState',
      'op,ord,source.ts_ms',
    ),
  };
}

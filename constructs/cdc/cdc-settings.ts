import type { CdcBootstrap } from '../postgres/patroni-config';
import type { ImageRef } from '../platform/node-spec';
import { ValidationError, checkInt } from '../platform/validation';
import type { KafkaTopic } from '../kafka/topics';
import { heartbeatTopic, streamTopic, type SnapshotMode } from './connectors';
import { renderHeartbeatTable, renderPostgresTable } from './postgres-tables';
import { DEMO_STREAMS, checkStreams, type CdcStream } from './streams';

export interface PostgresCaptureProps {
  /** @default 'pg' */
  readonly topicPrefix?: string;
  /** Must be one of postgres.patroni.logicalSlots, so Patroni keeps it across failover. @default 'debezium' */
  readonly slot?: string;
  /** @default 'debezium' */
  readonly publication?: string;
  /** Login role with REPLICATION, created at bootstrap. @default 'debezium' */
  readonly user?: string;
  /** `initial`: snapshot the tables once, then stream. @default 'initial' */
  readonly snapshotMode?: SnapshotMode;
}

export interface MongoCaptureProps {
  /** @default 'mongo' */
  readonly topicPrefix?: string;
  /** Read-only change-stream user, created by the mongo-init job. @default 'debezium' */
  readonly user?: string;
  /** @default 'initial' */
  readonly snapshotMode?: SnapshotMode;
}

export interface CdcProps {
  /** Tables and collections to capture and land in ClickHouse. @default DEMO_STREAMS (orders, customers) */
  readonly streams?: readonly CdcStream[];
  /** Kafka Connect workers; connectors' tasks move to a surviving worker. @default 2 */
  readonly workers?: number;
  /** @default see PostgresCaptureProps */
  readonly postgres?: PostgresCaptureProps;
  /** @default see MongoCaptureProps */
  readonly mongo?: MongoCaptureProps;
  /** @default 10000 */
  readonly heartbeatIntervalMs?: number;
  /** Partitions of each change topic. @default 3 */
  readonly topicPartitions?: number;
  /** Retention of each change topic; ClickHouse and the CDC archive bucket keep history. @default 604800000 (7 days) */
  readonly topicRetentionMs?: number;
  /** Host port of worker 1's REST API; worker n uses restHostPort + n - 1. @default 8083 */
  readonly restHostPort?: number;
  /** JVM heap per worker, at most 3/4 of memoryMb. @default 256 */
  readonly heapMb?: number;
  /** @default 640 */
  readonly memoryMb?: number;
  /** @default IMAGES.debeziumConnect */
  readonly image?: ImageRef;
}

export interface CdcSettings {
  readonly streams: readonly CdcStream[];
  readonly postgres: Required<PostgresCaptureProps> & { readonly heartbeatTable: string };
  readonly mongo: Required<MongoCaptureProps>;
  readonly heartbeatIntervalMs: number;
  readonly topicPartitions: number;
  readonly topicRetentionMs: number;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const PREFIX = /^[a-zA-Z0-9_-]{1,64}$/;

function check(setting: string, value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new ValidationError(`${setting} '${value}' must be ${what}`);
  return value;
}

/** Resolves the CDC settings on their own; the platform checks them against the other components. */
export function resolveCdc(props: CdcProps): CdcSettings {
  const pg = props.postgres ?? {};
  const mongo = props.mongo ?? {};
  const ident = 'a lower-case SQL identifier';
  const postgres = {
    topicPrefix: check('cdc.postgres.topicPrefix', pg.topicPrefix ?? 'pg', PREFIX, 'letters, digits, _ or -'),
    slot: check('cdc.postgres.slot', pg.slot ?? 'debezium', IDENTIFIER, ident),
    publication: check('cdc.postgres.publication', pg.publication ?? 'debezium', IDENTIFIER, ident),
    user: check('cdc.postgres.user', pg.user ?? 'debezium', IDENTIFIER, ident),
    snapshotMode: pg.snapshotMode ?? 'initial',
    heartbeatTable: 'debezium_heartbeat',
  };
  const resolvedMongo = {
    topicPrefix: check('cdc.mongo.topicPrefix', mongo.topicPrefix ?? 'mongo', PREFIX, 'letters, digits, _ or -'),
    user: check('cdc.mongo.user', mongo.user ?? 'debezium', IDENTIFIER, ident),
    snapshotMode: mongo.snapshotMode ?? 'initial',
  };
  if (postgres.topicPrefix === resolvedMongo.topicPrefix) {
    throw new ValidationError(
      `cdc.mongo.topicPrefix '${resolvedMongo.topicPrefix}' is also cdc.postgres.topicPrefix: ` +
        `topic prefixes must be unique, or both connectors write the same topics`,
    );
  }
  const streams = checkStreams('cdc.streams', props.streams ?? DEMO_STREAMS);
  if (streams.some((s) => s.table === postgres.heartbeatTable)) {
    throw new ValidationError(`cdc.streams: '${postgres.heartbeatTable}' is the connector's heartbeat table`);
  }
  return {
    streams,
    postgres,
    mongo: resolvedMongo,
    heartbeatIntervalMs: checkInt('cdc.heartbeatIntervalMs', props.heartbeatIntervalMs ?? 10_000, {
      min: 1000,
      max: 600_000,
    }),
    topicPartitions: checkInt('cdc.topicPartitions', props.topicPartitions ?? 3, { min: 1, max: 1000 }),
    topicRetentionMs: props.topicRetentionMs ?? 7 * 24 * 3600 * 1000,
  };
}

export function streamsOf(settings: CdcSettings, source: CdcStream['source']): readonly CdcStream[] {
  return settings.streams.filter((s) => s.source === source);
}

/** Topic of each stream, in stream order. */
export function changeTopic(settings: CdcSettings, stream: CdcStream, mongoDatabase: string): string {
  return stream.source === 'postgres'
    ? streamTopic(settings.postgres.topicPrefix, 'public', stream)
    : streamTopic(settings.mongo.topicPrefix, mongoDatabase, stream);
}

/** Every topic the connectors write: one per stream, and a heartbeat topic per connector. */
export function cdcTopics(settings: CdcSettings, mongoDatabase: string): KafkaTopic[] {
  const change = { partitions: settings.topicPartitions, retentionMs: settings.topicRetentionMs };
  const heartbeat = { partitions: 1, retentionMs: 24 * 3600 * 1000 };
  const sources = [...new Set(settings.streams.map((s) => s.source))];
  return [
    ...settings.streams.map((s) => ({ name: changeTopic(settings, s, mongoDatabase), ...change })),
    ...sources.map((source) => ({ name: heartbeatTopic(settings[source].topicPrefix), ...heartbeat })),
  ];
}

/** What Postgres creates at bootstrap for the connector, or nothing when no Postgres table is captured. */
export function postgresBootstrap(settings: CdcSettings): CdcBootstrap | undefined {
  const tables = streamsOf(settings, 'postgres');
  if (tables.length === 0) return undefined;
  const { user, publication, heartbeatTable } = settings.postgres;
  return {
    user,
    publication,
    tables: tables.map((s) => ({ name: s.table, ddl: renderPostgresTable(s) })),
    heartbeatTable: { name: heartbeatTable, ddl: renderHeartbeatTable(heartbeatTable) },
  };
}

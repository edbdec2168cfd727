import type { CdcStream, ColumnType } from '../cdc/streams';

/** One CDC sink: a captured table and the Kafka topic its change events arrive on. */
export interface CdcSink {
  readonly stream: CdcStream;
  readonly topic: string;
}

export interface CdcDdlInput {
  readonly database: string;
  readonly sinks: readonly CdcSink[];
  /** Kafka bootstrap servers (internal listeners). */
  readonly brokers: string;
  /**
   * ReplicatedReplacingMergeTree, with the Keeper path from the `{shard}` and `{replica}`
   * macros. Off only where no Keeper runs (the embedded engine in the tests).
   */
  readonly replicated: boolean;
}

/**
 * How each type travels: its column in the Kafka queue table (as Debezium's
 * JSON carries it, nullable because a rewritten delete carries only the key),
 * its column in the target table, and the expression between the two.
 */
const TYPES: Record<ColumnType, { queue: string; target: string; convert: (c: string) => string }> = {
  int64: { queue: 'Nullable(Int64)', target: 'Int64', convert: (c) => `ifNull(${c}, 0)` },
  text: { queue: 'Nullable(String)', target: 'String', convert: (c) => `ifNull(${c}, '')` },
  decimal: {
    queue: 'Nullable(String)',
    target: 'Decimal(18, 2)',
    convert: (c) => `toDecimal64OrZero(ifNull(${c}, ''), 2)`,
  },
  timestamp: {
    queue: 'Nullable(String)',
    target: "DateTime64(6, 'UTC')",
    convert: (c) => `parseDateTime64BestEffortOrZero(ifNull(${c}, ''), 6, 'UTC')`,
  },
};

/**
 * Metadata the unwrap transform adds (see cdc/connectors.ts) and how it becomes
 * the row version: Postgres's LSN, or MongoDB's oplog timestamp (seconds in the
 * high 32 bits, ordinal within the second in the low 32), both increasing per row.
 */
const METADATA: Record<CdcStream['source'], { columns: Record<string, string>; version: string }> = {
  postgres: {
    columns: { __op: 'Nullable(String)', __lsn: 'Nullable(UInt64)', __source_ts_ms: 'Nullable(Int64)' },
    version: 'ifNull(__lsn, 0)',
  },
  mongo: {
    columns: { __op: 'Nullable(String)', __ord: 'Nullable(UInt32)', __source_ts_ms: 'Nullable(Int64)' },
    version: 'bitShiftLeft(toUInt64(intDiv(ifNull(__source_ts_ms, 0), 1000)), 32) + ifNull(__ord, 0)',
  },
};

const quoteIdent = (name: string) => `\`${name}\``;
const quoteString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Target table: the latest version of each row; `FINAL` hides rows whose last version is a delete. */
export function renderTargetTable(database: string, stream: CdcStream, replicated: boolean): string {
  const engine = replicated
    ? "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version, is_deleted)"
    : 'ReplacingMergeTree(version, is_deleted)';
  const columns = [
    ...stream.columns.map((c) => `${quoteIdent(c.name)} ${TYPES[c.type].target}`),
    'version UInt64',
    'is_deleted UInt8',
  ];
  return [
    `CREATE TABLE IF NOT EXISTS ${database}.${stream.table} (`,
    columns.map((c) => `  ${c}`).join(',\n'),
    `) ENGINE = ${engine}`,
    `ORDER BY ${quoteIdent(stream.key)};`,
  ].join('\n');
}

/** Kafka engine table: a consumer of the change topic, read only by the materialized view. */
export function renderQueueTable(database: string, sink: CdcSink, brokers: string): string {
  const { stream } = sink;
  const columns = [
    ...stream.columns.map((c) => `${quoteIdent(c.name)} ${TYPES[c.type].queue}`),
    ...Object.entries(METADATA[stream.source].columns).map(([name, type]) => `${name} ${type}`),
    '__deleted Nullable(String)',
  ];
  const settings = {
    kafka_broker_list: brokers,
    kafka_topic_list: sink.topic,
    // One group per table: replicas share its partitions, each row is inserted once.
    kafka_group_name: `clickhouse-${database}-${stream.table}`,
    kafka_format: 'JSONEachRow',
  };
  return [
    `CREATE TABLE IF NOT EXISTS ${database}.${stream.table}_queue (`,
    columns.map((c) => `  ${c}`).join(',\n'),
    ') ENGINE = Kafka',
    `SETTINGS ${Object.entries(settings)
      .map(([k, v]) => `${k} = ${quoteString(v)}`)
      .join(',\n  ')};`,
  ].join('\n');
}

/** The SELECT that turns a queue row into a target row; `from` is the queue table. */
export function renderSinkSelect(stream: CdcStream, from: string): string {
  const columns = stream.columns.map((c) => `${TYPES[c.type].convert(quoteIdent(c.name))} AS ${quoteIdent(c.name)}`);
  return [
    'SELECT',
    [
      ...columns,
      `toUInt64(${METADATA[stream.source].version}) AS version`,
      "toUInt8(ifNull(__deleted, 'false') = 'true') AS is_deleted",
    ]
      .map((c) => `  ${c}`)
      .join(',\n'),
    `FROM ${from}`,
  ].join('\n');
}

/** Materialized view moving every consumed batch from the queue into the target table. */
export function renderSinkView(database: string, stream: CdcStream): string {
  return [
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.${stream.table}_mv TO ${database}.${stream.table} AS`,
    `${renderSinkSelect(stream, `${database}.${stream.table}_queue`)};`,
  ].join('\n');
}

/** Every statement, in order: database, then per sink the target, the queue, and the view between them. */
export function renderCdcDdl(input: CdcDdlInput): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${input.database};`,
    ...input.sinks.flatMap((sink) => [
      renderTargetTable(input.database, sink.stream, input.replicated),
      renderQueueTable(input.database, sink, input.brokers),
      renderSinkView(input.database, sink.stream),
    ]),
  ];
}

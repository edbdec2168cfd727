import { ValidationError } from '../platform/validation';

/**
 * Column types a CDC stream carries end to end. Each maps to a Postgres type,
 * to what Debezium's JSON carries for it (decimals as strings, timestamps as
 * ISO-8601 strings) and to a ClickHouse type.
 */
export type ColumnType = 'int64' | 'text' | 'decimal' | 'timestamp';

export interface StreamColumn {
  readonly name: string;
  readonly type: ColumnType;
}

/** One table (Postgres) or collection (MongoDB) captured by Debezium and landed in ClickHouse. */
export interface CdcStream {
  readonly source: 'postgres' | 'mongo';
  /** Table in schema `public` of the application database, or collection in the Mongo application database. */
  readonly table: string;
  /** Primary key column (Postgres), or `_id` (MongoDB). */
  readonly key: string;
  /** Every column, the key included. MongoDB streams carry `int64` and `text` only. */
  readonly columns: readonly StreamColumn[];
}

/**
 * The demo data flow: orders in Postgres, customers in MongoDB. Debezium
 * captures both into Kafka, and ClickHouse keeps the latest version of each row.
 */
export const DEMO_STREAMS: readonly CdcStream[] = [
  {
    source: 'postgres',
    table: 'orders',
    key: 'id',
    columns: [
      { name: 'id', type: 'int64' },
      { name: 'customer_id', type: 'text' },
      { name: 'amount', type: 'decimal' },
      { name: 'status', type: 'text' },
      { name: 'updated_at', type: 'timestamp' },
    ],
  },
  {
    source: 'mongo',
    table: 'customers',
    key: '_id',
    columns: [
      { name: '_id', type: 'text' },
      { name: 'name', type: 'text' },
      { name: 'email', type: 'text' },
      { name: 'country', type: 'text' },
    ],
  },
];

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks the streams: identifiers, one key among the columns, no duplicate table per source, Mongo types. */
export function checkStreams(setting: string, streams: readonly CdcStream[]): readonly CdcStream[] {
  const seen = new Set<string>();
  for (const s of streams) {
    const at = `${setting}[${s.table}]`;
    if (!IDENTIFIER.test(s.table)) {
      throw new ValidationError(`${at}.table must be a lower-case identifier (got '${s.table}')`);
    }
    if (seen.has(s.table)) {
      throw new ValidationError(
        `${setting}: table '${s.table}' is captured twice; each table lands in one ClickHouse table of the same name`,
      );
    }
    seen.add(s.table);
    const names = s.columns.map((c) => c.name);
    for (const name of names) {
      if (!IDENTIFIER.test(name)) throw new ValidationError(`${at}.columns: '${name}' is not a lower-case identifier`);
      if (names.indexOf(name) !== names.lastIndexOf(name)) {
        throw new ValidationError(`${at}.columns: '${name}' is declared twice`);
      }
    }
    if (!names.includes(s.key)) {
      throw new ValidationError(`${at}.key '${s.key}' is not one of its columns (${names.join(', ')})`);
    }
    if (s.source === 'mongo') {
      if (s.key !== '_id')
        throw new ValidationError(`${at}.key must be '_id' for a MongoDB collection (got '${s.key}')`);
      const bad = s.columns.find((c) => c.type !== 'int64' && c.type !== 'text');
      if (bad) {
        throw new ValidationError(
          `${at}.columns[${bad.name}] is ${bad.type}: MongoDB streams carry int64 and text only`,
        );
      }
    }
  }
  return streams;
}

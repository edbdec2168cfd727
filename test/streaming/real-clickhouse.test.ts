import { describe, expect, it } from 'vitest';
import { renderSinkSelect } from '../../constructs/clickhouse/cdc-ddl';
import { DEMO_STREAMS } from '../../constructs/cdc/streams';
import { dockerPlatform, file, node } from '../helpers';
import { haveTools } from '../real-tools/tools';
import { chdb, chdbPython } from './chdb';

const platform = dockerPlatform();
const rendered = file(node(platform, 'clickhouse-ddl'), '/etc/clickhouse-ddl/cdc.sql');
const statements = rendered.split(/;\n(?:\n|$)/).filter((s) => s.trim());
/** chDB runs no Keeper: the same statements with the replicated engine's Keeper path and replica name dropped. */
const local = statements.map((s) =>
  s.replace(/ReplicatedReplacingMergeTree\('[^']*', '[^']*', /, 'ReplacingMergeTree('),
);
const literal = (sql: string) => `'${sql.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A change event as the unwrap transform writes it: the row, plus op, version fields and `__deleted`. */
const order = (id: number, lsn: number, row: Record<string, unknown> | null) =>
  row
    ? { id, ...row, __op: 'u', __lsn: lsn, __source_ts_ms: lsn, __deleted: 'false' }
    : { id, customer_id: null, amount: null, status: null, updated_at: null, __op: 'd', __lsn: lsn, __deleted: 'true' };
const customer = (id: string, seconds: number, ord: number, row: Record<string, unknown> | null) => ({
  _id: id,
  ...(row ?? { name: null, email: null, country: null }),
  __op: row ? 'u' : 'd',
  __ord: ord,
  __source_ts_ms: seconds * 1000,
  __deleted: row ? 'false' : 'true',
});

describe.runIf(haveTools({ chdb: chdbPython }))('ClickHouse (chDB 26.9) runs the rendered CDC DDL', () => {
  it('parses every rendered statement, the replicated engines included', () => {
    const result = chdb({
      statements: [],
      steps: statements.map((s) => ({ query: `SELECT formatQuery(${literal(s)}) AS q` })),
    });
    expect(result.errors).toEqual([]);
    expect(result.results).toHaveLength(statements.length);
  });

  it('applies it, and FINAL shows each row as of its last change: updates applied, deletes gone, replays ignored', () => {
    // Change events arrive through a Null table with the queue's columns and the view's
    // rendered SELECT, each batch its own insert (so its own part, as from Kafka).
    const paid = { customer_id: 'c-1', amount: '11.00', status: 'paid', updated_at: '2026-11-01T10:05:00.250000Z' };
    const result = chdb({
      statements: [
        ...local,
        'CREATE TABLE cdc.orders_probe AS cdc.orders_queue ENGINE = Null',
        `CREATE MATERIALIZED VIEW cdc.orders_probe_mv TO cdc.orders AS ${renderSinkSelect(DEMO_STREAMS[0]!, 'cdc.orders_probe')}`,
        'CREATE TABLE cdc.customers_probe AS cdc.customers_queue ENGINE = Null',
        `CREATE MATERIALIZED VIEW cdc.customers_probe_mv TO cdc.customers AS ${renderSinkSelect(DEMO_STREAMS[1]!, 'cdc.customers_probe')}`,
      ],
      steps: [
        { insert: 'cdc.orders_probe', rows: [order(1, 100, { ...paid, amount: '10.50', status: 'new' })] },
        { insert: 'cdc.orders_probe', rows: [order(2, 110, { ...paid, customer_id: 'c-2', status: 'new' })] },
        { insert: 'cdc.orders_probe', rows: [order(1, 200, paid)] },
        { insert: 'cdc.orders_probe', rows: [order(2, 300, null)] },
        // At-least-once delivery: an old event delivered again.
        { insert: 'cdc.orders_probe', rows: [order(1, 100, { ...paid, amount: '10.50', status: 'new' })] },
        {
          query:
            'SELECT id, customer_id, toString(amount) AS amount, status, toString(updated_at) AS at FROM cdc.orders FINAL ORDER BY id',
        },
        { query: 'SELECT count() AS versions FROM cdc.orders' },
        { insert: 'cdc.customers_probe', rows: [customer('c-1', 10, 1, { name: 'Ada', email: 'a@x', country: 'UK' })] },
        {
          insert: 'cdc.customers_probe',
          rows: [customer('c-1', 10, 2, { name: 'Ada L', email: 'a@x', country: 'UK' })],
        },
        { insert: 'cdc.customers_probe', rows: [customer('c-2', 11, 1, { name: 'Bo', email: 'b@x', country: 'SE' })] },
        { insert: 'cdc.customers_probe', rows: [customer('c-2', 12, 1, null)] },
        { query: 'SELECT _id, name FROM cdc.customers FINAL ORDER BY _id' },
      ],
    });
    expect(result.errors).toEqual([]);
    const [orders, versions, customers] = result.results;
    expect(orders).toEqual([
      { id: 1, customer_id: 'c-1', amount: '11', status: 'paid', at: '2026-11-01 10:05:00.250000' },
    ]);
    // Without FINAL older versions may still be stored: FINAL is what makes the answer right.
    expect(Number(versions![0]!.versions)).toBeGreaterThanOrEqual(1);
    expect(customers).toEqual([{ _id: 'c-1', name: 'Ada L' }]);
  });

  it('rejects a broken copy, so the check is not a no-op', () => {
    const broken = local.map((s) => s.replace('version, is_deleted)', 'version, status)'));
    expect(chdb({ statements: broken }).errors.length).toBeGreaterThan(0);
  });
});

import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../scripts/chaos/scenarios';
import { sinkQuery } from '../../scripts/chaos/scenarios/clickhouse';
import { majorityInsert, memberUri, stepDownCommand } from '../../scripts/chaos/scenarios/mongo';

// No MongoDB or ClickHouse server runs here: these check what the scenarios send; the flows are unverified.
describe('MongoDB scenario commands', () => {
  it('connects to one member directly, with the credentials escaped and short timeouts', () => {
    const uri = new URL(memberUri('127.0.0.1:27018', 'root', 'p@ss/word'));
    expect(uri.host).toBe('127.0.0.1:27018');
    expect(decodeURIComponent(uri.password)).toBe('p@ss/word');
    expect(uri.searchParams.get('directConnection')).toBe('true');
    expect(uri.searchParams.get('authSource')).toBe('admin');
    expect(Number(uri.searchParams.get('serverSelectionTimeoutMS'))).toBeLessThanOrEqual(2000);
  });

  it('acknowledges a write only once a majority has it', () => {
    const { doc, options } = majorityInsert('run-1', '7');
    expect(doc).toMatchObject({ run: 'run-1', key: '7' });
    expect(options.writeConcern).toEqual({ w: 'majority', wtimeoutMS: 5000 });
  });

  it('steps the primary down with a catch-up period, so a secondary with every write can win', () => {
    expect(stepDownCommand(60)).toEqual({ replSetStepDown: 60, secondaryCatchUpPeriodSecs: 10 });
  });
});

describe('ClickHouse scenario query', () => {
  it('reads the sink table FINAL, so replayed events collapse, and only this run’s ids', () => {
    expect(sinkQuery('cdc', 1_700_000_000_000.7)).toBe(
      'SELECT toString(id) AS id, count() AS n FROM cdc.orders FINAL WHERE id > 1700000000000 GROUP BY id FORMAT JSONEachRow',
    );
  });
});

describe('scenarios that cannot run in the lab', () => {
  it.each(['mongo-primary-crash', 'mongo-stepdown', 'clickhouse-restart'])(
    '%s is offered for docker and aws only',
    (name) => {
      expect(SCENARIOS.find((s) => s.name === name)?.drivers).toEqual(['docker', 'aws']);
    },
  );
});

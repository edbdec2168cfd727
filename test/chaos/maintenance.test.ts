import { describe, expect, it } from 'vitest';
import { MAX_STATEMENT_SECONDS, zeroErrorProblems } from '../../scripts/chaos/scenarios/maintenance';
import type { Op } from '../../scripts/chaos/types';

const op = (key: string, ms: number, ok = true, error?: string): Op => ({
  key,
  startedAt: 1000,
  endedAt: 1000 + ms,
  ok,
  ...(error ? { error } : {}),
});

describe('the zero-error check of a planned switchover', () => {
  it('passes a history with no failure and no statement slower than the bound', () => {
    expect(zeroErrorProblems([op('1', 5), op('2', MAX_STATEMENT_SECONDS * 1000)])).toEqual([]);
  });

  it('names failed statements and a statement slower than the bound (negative controls)', () => {
    expect(zeroErrorProblems([op('1', 5), op('2', 40, false, 'server closed the connection')])).toEqual([
      '1 client statements failed (first: server closed the connection)',
    ]);
    expect(zeroErrorProblems([op('1', 3200)])).toEqual(['worst statement latency 3.20 s exceeds 3 s']);
  });
});

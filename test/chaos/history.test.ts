import { describe, expect, it } from 'vitest';
import { checkHistory, timeline } from '../../scripts/chaos/history';
import type { Op } from '../../scripts/chaos/types';

const op = (key: string, startedAt: number, endedAt: number, ok: boolean): Op => ({ key, startedAt, endedAt, ok });
const present = (...keys: string[]) => ({ present: new Map(keys.map((k) => [k, 1])) });
const fault = { description: 'kill', at: 1000 };

describe('checkHistory', () => {
  const ops = [
    op('1', 0, 10, true),
    op('2', 900, 1100, false),
    op('3', 1200, 1300, false),
    op('4', 1500, 4000, true),
    op('5', 4100, 4200, true),
  ];

  it('finds no loss when every acknowledged key is readable', () => {
    const h = checkHistory(ops, present('1', '4', '5'), fault);
    expect(h).toMatchObject({ attempted: 5, acknowledged: 3, lostKeys: [], duplicates: 0, unacknowledgedPresent: 0 });
  });

  it('counts an acknowledged key that is missing as lost (the RPO)', () => {
    expect(checkHistory(ops, present('1', '5'), fault).lostKeys).toEqual(['4']);
  });

  it('measures RTO from the fault to the first acknowledged op started after it', () => {
    // Op 1 was acknowledged before the fault and does not count; op 4 started after it and ended at 4000.
    expect(checkHistory(ops, present('1', '4', '5'), fault).rtoSeconds).toBe(3);
  });

  it('starts the outage at the first failure the fault caused, not at the fault', () => {
    // A planned switchover: writes go on for 1.5 s after the request, fail, then recover.
    const switchover = [
      op('1', 1000, 1010, true),
      op('2', 2400, 2500, false),
      op('3', 2450, 2600, true),
      op('4', 2600, 3100, true),
    ];
    // Op 3 started before the first failure was seen and does not count as recovery; op 4 does.
    expect(checkHistory(switchover, present('1', '3', '4'), fault).rtoSeconds).toBe(2.1);
  });

  it('has an RTO of about zero when the fault caused no failure', () => {
    expect(checkHistory([op('1', 1005, 1010, true)], present('1'), fault).rtoSeconds).toBeCloseTo(0.01);
  });

  it('has no RTO when nothing was acknowledged after the fault', () => {
    expect(checkHistory(ops.slice(0, 3), present('1'), fault).rtoSeconds).toBeUndefined();
  });

  it('counts duplicates and unacknowledged-but-present writes apart from losses', () => {
    const h = checkHistory(
      ops,
      {
        present: new Map([
          ['1', 2],
          ['2', 1],
          ['4', 1],
          ['5', 1],
        ]),
      },
      fault,
    );
    expect(h).toMatchObject({ lostKeys: [], duplicates: 1, unacknowledgedPresent: 1 });
  });
});

describe('timeline', () => {
  it('buckets successes and failures per 100 ms from the first completion', () => {
    const t = timeline([op('a', 0, 1000, true), op('b', 0, 1050, false), op('c', 0, 1250, true)]);
    expect(t).toEqual({ start: 1000, ok: [1, 0, 1], failed: [1, 0, 0] });
  });

  it('handles more ops than a function call takes arguments', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => op(String(i), i, i + 1, true));
    expect(timeline(many).ok.reduce((a, b) => a + b, 0)).toBe(200_000);
  });
});

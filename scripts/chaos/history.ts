/** Judging a run from its history and readback alone (no status pages). */
import type { Fault, Op, Readback } from './types';

export interface HistoryCheck {
  readonly attempted: number;
  readonly acknowledged: number;
  readonly lostKeys: string[];
  readonly duplicates: number;
  readonly unacknowledgedPresent: number;
  /**
   * Seconds from the fault to the first acknowledged op started after the first
   * failure the fault caused (or after the fault itself, if nothing failed).
   */
  readonly rtoSeconds?: number;
}

export function checkHistory(ops: readonly Op[], readback: Readback, fault: Fault): HistoryCheck {
  const acked = new Set(ops.filter((o) => o.ok).map((o) => o.key));
  const unacked = new Set(ops.filter((o) => !o.ok && !acked.has(o.key)).map((o) => o.key));
  // The outage starts at the first failure the fault caused: for a crash at once, for a planned
  // switchover a moment later. Recovery is the first acknowledged op started after that.
  const outageStart = ops
    .filter((o) => !o.ok && o.endedAt >= fault.at)
    .reduce((m, o) => Math.min(m, o.endedAt), Infinity);
  const from = Number.isFinite(outageStart) ? outageStart : fault.at;
  const recoveredAt = ops.filter((o) => o.ok && o.startedAt >= from).reduce((m, o) => Math.min(m, o.endedAt), Infinity);
  const firstAfter = Number.isFinite(recoveredAt) ? recoveredAt : undefined;
  return {
    attempted: ops.length,
    acknowledged: acked.size,
    lostKeys: [...acked].filter((k) => !readback.present.has(k)),
    duplicates: [...readback.present.values()].filter((n) => n > 1).length,
    unacknowledgedPresent: [...unacked].filter((k) => readback.present.has(k)).length,
    ...(firstAfter === undefined ? {} : { rtoSeconds: (firstAfter - fault.at) / 1000 }),
  };
}

/** Successes and errors per bucket of `bucketMs`, from the first op to the last: the report's timeline. */
export function timeline(ops: readonly Op[], bucketMs = 100): { start: number; ok: number[]; failed: number[] } {
  if (ops.length === 0) return { start: 0, ok: [], failed: [] };
  // reduce, not Math.min(...): a run has more ops than a call has room for arguments.
  const start = ops.reduce((m, o) => Math.min(m, o.endedAt), Infinity);
  const end = ops.reduce((m, o) => Math.max(m, o.endedAt), -Infinity);
  const n = Math.floor((end - start) / bucketMs) + 1;
  const ok = new Array<number>(n).fill(0);
  const failed = new Array<number>(n).fill(0);
  for (const o of ops) (o.ok ? ok : failed)[Math.floor((o.endedAt - start) / bucketMs)]!++;
  return { start, ok, failed };
}

/**
 * Planned maintenance that clients must not notice: the operator commands of
 * scripts/ops run under a recorded workload. Beyond RPO 0, no client statement
 * may fail and none may wait longer than MAX_STATEMENT_SECONDS.
 */
import { timings } from '../patroni';
import { zeroErrorSwitchover } from '../../ops/switchover';
import type { Op, ScenarioDefinition } from '../types';
import { newLeaderRunning, pgRun, splitBrain } from './patroni';

/** Worst statement latency a planned switchover may cause (the goal). */
export const MAX_STATEMENT_SECONDS = 3;
/** The writers' timeout: long enough that a stall is measured as latency, not turned into an error. */
const WRITE_TIMEOUT_MS = 15_000;

/** Failures of the zero-error promise in a history: any failed op, any op slower than the bound. */
export function zeroErrorProblems(ops: readonly Op[], maxSeconds = MAX_STATEMENT_SECONDS): string[] {
  const failed = ops.filter((o) => !o.ok);
  const worst = ops.reduce((m, o) => Math.max(m, o.endedAt - o.startedAt), 0) / 1000;
  return [
    ...(failed.length ? [`${failed.length} client statements failed (first: ${failed[0]!.error})`] : []),
    ...(worst > maxSeconds ? [`worst statement latency ${worst.toFixed(2)} s exceeds ${maxSeconds} s`] : []),
  ];
}

const pausedSwitchover: ScenarioDefinition = {
  name: 'patroni-zero-error-switchover',
  description: `'npm run ops -- switchover' under writes through PgBouncer: PAUSE, switchover, wait for HAProxy, RESUME. No failed statement, none slower than ${MAX_STATEMENT_SECONDS} s, none lost.`,
  drivers: ['docker', 'aws', 'lab'],
  async prepare(ctx) {
    await timings(ctx.manifest); // fails early if Patroni does not answer
    let leader = '';
    let ops: Op[] = [];
    const run = await pgRun(
      ctx,
      this.name,
      {
        rtoBoundSeconds: MAX_STATEMENT_SECONDS,
        async inject() {
          const at = Date.now();
          const r = await zeroErrorSwitchover(ctx, { log: ctx.log });
          leader = r.from;
          return {
            description: `zero-error switchover ${r.from} → ${r.to} (paused ${r.pausedSeconds.toFixed(2)} s)`,
            at,
          };
        },
        recovered: () => newLeaderRunning(ctx, leader)(),
        rollback: async () => undefined,
        invariants: async () => [...(await splitBrain(ctx)), ...zeroErrorProblems(ops)],
      },
      WRITE_TIMEOUT_MS,
    );
    return {
      ...run,
      workload: () => {
        const w = run.workload();
        return { start: () => w.start(), stop: async () => (ops = await w.stop()) };
      },
    };
  },
};

export const MAINTENANCE_SCENARIOS: readonly ScenarioDefinition[] = [pausedSwitchover];

import { describe, expect, it } from 'vitest';
import { runScenario } from '../../scripts/chaos/runner';
import type { Driver, Op, ScenarioContext, ScenarioDefinition, ScenarioRun } from '../../scripts/chaos/types';

/** A scenario over an in-memory "database" whose writes fail while `down`. */
function fakeScenario(opts: {
  outageMs: number;
  loseKey?: boolean;
  bound?: number;
  steady?: boolean;
}): ScenarioDefinition {
  return {
    name: 'fake',
    description: 'in-memory',
    drivers: ['lab'],
    async prepare(): Promise<ScenarioRun> {
      const stored = new Map<string, number>();
      let downUntil = 0;
      let rolledBack = false;
      const ops: Op[] = [];
      let timer: NodeJS.Timeout | undefined;
      let n = 0;
      return {
        rtoBoundSeconds: opts.bound ?? 5,
        async steadyState() {
          if (opts.steady === false) throw new Error('never steady');
        },
        workload: () => ({
          start() {
            timer = setInterval(() => {
              const key = String(++n);
              const now = Date.now();
              const ok = now >= downUntil;
              if (ok) stored.set(key, 1);
              ops.push({ key, startedAt: now, endedAt: now, ok });
            }, 10);
          },
          async stop() {
            clearInterval(timer);
            if (opts.loseKey) stored.delete(ops.find((o) => o.ok)!.key);
            return ops;
          },
        }),
        async inject() {
          downUntil = Date.now() + opts.outageMs;
          return { description: 'outage', at: Date.now() };
        },
        recovered: async () => Date.now() >= downUntil,
        async rollback() {
          rolledBack = true;
        },
        readback: async () => ({ present: stored }),
        invariants: async () => (rolledBack ? [] : ['not rolled back']),
      };
    },
  };
}

const driver: Driver = { name: 'lab', act: async () => undefined };
const ctx: ScenarioContext = {
  manifest: { version: 1, target: 'lab', nodes: [] },
  secrets: {},
  driver,
  log: () => undefined,
};
const fast = { warmupSeconds: 0.1, settleSeconds: 0.1, steadyWithinSeconds: 1 };

describe('runScenario', () => {
  it('passes with RPO 0 and an RTO close to the outage', async () => {
    const { verdict, ops } = await runScenario(fakeScenario({ outageMs: 300 }), ctx, fast);
    expect(verdict.passed).toBe(true);
    expect(verdict.counts.lost).toBe(0);
    expect(verdict.rtoSeconds).toBeGreaterThanOrEqual(0.3);
    expect(verdict.rtoSeconds).toBeLessThan(0.6);
    expect(ops.some((o) => !o.ok)).toBe(true);
  });

  it('fails when an acknowledged write is lost', async () => {
    const { verdict } = await runScenario(fakeScenario({ outageMs: 100, loseKey: true }), ctx, fast);
    expect(verdict.passed).toBe(false);
    expect(verdict.failures).toContain('RPO: 1 acknowledged writes lost');
  });

  it('fails when recovery exceeds the bound', async () => {
    const { verdict } = await runScenario(fakeScenario({ outageMs: 1500, bound: 1 }), ctx, fast);
    expect(verdict.passed).toBe(false);
    expect(verdict.failures.join()).toMatch(/RTO 1\.\d s exceeds the bound of 1 s/);
  });

  it('refuses to inject a fault without a steady state', async () => {
    await expect(runScenario(fakeScenario({ outageMs: 0, steady: false }), ctx, fast)).rejects.toThrow(
      /no steady state within 1 s: never steady/,
    );
  });
});

/** Runs one scenario through its phases and judges it from the history. */
import { checkHistory } from './history';
import type { Op, ScenarioContext, ScenarioDefinition, Verdict } from './types';

export interface RunOptions {
  /** Seconds of workload before the fault. @default 3 */
  readonly warmupSeconds?: number;
  /** Seconds of workload after recovery, so the history shows writes flowing again. @default 3 */
  readonly settleSeconds?: number;
  /** Seconds to wait for the steady state, before and after. @default 120 */
  readonly steadyWithinSeconds?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 250 ms until it holds or `deadline` passes; returns when it held, or undefined. */
async function pollUntil(check: () => Promise<boolean>, deadline: number): Promise<number | undefined> {
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return Date.now();
    await sleep(250);
  }
  return undefined;
}

async function waitSteady(run: { steadyState(): Promise<void> }, seconds: number): Promise<string | undefined> {
  let problem = 'not checked';
  const ok = await pollUntil(
    async () => {
      try {
        await run.steadyState();
        return true;
      } catch (e) {
        problem = (e as Error).message;
        return false;
      }
    },
    Date.now() + seconds * 1000,
  );
  return ok ? undefined : problem;
}

export async function runScenario(
  def: ScenarioDefinition,
  ctx: ScenarioContext,
  opts: RunOptions = {},
): Promise<{ verdict: Verdict; ops: Op[] }> {
  const steadyWithin = opts.steadyWithinSeconds ?? 120;
  const run = await def.prepare(ctx);
  ctx.log(`${def.name}: waiting for the steady state`);
  const unsteady = await waitSteady(run, steadyWithin);
  if (unsteady) throw new Error(`${def.name}: no steady state within ${steadyWithin} s: ${unsteady}`);

  const startedAt = Date.now();
  const workload = run.workload();
  workload.start();
  await sleep((opts.warmupSeconds ?? 3) * 1000);
  const fault = await run.inject();
  ctx.log(`${def.name}: fault injected: ${fault.description}`);

  // A held fault (e.g. lost quorum) heals only once rolled back: recovery is awaited after that.
  if (run.holdSeconds !== undefined) {
    await sleep(Math.max(0, fault.at + run.holdSeconds * 1000 - Date.now()));
    await run.rollback();
    ctx.log(`${def.name}: fault rolled back after ${run.holdSeconds} s`);
  }
  // Wait past the bound, so a slow recovery is measured rather than cut off; and past the inject itself, since
  // a maintenance (a rolling restart) is injected at its start but returns only once it is done.
  const deadline = Math.max(
    fault.at + ((run.holdSeconds ?? 0) + run.rtoBoundSeconds + 15) * 1000,
    Date.now() + 15_000,
  );
  const recoveredAt = await pollUntil(run.recovered, deadline);
  ctx.log(
    recoveredAt
      ? `${def.name}: serving again ${((recoveredAt - fault.at) / 1000).toFixed(1)} s after the fault`
      : `${def.name}: NOT serving again by the deadline`,
  );
  await sleep((opts.settleSeconds ?? 3) * 1000);
  const ops = await workload.stop();
  if (run.holdSeconds === undefined) await run.rollback();

  const failures: string[] = [];
  const unsteadyAfter = await waitSteady(run, steadyWithin);
  if (unsteadyAfter)
    failures.push(`no steady state within ${steadyWithin} s after the fault was rolled back: ${unsteadyAfter}`);
  const h = checkHistory(ops, await run.readback(), fault);
  if (h.lostKeys.length) failures.push(`RPO: ${h.lostKeys.length} acknowledged writes lost`);
  if (h.rtoSeconds === undefined) failures.push('no write was acknowledged after the fault');
  else if (h.rtoSeconds > run.rtoBoundSeconds) {
    failures.push(`RTO ${h.rtoSeconds.toFixed(1)} s exceeds the bound of ${run.rtoBoundSeconds} s`);
  }
  failures.push(...((await run.invariants?.()) ?? []));

  const verdict: Verdict = {
    scenario: def.name,
    driver: ctx.driver.name,
    passed: failures.length === 0,
    failures,
    fault,
    ...(h.rtoSeconds === undefined ? {} : { rtoSeconds: h.rtoSeconds }),
    rtoBoundSeconds: run.rtoBoundSeconds,
    counts: {
      attempted: h.attempted,
      acknowledged: h.acknowledged,
      lost: h.lostKeys.length,
      duplicates: h.duplicates,
      unacknowledgedPresent: h.unacknowledgedPresent,
    },
    lostKeys: h.lostKeys.slice(0, 100),
    startedAt,
    endedAt: Date.now(),
  };
  ctx.log(
    `${def.name}: ${verdict.passed ? 'PASS' : 'FAIL'}: RTO ${h.rtoSeconds?.toFixed(1) ?? '-'} s (bound ${run.rtoBoundSeconds} s), ` +
      `RPO ${h.lostKeys.length} lost of ${h.acknowledged} acknowledged`,
  );
  return { verdict, ops };
}

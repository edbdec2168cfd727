/**
 * A planned Patroni switchover that clients do not notice: PgBouncer PAUSE
 * (in-flight transactions finish, new ones queue), the switchover, a wait until
 * HAProxy routes read-write traffic to the new leader and to nobody else, then
 * RESUME. Queued statements run late, none fails.
 *
 * The pool is never paused longer than `maxPauseSeconds`, whatever happens:
 * - a failed step: RESUME at once, and the error names the step;
 * - Ctrl-C (SIGINT/SIGTERM): RESUME at once, exit 130;
 * - the command killed (SIGKILL) or frozen: the watchdog process RESUMEs when its pipe closes
 *   (within ~100 ms) or its lease runs out (LEASE_MS);
 * - everything alive but slow: both resume at `maxPauseSeconds`.
 * What no process here can cover: the operator's machine itself dying mid-pause. Clients then wait
 * until PgBouncer's query_wait_timeout and RESUME must be run by hand on the admin console.
 */
import type pg from 'pg';
import { HAPROXY_LEADER_PATH } from '../../constructs/postgres/haproxy-config';
import { checkInt } from '../../constructs/platform/validation';
import {
  clusterMembers,
  leaderOf,
  memberNode,
  patroniNodes,
  patroniRest,
  restCredentials,
  steadyProblem,
  type PatroniMember,
} from '../chaos/patroni';
import { endpointOf, nodesOf } from '../chaos/target';
import type { ScenarioContext } from '../chaos/types';
import { LEASE_MS } from './limits';
import { adminConnect, adminTarget, pause, pausedDatabases, poolDatabases, resume } from './pgbouncer-admin';
import { startWatchdog } from './watchdog';

/** Seconds PAUSE may take (in-flight transactions finishing) before the switchover is called off. */
export const PAUSE_WITHIN_SECONDS = 3;

export interface SwitchoverOptions {
  /** Member to promote. @default the sync standby */
  readonly candidate?: string;
  /** Longest the pool may stay paused, seconds (2–60). @default 8 */
  readonly maxPauseSeconds?: number;
  readonly log?: (message: string) => void;
  /** Called once the pool is paused, with the watchdog's pid (the tests interrupt the command there). */
  readonly onPaused?: (watchdogPid: number) => void;
}

export interface SwitchoverResult {
  readonly from: string;
  readonly to: string;
  /** Seconds the pool was paused: the longest a queued statement waited. */
  readonly pausedSeconds: number;
  /** Seconds spent while paused: pausing, then switching over until HAProxy routes to the new leader alone. */
  readonly steps: Readonly<Record<'pause' | 'switchover', number>>;
}

export class SwitchoverError extends Error {
  override readonly name = 'SwitchoverError';
}

type Ctx = Pick<ScenarioContext, 'manifest' | 'secrets'>;

/** The member HAProxy sends read-write traffic to, if exactly one is up in its `primary` backend. */
export async function routedLeader(ctx: Ctx): Promise<string | undefined> {
  const router = nodesOf(ctx.manifest, 'haproxy')[0];
  if (!router) throw new Error('the topology manifest has no haproxy node');
  const res = await fetch(`http://${endpointOf(router, 'metrics')}${HAPROXY_LEADER_PATH}`, {
    signal: AbortSignal.timeout(1000),
  });
  return res.status === 200 ? (await res.text()).trim() : undefined;
}

function pickCandidate(members: readonly PatroniMember[], wanted?: string): PatroniMember {
  if (wanted) {
    const m = members.find((x) => x.name === wanted);
    if (!m)
      throw new SwitchoverError(
        `candidate ${wanted} is not a member (members: ${members.map((x) => x.name).join(', ')})`,
      );
    if (m.role === 'leader') throw new SwitchoverError(`candidate ${wanted} is the leader already`);
    if (m.state !== 'streaming') throw new SwitchoverError(`candidate ${wanted} is ${m.state}, not streaming`);
    return m;
  }
  const sync = members.find((m) => m.role === 'sync_standby' && m.state === 'streaming');
  if (!sync) throw new SwitchoverError('no streaming sync standby to switch over to');
  return sync;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rejects with `what` if `p` has not settled by `deadline`. */
async function by<T>(deadline: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SwitchoverError(what)), Math.max(0, deadline - Date.now()));
  });
  p.catch(() => undefined); // the loser of the race may reject later: not an unhandled rejection
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

export async function zeroErrorSwitchover(ctx: Ctx, opts: SwitchoverOptions = {}): Promise<SwitchoverResult> {
  const log = opts.log ?? (() => undefined);
  const maxPauseSeconds = checkInt('--max-pause', opts.maxPauseSeconds ?? 8, { min: 2, max: 60 });
  // Before anything is paused: the cluster is healthy and HAProxy routes to its leader.
  const members = await clusterMembers(ctx.manifest);
  const problem = steadyProblem(members, patroniNodes(ctx.manifest).length);
  if (problem) throw new SwitchoverError(`the cluster is not healthy, nothing done: ${problem}`);
  const leader = leaderOf(members)!;
  const candidate = pickCandidate(members, opts.candidate);
  const routed = await routedLeader(ctx);
  if (routed !== leader.name)
    throw new SwitchoverError(
      `HAProxy routes read-write to ${routed ?? 'no single member'}, not to leader ${leader.name}: nothing done`,
    );

  const admin = adminTarget(ctx);
  // Two consoles: PAUSE blocks the first until transactions finish; RESUME must never wait behind it.
  const pauser = await adminConnect(admin);
  const resumer = await adminConnect(admin);
  const databases = await poolDatabases(resumer);
  const watchdog = await startWatchdog({ admin, leaseMs: LEASE_MS, maxPauseMs: maxPauseSeconds * 1000 });
  let resumed = false;
  const resumePool = async () => {
    if (resumed) return;
    await resume(resumer);
    resumed = true;
    watchdog.disarm();
  };
  const onSignal = (sig: NodeJS.Signals) => {
    void resumePool()
      .then(() => log(`${sig}: pool resumed; the switchover may still complete on its own`))
      .catch((e: Error) => log(`${sig}: RESUME failed (${e.message}); the watchdog resumes within ${LEASE_MS} ms`))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const t0 = Date.now();
  const deadline = t0 + maxPauseSeconds * 1000;
  const steps = { pause: 0, switchover: 0 };
  let step = 'PAUSE';
  try {
    watchdog.arm();
    log(`pausing PgBouncer (up to ${maxPauseSeconds} s), then ${leader.name} → ${candidate.name}`);
    await by(
      Math.min(deadline, t0 + PAUSE_WITHIN_SECONDS * 1000),
      `PAUSE did not complete within ${PAUSE_WITHIN_SECONDS} s: a transaction is still running`,
      pause(pauser, databases),
    );
    steps.pause = (Date.now() - t0) / 1000;
    opts.onPaused?.(watchdog.pid);

    // Patroni answers the POST only on whole seconds (it polls the DCS once a second), so the
    // pool is resumed as soon as HAProxy routes to the candidate alone, answer or not; a refusal
    // (which comes at once) or an error ends the wait.
    step = 'switchover';
    const t1 = Date.now();
    let refused: string | undefined;
    postSwitchover(ctx, leader.name, candidate.name, deadline).catch((e: Error) => (refused = e.message));
    for (;;) {
      if (refused) throw new SwitchoverError(refused);
      if ((await routedLeader(ctx).catch(() => undefined)) === candidate.name) break;
      if (Date.now() > deadline)
        throw new SwitchoverError(
          `HAProxy did not route read-write to ${candidate.name} alone within ${maxPauseSeconds} s of the pause`,
        );
      await sleep(50);
    }
    steps.switchover = (Date.now() - t1) / 1000;
    step = 'RESUME';
    await resumePool();
  } catch (e) {
    const how = await resumePool().then(
      () => `pool resumed after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      (r: Error) => `RESUME failed (${r.message}), the watchdog resumes the pool when this command exits`,
    );
    pauser.end().catch(() => undefined);
    resumer.end().catch(() => undefined);
    throw new SwitchoverError(`${step} failed, ${how}: ${(e as Error).message}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const pausedSeconds = (Date.now() - t0) / 1000;
  await ensureResumed(resumer);
  pauser.end().catch(() => undefined);
  await resumer.end();
  log(
    `switched over ${leader.name} → ${candidate.name}; paused ${pausedSeconds.toFixed(2)} s (pause ${steps.pause.toFixed(2)}, switchover until routed ${steps.switchover.toFixed(2)})`,
  );
  return { from: leader.name, to: candidate.name, pausedSeconds, steps };
}

async function ensureResumed(c: pg.Client): Promise<void> {
  const still = await pausedDatabases(c);
  if (still.length) throw new SwitchoverError(`RESUME was sent but ${still.join(', ')} still paused`);
}

/** POST /switchover on the leader's REST API; Patroni answers once the new leader holds the lock. */
async function postSwitchover(ctx: Ctx, leader: string, candidate: string, deadline: number): Promise<void> {
  const res = await patroniRest(ctx.manifest, memberNode(ctx.manifest, leader), '/switchover', {
    method: 'POST',
    body: JSON.stringify({ leader, candidate }),
    auth: restCredentials(ctx.secrets),
    timeoutMs: Math.max(1, deadline - Date.now()),
  });
  if (res.status !== 200) throw new SwitchoverError(`Patroni refused: HTTP ${res.status} ${res.body.trim()}`);
}

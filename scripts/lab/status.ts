/**
 * What `npm run lab -- status` prints: a service is ready when its probe
 * answers; a one-shot job is done when it exited 0. A finished job has no
 * process left, so it is reported by its recorded exit code, never as a
 * service that is not ready.
 */
import type { LabPlan } from './plan';
import { labAlive } from './procs';
import type { JobRun, LabState } from './runtime';

export interface NodeStatus {
  readonly name: string;
  /** The service's pid, or the job's (while it runs, or the last run's). */
  readonly pid?: number;
  /** GONE: a job whose process ended with no exit code recorded (its starter was killed first). */
  readonly state: 'ready' | 'NOT READY' | 'running' | 'done' | 'FAILED' | 'GONE' | 'not run';
  /** Jobs that ended: their exit code (null: ended by a signal). */
  readonly exitCode?: number | null;
}

export function jobStatus(name: string, run: JobRun | undefined, alive: (pid: number) => boolean): NodeStatus {
  if (!run) return { name, state: 'not run' };
  if (run.exitCode === undefined) return { name, pid: run.pid, state: alive(run.pid) ? 'running' : 'GONE' };
  return { name, pid: run.pid, state: run.exitCode === 0 ? 'done' : 'FAILED', exitCode: run.exitCode };
}

/** Every planned node's status; services are probed now. */
export async function labStatus(plan: LabPlan, state: LabState): Promise<NodeStatus[]> {
  return Promise.all(
    plan.nodes.map(async ({ spec, launch }): Promise<NodeStatus> => {
      if (launch.job) return jobStatus(spec.name, state.jobs[spec.name], labAlive);
      const pid = state.pids[spec.name];
      return { name: spec.name, pid, state: pid !== undefined && (await launch.ready()) ? 'ready' : 'NOT READY' };
    }),
  );
}

function describe(s: NodeStatus): string {
  if (s.exitCode === undefined) return s.state;
  return `${s.state} (${s.exitCode === null ? 'ended by a signal' : `exit ${s.exitCode}`})`;
}

/** One line per node: name, pid, state. */
export function formatStatus(rows: readonly NodeStatus[]): string {
  const width = Math.max(...rows.map((r) => r.name.length)) + 2;
  return rows.map((r) => `${r.name.padEnd(width)}pid ${String(r.pid ?? '-').padEnd(8)} ${describe(r)}`).join('\n');
}

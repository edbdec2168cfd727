/**
 * Starts, watches and stops the lab's processes. Every process is its own
 * process group, logs to <root>/logs/<node>.log and has the lab root in its
 * command line, so teardown can always find whatever is left.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Profile } from '../../constructs/profiles';
import { materialize, planLab, type LabNode, type LabPlan, type LabValues, type PlanOptions } from './plan';
import { tcpProbe } from './natives';
import { clearPartitions, inNodeCgroup } from './partition';
import { labAlive } from './procs';

export interface LabState {
  readonly root: string;
  readonly basePort: number;
  /** @default 'default' */
  readonly profile?: Profile;
  /** Services: the pid of each running one. */
  readonly pids: Record<string, number>;
  /** One-shot jobs: each one started, with its exit code once it ended. */
  readonly jobs: Record<string, JobRun>;
  /** This run's secrets and generated IDs, for restarts and for clients such as the chaos workloads (the file is mode 0600). */
  readonly values: LabValues;
}

export interface JobRun {
  readonly pid: number;
  /** Absent while it runs; null when a signal ended it (as at its time limit). */
  readonly exitCode?: number | null;
}

export interface RunningLab extends LabState {
  readonly plan: LabPlan;
  readonly manifestPath: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The unprivileged user servers run as when the lab is started by root (Postgres refuses to run as root). */
function serviceUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error("lab: no 'postgres' user to run the servers as: run scripts/lab/setup.sh first");
  }
}

function logTail(path: string, lines = 30): string {
  if (!existsSync(path)) return '(no log)';
  return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
}

export function logFile(root: string, node: string): string {
  return join(root, 'logs', `${node}.log`);
}

/** argv run as the lab's service user (Postgres and PgBouncer refuse root). */
export function asServiceUser(argv: readonly string[]): string[] {
  const user = serviceUser();
  return user ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', ...argv] : [...argv];
}

/** Runs the node's prepare commands, then starts its process (again, for a restart) in its cgroup. */
function startProcess(root: string, basePort: number, node: LabNode): ChildProcess {
  const log = openSync(logFile(root, node.spec.name), 'a');
  try {
    for (const command of node.launch.prepare ?? []) {
      const [cmd, ...args] = asServiceUser(command);
      const r = spawnSync(cmd!, args, {
        env: node.launch.env,
        cwd: node.dir,
        stdio: ['ignore', log, log],
        timeout: 120_000,
      });
      if (r.status !== 0) {
        throw new Error(
          `lab: preparing ${node.spec.name} failed (${command.join(' ')}). Last log lines:\n${logTail(logFile(root, node.spec.name))}`,
        );
      }
    }
    const [cmd, ...args] = inNodeCgroup(basePort, node.spec.name, asServiceUser(node.launch.argv));
    const child = spawn(cmd!, args, {
      env: node.launch.env,
      cwd: node.dir,
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`lab: could not start ${node.spec.name} (${cmd})`);
    return child;
  } finally {
    closeSync(log);
  }
}

/** Starts one node's process (again, for a restart) and returns its pid. */
export function spawnNode(root: string, basePort: number, node: LabNode): number {
  return startProcess(root, basePort, node).pid!;
}

/** Runs a one-shot job to completion, recording its exit code; fails with its log if it exits non-zero or runs too long. */
async function runJob(state: LabState, node: LabNode, child: ChildProcess): Promise<void> {
  const { root } = state;
  const limit = node.launch.readyWithinSeconds;
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, limit * 1000);
    child.once('exit', (c) => (clearTimeout(timer), resolve(c)));
  });
  state.jobs[node.spec.name] = { pid: child.pid!, exitCode: code };
  writeState(state);
  if (code !== 0) {
    throw new Error(
      `lab: job ${node.spec.name} ${code === null ? `did not finish within ${limit} s` : `exited ${code}`}. ` +
        `Last log lines:\n${logTail(logFile(root, node.spec.name))}`,
    );
  }
}

async function waitReady(root: string, node: LabNode, pid: number): Promise<void> {
  const deadline = Date.now() + node.launch.readyWithinSeconds * 1000;
  while (Date.now() < deadline) {
    if (await node.launch.ready()) return;
    if (!labAlive(pid)) {
      throw new Error(
        `lab: ${node.spec.name} exited during start-up. Last log lines:\n${logTail(logFile(root, node.spec.name))}`,
      );
    }
    await sleep(250);
  }
  throw new Error(
    `lab: ${node.spec.name} did not become ready within ${node.launch.readyWithinSeconds} s ` +
      `(probe: ${node.launch.probeDescription}). Last log lines:\n${logTail(logFile(root, node.spec.name))}`,
  );
}

export interface StartOptions extends Pick<PlanOptions, 'ids' | 'settings' | 'profile'> {
  readonly root: string;
  readonly basePort: number;
  /** Only nodes for which this holds (and what they depend on) are started. @default every node */
  readonly include?: (node: LabNode) => boolean;
  readonly progress?: (message: string) => void;
}

/**
 * Brings the lab up: each node starts as soon as the nodes it depends on are
 * ready, and start-up fails, naming the node, if any node is not ready in time.
 * On failure everything started is stopped and the root is kept for diagnosis.
 */
export async function startLab(opts: StartOptions): Promise<RunningLab> {
  const plan = planLab(opts.root, opts.basePort, { ids: opts.ids, settings: opts.settings, profile: opts.profile });
  const wanted = selectNodes(plan, opts.include);
  for (const node of wanted) {
    for (const port of node.spec.ports) {
      if (await tcpProbe(port.port)()) {
        throw new Error(
          `lab: port ${port.port} (${node.spec.name} ${port.name}) is already in use: is another lab running? Try 'npm run lab -- down'.`,
        );
      }
    }
  }
  materialize(plan, serviceUser());
  mkdirSync(join(plan.root, 'logs'), { recursive: true });
  const pids: Record<string, number> = {};
  const state: LabState = {
    root: plan.root,
    basePort: opts.basePort,
    profile: opts.profile,
    pids,
    jobs: {},
    values: plan.values,
  };
  const ready = new Map<string, Promise<void>>();
  const t0 = Date.now();
  try {
    for (const node of wanted) {
      const deps = node.spec.dependsOn.map((d) => ready.get(d)!);
      ready.set(
        node.spec.name,
        Promise.all(deps).then(async () => {
          const startedAt = Date.now();
          const child = startProcess(plan.root, opts.basePort, node);
          if (node.launch.job) {
            state.jobs[node.spec.name] = { pid: child.pid! };
            writeState(state);
            await runJob(state, node, child);
          } else {
            pids[node.spec.name] = child.pid!;
            writeState(state);
            await waitReady(plan.root, node, child.pid!);
          }
          // Started when its dependencies were ready; the difference is its own start-up (prepare included).
          const at = (t: number) => ((t - t0) / 1000).toFixed(1);
          opts.progress?.(
            `${node.spec.name} ${node.launch.job ? 'done' : 'ready'} at ${at(Date.now())} s (started at ${at(startedAt)} s)`,
          );
        }),
      );
    }
    await Promise.all(ready.values());
  } catch (error) {
    // Let in-flight starts settle so nothing is spawned after the teardown.
    await Promise.allSettled(ready.values());
    stopLab(state, { keepRoot: true });
    throw error;
  }
  const manifestPath = join(plan.root, 'topology.json');
  writeFileSync(manifestPath, JSON.stringify(plan.manifest(pids), null, 2));
  return { ...state, plan, manifestPath };
}

function selectNodes(plan: LabPlan, include?: (node: LabNode) => boolean): LabNode[] {
  if (!include) return [...plan.nodes];
  const names = new Set<string>();
  const add = (name: string) => {
    if (names.has(name)) return;
    names.add(name);
    plan.nodes.find((n) => n.spec.name === name)?.spec.dependsOn.forEach(add);
  };
  plan.nodes.filter(include).forEach((n) => add(n.spec.name));
  return plan.nodes.filter((n) => names.has(n.spec.name));
}

export function writeState(state: LabState): void {
  writeFileSync(join(state.root, 'lab-state.json'), JSON.stringify(state, null, 2), { mode: 0o600 });
}

export function readState(root: string): LabState {
  return JSON.parse(readFileSync(join(root, 'lab-state.json'), 'utf8')) as LabState;
}

/**
 * Stops every lab process at once. The lab's data is thrown away with it, so
 * there is nothing to shut down gracefully: SIGKILL to each process group,
 * then to anything whose command line still names the lab root (Postgres runs
 * in a session of its own under Patroni). Partitions (nft rules, cgroups) go with it.
 */
export function stopLab(state: LabState, opts: { keepRoot: boolean }): void {
  for (const pid of Object.values(state.pids)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  try {
    execFileSync('pkill', ['-KILL', '-f', `${state.root}/`]);
  } catch {
    /* nothing left: pkill exits 1 */
  }
  clearPartitions(state.root, state.basePort);
  if (!opts.keepRoot) rmSync(state.root, { recursive: true, force: true });
}

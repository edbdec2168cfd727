/**
 * The shared lab, as a lab test file sees it. A file asks for it with
 *
 *   describe.runIf(labAvailable())('…', () => { const lab = useLab(); … });
 *
 * and pays only its own run time: the lab is brought up once per run by
 * shared-lab.ts. After the file, the lab is put back as the next file expects
 * it (every server running and ready, Patroni steady, the connector running),
 * whatever the file did to it; a file whose damage cannot be undone that way
 * belongs at the end of LAB_FILE_ORDER (lab-order.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, inject } from 'vitest';
import { LabDriver } from '../../scripts/chaos/drivers/lab';
import { clusterMembers, steadyProblem } from '../../scripts/chaos/patroni';
import { endpointOf, labTarget, nodeNamed } from '../../scripts/chaos/target';
import { healAll } from '../../scripts/lab/partition';
import { planLab } from '../../scripts/lab/plan';
import { labAlive, procStat } from '../../scripts/lab/procs';
import { readState, type RunningLab } from '../../scripts/lab/runtime';
import { BRING_UP_FILE, FAILED_FILE, type BringUp } from './shared-lab-files';

export { labInstalled } from './shared-lab-files';

/** Bring-up bounds each server itself; this only stops a file from waiting forever. */
const BRING_UP_WAIT_SECONDS = 420;
const RESTORE_WITHIN_SECONDS = 120;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether this run has a lab (its servers are installed). */
export function labAvailable(): boolean {
  return inject('labRoot') !== '';
}

async function waitForBringUp(root: string): Promise<RunningLab> {
  const outcomeFile = join(root, BRING_UP_FILE);
  for (const deadline = Date.now() + BRING_UP_WAIT_SECONDS * 1000; !existsSync(outcomeFile); await sleep(250)) {
    if (Date.now() > deadline)
      throw new Error(`the shared lab at ${root} reported nothing in ${BRING_UP_WAIT_SECONDS} s`);
  }
  const outcome = JSON.parse(readFileSync(outcomeFile, 'utf8')) as BringUp;
  if (!outcome.ok) {
    // The error itself is printed once, at the end of the run (timing-reporter.ts).
    throw new Error(
      `the shared lab did not come up (see "lab bring-up FAILED" at the end of the run; logs in ${root}/logs)`,
    );
  }
  const state = readState(root);
  return {
    ...state,
    plan: planLab(root, state.basePort, { values: state.values }),
    manifestPath: join(root, 'topology.json'),
  };
}

async function until(what: string, check: () => Promise<string | undefined>): Promise<void> {
  let problem: string | undefined = 'not checked';
  for (const deadline = Date.now() + RESTORE_WITHIN_SECONDS * 1000; Date.now() < deadline; await sleep(500)) {
    problem = await check().catch((e: Error) => e.message);
    if (problem === undefined) return;
  }
  throw new Error(`lab not restored: ${what} not reached within ${RESTORE_WITHIN_SECONDS} s: ${problem}`);
}

/**
 * Puts the lab back: heals partitions, resumes paused nodes, starts dead ones (with the lab's
 * secrets), then waits until every server is ready, Patroni has a leader, two
 * streaming replicas and a sync standby, and the connector and its task run.
 * Returns what it had to do.
 */
export async function restoreLab(lab: RunningLab): Promise<string[]> {
  const driver = new LabDriver(lab.root);
  const manifest = () => labTarget(lab.root).manifest;
  const done: string[] = [];
  if (healAll(lab.root, lab.basePort)) done.push('healed partitions');
  for (const node of lab.plan.nodes.filter((n) => !n.launch.job)) {
    const name = node.spec.name;
    const pid = readState(lab.root).pids[name];
    if (driver.processes(name).some((p) => procStat(p)?.state === 'T')) {
      await driver.act('resume', nodeNamed(manifest(), name));
      done.push(`resumed ${name}`);
    }
    if (pid === undefined || !labAlive(pid)) {
      await driver.act('kill', nodeNamed(manifest(), name)); // leftovers of the dead node, if any
      await driver.act('start', nodeNamed(manifest(), name));
      done.push(`started ${name}`);
    }
  }
  for (const node of lab.plan.nodes.filter((n) => !n.launch.job)) {
    await until(`${node.spec.name} ready`, async () => ((await node.launch.ready()) ? undefined : 'not ready'));
  }
  const members = lab.plan.nodes.filter((n) => n.spec.component === 'patroni').length;
  await until('a steady Patroni cluster', async () => steadyProblem(await clusterMembers(manifest()), members));
  for (const worker of lab.plan.nodes.filter((n) => n.spec.component === 'kafka-connect' && !n.launch.job)) {
    const rest = `http://${endpointOf(nodeNamed(manifest(), worker.spec.name), 'rest')}`;
    const connectors = (await (await fetch(`${rest}/connectors`)).json()) as string[];
    for (const name of connectors) {
      await until(`connector ${name} running`, async () => {
        const status = (await (await fetch(`${rest}/connectors/${name}/status`)).json()) as {
          connector: { state: string };
          tasks: { state: string }[];
        };
        const states = [status.connector.state, ...status.tasks.map((t) => t.state)];
        if (states.every((s) => s === 'RUNNING') && status.tasks.length > 0) return undefined;
        if (states.includes('FAILED')) {
          await fetch(`${rest}/connectors/${name}/restart?includeTasks=true&onlyFailed=true`, { method: 'POST' });
          if (!done.includes(`restarted connector ${name}`)) done.push(`restarted connector ${name}`);
        }
        return JSON.stringify(states);
      });
    }
    break; // one worker answers for the whole Connect cluster
  }
  return done;
}

/**
 * The shared lab for this file: waits for its bring-up, and puts it back after
 * the file. A failed test keeps the lab's folder (and logs) after the run.
 */
export function useLab(): () => RunningLab {
  let lab: RunningLab | undefined;
  beforeAll(async () => {
    lab = await waitForBringUp(inject('labRoot'));
  }, BRING_UP_WAIT_SECONDS * 1000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') writeFileSync(join(inject('labRoot'), FAILED_FILE), `${ctx.task.name}\n`);
  });
  afterAll(
    async () => {
      if (!lab) return;
      const done = await restoreLab(lab);
      if (done.length) console.log(`lab restored after this file: ${done.join(', ')}`);
    },
    (4 * RESTORE_WITHIN_SECONDS + 30) * 1000,
  );
  return () => {
    if (!lab) throw new Error('lab not started');
    return lab;
  };
}

/**
 * The lab project's global setup: one lab for every lab test file of a run.
 *
 * Bring-up starts here, in vitest's main process, and is not awaited: the unit
 * project runs meanwhile. Lab files wait for it through the files in the lab
 * root (see lab-fixture.ts). Its outcome is written once, to
 * `<root>/bring-up.json`; a failure is printed once by the timing reporter, and
 * each lab file then fails with one short line pointing at it. The lab is
 * stopped at the end of the run; its folder, with every server's log, is kept
 * when bring-up or any lab test failed.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { readState, startLab, stopLab } from '../../scripts/lab/runtime';
import {
  BRING_UP_FILE,
  FAILED_FILE,
  LAB_BASE_PORT,
  LAB_KAFKA_CLUSTER_ID,
  LAB_ROOT_ENV,
  labInstalled,
  type BringUp,
} from './shared-lab-files';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared lab's folder; empty when the lab's servers are not installed (lab files skip). */
    labRoot: string;
  }
}

export default function setup(project: TestProject): () => Promise<void> {
  if (!labInstalled()) {
    project.provide('labRoot', '');
    return async () => undefined;
  }
  const root = mkdtempSync('/tmp/dplab-test-');
  project.provide('labRoot', root);
  // For the timing reporter, which runs in this process.
  process.env[LAB_ROOT_ENV] = root;
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  const record = (outcome: BringUp) => writeFileSync(join(root, BRING_UP_FILE), JSON.stringify(outcome));
  const bringUp = startLab({ root, basePort: LAB_BASE_PORT, ids: { 'kafka-cluster-id': LAB_KAFKA_CLUSTER_ID } }).then(
    (lab) => record({ ok: true, seconds: seconds(), nodes: lab.plan.nodes.length }),
    (error: Error) => {
      writeFileSync(join(root, FAILED_FILE), 'bring-up\n');
      record({ ok: false, seconds: seconds(), error: error.message });
    },
  );
  // Whatever ends the run, no lab server outlives it.
  const killOnExit = () => existsSync(join(root, 'lab-state.json')) && stopLab(readState(root), { keepRoot: true });
  process.once('exit', killOnExit);
  return async () => {
    await bringUp;
    process.off('exit', killOnExit);
    if (!existsSync(join(root, 'lab-state.json'))) return;
    stopLab(readState(root), { keepRoot: existsSync(join(root, FAILED_FILE)) });
  };
}

import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import LabOrderSequencer from './test/lab/lab-order';

// cdktf's Testing helpers create temporary folders and leave them behind: keep them in the project.
const tmp = resolve('.tmp/vitest');
mkdirSync(tmp, { recursive: true });

/** Files that need the shared lab (real servers on loopback). */
const LAB_FILES = ['test/**/*.lab.test.ts'];
/**
 * Files that need no lab but start a server of their own or run a heavy real validator (pgBackRest on
 * VersityGW, checkov, Terraform on moto, Prometheus, PgBouncer…): named `*.integration.test.ts`, they run
 * beside the lab files. Every other `*.test.ts` is a unit file: no server, no network, quick.
 */
const INTEGRATION_FILES = ['test/**/*.integration.test.ts'];

export default defineConfig({
  test: {
    env: { TMPDIR: tmp },
    testTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './test/lab/timing-reporter.ts'],
    sequence: { sequencer: LabOrderSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...LAB_FILES, ...INTEGRATION_FILES],
          // Measured (README, "Running the tests"): without isolation the files share the loaded cdktf, providers
          // and constructs, half the project's CPU time; two workers overlap the files that wait on a child process.
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'integration', include: INTEGRATION_FILES, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: LAB_FILES,
          // One lab per run, brought up while the unit files run (test/lab/shared-lab.ts).
          globalSetup: ['./test/lab/shared-lab.ts'],
          // The files share the lab's servers and two cores: one at a time, after the unit files, in lab-order.ts's order.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

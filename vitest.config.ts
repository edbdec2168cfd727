import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// cdktf's Testing helpers create temporary folders and leave them behind: keep them in the project.
const tmp = resolve('.tmp/vitest');
mkdirSync(tmp, { recursive: true });

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    env: { TMPDIR: tmp },
    testTimeout: 60_000,
    pool: 'forks',
    // Lab suites start real servers on fixed loopback ports and share two cores: one file at a time.
    fileParallelism: false,
  },
});

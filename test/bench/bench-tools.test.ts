import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { categorize, phases } from '../../scripts/bench/cpu-profile';
import { snapshotProcs, treeMemory, treeOf } from '../../scripts/bench/proc-memory';

describe('memory of a process tree (bench:memory)', () => {
  // A shell whose child holds 64 MiB it has written to, so the pages are resident.
  const marker = `bench-tools-${process.pid}`;
  const shell = spawn(
    'sh',
    [
      '-c',
      `node -e "globalThis.b = Buffer.alloc(64 << 20, 1); console.log('up'); setInterval(() => {}, 1000)" ${marker}; :`,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  afterAll(() => void (shell.pid && process.kill(shell.pid, 'SIGKILL')));
  const up = once(shell.stdout!, 'data');

  it("counts the children's memory in the tree of their parent", async () => {
    await up;
    const snap = snapshotProcs();
    const tree = treeOf(snap, [shell.pid!]);
    expect(tree.length).toBeGreaterThanOrEqual(2);
    const m = treeMemory(tree);
    expect(m.pssMb).toBeGreaterThan(64);
    expect(m.rssMb).toBeGreaterThanOrEqual(m.pssMb);
    // Negative control: the shell alone holds nothing like it.
    expect(treeMemory([shell.pid!]).pssMb).toBeLessThan(16);
  });

  it('finds processes by a marker in their command line', async () => {
    await up;
    const snap = snapshotProcs();
    expect(treeOf(snap, [], marker).length).toBeGreaterThanOrEqual(1);
    expect(treeOf(snap, [], `${marker}-absent`)).toEqual([]);
  });
});

describe('CPU profile breakdown (bench:synth --profile)', () => {
  const frame = (id: number, url: string, children: number[] = [], functionName = 'f') => ({
    id,
    callFrame: { functionName, url },
    children,
  });

  it('charges each sample to the nearest frame a rule knows, leaf first', () => {
    const profile = {
      nodes: [
        frame(1, '', [2, 4], '(root)'),
        frame(2, 'file:///p/constructs/x.ts', [3]),
        frame(3, 'file:///p/node_modules/cdktf/lib/tokens/private/resolve.js'),
        frame(4, '', [], '(idle)'),
        frame(5, 'file:///p/node_modules/cdktf/lib/tokens/private/stack-trace.js', [], 'toString'),
      ],
      samples: [3, 3, 2, 4, 5],
      timeDeltas: [1000, 1000, 3000, 5000, 2000],
    };
    expect(categorize(profile)).toEqual([
      { category: 'idle: main thread waiting (tsx hooks worker, I/O)', ms: 5 },
      { category: 'this project: constructs and renderers', ms: 3 },
      { category: 'cdktf: constructs, tokens, resolve, synth', ms: 2 },
      { category: 'cdktf: creation stack of each token', ms: 2 },
    ]);
  });

  it('charges each sample to its nearest phase, loading and garbage collection wherever they happen', () => {
    const profile = {
      nodes: [
        frame(1, '', [2, 6, 7], '(root)'),
        frame(2, 'file:///p/node_modules/cdktf/lib/app.js', [3, 5], 'synth'),
        frame(3, 'file:///p/node_modules/cdktf/lib/terraform-stack.js', [4], 'prepareStack'),
        frame(4, 'file:///p/node_modules/cdktf/lib/tokens/private/resolve.js', [], 'resolve'),
        frame(5, 'node:internal/modules/cjs/loader', [], 'require'),
        frame(6, '', [], '(garbage collector)'),
        frame(7, 'file:///p/constructs/data-platform.ts', [8], 'DataPlatform'),
        frame(8, 'file:///p/node_modules/yaml/dist/index.js', [], 'stringify'),
      ],
      samples: [4, 4, 2, 5, 6, 8],
      timeDeltas: [1000, 1000, 1000, 4000, 3000, 5000],
    };
    expect(phases(profile)).toEqual([
      { category: 'constructing: DataPlatform (components, renderers)', ms: 5 },
      { category: 'loading modules (and waiting on the tsx hooks worker)', ms: 4 },
      { category: 'garbage collection', ms: 3 },
      { category: 'app.synth(): preparing pass (every element resolved once before)', ms: 2 },
      { category: 'app.synth(): writing the files, the rest', ms: 1 },
    ]);
  });
});

/** The lab driver's process handling, on dummy processes that carry a fake lab root in their command lines. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestNode } from '../../constructs/platform/topology';
import { LabDriver } from '../../scripts/chaos/drivers/lab';
import { labAlive, processesMarked } from '../../scripts/lab/procs';
import { writeState } from '../../scripts/lab/runtime';

let root: string;

const node = (name: string): ManifestNode => ({ name, component: 'test', role: 'test', handle: {}, endpoints: {} });

/** The state letter of /proc/<pid>/stat (R, S, T, Z…), or undefined once the process is gone. */
function procState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** Runs `argv` and returns its pid and the first number it prints. */
async function started(argv: string[]): Promise<{ pid: number; printed: number }> {
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
  const [line] = (await once(proc.stdout!, 'data')) as [Buffer];
  return { pid: proc.pid!, printed: Number(line.toString().trim()) };
}

/**
 * A node's dummy process: a shell naming `<root>/<node>/`, with a `sleep`
 * child that does not (as Postgres' workers do not), optionally in a session
 * of its own (as Postgres under Patroni). It stops its child on SIGTERM.
 */
async function dummy(name: string, opts: { session?: boolean } = {}): Promise<number[]> {
  const script = `trap 'kill $!; exit 0' TERM; sleep 30 & echo $!; wait; : ${root}/${name}/`;
  const { pid, printed } = await started([...(opts.session ? ['setsid'] : []), 'sh', '-c', script]);
  return [pid, printed];
}

const sorted = (pids: number[]) => [...pids].sort((a, b) => a - b);

beforeEach(() => {
  mkdirSync(resolve('.tmp'), { recursive: true });
  root = mkdtempSync(resolve('.tmp/lab-driver-'));
});

afterEach(() => {
  for (const pid of processesMarked(`${root}/`)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('labAlive', () => {
  it('is false for a zombie, which kill -0 still reaches', async () => {
    // A child that exits at once, of a parent that never reaps it.
    const perl = '$| = 1; my $child = fork // die; exit 0 unless $child; print "$child\\n"; sleep 30';
    const { pid, printed: zombie } = await started(['perl', '-e', perl, `${root}/z/`]);
    for (let i = 0; i < 50 && procState(zombie) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(procState(zombie)).toBe('Z');
    expect(() => process.kill(zombie, 0)).not.toThrow();
    expect(labAlive(zombie)).toBe(false);
    expect(labAlive(pid)).toBe(true);
    expect(processesMarked(`${root}/z/`)).toEqual([pid]);
  });
});

describe('LabDriver', () => {
  it("finds a node's processes: marked ones, other sessions, descendants; not other nodes'", async () => {
    const mine = [...(await dummy('x')), ...(await dummy('x', { session: true }))];
    await dummy('xy');
    await dummy('y');
    expect(sorted(new LabDriver(root).processes('x'))).toEqual(sorted(mine));
  });

  it('kills every process of the node and nothing else', async () => {
    const mine = [...(await dummy('x')), ...(await dummy('x', { session: true }))];
    const other = await dummy('xy');
    await new LabDriver(root).act('kill', node('x'));
    expect(mine.filter(labAlive)).toEqual([]);
    expect(other.filter(labAlive)).toEqual(other);
  });

  it('pauses and resumes every process of the node', async () => {
    const mine = [...(await dummy('x')), ...(await dummy('x', { session: true }))];
    const driver = new LabDriver(root);
    await driver.act('pause', node('x'));
    expect(mine.map(procState)).toEqual(['T', 'T', 'T', 'T']);
    await driver.act('resume', node('x'));
    expect(mine.map(procState)).not.toContain('T');
  });

  it("stops with SIGTERM to the node's main process, which takes its children along", async () => {
    const [main, child] = await dummy('x');
    writeState({ root, basePort: 0, pids: { x: main! }, jobs: {}, values: { secrets: {}, ids: {} } });
    const t0 = Date.now();
    await new LabDriver(root).act('stop', node('x'));
    expect([main, child].filter((p) => labAlive(p!))).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(9_000); // graceful: done before the SIGKILL fallback at 10 s
  });

  it('refuses to cut off a node whose processes the lab did not start in its cgroup, saying why', async () => {
    const [x] = await dummy('x');
    const [y] = await dummy('y');
    writeState({ root, basePort: 29800, pids: { x: x!, y: y! }, jobs: {}, values: { secrets: {}, ids: {} } });
    // By default the cut is from every other node: y too, whose processes are checked.
    await expect(new LabDriver(root).act('disconnect', node('x'))).rejects.toThrow(
      /processes .* are not in its cgroup|lab partitions need/,
    );
  });
});

/**
 * Memory of process trees, read from /proc. RSS summed over a tree counts a
 * shared page once per process that maps it (every Postgres backend maps the
 * shared buffers), so the figure to size a limit on is PSS: each shared page
 * split among its users, which sums to what a cgroup is charged, page cache aside.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { procStat, type ProcStat } from '../lab/procs';

export interface TreeMemory {
  readonly processes: number;
  readonly rssMb: number;
  readonly pssMb: number;
}

/** One look at /proc: every live process with its command line. */
export interface ProcSnapshot {
  readonly stats: readonly ProcStat[];
  readonly cmdlines: ReadonlyMap<number, string>;
}

export function snapshotProcs(): ProcSnapshot {
  const stats = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => procStat(Number(d)))
    .filter((s): s is ProcStat => s !== undefined && s.state !== 'Z');
  const cmdlines = new Map<number, string>();
  for (const s of stats) {
    try {
      cmdlines.set(s.pid, readFileSync(`/proc/${s.pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      /* gone meanwhile */
    }
  }
  return { stats, cmdlines };
}

/** `roots` and processes whose command line holds `marker`, with all their descendants. */
export function treeOf(snap: ProcSnapshot, roots: readonly number[], marker?: string): number[] {
  const found = new Set(roots.filter((pid) => snap.stats.some((s) => s.pid === pid)));
  if (marker) for (const [pid, cmd] of snap.cmdlines) if (cmd.includes(marker)) found.add(pid);
  for (let grew = true; grew;) {
    grew = false;
    for (const s of snap.stats) {
      if (!found.has(s.pid) && found.has(s.ppid)) {
        found.add(s.pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/** Rss and Pss of one process in kB, from smaps_rollup (0 for a process that is gone). */
function rollup(pid: number): { rss: number; pss: number } {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rss: kb('Rss'), pss: kb('Pss') };
  } catch {
    return { rss: 0, pss: 0 };
  }
}

export function treeMemory(pids: readonly number[]): TreeMemory {
  let rss = 0;
  let pss = 0;
  for (const pid of pids) {
    const r = rollup(pid);
    rss += r.rss;
    pss += r.pss;
  }
  return { processes: pids.length, rssMb: rss / 1024, pssMb: pss / 1024 };
}

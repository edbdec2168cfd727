/**
 * The lab's processes as /proc shows them. Liveness is read from
 * /proc/<pid>/stat, not `kill -0`: here processes reparented to PID 1 are never
 * reaped, and a zombie still answers signals.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcStat {
  readonly pid: number;
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
}

/** /proc/<pid>/stat: `pid (comm) state ppid …`; comm may hold spaces and parentheses. */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid, pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: state!, ppid: Number(ppid), pgrp: Number(pgrp) };
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs (or is stopped): it exists and is no zombie. */
export function labAlive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Live processes whose command line holds `marker`, with all their live descendants. */
export function processesMarked(marker: string): number[] {
  const stats = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => procStat(Number(d)))
    .filter((s): s is ProcStat => s !== undefined && s.state !== 'Z' && s.pid !== process.pid);
  const found = new Set(stats.filter((s) => commandLine(s.pid).includes(marker)).map((s) => s.pid));
  // /proc lists parents and children in no particular order: repeat until nothing is added.
  for (let grew = true; grew;) {
    grew = false;
    for (const s of stats) {
      if (!found.has(s.pid) && found.has(s.ppid)) {
        found.add(s.pid);
        grew = true;
      }
    }
  }
  return [...found];
}

import { describe, expect, it } from 'vitest';
import { formatStatus, jobStatus } from '../../scripts/lab/status';

describe('lab status', () => {
  const alive = (running: number[]) => (pid: number) => running.includes(pid);

  it('shows a finished job as done, with its exit code, not as a service that is not ready', () => {
    const rows = [
      { name: 'kafka-1', pid: 4242, state: 'ready' as const },
      jobStatus('kafka-topics', { pid: 4300, exitCode: 0 }, alive([])),
      { name: 'pgbouncer', state: 'NOT READY' as const },
    ];
    expect(formatStatus(rows).split('\n')).toEqual([
      'kafka-1       pid 4242     ready',
      'kafka-topics  pid 4300     done (exit 0)',
      'pgbouncer     pid -        NOT READY',
    ]);
  });

  it('tells a failed, a killed, a running and a vanished job apart', () => {
    const line = (run: Parameters<typeof jobStatus>[1], running: number[] = []) =>
      formatStatus([jobStatus('job', run, alive(running))]);
    expect(line({ pid: 7, exitCode: 3 })).toBe('job  pid 7        FAILED (exit 3)');
    expect(line({ pid: 7, exitCode: null })).toBe('job  pid 7        FAILED (ended by a signal)');
    expect(line({ pid: 7 }, [7])).toBe('job  pid 7        running');
    expect(line({ pid: 7 })).toBe('job  pid 7        GONE');
    expect(line(undefined)).toBe('job  pid -        not run');
  });
});

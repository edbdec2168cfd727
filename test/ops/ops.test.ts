import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ManifestNode } from '../../constructs/platform/topology';
import { controllerLast } from '../../scripts/ops/rolling-restart';

const broker = (name: string): ManifestNode => ({
  name,
  component: 'kafka',
  role: 'combined',
  handle: {},
  endpoints: {},
});

describe('rolling restart order', () => {
  it('restarts the active controller last, the others in manifest order', () => {
    const brokers = ['kafka-1', 'kafka-2', 'kafka-3'].map(broker);
    expect(controllerLast(brokers, 'kafka-2').map((b) => b.name)).toEqual(['kafka-1', 'kafka-3', 'kafka-2']);
    expect(controllerLast(brokers, 'kafka-3').map((b) => b.name)).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
  });
});

describe('npm run ops', () => {
  const ops = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), 'scripts/ops/ops.ts', ...args], {
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('lists its commands with --help', () => {
    const r = ops('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('switchover');
    expect(r.stdout).toContain('rolling-restart <kafka|connect|patroni|etcd>');
  });

  it('refuses an unknown component or command before touching any target', () => {
    const r = ops('rolling-restart', 'mongo');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("rolling-restart needs one of kafka, connect, patroni, etcd (got 'mongo')");
    expect(ops('reboot').status).toBe(2);
  });
});

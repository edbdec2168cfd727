import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChaosMetrics, serveMetrics, writeMetrics } from '../../scripts/chaos/metrics';
import type { Op, Verdict } from '../../scripts/chaos/types';
import { findTool, haveTools } from '../real-tools/tools';

const FAULT = { description: 'kill patroni-1', at: 1_700_000_010_000 };

function verdict(overrides: Partial<Verdict> = {}): Verdict {
  return {
    scenario: 'patroni-leader-kill',
    driver: 'lab',
    passed: true,
    failures: [],
    fault: FAULT,
    rtoSeconds: 2.5,
    rtoBoundSeconds: 30,
    counts: { attempted: 4, acknowledged: 3, lost: 0, duplicates: 0, unacknowledgedPresent: 0 },
    lostKeys: [],
    startedAt: 0,
    endedAt: 0,
    ...overrides,
  };
}

function run(): ChaosMetrics {
  const metrics = new ChaosMetrics('patroni-leader-kill', 'lab');
  metrics.faultInjected(FAULT);
  const op = (ok: boolean): Op => ({ key: 'k', startedAt: 0, endedAt: 0, ok });
  metrics.observe([op(true), op(true), op(false)]);
  metrics.observe([op(true)]);
  metrics.judged(verdict());
  return metrics;
}

const LABELS = 'scenario="patroni-leader-kill",driver="lab"';

describe('ChaosMetrics', () => {
  it("exposes a run's figures under its scenario and driver", async () => {
    const text = await run().registry.metrics();
    expect(text).toContain(`chaos_fault_injected_timestamp_seconds{${LABELS}} 1700000010`);
    expect(text).toContain(`chaos_run_operations_total{${LABELS},outcome="acknowledged"} 3`);
    expect(text).toContain(`chaos_run_operations_total{${LABELS},outcome="failed"} 1`);
    expect(text).toContain(`chaos_run_rto_seconds{${LABELS}} 2.5`);
    expect(text).toContain(`chaos_run_rto_bound_seconds{${LABELS}} 30`);
    expect(text).toContain(`chaos_run_lost_writes{${LABELS}} 0`);
    expect(text).toContain(`chaos_run_passed{${LABELS}} 1`);
  });

  it('has no RTO sample for a run that never recovered', async () => {
    const metrics = new ChaosMetrics('s', 'docker');
    metrics.judged(verdict({ passed: false, rtoSeconds: undefined }));
    const text = await metrics.registry.metrics();
    expect(text).not.toMatch(/^chaos_run_rto_seconds\{/m);
    expect(text).toContain('chaos_run_passed{scenario="s",driver="docker"} 0');
  });
});

describe('serveMetrics', () => {
  it("serves the registry's exposition on loopback, and closes with a scraper still connected", async () => {
    const metrics = run();
    const server = await serveMetrics(metrics.registry, 0);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metrics.registry.contentType);
    expect(await res.text()).toBe(await metrics.registry.metrics());
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    // fetch keeps its connection alive, as a scraper does: closing must not wait for it.
    const t0 = Date.now();
    await server.close();
    expect(Date.now() - t0).toBeLessThan(1000);
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('rejects a port already taken', async () => {
    const first = await serveMetrics(run().registry, 0);
    const port = Number(new URL(first.url).port);
    await expect(serveMetrics(run().registry, port)).rejects.toThrow(/EADDRINUSE/);
    await first.close();
  });
});

describe('writeMetrics', () => {
  const promtool = findTool('promtool');
  it.runIf(haveTools({ promtool }))('writes text exposition that promtool accepts', async () => {
    mkdirSync(resolve('.tmp'), { recursive: true });
    const dir = mkdtempSync(resolve('.tmp/chaos-metrics-'));
    await writeMetrics(dir, run().registry);
    const text = readFileSync(join(dir, 'metrics.prom'), 'utf8');
    expect(() => execFileSync(promtool!, ['check', 'metrics'], { input: text, stdio: 'pipe' })).not.toThrow();
    // Negative control: promtool does reject a counter named against the conventions.
    const bad = text.replaceAll('chaos_run_operations_total', 'chaos_run_operations');
    expect(() => execFileSync(promtool!, ['check', 'metrics'], { input: bad, stdio: 'pipe' })).toThrow(/_total/);
    rmSync(dir, { recursive: true });
  });
});

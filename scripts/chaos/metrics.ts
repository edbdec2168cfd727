/**
 * Chaos runs as Prometheus metrics: served on loopback while a run lasts (so
 * the platform's Prometheus can scrape it, and Grafana can annotate the fault),
 * and written beside the report as text exposition for later import.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Driver, Fault, Op, Verdict } from './types';

const RUN_LABELS = ['scenario', 'driver'] as const;

/** One run's metrics, in a registry of their own (no process metrics: they describe the runner, not the run). */
export class ChaosMetrics {
  readonly registry = new Registry();
  private readonly labels: { scenario: string; driver: string };
  private readonly faultAt = this.gauge(
    'chaos_fault_injected_timestamp_seconds',
    'When the fault took effect (Unix time), for annotations',
  );
  private readonly operations = new Counter({
    name: 'chaos_run_operations_total',
    help: 'Workload operations by outcome (acknowledged or failed)',
    labelNames: [...RUN_LABELS, 'outcome'],
    registers: [this.registry],
  });
  private readonly rto = this.gauge('chaos_run_rto_seconds', 'Seconds from the fault to the first acknowledged write');
  private readonly rtoBound = this.gauge('chaos_run_rto_bound_seconds', 'The recovery bound the run is judged by');
  private readonly lost = this.gauge('chaos_run_lost_writes', 'Acknowledged writes not readable after recovery (RPO)');
  private readonly duplicates = this.gauge('chaos_run_duplicate_writes', 'Writes readable more than once');
  private readonly passed = this.gauge('chaos_run_passed', '1 if the run passed every check, 0 if not');

  constructor(scenario: string, driver: Driver['name']) {
    this.labels = { scenario, driver };
  }

  private gauge(name: string, help: string): Gauge<(typeof RUN_LABELS)[number]> {
    return new Gauge({ name, help, labelNames: RUN_LABELS, registers: [this.registry] });
  }

  faultInjected(fault: Fault): void {
    this.faultAt.set(this.labels, fault.at / 1000);
  }

  /** Counts operations; call it with each batch the workload hands over. */
  observe(ops: readonly Op[]): void {
    const acknowledged = ops.filter((o) => o.ok).length;
    this.operations.inc({ ...this.labels, outcome: 'acknowledged' }, acknowledged);
    this.operations.inc({ ...this.labels, outcome: 'failed' }, ops.length - acknowledged);
  }

  /** The verdict's figures; a run that never recovered has no RTO sample. */
  judged(verdict: Verdict): void {
    if (verdict.rtoSeconds !== undefined) this.rto.set(this.labels, verdict.rtoSeconds);
    this.rtoBound.set(this.labels, verdict.rtoBoundSeconds);
    this.lost.set(this.labels, verdict.counts.lost);
    this.duplicates.set(this.labels, verdict.counts.duplicates);
    this.passed.set(this.labels, verdict.passed ? 1 : 0);
  }
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `registry` at http://127.0.0.1:<port>/metrics until closed; port 0 picks a free one. */
export async function serveMetrics(registry: Registry, port: number): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  server.requestTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/metrics`,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive connections close by themselves; this also ends one mid-request.
        server.closeAllConnections();
      }),
  };
}

/** Writes the text exposition to `<dir>/metrics.prom`. */
export async function writeMetrics(dir: string, registry: Registry): Promise<void> {
  writeFileSync(join(dir, 'metrics.prom'), await registry.metrics());
}

import { stringify } from 'yaml';
import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import { OPS_HOST } from '../platform/hosts';
import type { ComponentMonitoring } from '../platform/monitoring-registry';
import type { ImageRef, NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';
import { PLATFORM_CA_PATH } from '../platform/tls';
import { httpsWgetHealth } from '../platform/web-tls';

const PROBER = 'blackbox-exporter';
const PROBER_PORT = 9115;
const CONFIG = '/etc/blackbox_exporter/config.yml';
/** The probe module: the store answers its health path with 200. */
const MODULE = 'health';

/** blackbox_exporter's config: one HTTPS module that wants a 200 within 5 s from a certificate of the platform CA. */
export function renderBlackboxConfig(caFile: string): string {
  return stringify({
    modules: {
      [MODULE]: {
        prober: 'http',
        timeout: '5s',
        http: { valid_status_codes: [200], method: 'GET', fail_if_not_ssl: true, tls_config: { ca_file: caFile } },
      },
    },
  });
}

export interface StorageMonitoringInput {
  /** The S3 server node and the HTTPS URL of its health endpoint as the prober reaches it. */
  readonly server: string;
  readonly healthUrl: string;
  readonly image: ImageRef;
  readonly placement: Placement;
}

/**
 * VersityGW v1.8.0 has no Prometheus endpoint (it only pushes to StatsD), so
 * the blackbox exporter probes its health path, and Prometheus scrapes the probe.
 */
export function storageMonitoring(input: StorageMonitoringInput): ComponentMonitoring {
  const p = input.placement;
  const port = p.port(PROBER, 'metrics', PROBER_PORT);
  const prober: NodeSpec = {
    name: PROBER,
    component: PROBER,
    role: 'exporter',
    image: input.image,
    command: [`--config.file=${p.path(PROBER, CONFIG)}`, `--web.listen-address=${p.bindHost}:${port}`],
    env: {},
    files: [{ path: CONFIG, content: renderBlackboxConfig(p.path(PROBER, PLATFORM_CA_PATH)) }],
    ports: [{ name: 'metrics', port }],
    volumes: [],
    stateful: false,
    // Busybox base: wget is there. HTTPS: the job's `tls` has the registry add the web config.
    health: { test: httpsWgetHealth(PROBER_PORT, '/-/healthy') },
    memoryMb: 24,
    dependsOn: [],
    host: OPS_HOST,
  };
  const sel = 'job="object-store"';
  return {
    component: 'storage',
    jobs: [
      {
        job: 'object-store',
        exporter: 'blackbox-exporter-0.28',
        metricsPath: '/probe',
        params: { module: [MODULE], target: [input.healthUrl] },
        targets: [{ node: PROBER, port: 'metrics', instance: input.server }],
        tls: {},
      },
    ],
    exporters: [prober],
    rules: [
      {
        alert: 'ObjectStoreDown',
        expr: `probe_success{${sel}} == 0`,
        for: '2m',
        severity: 'critical',
        summary: 'The object store {{ $labels.instance }} does not answer its health check over HTTPS',
        description:
          'WAL archiving, base backups, dumps and the CDC archive all write here: while it is down WAL piles up on the Postgres leader and no backup completes.',
      },
    ],
    dashboard: buildDashboard({
      uid: 'dp-storage',
      title: 'Object storage',
      rows: [
        {
          title: 'Health',
          panels: [
            stat(
              'Store up',
              'none',
              { expr: `min(probe_success{${sel}})`, legend: 'up' },
              { warn: 1, critical: 1, lowIsBad: true },
            ),
            timeseries('Health check time', 's', [{ expr: `probe_duration_seconds{${sel}}`, legend: '{{instance}}' }], {
              min: 0,
            }),
          ],
        },
      ],
    }),
    overview: {
      title: 'Object storage',
      stat: { title: 'Object store up', expr: `min(probe_success{${sel}})`, unit: 'none' },
    },
  };
}

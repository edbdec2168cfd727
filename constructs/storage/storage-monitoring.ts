import type { IConstruct } from 'constructs';
import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import { type ComponentMonitoring } from '../platform/monitoring-registry';
import { monitoringOf } from '../platform/context';
import type { NodeSpec } from '../platform/node-spec';

const JOB = 'minio';
export const MINIO_METRICS_PATH = '/minio/v2/metrics/cluster';

/**
 * Environment the MinIO nodes need for their metrics: scrapes without a
 * bearer token. MinIO's default wants a JWT signed with a secret key
 * (`mc admin prometheus generate`), which no target can compute from a
 * generated secret at deploy time; the endpoint is on the S3 port, reachable
 * only inside the platform network and on 127.0.0.1, and shows capacity and
 * request counts but no object data. See monitoring/README.md, "MinIO metrics".
 */
export const MINIO_METRICS_ENV: Readonly<Record<string, string>> = { MINIO_PROMETHEUS_AUTH_TYPE: 'public' };

/**
 * One call for the MinIO construct: registers the cluster metrics of `servers`
 * (on their `api` port). Their env must include MINIO_METRICS_ENV.
 */
export function monitorStorage(scope: IConstruct, servers: readonly NodeSpec[]): void {
  monitoringOf(scope).register(storageMonitoring(servers));
}

export function storageMonitoring(servers: readonly NodeSpec[]): ComponentMonitoring {
  const sel = `job="${JOB}"`;
  return {
    component: 'storage',
    jobs: [
      {
        job: JOB,
        exporter: 'minio-2025-09',
        metricsPath: MINIO_METRICS_PATH,
        targets: servers.map((s) => ({ node: s.name, port: 'api' })),
      },
    ],
    rules: [
      {
        alert: 'MinioDown',
        expr: `up{${sel}} == 0`,
        for: '1m',
        severity: 'critical',
        summary: 'MinIO {{ $labels.instance }} is down',
        description: 'Buckets on it (CDC archive, backups) cannot be read or written.',
      },
      {
        alert: 'MinioNodeOffline',
        expr: `max(minio_cluster_nodes_offline_total{${sel}}) > 0`,
        for: '1m',
        severity: 'critical',
        summary: '{{ $value }} MinIO nodes are offline',
        description:
          'The cluster has lost nodes; erasure coding keeps data readable only while each erasure set keeps its read quorum.',
      },
      {
        alert: 'MinioDriveOffline',
        expr: `max(minio_cluster_drive_offline_total{${sel}}) > 0`,
        for: '1m',
        severity: 'critical',
        summary: '{{ $value }} MinIO drives are offline',
        description: 'A drive is missing or failing. Replace it and let MinIO heal before another one goes.',
      },
    ],
    dashboard: buildDashboard({
      uid: 'dp-storage',
      title: 'Object storage (MinIO)',
      rows: [
        {
          title: 'Cluster',
          panels: [
            stat(
              'Nodes offline',
              'none',
              { expr: `max(minio_cluster_nodes_offline_total{${sel}})`, legend: 'offline' },
              { warn: 1, critical: 1 },
            ),
            stat(
              'Drives offline',
              'none',
              { expr: `max(minio_cluster_drive_offline_total{${sel}})`, legend: 'offline' },
              { warn: 1, critical: 1 },
            ),
            stat(
              'Usable capacity free',
              'percentunit',
              {
                expr: `max(minio_cluster_capacity_usable_free_bytes{${sel}}) / max(minio_cluster_capacity_usable_total_bytes{${sel}})`,
                legend: 'free',
              },
              { warn: 0.2, critical: 0.1, lowIsBad: true },
            ),
            timeseries(
              'S3 requests',
              'reqps',
              [
                { expr: `sum(rate(minio_s3_requests_total{${sel}}[5m]))`, legend: 'requests' },
                { expr: `sum(rate(minio_s3_requests_errors_total{${sel}}[5m]))`, legend: 'errors' },
              ],
              { min: 0 },
            ),
            timeseries(
              'S3 traffic',
              'Bps',
              [
                { expr: `sum(rate(minio_s3_traffic_received_bytes{${sel}}[5m]))`, legend: 'received' },
                { expr: `sum(rate(minio_s3_traffic_sent_bytes{${sel}}[5m]))`, legend: 'sent' },
              ],
              { min: 0 },
            ),
          ],
        },
      ],
    }),
    overview: {
      title: 'MinIO',
      stat: { title: 'MinIO drives offline', expr: `max(minio_cluster_drive_offline_total{${sel}})`, unit: 'none' },
    },
  };
}

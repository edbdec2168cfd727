import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import type { ComponentMonitoring } from '../platform/monitoring-registry';
import type { Endpoint, ImageRef, NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';
import { PLATFORM_CA_PATH } from '../platform/tls';
import { httpsWgetHealth } from '../platform/web-tls';

const JOB = 'pgbouncer';
export const PGBOUNCER_EXPORTER_PORT = 9127;
/** PgBouncer `stats_users` entry the exporter logs in to the admin console as (pgbouncer.ini, userlist.txt). */
export const PGBOUNCER_STATS_USER = 'pgbouncer_exporter';

export interface PgbouncerMonitoringInput {
  readonly pooler: string;
  readonly endpoint: Endpoint;
  readonly statsPassword: string;
  readonly image: ImageRef;
  readonly placement: Placement;
}

/**
 * prometheus-community's pgbouncer_exporter (maintained; Debian's 1.7 package
 * crashes against PgBouncer 1.18), reading SHOW POOLS/STATS/DATABASES through
 * the admin console as a stats-only user.
 */
export function pgbouncerMonitoring(input: PgbouncerMonitoringInput): ComponentMonitoring {
  const p = input.placement;
  const name = 'pgbouncer-exporter';
  const port = p.port(name, 'metrics', PGBOUNCER_EXPORTER_PORT);
  const { host, port: poolerPort } = input.endpoint;
  const exporter: NodeSpec = {
    name,
    component: 'pgbouncer-exporter',
    role: 'exporter',
    image: input.image,
    command: [`--web.listen-address=${p.bindHost}:${port}`],
    // From the environment, so the password stays out of the process list.
    env: {
      PGBOUNCER_EXPORTER_CONNECTION_STRING: `postgres://${PGBOUNCER_STATS_USER}:${input.statsPassword}@${host}:${poolerPort}/pgbouncer?sslmode=verify-full&sslrootcert=${p.path(name, PLATFORM_CA_PATH)}`,
    },
    files: [],
    ports: [{ name: 'metrics', port }],
    volumes: [],
    stateful: false,
    // HTTPS: the job's `tls` has the registry add the web config.
    health: { test: httpsWgetHealth(PGBOUNCER_EXPORTER_PORT, '/metrics') },
    memoryMb: 24,
    dependsOn: [input.pooler],
    host: input.pooler,
  };
  const sel = `job="${JOB}"`;
  // Pools are labelled by client-facing database; SHOW DATABASES labels the same name `name`.
  const poolUse = `sum by (instance, database) (pgbouncer_pools_server_active_connections{${sel}}) / on (instance, database) group_left label_replace(max by (instance, name) (pgbouncer_databases_pool_size{${sel}}), "database", "$1", "name", "(.+)")`;
  const clientUse = `pgbouncer_used_clients{${sel}} / on (instance) pgbouncer_config_max_client_connections{${sel}}`;
  return {
    component: 'pgbouncer',
    jobs: [
      {
        job: JOB,
        exporter: 'pgbouncer-exporter-0.12',
        targets: [{ node: name, port: 'metrics', instance: input.pooler }],
        tls: {},
      },
    ],
    exporters: [exporter],
    rules: [
      {
        alert: 'PgbouncerDown',
        expr: `pgbouncer_up{${sel}} == 0`,
        for: '1m',
        severity: 'critical',
        summary: 'PgBouncer {{ $labels.instance }} does not answer',
        description:
          'The exporter cannot reach the admin console: applications connecting through the pooler are failing.',
      },
      {
        alert: 'PgbouncerClientsWaiting',
        expr: `pgbouncer_pools_client_waiting_connections{${sel}} > 0 and pgbouncer_pools_client_maxwait_seconds{${sel}} > 1`,
        for: '1m',
        severity: 'warning',
        summary: '{{ $value }} clients of {{ $labels.database }} have waited over a second for a server connection',
        description:
          'Every server connection of the pool is busy. Look for long transactions holding connections, or raise postgres.pgbouncer.poolSize within max_connections.',
      },
      {
        alert: 'PgbouncerPoolSaturated',
        expr: `${poolUse} >= 0.9`,
        for: '5m',
        severity: 'warning',
        summary: 'Pool {{ $labels.database }} uses {{ $value | humanizePercentage }} of its server connections',
        description:
          'The pool is about to make clients queue. Check query latency on the server before growing the pool.',
      },
      {
        alert: 'PgbouncerClientConnectionsNearLimit',
        expr: `${clientUse} > 0.8`,
        for: '5m',
        severity: 'warning',
        summary: 'PgBouncer has {{ $value | humanizePercentage }} of max_client_conn in use',
        description:
          'At max_client_conn PgBouncer refuses new clients. Look for connection leaks in applications, or raise postgres.pgbouncer.maxClientConnections.',
      },
    ],
    dashboard: buildDashboard({
      uid: 'dp-pgbouncer',
      title: 'PgBouncer',
      rows: [
        {
          title: 'Pools',
          panels: [
            stat(
              'Clients waiting',
              'short',
              { expr: `sum(pgbouncer_pools_client_waiting_connections{${sel}})`, legend: 'waiting' },
              { warn: 1, critical: 10 },
            ),
            stat(
              'Longest wait',
              's',
              { expr: `max(pgbouncer_pools_client_maxwait_seconds{${sel}})`, legend: 'wait' },
              { warn: 0.5, critical: 1 },
            ),
            stat('Client slots used', 'percentunit', { expr: clientUse, legend: 'used' }, { warn: 0.7, critical: 0.8 }),
            stat(
              'Pool use (max)',
              'percentunit',
              { expr: `max(${poolUse})`, legend: 'used' },
              { warn: 0.75, critical: 0.9 },
            ),
            timeseries(
              'Client connections',
              'short',
              [
                {
                  expr: `sum by (database) (pgbouncer_pools_client_active_connections{${sel}})`,
                  legend: '{{database}} active',
                },
                {
                  expr: `sum by (database) (pgbouncer_pools_client_waiting_connections{${sel}})`,
                  legend: '{{database}} waiting',
                },
              ],
              { min: 0 },
            ),
            timeseries(
              'Server connections',
              'short',
              [
                {
                  expr: `sum by (database) (pgbouncer_pools_server_active_connections{${sel}})`,
                  legend: '{{database}} active',
                },
                {
                  expr: `sum by (database) (pgbouncer_pools_server_idle_connections{${sel}})`,
                  legend: '{{database}} idle',
                },
              ],
              { min: 0 },
            ),
            timeseries(
              'Queries',
              'ops',
              [
                {
                  expr: `sum by (database) (rate(pgbouncer_stats_totals_queries_pooled_total{${sel}}[5m]))`,
                  legend: '{{database}}',
                },
              ],
              { min: 0 },
            ),
            timeseries(
              'Average client wait per query',
              's',
              [
                {
                  expr: `sum by (database) (rate(pgbouncer_stats_totals_client_wait_seconds_total{${sel}}[5m])) / sum by (database) (rate(pgbouncer_stats_totals_queries_pooled_total{${sel}}[5m]))`,
                  legend: '{{database}}',
                },
              ],
              { min: 0, thresholds: { warn: 0.1, critical: 1 } },
            ),
          ],
        },
      ],
    }),
    overview: {
      title: 'PgBouncer',
      stat: {
        title: 'Clients waiting',
        expr: `sum(pgbouncer_pools_client_waiting_connections{${sel}})`,
        unit: 'short',
      },
    },
  };
}

import type { IConstruct } from 'constructs';
import { stringify } from 'yaml';
import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import { withMetrics, type ComponentMonitoring, type MetricsAddon } from '../platform/monitoring-registry';
import { platformOf, monitoringOf } from '../platform/context';
import type { NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';
import { backupOverdueRule } from '../platform/backup-status';
import type { WeeklySchedule } from '../platform/schedule';

export type ScheduledBackups = readonly { readonly type: string; readonly schedule: WeeklySchedule }[];
import { prometheusSection } from './clickhouse-config';

const JOB = 'clickhouse';
const KEEPER_JOB = 'clickhouse-keeper';
export const CLICKHOUSE_METRICS_PORT = 9363;

function addon(p: Placement, node: string, path: string): MetricsAddon {
  const port = p.port(node, 'metrics', CLICKHOUSE_METRICS_PORT);
  return {
    port: { name: 'metrics', port, plaintext: "ClickHouse's TLS ports are not built yet (issue 11)" },
    files: [{ path, content: stringify(prometheusSection(port)) }],
  };
}

/**
 * One call for the ClickHouse construct: adds the metrics endpoint to each
 * server (a config.d file) and registers ClickHouse's monitoring. Keeper has
 * the same endpoint in its keeper.yaml (`prometheusSection`), on the port its
 * construct declares as `metrics`.
 */
export function monitorClickhouse(
  scope: IConstruct,
  servers: readonly NodeSpec[],
  keepers: readonly NodeSpec[],
  backups: ScheduledBackups = [],
): NodeSpec[] {
  const p = platformOf(scope).placement;
  const instrumented = servers.map((n) =>
    withMetrics(n, addon(p, n.name, '/etc/clickhouse-server/config.d/prometheus.yaml')),
  );
  monitoringOf(scope).register(clickhouseMonitoring(instrumented, keepers, backups));
  return instrumented;
}

export function clickhouseMonitoring(
  servers: readonly NodeSpec[],
  keepers: readonly NodeSpec[],
  backups: ScheduledBackups = [],
): ComponentMonitoring {
  const sel = `job="${JOB}"`;
  const consumerErrors = `increase(ClickHouseProfileEvents_KafkaConsumerErrors{${sel}}[5m]) > 0 or increase(ClickHouseProfileEvents_KafkaMessagesFailed{${sel}}[5m]) > 0`;
  return {
    component: 'clickhouse',
    jobs: [
      { job: JOB, exporter: 'clickhouse-26.8', targets: servers.map((s) => ({ node: s.name, port: 'metrics' })) },
      {
        job: KEEPER_JOB,
        exporter: 'clickhouse-keeper-26.8',
        targets: keepers.map((k) => ({ node: k.name, port: 'metrics' })),
      },
    ],
    rules: [
      {
        alert: 'ClickHouseDown',
        expr: `up{${sel}} == 0`,
        for: '1m',
        severity: 'critical',
        summary: 'ClickHouse server {{ $labels.instance }} is down',
        description: 'Queries to it fail and its share of the CDC consumer groups moves to the other replica.',
      },
      {
        alert: 'ClickHouseKeeperDown',
        expr: `up{job="${KEEPER_JOB}"} == 0`,
        for: '1m',
        severity: 'warning',
        summary: 'ClickHouse Keeper {{ $labels.instance }} is down',
        description: 'Keeper keeps quorum with 2 of 3 nodes; losing quorum turns every replicated table read-only.',
      },
      {
        alert: 'ClickHouseKafkaConsumerErrors',
        expr: consumerErrors,
        severity: 'warning',
        summary: 'ClickHouse on {{ $labels.instance }} reports Kafka consumer errors or unparseable messages',
        description:
          'librdkafka reported errors while polling, or messages failed to parse: CDC rows are delayed or skipped. The server log names the table and the error.',
      },
      {
        alert: 'ClickHouseRejectedInserts',
        expr: `increase(ClickHouseProfileEvents_RejectedInserts{${sel}}[5m]) > 0`,
        severity: 'critical',
        summary: 'ClickHouse on {{ $labels.instance }} rejected {{ $value }} inserts (too many parts)',
        description:
          'A partition has more active parts than parts_to_throw_insert: merges are not keeping up, and the Kafka engine stops ingesting until they do.',
      },
      {
        alert: 'ClickHouseReadonlyReplica',
        expr: `ClickHouseMetrics_ReadonlyReplica{${sel}} > 0`,
        for: '1m',
        severity: 'critical',
        summary: '{{ $value }} replicated tables on {{ $labels.instance }} are read-only',
        description:
          'The replica lost its Keeper session (Keeper down or unreachable): inserts into these tables, CDC included, fail.',
      },
      ...(backups.length ? [backupOverdueRule('ClickHouse', 'clickhouse', backups)] : []),
    ],
    dashboard: buildDashboard({
      uid: 'dp-clickhouse',
      title: 'ClickHouse',
      rows: [
        {
          title: 'Servers',
          panels: [
            stat(
              'Servers up',
              'none',
              { expr: `sum(up{${sel}})`, legend: 'up' },
              { warn: servers.length, critical: 1, lowIsBad: true },
            ),
            stat(
              'Keeper nodes up',
              'none',
              { expr: `sum(up{job="${KEEPER_JOB}"})`, legend: 'up' },
              { warn: keepers.length, critical: Math.floor(keepers.length / 2) + 1, lowIsBad: true },
            ),
            stat(
              'Read-only tables',
              'none',
              { expr: `sum(ClickHouseMetrics_ReadonlyReplica{${sel}})`, legend: 'read-only' },
              { warn: 1, critical: 1 },
            ),
            stat(
              'Max parts in a partition',
              'none',
              { expr: `max(ClickHouseAsyncMetrics_MaxPartCountForPartition{${sel}})`, legend: 'parts' },
              { warn: 150, critical: 300 },
            ),
            timeseries(
              'Queries',
              'ops',
              [
                { expr: `rate(ClickHouseProfileEvents_Query{${sel}}[5m])`, legend: '{{instance}} queries' },
                { expr: `rate(ClickHouseProfileEvents_FailedQuery{${sel}}[5m])`, legend: '{{instance}} failed' },
              ],
              { min: 0 },
            ),
            timeseries(
              'Rows inserted per second',
              'short',
              [{ expr: `rate(ClickHouseProfileEvents_InsertedRows{${sel}}[5m])`, legend: '{{instance}}' }],
              { min: 0 },
            ),
            timeseries(
              'Kafka messages read',
              'ops',
              [{ expr: `rate(ClickHouseProfileEvents_KafkaMessagesRead{${sel}}[5m])`, legend: '{{instance}}' }],
              { min: 0 },
            ),
            timeseries(
              'Kafka consumers with partitions',
              'short',
              [
                { expr: `ClickHouseMetrics_KafkaConsumersWithAssignment{${sel}}`, legend: '{{instance}} assigned' },
                { expr: `ClickHouseMetrics_KafkaConsumers{${sel}}`, legend: '{{instance}} total' },
              ],
              { min: 0 },
            ),
            timeseries(
              'Inserts delayed or rejected',
              'short',
              [
                {
                  expr: `increase(ClickHouseProfileEvents_DelayedInserts{${sel}}[5m])`,
                  legend: '{{instance}} delayed',
                },
                {
                  expr: `increase(ClickHouseProfileEvents_RejectedInserts{${sel}}[5m])`,
                  legend: '{{instance}} rejected',
                },
              ],
              { min: 0, thresholds: { warn: 1, critical: 1 } },
            ),
            timeseries(
              'Memory tracked',
              'bytes',
              [{ expr: `ClickHouseMetrics_MemoryTracking{${sel}}`, legend: '{{instance}}' }],
              { min: 0 },
            ),
            timeseries(
              'Connections',
              'short',
              [
                { expr: `ClickHouseMetrics_TCPConnection{${sel}}`, legend: '{{instance}} native' },
                { expr: `ClickHouseMetrics_HTTPConnection{${sel}}`, legend: '{{instance}} HTTP' },
              ],
              { min: 0 },
            ),
            timeseries(
              'Running queries',
              'short',
              [{ expr: `ClickHouseMetrics_Query{${sel}}`, legend: '{{instance}}' }],
              { min: 0 },
            ),
          ],
        },
      ],
    }),
    overview: {
      title: 'ClickHouse',
      stat: {
        title: 'ClickHouse read-only tables',
        expr: `sum(ClickHouseMetrics_ReadonlyReplica{${sel}})`,
        unit: 'none',
      },
    },
  };
}

import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import { backupOverdueRule } from '../platform/backup-status';
import type { AlertRule, ComponentMonitoring } from '../platform/monitoring-registry';
import type { Endpoint, ImageRef, NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';
import type { WeeklySchedule } from '../platform/schedule';
import { PLATFORM_CA_PATH } from '../platform/tls';
import { httpsWgetHealth } from '../platform/web-tls';

const JOB = 'postgres';
export const POSTGRES_EXPORTER_PORT = 9187;
/** Role the exporters log in as; created at bootstrap with pg_monitor (patroni-config.ts). */
export const MONITOR_USER = 'monitor';

export interface PostgresMonitoringInput {
  /** Patroni members with the Postgres endpoint of each. */
  readonly members: readonly { readonly node: string; readonly postgres: Endpoint }[];
  /** Logical slots whose retained WAL is watched (the Debezium slot). */
  readonly logicalSlots: readonly string[];
  readonly monitorPassword: string;
  readonly image: ImageRef;
  readonly placement: Placement;
  /** Scheduled base backups, for the overdue alert. @default none: no backup alert */
  readonly backups?: readonly { readonly type: string; readonly schedule: WeeklySchedule }[];
}

/**
 * One postgres_exporter per member, each watching only its own server, so a
 * member's metrics stay visible whatever its role. Series carry the member's
 * name as `instance`.
 */
export function postgresMonitoring(input: PostgresMonitoringInput): ComponentMonitoring {
  const p = input.placement;
  const exporters: NodeSpec[] = input.members.map((m, i) => {
    const name = `postgres-exporter-${i + 1}`;
    const port = p.port(name, 'metrics', POSTGRES_EXPORTER_PORT);
    return {
      name,
      component: 'postgres-exporter',
      role: 'exporter',
      image: input.image,
      command: [`--web.listen-address=${p.bindHost}:${port}`],
      env: {
        // lib/pq checks the member's certificate and name against the platform CA.
        DATA_SOURCE_URI: `${m.postgres.host}:${m.postgres.port}/postgres?sslmode=verify-full&sslrootcert=${p.path(name, PLATFORM_CA_PATH)}`,
        DATA_SOURCE_USER: MONITOR_USER,
        DATA_SOURCE_PASS: input.monitorPassword,
      },
      files: [],
      ports: [{ name: 'metrics', port }],
      volumes: [],
      stateful: false,
      // Busybox base image: wget is there. HTTPS: the job's `tls` has the registry add the web config.
      health: { test: httpsWgetHealth(POSTGRES_EXPORTER_PORT, '/metrics') },
      memoryMb: 24,
      dependsOn: [m.node],
      host: m.node,
    };
  });
  const sel = `job="${JOB}"`;
  const slots = `slot_name=~"${input.logicalSlots.join('|')}"`;
  const onLeader = `and on (instance) pg_replication_is_replica{${sel}} == 0`;
  const connections = `sum by (instance) (pg_stat_activity_count{${sel}}) / on (instance) max by (instance) (pg_settings_max_connections{${sel}})`;
  const walHeld = `max by (instance, slot_name) (pg_replication_slots_pg_wal_lsn_diff{${sel}, ${slots}})`;
  const retained = `${walHeld} ${onLeader}`;
  const oldestTx = `max by (instance, datname) (pg_stat_activity_max_tx_duration{${sel}})`;
  // Only the leader archives (archive_mode on, not always). A segment is closed after archive_timeout when
  // anything was written, so a leader that writes rows and archived nothing for 3 × that is lagging.
  const archiveAge = `max by (instance) (pg_stat_archiver_last_archive_age{${sel}}) ${onLeader}`;
  const rowsWritten = ['inserted', 'updated', 'deleted']
    .map((t) => `sum by (instance) (increase(pg_stat_database_tup_${t}{${sel}}[10m]))`)
    .join(' + ');
  const archiveRules: AlertRule[] = [
    {
      alert: 'PostgresWalArchiveFailing',
      expr: `increase(pg_stat_archiver_failed_count{${sel}}[10m]) > 0 and on (instance) increase(pg_stat_archiver_archived_count{${sel}}[10m]) == 0 ${onLeader}`,
      for: '5m',
      severity: 'critical',
      summary: 'WAL archiving from {{ $labels.instance }} fails and nothing was archived for 10 minutes',
      description:
        'archive_command (pgbackrest archive-push) keeps failing: point-in-time recovery stops at the last archived segment, and unarchived WAL accumulates in pg_wal until the disk fills.',
    },
    {
      alert: 'PostgresWalArchiveLagging',
      expr: `(${archiveAge}) > on (instance) (3 * max by (instance) (pg_settings_archive_timeout_seconds{${sel}})) and on (instance) (${rowsWritten}) > 0`,
      for: '5m',
      severity: 'warning',
      summary:
        'The leader {{ $labels.instance }} last archived WAL {{ $value | humanizeDuration }} ago while rows are written',
      description:
        'Segments should ship within archive_timeout of a write. The archive lags: a loss of every member now costs more than the RPO the settings promise.',
    },
  ];
  return {
    component: 'postgres',
    jobs: [
      {
        job: JOB,
        exporter: 'postgres-exporter-0.20',
        targets: exporters.map((e, i) => ({ node: e.name, port: 'metrics', instance: input.members[i]!.node })),
        tls: {},
      },
    ],
    exporters,
    rules: [
      {
        alert: 'PostgresDown',
        expr: `pg_up{${sel}} == 0`,
        for: '1m',
        severity: 'critical',
        summary: 'Postgres on {{ $labels.instance }} does not accept connections',
        description:
          'The exporter beside the member cannot log in to Postgres. If this is the leader, Patroni should fail over within ttl + loop_wait.',
      },
      {
        alert: 'PostgresTooManyConnections',
        expr: `${connections} > 0.8`,
        for: '5m',
        severity: 'warning',
        summary: 'Postgres on {{ $labels.instance }} uses {{ $value | humanizePercentage }} of max_connections',
        description:
          'Past max_connections new sessions are refused, including PgBouncer server logins and Patroni itself. Find who holds connections (pg_stat_activity) before raising the limit.',
      },
      {
        alert: 'PostgresReplicationSlotWalRetained',
        expr: `${walHeld} > 1073741824 ${onLeader}`,
        for: '5m',
        severity: 'warning',
        summary: 'Slot {{ $labels.slot_name }} on {{ $labels.instance }} holds {{ $value | humanize1024 }}B of WAL',
        description:
          'The logical slot is not being consumed (Debezium stopped or lagging), so the leader keeps every WAL segment since its restart_lsn. Unchecked, the disk fills and Postgres stops.',
      },
      {
        alert: 'PostgresLogicalSlotInactive',
        expr: `max by (instance, slot_name) (pg_replication_slots_slot_is_active{${sel}, ${slots}}) == 0 ${onLeader}`,
        for: '10m',
        severity: 'warning',
        summary: 'No consumer is attached to slot {{ $labels.slot_name }} on the leader',
        description:
          'CDC is not reading the slot: changes are not reaching Kafka, and WAL is piling up behind the slot.',
      },
      {
        alert: 'PostgresLongTransaction',
        expr: `${oldestTx} > 600`,
        for: '1m',
        severity: 'warning',
        summary:
          'A transaction in {{ $labels.datname }} on {{ $labels.instance }} has been open for {{ $value | humanizeDuration }}',
        description:
          'Long transactions block vacuum and hold back the xmin of every replica and slot. Find it in pg_stat_activity and end it if it is stuck.',
      },
      ...archiveRules,
      ...(input.backups?.length ? [backupOverdueRule('Postgres', 'postgres', input.backups)] : []),
    ],
    dashboard: buildDashboard({
      uid: 'dp-postgres',
      title: 'Postgres',
      rows: [
        {
          title: 'Health',
          panels: [
            stat(
              'Servers up',
              'none',
              { expr: `sum(pg_up{${sel}})`, legend: 'up' },
              { warn: input.members.length, critical: 1, lowIsBad: true },
            ),
            stat(
              'Connections used (max)',
              'percentunit',
              { expr: `max(${connections})`, legend: 'used' },
              { warn: 0.7, critical: 0.8 },
            ),
            stat('Oldest transaction', 's', { expr: `max(${oldestTx})`, legend: 'age' }, { warn: 300, critical: 600 }),
            stat(
              'WAL held by CDC slots',
              'bytes',
              { expr: `max(${retained})`, legend: 'retained' },
              { warn: 536870912, critical: 1073741824 },
            ),
          ],
        },
        {
          title: 'Activity',
          panels: [
            timeseries(
              'Connections by state',
              'short',
              [{ expr: `sum by (instance, state) (pg_stat_activity_count{${sel}})`, legend: '{{instance}} {{state}}' }],
              { min: 0 },
            ),
            timeseries(
              'Transactions',
              'ops',
              [
                {
                  expr: `sum by (instance) (rate(pg_stat_database_xact_commit{${sel}}[5m]))`,
                  legend: '{{instance}} commits',
                },
                {
                  expr: `sum by (instance) (rate(pg_stat_database_xact_rollback{${sel}}[5m]))`,
                  legend: '{{instance}} rollbacks',
                },
              ],
              { min: 0 },
            ),
            timeseries('WAL retained by logical slots', 'bytes', [{ expr: retained, legend: '{{slot_name}}' }], {
              min: 0,
              thresholds: { warn: 536870912, critical: 1073741824 },
            }),
            timeseries(
              'WAL archiving',
              'short',
              [
                {
                  expr: `sum by (instance) (increase(pg_stat_archiver_archived_count{${sel}}[5m]))`,
                  legend: '{{instance}} archived',
                },
                {
                  expr: `sum by (instance) (increase(pg_stat_archiver_failed_count{${sel}}[5m]))`,
                  legend: '{{instance}} failed',
                },
              ],
              { min: 0 },
            ),
            timeseries('Age of the last archived WAL (leader)', 's', [{ expr: archiveAge, legend: '{{instance}}' }], {
              min: 0,
            }),
            timeseries(
              'Deadlocks',
              'short',
              [
                {
                  expr: `sum by (instance) (increase(pg_stat_database_deadlocks{${sel}}[5m]))`,
                  legend: '{{instance}}',
                },
              ],
              { min: 0, thresholds: { warn: 1, critical: 5 } },
            ),
          ],
        },
      ],
    }),
    overview: {
      title: 'Postgres',
      stat: { title: 'Postgres servers up', expr: `sum(pg_up{${sel}})`, unit: 'none' },
      lag: [{ title: 'WAL held by the CDC slot', expr: retained, legend: '{{slot_name}}', unit: 'bytes' }],
    },
  };
}

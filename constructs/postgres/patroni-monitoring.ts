import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import type { AlertRule, ComponentMonitoring } from '../platform/monitoring-registry';
import type { NodeSpec } from '../platform/node-spec';

const JOB = 'patroni';

export interface PatroniMonitoringInput {
  readonly members: readonly NodeSpec[];
  readonly synchronousMode: boolean;
  /** A replica further behind is never promoted (Patroni's maximum_lag_on_failover): the lag alert's threshold. */
  readonly maximumLagOnFailoverBytes: number;
}

/** Patroni's own /metrics on its REST port: roles, WAL positions and leader lock, per member. */
export function patroniMonitoring(input: PatroniMonitoringInput): ComponentMonitoring {
  const sel = `job="${JOB}"`;
  // WAL the leader has written that each member has not received; only replicas are kept.
  const lagBytes = `max by (scope) (patroni_xlog_location{${sel}}) - on (scope) group_right patroni_xlog_received_location{${sel}}`;
  const replicasOnly = `and on (scope, name) patroni_replica{${sel}} == 1`;
  const rules: AlertRule[] = [
    {
      alert: 'PatroniNoLeader',
      expr: `absent(patroni_primary{${sel}} == 1)`,
      for: '1m',
      severity: 'critical',
      summary: 'No Patroni member is the Postgres leader',
      description:
        'No member has reported holding the leader lock for a minute: writes fail. A failover normally completes within ttl + loop_wait; longer means no member is eligible (lag, DCS unreachable, or every member down).',
    },
    {
      alert: 'PatroniLeaderChanged',
      expr: `patroni_primary{${sel}} == 1 and changes(patroni_primary{${sel}}[5m]) > 0`,
      severity: 'warning',
      summary: '{{ $labels.name }} became the Postgres leader of {{ $labels.scope }}',
      description:
        'A failover or switchover happened in the last 5 minutes. Check why the old leader lost the lock, and that the CDC slot and replicas followed the new leader.',
    },
    {
      alert: 'PatroniMemberDown',
      expr: `up{${sel}} == 0 or patroni_postgres_running{${sel}} == 0`,
      for: '30s',
      severity: 'critical',
      summary: 'Patroni member {{ $labels.instance }} is down',
      description:
        'Either Patroni does not answer on its REST API or it reports Postgres not running. The cluster has lost a replica (or its leader, then see PatroniNoLeader).',
    },
    {
      alert: 'PatroniReplicaLag',
      expr: `${lagBytes} > ${input.maximumLagOnFailoverBytes} ${replicasOnly}`,
      for: '2m',
      severity: 'warning',
      summary: 'Replica {{ $labels.name }} is {{ $value | humanize1024 }}B behind the leader',
      description: `The replica has received less WAL than the leader has written, by more than maximum_lag_on_failover (${input.maximumLagOnFailoverBytes} bytes): Patroni will not promote it in a failover.`,
    },
  ];
  if (input.synchronousMode) {
    rules.push({
      alert: 'PatroniSyncStandbyMissing',
      expr: `sum by (scope) (patroni_sync_standby{${sel}}) == 0 and on (scope) sum by (scope) (patroni_primary{${sel}}) == 1`,
      for: '1m',
      severity: 'critical',
      summary: 'Postgres cluster {{ $labels.scope }} has no synchronous standby',
      description:
        'synchronous_mode is on but no replica is the sync standby, so the leader acknowledges commits that exist on it alone: a failover now can lose acknowledged writes.',
    });
  }
  return {
    component: 'patroni',
    jobs: [
      {
        job: JOB,
        exporter: 'patroni-4.0',
        // /metrics is on the REST API, which speaks HTTPS only.
        tls: {},
        targets: input.members.map((m) => ({ node: m.name, port: 'rest' })),
      },
    ],
    rules,
    dashboard: buildDashboard({
      uid: 'dp-patroni',
      title: 'Patroni',
      rows: [
        {
          title: 'Roles',
          panels: [
            stat(
              'Leaders',
              'none',
              { expr: `sum(patroni_primary{${sel}})`, legend: 'leaders' },
              { warn: 1, critical: 1, lowIsBad: true },
            ),
            stat(
              'Sync standbys',
              'none',
              { expr: `sum(patroni_sync_standby{${sel}})`, legend: 'sync' },
              { warn: 1, critical: 1, lowIsBad: true },
            ),
            stat(
              'Members running Postgres',
              'none',
              { expr: `sum(patroni_postgres_running{${sel}})`, legend: 'running' },
              { warn: input.members.length, critical: 2, lowIsBad: true },
            ),
            stat('Timeline', 'none', { expr: `max(patroni_postgres_timeline{${sel}})`, legend: 'timeline' }),
          ],
        },
        {
          title: 'Replication',
          panels: [
            timeseries('Leader per member', 'bool_yes_no', [{ expr: `patroni_primary{${sel}}`, legend: '{{name}}' }], {
              min: 0,
            }),
            timeseries('Replica lag', 'bytes', [{ expr: `${lagBytes} ${replicasOnly}`, legend: '{{name}}' }], {
              min: 0,
              thresholds: { warn: input.maximumLagOnFailoverBytes / 2, critical: input.maximumLagOnFailoverBytes },
            }),
            timeseries(
              'WAL written by the leader',
              'Bps',
              [
                {
                  expr: `rate(patroni_xlog_location{${sel}}[5m]) and on (name) patroni_primary{${sel}} == 1`,
                  legend: '{{name}}',
                },
              ],
              { min: 0 },
            ),
            timeseries(
              'Seconds since last DCS contact',
              's',
              [{ expr: `time() - patroni_dcs_last_seen{${sel}}`, legend: '{{name}}' }],
              {
                min: 0,
                thresholds: { warn: 10, critical: 20 },
              },
            ),
          ],
        },
      ],
    }),
    overview: {
      title: 'Patroni',
      stat: { title: 'Postgres leader', expr: `sum(patroni_primary{${sel}})`, unit: 'none' },
      annotations: [
        {
          name: 'Postgres leader change',
          expr: `patroni_primary{${sel}} == 1 and changes(patroni_primary{${sel}}[2m]) > 0`,
          title: 'Postgres leader: {{name}}',
        },
      ],
    },
  };
}

import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import type { ComponentMonitoring } from '../platform/monitoring-registry';
import type { NodeSpec } from '../platform/node-spec';

const JOB = 'etcd';

/** etcd serves Prometheus metrics on its client port; no exporter needed. */
export function etcdMonitoring(members: readonly NodeSpec[]): ComponentMonitoring {
  const sel = `job="${JOB}"`;
  const quorum = Math.floor(members.length / 2) + 1;
  return {
    component: 'etcd',
    jobs: [{ job: JOB, exporter: 'etcd-3.6', targets: members.map((m) => ({ node: m.name, port: 'client' })) }],
    rules: [
      {
        alert: 'EtcdNoLeader',
        expr: `etcd_server_has_leader{${sel}} == 0`,
        for: '1m',
        severity: 'critical',
        summary: 'etcd member {{ $labels.instance }} has no leader',
        description:
          'The member cannot serve writes, so Patroni cannot renew its leader key through it. If every member reports this, quorum is lost and the Postgres leader will demote itself.',
      },
      {
        alert: 'EtcdMemberDown',
        expr: `up{${sel}} == 0`,
        for: '1m',
        severity: 'critical',
        summary: 'etcd member {{ $labels.instance }} is down',
        description: `The member has not answered a scrape for a minute. The cluster keeps quorum while ${quorum} of ${members.length} members are up; one more failure may stop Patroni's leader elections.`,
      },
      {
        alert: 'EtcdQuorumLost',
        expr: `sum(up{${sel}}) < ${quorum}`,
        for: '30s',
        severity: 'critical',
        summary: 'Only {{ $value }} etcd members are up, below quorum',
        description: `Fewer than ${quorum} of ${members.length} members answer. Without quorum Patroni cannot hold its leader key, so Postgres runs without a writable leader until etcd recovers.`,
      },
      {
        alert: 'EtcdSlowFsync',
        expr: `histogram_quantile(0.99, sum by (instance, le) (rate(etcd_disk_wal_fsync_duration_seconds_bucket{${sel}}[5m]))) > 0.5`,
        for: '10m',
        severity: 'warning',
        summary: 'etcd member {{ $labels.instance }} takes {{ $value | humanizeDuration }} to fsync its WAL (p99)',
        description:
          'Slow WAL fsyncs delay every write and heartbeat; beyond about a second the member misses elections and Patroni leader renewals time out.',
      },
      {
        alert: 'EtcdFrequentLeaderChanges',
        expr: `increase(etcd_server_leader_changes_seen_total{${sel}}[15m]) > 3`,
        severity: 'warning',
        summary: 'etcd changed leader {{ $value }} times in 15 minutes on {{ $labels.instance }}',
        description: 'Leader churn usually means slow disks or a lossy network between members.',
      },
      {
        alert: 'EtcdDatabaseNearQuota',
        expr: `etcd_mvcc_db_total_size_in_bytes{${sel}} / etcd_server_quota_backend_bytes{${sel}} > 0.8`,
        for: '10m',
        severity: 'warning',
        summary: 'etcd database on {{ $labels.instance }} is {{ $value | humanizePercentage }} of its quota',
        description:
          'At the quota etcd raises a NOSPACE alarm and refuses writes, which stops Patroni. Compact and defragment.',
      },
    ],
    dashboard: buildDashboard({
      uid: 'dp-etcd',
      title: 'etcd',
      rows: [
        {
          title: 'Cluster',
          panels: [
            stat(
              'Members up',
              'none',
              { expr: `sum(up{${sel}})`, legend: 'up' },
              { warn: members.length, critical: quorum, lowIsBad: true },
            ),
            stat(
              'Members with a leader',
              'none',
              { expr: `sum(etcd_server_has_leader{${sel}})`, legend: 'with leader' },
              { warn: members.length, critical: quorum, lowIsBad: true },
            ),
            stat(
              'Leader changes (1h)',
              'none',
              { expr: `max(increase(etcd_server_leader_changes_seen_total{${sel}}[1h]))`, legend: 'changes' },
              { warn: 1, critical: 4 },
            ),
            stat('DB size', 'bytes', { expr: `max(etcd_mvcc_db_total_size_in_bytes{${sel}})`, legend: 'size' }),
          ],
        },
        {
          title: 'Latency',
          panels: [
            timeseries(
              'WAL fsync p99',
              's',
              [
                {
                  expr: `histogram_quantile(0.99, sum by (instance, le) (rate(etcd_disk_wal_fsync_duration_seconds_bucket{${sel}}[5m])))`,
                  legend: '{{instance}}',
                },
              ],
              { thresholds: { warn: 0.1, critical: 0.5 }, min: 0 },
            ),
            timeseries(
              'Backend commit p99',
              's',
              [
                {
                  expr: `histogram_quantile(0.99, sum by (instance, le) (rate(etcd_disk_backend_commit_duration_seconds_bucket{${sel}}[5m])))`,
                  legend: '{{instance}}',
                },
              ],
              { thresholds: { warn: 0.1, critical: 0.25 }, min: 0 },
            ),
            timeseries(
              'Proposals committed',
              'ops',
              [{ expr: `rate(etcd_server_proposals_committed_total{${sel}}[5m])`, legend: '{{instance}}' }],
              { min: 0 },
            ),
            timeseries(
              'Failed proposals',
              'ops',
              [{ expr: `rate(etcd_server_proposals_failed_total{${sel}}[5m])`, legend: '{{instance}}' }],
              { min: 0, thresholds: { warn: 0.01, critical: 0.1 } },
            ),
          ],
        },
      ],
    }),
    overview: {
      title: 'etcd',
      stat: { title: 'etcd members up', expr: `sum(up{${sel}})`, unit: 'none' },
      annotations: [
        {
          name: 'etcd leader change',
          expr: `changes(etcd_server_is_leader{${sel}}[2m]) > 0 and etcd_server_is_leader{${sel}} == 1`,
          title: 'etcd leader: {{instance}}',
        },
      ],
    },
  };
}

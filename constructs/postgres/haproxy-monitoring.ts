import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import type { ComponentMonitoring } from '../platform/monitoring-registry';

const JOB = 'haproxy';

/** HAProxy's built-in Prometheus exporter on its `metrics` port (haproxy-config.ts). */
export function haproxyMonitoring(router: string): ComponentMonitoring {
  const sel = `job="${JOB}"`;
  return {
    component: 'haproxy',
    jobs: [{ job: JOB, exporter: 'haproxy-3.2', targets: [{ node: router, port: 'metrics' }] }],
    rules: [
      {
        alert: 'HaproxyDown',
        expr: `up{${sel}} == 0`,
        for: '1m',
        severity: 'critical',
        summary: 'HAProxy {{ $labels.instance }} is down',
        description:
          'Both the read-write and read-only routes to Postgres go through HAProxy, and PgBouncer through it: applications cannot reach the database.',
      },
      {
        alert: 'HaproxyNoPrimaryServer',
        expr: `haproxy_backend_active_servers{${sel}, proxy="primary"} == 0`,
        for: '1m',
        severity: 'critical',
        summary: 'HAProxy has no Postgres leader to send writes to',
        description:
          "No member answers 200 on Patroni's /primary: writes fail until a leader is elected. During a failover this lasts about ttl + loop_wait.",
      },
      {
        alert: 'HaproxyNoReplicaServer',
        expr: `haproxy_backend_active_servers{${sel}, proxy="replicas"} == 0`,
        for: '2m',
        severity: 'warning',
        summary: 'HAProxy has no Postgres replica for read-only traffic',
        description: "No member answers 200 on Patroni's /replica, so the read-only route refuses connections.",
      },
    ],
    dashboard: buildDashboard({
      uid: 'dp-haproxy',
      title: 'HAProxy',
      rows: [
        {
          title: 'Routes',
          panels: [
            stat(
              'Leader servers (read-write)',
              'none',
              { expr: `sum(haproxy_backend_active_servers{${sel}, proxy="primary"})`, legend: 'primary' },
              { warn: 1, critical: 1, lowIsBad: true },
            ),
            stat(
              'Replica servers (read-only)',
              'none',
              { expr: `sum(haproxy_backend_active_servers{${sel}, proxy="replicas"})`, legend: 'replicas' },
              { warn: 2, critical: 1, lowIsBad: true },
            ),
            timeseries(
              'Current sessions',
              'short',
              [{ expr: `haproxy_backend_current_sessions{${sel}}`, legend: '{{proxy}}' }],
              { min: 0 },
            ),
            timeseries(
              'Server state changes',
              'short',
              [{ expr: `increase(haproxy_server_check_up_down_total{${sel}}[5m])`, legend: '{{proxy}}/{{server}}' }],
              { min: 0, thresholds: { warn: 1, critical: 3 } },
            ),
          ],
        },
      ],
    }),
    overview: {
      title: 'HAProxy',
      stat: {
        title: 'Write route servers',
        expr: `sum(haproxy_backend_active_servers{${sel}, proxy="primary"})`,
        unit: 'none',
      },
    },
  };
}

import { buildDashboard, stat, timeseries } from './dashboard-kit';
import type { ComponentMonitoring } from '../platform/monitoring-registry';

/** Scrape health of every target, and the monitoring servers watching themselves. */
export function selfMonitoring(): ComponentMonitoring {
  return {
    component: 'monitoring',
    jobs: [
      { job: 'prometheus', exporter: 'prometheus-3.15', targets: [{ node: 'prometheus', port: 'web' }], tls: {} },
      { job: 'alertmanager', exporter: 'alertmanager-0.34', targets: [{ node: 'alertmanager', port: 'web' }], tls: {} },
      { job: 'grafana', exporter: 'grafana-13.2', targets: [{ node: 'grafana', port: 'web' }], tls: {} },
    ],
    rules: [
      {
        alert: 'TargetDown',
        expr: 'up == 0',
        for: '2m',
        severity: 'warning',
        summary: '{{ $labels.job }} target {{ $labels.instance }} is down',
        description:
          'Prometheus has not scraped the target for two minutes: the node or its exporter is down, or unreachable from Prometheus. While it is down its own alerts cannot fire.',
      },
      {
        alert: 'PrometheusRuleEvaluationFailures',
        expr: 'increase(prometheus_rule_evaluation_failures_total{job="prometheus"}[10m]) > 0',
        severity: 'warning',
        summary: 'Prometheus failed to evaluate {{ $value }} rules in 10 minutes',
        description:
          'A failing rule never fires: the alert it defines is blind. The Prometheus log names the rule and the error.',
      },
      {
        alert: 'AlertmanagerNotificationsFailing',
        expr: 'increase(alertmanager_notifications_failed_total{job="alertmanager"}[10m]) > 0',
        severity: 'warning',
        summary: 'Alertmanager failed to deliver {{ $value }} notifications through {{ $labels.integration }}',
        description:
          'Alerts fire but nobody is told. Check the receiver settings (monitoring.alertmanager) and the Alertmanager log.',
      },
    ],
    dashboard: buildDashboard({
      uid: 'dp-monitoring',
      title: 'Monitoring',
      rows: [
        {
          title: 'Scrapes',
          panels: [
            stat(
              'Targets down',
              'none',
              { expr: 'count(up == 0) or vector(0)', legend: 'down' },
              { warn: 1, critical: 2 },
            ),
            stat(
              'Firing alerts',
              'none',
              { expr: 'count(ALERTS{alertstate="firing"}) or vector(0)', legend: 'firing' },
              { warn: 1, critical: 5 },
            ),
            timeseries('Scrape duration', 's', [{ expr: 'scrape_duration_seconds', legend: '{{job}}/{{instance}}' }], {
              min: 0,
              thresholds: { warn: 5, critical: 10 },
            }),
            timeseries(
              'Samples per scrape',
              'short',
              [{ expr: 'scrape_samples_scraped', legend: '{{job}}/{{instance}}' }],
              { min: 0 },
            ),
          ],
        },
        {
          title: 'Rules and notifications',
          panels: [
            timeseries(
              'Rule evaluation failures',
              'short',
              [
                {
                  expr: 'increase(prometheus_rule_evaluation_failures_total{job="prometheus"}[10m])',
                  legend: '{{rule_group}}',
                },
              ],
              { min: 0, thresholds: { warn: 1, critical: 1 } },
            ),
            timeseries(
              'Notifications sent and failed',
              'short',
              [
                {
                  expr: 'increase(alertmanager_notifications_total{job="alertmanager"}[10m])',
                  legend: '{{integration}} sent',
                },
                {
                  expr: 'increase(alertmanager_notifications_failed_total{job="alertmanager"}[10m])',
                  legend: '{{integration}} failed',
                },
              ],
              { min: 0 },
            ),
          ],
        },
      ],
    }),
    overview: {
      title: 'Monitoring',
      stat: { title: 'Scrape targets down', expr: 'count(up == 0) or vector(0)', unit: 'none' },
    },
  };
}

import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
  RowBuilder,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PROMETHEUS_DATASOURCE, panel, stat, timeseries } from './dashboard-kit';
import type { ComponentMonitoring } from '../platform/monitoring-registry';

/**
 * The platform overview, assembled from the registry: one headline number per
 * component, firing alerts and down targets, the CDC lag chain, and every
 * registered leader/primary change drawn as an annotation.
 */
export function overviewDashboard(components: readonly ComponentMonitoring[]): Dashboard {
  const d = new DashboardBuilder('Data platform overview')
    .uid('dp-overview')
    .tags(['data-platform'])
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('browser')
    .readonly()
    .link(
      new DashboardLinkBuilder('Components')
        .type(DashboardLinkType.Dashboards)
        .tags(['data-platform'])
        .asDropdown(true),
    );

  for (const c of components) {
    for (const a of c.overview.annotations ?? []) {
      d.annotation(
        new AnnotationQueryBuilder()
          .name(a.name)
          .datasource(PROMETHEUS_DATASOURCE)
          .enable(true)
          .iconColor('orange')
          .expr(a.expr)
          .titleFormat(a.title)
          .step('15s'),
      );
    }
  }

  d.withRow(new RowBuilder('State of each component'));
  for (const c of components) {
    d.withPanel(
      panel(
        stat(c.overview.stat.title, c.overview.stat.unit, { expr: c.overview.stat.expr, legend: c.overview.title }),
      ),
    );
  }

  d.withRow(new RowBuilder('Alerts and scrape health'));
  d.withPanel(
    panel(
      timeseries(
        'Firing alerts by component',
        'short',
        [{ expr: 'count by (component) (ALERTS{alertstate="firing"})', legend: '{{component}}' }],
        {
          min: 0,
          thresholds: { warn: 1, critical: 1 },
        },
      ),
    ),
  );
  d.withPanel(
    panel(
      timeseries('Scrape targets down by job', 'short', [{ expr: 'count by (job) (up == 0)', legend: '{{job}}' }], {
        min: 0,
        thresholds: { warn: 1, critical: 2 },
      }),
    ),
  );

  const lags = components.flatMap((c) => c.overview.lag ?? []);
  if (lags.length > 0) {
    d.withRow(new RowBuilder('CDC: Postgres → Debezium → Kafka → ClickHouse'));
    for (const l of lags)
      d.withPanel(panel(timeseries(l.title, l.unit, [{ expr: l.expr, legend: l.legend }], { min: 0 })));
  }
  return d.build();
}

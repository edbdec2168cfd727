/**
 * The few panel shapes every dashboard uses, built with Grafana's foundation
 * SDK so that each panel has its legend on, its unit set and thresholds where
 * a value has a meaning (units are Grafana unit IDs: 's', 'bytes', 'percentunit'…).
 */
import { LegendDisplayMode, LegendPlacement, BigValueColorMode } from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

/** UID of the provisioned Prometheus datasource (grafana-config.ts). */
export const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

export interface Query {
  readonly expr: string;
  /** Legend per series, e.g. '{{instance}}'. */
  readonly legend: string;
}

/** Colour steps: green below `warn`, orange from `warn`, red from `critical`. Inverted for values where low is bad. */
export interface Thresholds {
  readonly warn: number;
  readonly critical: number;
  /** @default false: high values are bad */
  readonly lowIsBad?: boolean;
}

export type PanelSpec =
  | {
      readonly kind: 'timeseries';
      readonly title: string;
      readonly unit: string;
      readonly queries: readonly Query[];
      readonly thresholds?: Thresholds;
      readonly min?: number;
      readonly description?: string;
    }
  | {
      readonly kind: 'stat';
      readonly title: string;
      readonly unit: string;
      readonly query: Query;
      readonly thresholds?: Thresholds;
      readonly description?: string;
    };

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly rows: readonly { readonly title: string; readonly panels: readonly PanelSpec[] }[];
}

export const timeseries = (
  title: string,
  unit: string,
  queries: readonly Query[],
  extra: { thresholds?: Thresholds; min?: number; description?: string } = {},
): PanelSpec => ({ kind: 'timeseries', title, unit, queries, ...extra });

export const stat = (title: string, unit: string, query: Query, thresholds?: Thresholds): PanelSpec => ({
  kind: 'stat',
  title,
  unit,
  query,
  ...(thresholds ? { thresholds } : {}),
});

function target(q: Query, refId: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(PROMETHEUS_DATASOURCE).expr(q.expr).legendFormat(q.legend).refId(refId);
}

function steps(t: Thresholds): ThresholdsConfigBuilder {
  const [low, mid, high] = t.lowIsBad ? ['red', 'orange', 'green'] : ['green', 'orange', 'red'];
  const [first, second] = t.lowIsBad ? [t.critical, t.warn] : [t.warn, t.critical];
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: low },
    { value: first, color: mid },
    { value: second, color: high },
  ]);
}

export function panel(spec: PanelSpec): TimeseriesPanel | StatPanel {
  if (spec.kind === 'stat') {
    const p = new StatPanel()
      .title(spec.title)
      .unit(spec.unit)
      .datasource(PROMETHEUS_DATASOURCE)
      .withTarget(target(spec.query, 'A'))
      .colorMode(BigValueColorMode.Background)
      .height(4)
      .span(6);
    if (spec.thresholds) p.thresholds(steps(spec.thresholds));
    return p;
  }
  const p = new TimeseriesPanel()
    .title(spec.title)
    .unit(spec.unit)
    .datasource(PROMETHEUS_DATASOURCE)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.Table)
        .placement(LegendPlacement.Bottom)
        .calcs(['lastNotNull', 'max']),
    )
    .height(8)
    .span(12);
  spec.queries.forEach((q, i) => p.withTarget(target(q, String.fromCharCode(65 + i))));
  if (spec.description) p.description(spec.description);
  if (spec.min !== undefined) p.min(spec.min);
  if (spec.thresholds) p.thresholds(steps(spec.thresholds));
  return p;
}

/** A component dashboard: one collapsed-free row per topic, tagged for the overview's links. */
export function buildDashboard(spec: DashboardSpec): Dashboard {
  const d = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .tags(['data-platform'])
    .refresh('30s')
    .time({ from: 'now-3h', to: 'now' })
    .timezone('browser')
    .readonly();
  for (const row of spec.rows) {
    d.withRow(new RowBuilder(row.title));
    for (const p of row.panels) d.withPanel(panel(p));
  }
  return d.build();
}

import type { NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';
import { renderAlertmanagerYml, type AlertmanagerConfigInput } from './alertmanager-config';
import { GRAFANA_PATHS, dashboardJson, renderDashboardProvider, renderGrafanaDatasources } from './grafana-config';
import { overviewDashboard } from './overview-dashboard';
import { renderPrometheusYml, renderRuleFile } from './prometheus-config';
import { PLATFORM_CA_PATH } from '../platform/tls';
import type { ComponentMonitoring } from '../platform/monitoring-registry';

/** Standard container paths of the monitoring servers; targets place them with `placement.path`. */
export const PROMETHEUS_PATHS = {
  config: '/etc/prometheus/prometheus.yml',
  rules: '/etc/prometheus/rules',
  data: '/prometheus',
} as const;
export const ALERTMANAGER_PATHS = { config: '/etc/alertmanager/alertmanager.yml', data: '/alertmanager' } as const;
export const MONITORING_PORTS = { prometheus: 9090, alertmanager: 9093, grafana: 3000 } as const;

export interface MonitoringFiles {
  readonly prometheusYml: string;
  /** Rule file text per component. */
  readonly rules: Readonly<Record<string, string>>;
  readonly alertmanagerYml: string;
  readonly grafanaDatasources: string;
  readonly grafanaDashboardProvider: string;
  /** Dashboard JSON per dashboard UID, the overview included. */
  readonly dashboards: Readonly<Record<string, string>>;
}

export interface MonitoringRenderInput {
  readonly components: readonly ComponentMonitoring[];
  /** Every node scrape targets may name, the monitoring servers included. */
  readonly nodes: readonly NodeSpec[];
  readonly placement: Placement;
  readonly scrapeIntervalSeconds: number;
  readonly runbookBaseUrl: string;
  readonly alertmanager: AlertmanagerConfigInput;
}

/**
 * Every monitoring file, from the registry and a placement: what the Monitoring
 * construct puts into its NodeSpecs, and what the loopback lab writes for its
 * Prometheus and Alertmanager (flags: see monitoring/README.md).
 */
export function renderMonitoringFiles(input: MonitoringRenderInput): MonitoringFiles {
  const p = input.placement;
  const endpoint = (node: 'prometheus' | 'alertmanager') => ({
    host: p.host(node),
    port: p.port(node, 'web', MONITORING_PORTS[node]),
  });
  const dashboards = [...input.components.map((c) => c.dashboard), overviewDashboard(input.components)];
  return {
    prometheusYml: renderPrometheusYml({
      components: input.components,
      nodes: input.nodes,
      placement: p,
      scrapeIntervalSeconds: input.scrapeIntervalSeconds,
      evaluationIntervalSeconds: input.scrapeIntervalSeconds,
      rulesDir: p.path('prometheus', PROMETHEUS_PATHS.rules),
      caFile: p.path('prometheus', PLATFORM_CA_PATH),
      alertmanager: endpoint('alertmanager'),
    }),
    // A component may register only scrape jobs and a dashboard (the Pushgateway): no empty rule file.
    rules: Object.fromEntries(
      input.components
        .filter((c) => c.rules.length > 0)
        .map((c) => [c.component, renderRuleFile(c, input.runbookBaseUrl)]),
    ),
    alertmanagerYml: renderAlertmanagerYml(input.alertmanager),
    grafanaDatasources: renderGrafanaDatasources({
      prometheus: endpoint('prometheus'),
      alertmanager: endpoint('alertmanager'),
      scrapeIntervalSeconds: input.scrapeIntervalSeconds,
      placement: p,
    }),
    grafanaDashboardProvider: renderDashboardProvider(p.path('grafana', GRAFANA_PATHS.dashboards)),
    dashboards: Object.fromEntries(dashboards.map((d) => [d.uid!, dashboardJson(d)])),
  };
}

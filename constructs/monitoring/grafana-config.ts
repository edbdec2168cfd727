import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { stringify } from 'yaml';
import type { Endpoint } from '../platform/node-spec';
import { PROMETHEUS_DATASOURCE } from './dashboard-kit';

/** Grafana's provisioning folder and where the dashboard JSON files go. */
export const GRAFANA_PATHS = {
  provisioning: '/etc/grafana/provisioning',
  dashboards: '/etc/grafana/dashboards',
} as const;

/** Datasources: Prometheus under the UID every dashboard refers to, and Alertmanager for the alert list. */
export function renderGrafanaDatasources(input: {
  readonly prometheus: Endpoint;
  readonly alertmanager: Endpoint;
  readonly scrapeIntervalSeconds: number;
}): string {
  return stringify({
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        uid: PROMETHEUS_DATASOURCE.uid,
        type: PROMETHEUS_DATASOURCE.type,
        access: 'proxy',
        url: `http://${input.prometheus.host}:${input.prometheus.port}`,
        isDefault: true,
        editable: false,
        // Lets $__rate_interval cover at least four scrapes.
        jsonData: { timeInterval: `${input.scrapeIntervalSeconds}s` },
      },
      {
        name: 'Alertmanager',
        uid: 'alertmanager',
        type: 'alertmanager',
        access: 'proxy',
        url: `http://${input.alertmanager.host}:${input.alertmanager.port}`,
        editable: false,
        jsonData: { implementation: 'prometheus', handleGrafanaManagedAlerts: false },
      },
    ],
  });
}

/** The file provider that loads every dashboard JSON file in `dashboardsDir`, read-only. */
export function renderDashboardProvider(dashboardsDir: string): string {
  return stringify({
    apiVersion: 1,
    providers: [
      {
        name: 'data-platform',
        folder: 'Data platform',
        type: 'file',
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: dashboardsDir },
      },
    ],
  });
}

/** A dashboard as the JSON file Grafana's file provider reads. */
export function dashboardJson(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

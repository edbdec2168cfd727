import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { stringify } from 'yaml';
import type { Endpoint } from '../platform/node-spec';
import type { Placement } from '../platform/placement';
import { PLATFORM_CA_PATH } from '../platform/tls';
import { WEB_TLS_CERT, WEB_TLS_KEY } from '../platform/web-tls';
import { PROMETHEUS_DATASOURCE } from './dashboard-kit';

/** Grafana's provisioning folder and where the dashboard JSON files go. */
export const GRAFANA_PATHS = {
  provisioning: '/etc/grafana/provisioning',
  dashboards: '/etc/grafana/dashboards',
} as const;

/**
 * Datasources: Prometheus under the UID every dashboard refers to, and
 * Alertmanager for the alert list. Both want a client certificate, so Grafana
 * presents its own and checks theirs against the platform CA. Grafana reads
 * the PEM text through `$__file{}`, which provisioning expands like grafana.ini
 * (interpolateValue in pkg/services/provisioning/values; not run here: no Grafana in the lab).
 */
export function renderGrafanaDatasources(input: {
  readonly prometheus: Endpoint;
  readonly alertmanager: Endpoint;
  readonly scrapeIntervalSeconds: number;
  readonly placement: Placement;
}): string {
  const file = (path: string) => `$__file{${input.placement.path('grafana', path)}}`;
  const tls = () => ({
    jsonData: { tlsAuth: true, tlsAuthWithCACert: true },
    secureJsonData: {
      tlsCACert: file(PLATFORM_CA_PATH),
      tlsClientCert: file(WEB_TLS_CERT),
      tlsClientKey: file(WEB_TLS_KEY),
    },
  });
  return stringify({
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        uid: PROMETHEUS_DATASOURCE.uid,
        type: PROMETHEUS_DATASOURCE.type,
        access: 'proxy',
        url: `https://${input.prometheus.host}:${input.prometheus.port}`,
        isDefault: true,
        editable: false,
        // Lets $__rate_interval cover at least four scrapes.
        jsonData: { ...tls().jsonData, timeInterval: `${input.scrapeIntervalSeconds}s` },
        secureJsonData: tls().secureJsonData,
      },
      {
        name: 'Alertmanager',
        uid: 'alertmanager',
        type: 'alertmanager',
        access: 'proxy',
        url: `https://${input.alertmanager.host}:${input.alertmanager.port}`,
        editable: false,
        jsonData: { ...tls().jsonData, implementation: 'prometheus', handleGrafanaManagedAlerts: false },
        secureJsonData: tls().secureJsonData,
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

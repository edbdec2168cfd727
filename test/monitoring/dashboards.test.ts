import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { overviewDashboard } from '../../constructs/monitoring/overview-dashboard';
import { file, node } from '../helpers';
import { allMonitoring, fullPlatform } from './components';

const platform = fullPlatform();
const grafana = node(platform, 'grafana');
const components = allMonitoring(platform);
const dashboards = [...components.map((c) => c.dashboard), overviewDashboard(components)];
const panels = (d: { panels?: unknown[] }) => (d.panels ?? []) as any[];

describe('Grafana provisioning', () => {
  it('provisions the Prometheus datasource under the UID every panel uses', () => {
    const ds = parse(file(grafana, '/etc/grafana/provisioning/datasources/platform.yml'));
    expect(ds.datasources[0]).toMatchObject({
      uid: 'prometheus',
      type: 'prometheus',
      url: 'https://prometheus:9090',
      isDefault: true,
    });
    for (const d of dashboards) {
      for (const p of panels(d).filter((p) => p.type !== 'row'))
        expect(p.datasource, `${d.title} › ${p.title}`).toEqual({ type: 'prometheus', uid: 'prometheus' });
    }
  });

  it('reaches Prometheus and Alertmanager over HTTPS with its own certificate, checking theirs against the CA', () => {
    const ds = parse(file(grafana, '/etc/grafana/provisioning/datasources/platform.yml')).datasources;
    for (const d of ds) {
      expect(d.url, d.name).toMatch(/^https:\/\//);
      expect(d.jsonData, d.name).toMatchObject({ tlsAuth: true, tlsAuthWithCACert: true });
      expect(d.secureJsonData, d.name).toEqual({
        tlsCACert: '$__file{/etc/dataplatform/tls/ca.crt}',
        tlsClientCert: '$__file{/etc/dataplatform/web/tls.crt}',
        tlsClientKey: '$__file{/etc/dataplatform/web/tls.key}',
      });
    }
    expect(grafana.env).toMatchObject({
      GF_SERVER_PROTOCOL: 'https',
      GF_SERVER_CERT_FILE: '/etc/dataplatform/web/tls.crt',
      GF_AUTH_ANONYMOUS_ENABLED: 'false',
      GF_USERS_ALLOW_SIGN_UP: 'false',
    });
    expect(grafana.env.GF_SECURITY_ADMIN_PASSWORD).toBe('{{secret:grafana-admin}}');
    expect(platform.certificates.find((c) => c.node === 'grafana')?.hosts).toEqual(['grafana']);
  });

  it('loads one JSON file per registered component and the overview, read-only', () => {
    const provider = parse(file(grafana, '/etc/grafana/provisioning/dashboards/platform.yml')).providers[0];
    expect(provider).toMatchObject({
      type: 'file',
      allowUiUpdates: false,
      options: { path: '/etc/grafana/dashboards' },
    });
    const files = grafana.files.filter((f) => f.path.startsWith('/etc/grafana/dashboards/'));
    const uids = files.map((f) => JSON.parse(f.content).uid);
    expect(files.map((f) => f.path)).toEqual(uids.map((uid) => `/etc/grafana/dashboards/${uid}.json`));
    expect(uids).toContain('dp-overview');
    expect(uids).toEqual(
      expect.arrayContaining([
        'dp-etcd',
        'dp-patroni',
        'dp-postgres',
        'dp-pgbouncer',
        'dp-haproxy',
        'dp-kafka',
        'dp-cdc',
        'dp-mongo',
        'dp-clickhouse',
        'dp-containers',
        'dp-monitoring',
      ]),
    );
  });

  it('keeps no hand-written dashboard JSON in the repository', () => {
    const json = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? json(`${dir}/${e.name}`) : e.name.endsWith('.json') ? [e.name] : [],
      );
    expect(json('monitoring')).toEqual([]);
  });
});

describe('dashboards', () => {
  it('sets a unit on every panel and keeps the legend of every time series on', () => {
    for (const d of dashboards) {
      for (const p of panels(d).filter((p) => p.type !== 'row')) {
        expect(p.fieldConfig?.defaults?.unit, `${d.title} › ${p.title}`).toBeTruthy();
        if (p.type === 'timeseries') expect(p.options.legend).toMatchObject({ showLegend: true, displayMode: 'table' });
      }
    }
  });

  it('gives every dashboard thresholds where values have a meaning', () => {
    for (const d of dashboards) {
      const withSteps = panels(d).filter((p) => (p.fieldConfig?.defaults?.thresholds?.steps ?? []).length === 3);
      expect(withSteps.length, d.title).toBeGreaterThan(0);
    }
  });

  it('shows on the overview every component, the CDC lag chain and leader changes as annotations', () => {
    const overview = dashboards.at(-1)!;
    const titles = panels(overview).map((p) => p.title);
    for (const c of components) expect(titles).toContain(c.overview.stat.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'CDC: Postgres → Debezium → Kafka → ClickHouse',
        'Postgres/Mongo → Kafka (Debezium lag)',
        'Kafka → ClickHouse consumer lag',
        'WAL held by the CDC slot',
      ]),
    );
    const annotations = (overview.annotations?.list ?? []).map((a) => a.name);
    expect(annotations).toEqual(
      expect.arrayContaining([
        'Postgres leader change',
        'etcd leader change',
        'Kafka controller change',
        'MongoDB primary change',
      ]),
    );
  });
});

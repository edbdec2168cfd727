import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RootConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataPlatform } from '../../constructs/data-platform';
import { LoopbackPlacement } from '../../constructs/platform/placement';
import { node } from '../helpers';
import { resolveSecrets } from '../../constructs/platform/secrets';
import { WEB_CLIENT_CONFIG_PATH } from '../../constructs/platform/web-tls';
import { httpsGet, httpsJson, type ClientTls } from '../../scripts/lab/https';
import { labOperatorTls } from '../../scripts/lab/tls';
import { asPostgres, findTool, haveTools, placeTls, run, scratch, start } from '../real-tools/tools';

const tools = {
  prometheus: findTool(process.env.PROMETHEUS_BIN ?? 'prometheus', '/usr/bin/prometheus'),
  alertmanager: findTool(process.env.ALERTMANAGER_BIN ?? 'prometheus-alertmanager', '/usr/bin/prometheus-alertmanager'),
  amtool: findTool(process.env.AMTOOL ?? 'amtool', '/usr/bin/amtool'),
  ss: findTool('ss'),
};

/** Debian's busybox stands in for the exporter images' (a different build: see the health check test). */
const busybox = findTool('busybox', '/usr/bin/busybox');

/** GET `url` as the lab operator until `ready` accepts the JSON body (bounded: 20 s). */
async function poll(url: string, tls: ClientTls, ready: (body: any) => boolean): Promise<any> {
  let last: unknown;
  for (let i = 0; i < 80; i++) {
    try {
      last = await httpsJson(url, tls);
      if (ready(last)) return last;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready: ${JSON.stringify(last)?.slice(0, 500)}`);
}

describe.runIf(haveTools(tools))('Prometheus and Alertmanager run on the lab-rendered files and flags', () => {
  const root = scratch('monitoring-servers');
  const lab = new DataPlatform(new RootConstruct(), 'platform', {
    placement: new LoopbackPlacement(root, 27800),
    monitoring: { scrapeIntervalSeconds: 1 },
  });
  const servers = ['alertmanager', 'prometheus'].map((name) => node(lab, name));
  const port = (name: string) => node(lab, name).ports[0]!.port;
  const url = (name: string, path: string) => `https://127.0.0.1:${port(name)}${path}`;
  const children: ReturnType<typeof start>[] = [];
  let operator: ClientTls;

  beforeAll(() => {
    placeTls(lab, root, ['alertmanager', 'prometheus']);
    operator = labOperatorTls(root);
    for (const n of servers) {
      for (const f of n.files) {
        const path = lab.placement.path(n.name, f.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, f.content);
      }
      for (const v of n.volumes) mkdirSync(lab.placement.path(n.name, v.path), { recursive: true });
    }
    children.push(start([tools.alertmanager!, ...node(lab, 'alertmanager').command!]));
    children.push(start([tools.prometheus!, ...node(lab, 'prometheus').command!]));
  });
  afterAll(() => children.forEach((c) => c.kill('SIGTERM')));

  it('Prometheus loads every rule group and finds the Alertmanager over mutual TLS', async () => {
    const rules = await poll(url('prometheus', '/api/v1/rules'), operator, (b) => b.data?.groups?.length > 0);
    const expected = lab.monitoring.files.rules;
    expect(rules.data.groups.map((g: { name: string }) => g.name).sort()).toEqual(Object.keys(expected).sort());
    const am = await poll(
      url('prometheus', '/api/v1/alertmanagers'),
      operator,
      (b) => b.data?.activeAlertmanagers?.length > 0,
    );
    expect(am.data.activeAlertmanagers[0].url).toBe(url('alertmanager', '/api/v2/alerts'));
  });

  it('scrapes itself and the Alertmanager over TLS with its own certificate: both targets up', async () => {
    const targets = await poll(url('prometheus', '/api/v1/targets'), operator, (b) =>
      ['prometheus', 'alertmanager'].every((job) =>
        b.data?.activeTargets?.some((t: any) => t.labels.job === job && t.health === 'up'),
      ),
    );
    const self = targets.data.activeTargets.find((t: any) => t.labels.job === 'prometheus');
    expect(self.scrapeUrl).toBe(url('prometheus', '/metrics'));
  });

  it('evaluates the rules: the targets that do not run here turn alerts pending', async () => {
    // Only Prometheus and Alertmanager run here, so every other target is down; the `for` windows (30 s and more)
    // are the lab's live check to wait out, not this one.
    const alerts = await poll(url('prometheus', '/api/v1/alerts'), operator, (b) =>
      ['TargetDown', 'EtcdMemberDown', 'PatroniMemberDown'].every((name) =>
        b.data?.alerts?.some((a: any) => a.labels.alertname === name),
      ),
    );
    const memberDown = alerts.data.alerts.find((a: any) => a.labels.alertname === 'PatroniMemberDown');
    expect(memberDown.labels).toMatchObject({ severity: 'critical', component: 'patroni', job: 'patroni' });
    expect(memberDown.annotations.runbook).toBe('monitoring/runbooks/patroni.md#patronimemberdown');
    const status = await poll(url('alertmanager', '/api/v2/status'), operator, (b) => b.cluster !== undefined);
    expect(status.cluster.status).toBe('disabled');
  });

  describe.each(['prometheus', 'alertmanager'])('%s refuses', (name) => {
    const path = name === 'prometheus' ? '/api/v1/status/config' : '/api/v2/status';

    it('plaintext HTTP', async () => {
      await poll(url(name, path), operator, () => true);
      const res = await fetch(`http://127.0.0.1:${port(name)}${path}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/HTTP request to an HTTPS server/);
    });

    it('a client without a certificate, and one whose certificate is of another CA', async () => {
      await poll(url(name, path), operator, () => true);
      await expect(httpsGet(url(name, path), { ca: operator.ca })).rejects.toThrow();
      await expect(httpsGet(url(name, path), { ...stranger(), ca: operator.ca })).rejects.toThrow();
      // Positive control: the same request with the operator's certificate.
      expect((await httpsGet(url(name, path), operator)).status).toBe(200);
    });
  });

  it("the Alertmanager health check's amtool gets in with the node's client config, and not without", async () => {
    await poll(url('alertmanager', '/api/v2/status'), operator, () => true);
    const health = node(lab, 'alertmanager').health!.test;
    expect(health).toContain(`--http.config.file=${WEB_CLIENT_CONFIG_PATH}`);
    const amtool = (...flags: string[]) =>
      run([tools.amtool!, `--alertmanager.url=${url('alertmanager', '')}`, ...flags, 'cluster', 'show']);
    const withConfig = amtool(`--http.config.file=${lab.placement.path('alertmanager', WEB_CLIENT_CONFIG_PATH)}`);
    expect(withConfig.code, withConfig.output).toBe(0);
    expect(withConfig.output).toMatch(/Status: *disabled/i);
    expect(amtool().code).not.toBe(0);
  });

  it('listens on 127.0.0.1 only, with Alertmanager gossip off', () => {
    const pids = children.map((c) => c.pid).join('|');
    const listening = execFileSync(tools.ss!, ['-Htlnp'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => new RegExp(`pid=(${pids}),`).test(l))
      .map((l) => l.split(/\s+/)[3]);
    expect(listening.sort()).toEqual([`127.0.0.1:${port('alertmanager')}`, `127.0.0.1:${port('prometheus')}`].sort());
  });
});

/** A client certificate the platform CA never signed: self-signed, made here. */
function stranger(): { cert: string; key: string } {
  const dir = scratch('monitoring-stranger');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
      ...['-subj', '/CN=stranger', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    ],
    { stdio: 'pipe' },
  );
  return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
}

describe.runIf(
  haveTools({
    pgbouncer: findTool('pgbouncer', '/usr/sbin/pgbouncer'),
    busybox,
    exporter: findTool(`${process.env.LAB_HOME ?? '/opt/dataplatform'}/bin/pgbouncer_exporter`),
  }),
)('the PgBouncer exporter reads the rendered PgBouncer as its stats user', () => {
  const root = scratch('monitoring-pgbouncer');
  const lab = new DataPlatform(new RootConstruct(), 'platform', { placement: new LoopbackPlacement(root, 27900) });
  const secrets: Record<string, string> = { 'postgres-app': 'apppassword', 'pgbouncer-stats': 'statspassword' };
  const resolve = (text: string) => resolveSecrets(text, (name) => secrets[name] ?? 'unused');
  const children: ReturnType<typeof start>[] = [];

  beforeAll(() => {
    placeTls(lab, root, ['pgbouncer', 'pgbouncer-exporter']);
    for (const n of [node(lab, 'pgbouncer'), node(lab, 'pgbouncer-exporter')]) {
      for (const f of n.files) {
        const path = lab.placement.path(n.name, f.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, resolve(f.content));
      }
    }
    execFileSync('chmod', ['-R', 'a+rX', root]);
    children.push(
      start(
        asPostgres([
          findTool('pgbouncer', '/usr/sbin/pgbouncer')!,
          lab.placement.path('pgbouncer', '/etc/pgbouncer/pgbouncer.ini'),
        ]),
      ),
    );
    const exporter = node(lab, 'pgbouncer-exporter');
    const env = Object.fromEntries(Object.entries(exporter.env).map(([k, v]) => [k, resolve(v)]));
    children.push(
      spawn(`${process.env.LAB_HOME ?? '/opt/dataplatform'}/bin/pgbouncer_exporter`, [...exporter.command!], {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      }),
    );
  });
  afterAll(() => children.forEach((c) => c.kill('SIGTERM')));

  const port = () => node(lab, 'pgbouncer-exporter').ports[0]!.port;
  const ca = () => readFileSync(join(root, 'tls/ca.crt'), 'utf8');

  it('logs in to the admin console and exports the pools over HTTPS, its certificate checked against the CA', async () => {
    const url = `https://127.0.0.1:${port()}/metrics`;
    let body = '';
    for (let i = 0; i < 40 && !/^pgbouncer_up 1$/m.test(body); i++) {
      body = await httpsGet(url, { ca: ca() })
        .then((r) => r.body)
        .catch(() => '');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(body).toMatch(/^pgbouncer_up 1$/m);
    expect(body).toMatch(/^pgbouncer_databases_pool_size\{.*name="app_rw".*\} 20$/m);
  });

  it('refuses plaintext HTTP, and its busybox wget health check gets through over HTTPS', async () => {
    const res = await fetch(`http://127.0.0.1:${port()}/metrics`);
    expect(res.status).toBe(400);
    const health = node(lab, 'pgbouncer-exporter').health!.test.slice(1);
    const wget = (url: string) => run([busybox!, ...health.slice(0, -1), url]);
    expect(health.at(-1)).toBe('https://127.0.0.1:9127/metrics');
    const ok = wget(`https://127.0.0.1:${port()}/metrics`);
    expect(ok.code, ok.output).toBe(0);
    expect(wget(`http://127.0.0.1:${port()}/metrics`).code).not.toBe(0);
  });
});

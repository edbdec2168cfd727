import { RootConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEMO_STREAMS } from '../../constructs/cdc/streams';
import { renderPrometheusYml } from '../../constructs/monitoring/prometheus-config';
import { MonitoringRegistry, type ComponentMonitoring } from '../../constructs/platform/monitoring-registry';
import { monitoringOf } from '../../constructs/platform/context';
import { DataPlatform } from '../../constructs/data-platform';
import type { NodeSpec } from '../../constructs/platform/node-spec';
import { DOCKER_DNS, LoopbackPlacement, NetworkPlacement } from '../../constructs/platform/placement';
import type { CertificateSpec } from '../../constructs/platform/tls';
import { WEB_CONFIG_PATH, WEB_TLS_CERT, WEB_TLS_KEY } from '../../constructs/platform/web-tls';
import { dockerPlatform, file, node, type Settings } from '../helpers';
import { fullPlatform } from './components';

const platform = fullPlatform();
const prometheusYml = parse(file(node(platform, 'prometheus'), '/etc/prometheus/prometheus.yml'));
const POSTGRES_STREAMS = DEMO_STREAMS.filter((s) => s.source === 'postgres');
const targets = (yml: any): { job: string; target: string; instance: string }[] =>
  yml.scrape_configs.flatMap((j: any) =>
    j.static_configs.map((s: any) => ({ job: j.job_name, target: s.targets[0], instance: s.labels.instance })),
  );

describe('monitoring registry and Prometheus config', () => {
  it('scrapes every service node, directly or through an exporter beside it', () => {
    const scraped = new Set(targets(prometheusYml).map((t) => t.target.split(':')[0]!));
    const covered = new Set([
      ...scraped,
      ...platform.nodes.filter((n) => scraped.has(n.name) && n.role === 'exporter').flatMap((n) => n.dependsOn),
    ]);
    const unscraped = platform.nodes.filter((n) => !n.oneShot && !covered.has(n.name)).map((n) => n.name);
    // VersityGW serves no Prometheus endpoint: v1.8.0 pushes request counts to StatsD only (metrics/ in its source).
    expect(unscraped).toEqual(['versitygw']);
  });

  it('labels a member exporter with the member it watches', () => {
    expect(targets(prometheusYml).filter((t) => t.job === 'postgres')).toEqual([
      { job: 'postgres', target: 'postgres-exporter-1:9187', instance: 'patroni-1' },
      { job: 'postgres', target: 'postgres-exporter-2:9187', instance: 'patroni-2' },
      { job: 'postgres', target: 'postgres-exporter-3:9187', instance: 'patroni-3' },
    ]);
  });

  it('adds and removes a component with its monitoring: cAdvisor only with containerMetrics', () => {
    const jobs = (p: DataPlatform) =>
      parse(p.monitoring.files.prometheusYml).scrape_configs.map((j: any) => j.job_name);
    const without = dockerPlatform();
    expect(jobs(platform)).toContain('cadvisor');
    expect(jobs(without)).not.toContain('cadvisor');
    expect(without.nodes.map((n) => n.name)).not.toContain('cadvisor');
    expect(Object.keys(without.monitoring.files.rules)).not.toContain('containers');
    expect(Object.keys(without.monitoring.files.dashboards)).not.toContain('dp-containers');
  });

  it.each([
    ['kafka', { kafka: false, cdc: false }, ['kafka', 'kafka-exporter'], 'kafka-exporter'],
    ['cdc', { cdc: false }, ['connect'], undefined],
    ['mongo', { mongo: false, cdc: { streams: POSTGRES_STREAMS } }, ['mongo'], 'mongodb-exporter-1'],
    ['clickhouse', { clickhouse: false }, ['clickhouse', 'clickhouse-keeper'], undefined],
  ] satisfies [string, Settings, string[], string | undefined][])(
    'adds and removes %s with its monitoring',
    (component, settings, jobNames, exporter) => {
      const without = dockerPlatform(settings);
      const jobs = (p: DataPlatform) =>
        parse(p.monitoring.files.prometheusYml).scrape_configs.map((j: any) => j.job_name as string);
      expect(jobs(platform)).toEqual(expect.arrayContaining(jobNames));
      expect(Object.keys(platform.monitoring.files.rules)).toContain(component);
      expect(Object.keys(platform.monitoring.files.dashboards)).toContain(`dp-${component}`);
      for (const job of jobNames) expect(jobs(without)).not.toContain(job);
      expect(Object.keys(without.monitoring.files.rules)).not.toContain(component);
      expect(Object.keys(without.monitoring.files.dashboards)).not.toContain(`dp-${component}`);
      if (exporter) {
        expect(platform.nodes.map((n) => n.name)).toContain(exporter);
        expect(without.nodes.map((n) => n.name)).not.toContain(exporter);
      }
    },
  );

  it("points the Kafka lag exporter at the brokers' internal listeners, and opens nothing else of theirs", () => {
    const exporter = node(platform, 'kafka-exporter');
    expect(exporter.command!.filter((a) => a.startsWith('--kafka.server='))).toEqual(
      ['kafka-1', 'kafka-2', 'kafka-3'].map((b) => `--kafka.server=${b}:19092`),
    );
    expect(exporter.connectsTo).toEqual(['kafka-1', 'kafka-2', 'kafka-3'].map((b) => ({ node: b, port: 'internal' })));
  });

  it('scrapes ClickHouse and Keeper on their own endpoint', () => {
    const scraped = (job: string) =>
      targets(prometheusYml)
        .filter((t) => t.job === job)
        .map((t) => t.target);
    expect(scraped('clickhouse')).toEqual(['clickhouse-1:9363', 'clickhouse-2:9363']);
    // Keeper on 9364, so a member can share a machine with a replica (AWS).
    expect(scraped('clickhouse-keeper')).toEqual(['keeper-1:9364', 'keeper-2:9364', 'keeper-3:9364']);
    expect(parse(file(node(platform, 'keeper-1'), '/etc/clickhouse-keeper/keeper.yaml')).prometheus).toMatchObject({
      endpoint: '/metrics',
      port: 9364,
    });
    expect(parse(file(node(platform, 'clickhouse-1'), '/etc/clickhouse-server/config.d/prometheus.yaml'))).toEqual({
      prometheus: { endpoint: '/metrics', port: 9363, metrics: true, events: true, asynchronous_metrics: true },
    });
  });

  it('renders the lab placement: every target and the Alertmanager on loopback, rules under the lab folder', () => {
    const lab = new DataPlatform(new RootConstruct(), 'platform', {
      placement: new LoopbackPlacement('/tmp/lab', 27600),
    });
    const yml = parse(lab.monitoring.files.prometheusYml);
    for (const t of targets(yml)) expect(t.target).toMatch(/^127\.0\.0\.1:27\d{3}$/);
    expect(yml.rule_files).toEqual(['/tmp/lab/prometheus/etc/prometheus/rules/*.yml']);
    expect(yml.alerting.alertmanagers[0].static_configs[0].targets[0]).toBe(
      `127.0.0.1:${node(lab, 'alertmanager').ports[0]!.port}`,
    );
    expect(node(lab, 'alertmanager').command).toContain(
      `--web.listen-address=127.0.0.1:${node(lab, 'alertmanager').ports[0]!.port}`,
    );
  });

  it('turns Alertmanager gossip off and binds the servers to the placement address', () => {
    expect(node(platform, 'alertmanager').command).toContain('--cluster.listen-address=');
    expect(node(platform, 'prometheus').command).toContain('--web.listen-address=0.0.0.0:9090');
    expect(node(platform, 'grafana').env.GF_SECURITY_ADMIN_PASSWORD).toBe('{{secret:grafana-admin}}');
  });

  it('gives the exporters credentials of their own, as secrets', () => {
    expect(node(platform, 'postgres-exporter-1').env).toMatchObject({
      DATA_SOURCE_USER: 'monitor',
      DATA_SOURCE_PASS: '{{secret:postgres-monitor}}',
    });
    expect(node(platform, 'pgbouncer-exporter').env.PGBOUNCER_EXPORTER_CONNECTION_STRING).toBe(
      'postgres://pgbouncer_exporter:{{secret:pgbouncer-stats}}@pgbouncer:6432/pgbouncer?sslmode=verify-full&sslrootcert=/etc/dataplatform/tls/ca.crt',
    );
    const pgbouncer = node(platform, 'pgbouncer');
    expect(file(pgbouncer, '/etc/pgbouncer/pgbouncer.ini')).toContain('stats_users = pgbouncer_exporter');
    expect(file(pgbouncer, '/etc/pgbouncer/userlist.txt')).toContain(
      '"pgbouncer_exporter" "{{secret:pgbouncer-stats}}"',
    );
    expect(file(node(platform, 'patroni-1'), '/etc/patroni/post-bootstrap.sh')).toContain(
      "CREATE ROLE monitor LOGIN PASSWORD :'monitor_password' IN ROLE pg_monitor;",
    );
    // MongoDB: one exporter per data-bearing member, logged in as the user the init job creates.
    expect(node(platform, 'mongodb-exporter-1').env).toEqual({
      MONGODB_USER: 'exporter',
      MONGODB_PASSWORD: '{{secret:mongo-exporter}}',
    });
    expect(node(platform, 'mongo-init').env.MONGO_EXPORTER_PASSWORD).toBe('{{secret:mongo-exporter}}');
    expect(file(node(platform, 'mongo-init'), '/etc/mongo-init/init.js')).toContain(
      '"adminUsers": [\n    {\n      "user": "exporter",\n      "passwordEnv": "MONGO_EXPORTER_PASSWORD"',
    );
  });
});

describe('registry rules', () => {
  const haproxy = monitoringOf(platform).components.find((c) => c.component === 'haproxy')!;
  const fake = (component: string, over: Partial<ComponentMonitoring> = {}): ComponentMonitoring => ({
    ...haproxy,
    component,
    jobs: [{ job: component, exporter: 'haproxy-3.2', targets: [{ node: 'haproxy', port: 'metrics' }] }],
    rules: [],
    ...over,
  });
  const registryOn = (added: NodeSpec[], certificates: CertificateSpec[] = []) =>
    new MonitoringRegistry({
      placement: new NetworkPlacement(DOCKER_DNS),
      addNodes: (nodes) => added.push(...nodes),
      certificate: (spec) => certificates.push(spec),
    });
  const fresh = () => registryOn([]);

  it('refuses a registration after monitoring rendered, naming the component', () => {
    expect(() => monitoringOf(platform).register(fake('late'))).toThrow(
      "monitoring of 'late' registered after monitoring was rendered: create the late component before Monitoring in DataPlatform",
    );
  });

  it('refuses a component, a scrape job or an alert registered twice', () => {
    const registry = fresh();
    registry.register(fake('a', { rules: haproxy.rules }));
    expect(() => registry.register(fake('a'))).toThrow("monitoring of component 'a' is registered twice");
    expect(() => registry.register(fake('b', { jobs: [{ ...fake('a').jobs[0]! }] }))).toThrow(
      "scrape job 'a' of b is already registered",
    );
    expect(() => registry.register(fake('c', { rules: haproxy.rules }))).toThrow(
      "alert 'HaproxyDown' of c must be a unique CamelCase name (it is also its runbook anchor)",
    );
  });

  it('refuses an alert name that cannot be a runbook anchor', () => {
    expect(() => fresh().register(fake('d', { rules: [{ ...haproxy.rules[0]!, alert: 'haproxy-down' }] }))).toThrow(
      /alert 'haproxy-down' of d must be a unique CamelCase name/,
    );
  });

  it('adds exporters to the platform only when monitoring renders', () => {
    const added: NodeSpec[] = [];
    const registry = registryOn(added);
    const plain = { ...node(platform, 'pgbouncer-exporter'), command: ['--web.listen-address=0.0.0.0:9127'] };
    registry.register(fake('e', { exporters: [plain] }));
    expect(added).toEqual([]);
    registry.seal();
    expect(added).toEqual([plain]);
  });

  it('gives an exporter scraped over TLS its certificate, web config and flag when monitoring renders', () => {
    const added: NodeSpec[] = [];
    const certificates: CertificateSpec[] = [];
    const registry = registryOn(added, certificates);
    const exporter = { ...node(platform, 'pgbouncer-exporter'), command: ['--web.listen-address=0.0.0.0:9127'] };
    const job = { job: 'e', exporter: 'x', targets: [{ node: exporter.name, port: 'metrics' }] };
    registry.register(fake('e', { exporters: [exporter], jobs: [{ ...job, tls: { webConfigFlag: '--web.config' } }] }));
    registry.seal();
    expect(added[0]!.command).toEqual(['--web.listen-address=0.0.0.0:9127', `--web.config=${WEB_CONFIG_PATH}`]);
    expect(parse(file(added[0]!, WEB_CONFIG_PATH)).tls_server_config).toMatchObject({
      cert_file: WEB_TLS_CERT,
      key_file: WEB_TLS_KEY,
      client_auth_type: 'NoClientCert',
    });
    expect(certificates).toEqual([
      { node: exporter.name, hosts: [exporter.name], certPath: WEB_TLS_CERT, keyPath: WEB_TLS_KEY },
    ]);
  });

  it('refuses a TLS exporter without a command to pass the web config flag to', () => {
    const registry = fresh();
    const exporter = { ...node(platform, 'pgbouncer-exporter'), command: undefined };
    const job = { job: 'g', exporter: 'x', targets: [{ node: exporter.name, port: 'metrics' }], tls: {} };
    registry.register(fake('g', { exporters: [exporter], jobs: [job] }));
    expect(() => registry.seal()).toThrow(/exporter 'pgbouncer-exporter' is scraped over TLS, so it needs a command/);
  });

  it('rejects a scrape target on a node that is not in the platform', () => {
    expect(() =>
      renderPrometheusYml({
        components: [
          fake('f', { jobs: [{ job: 'f', exporter: 'haproxy-3.2', targets: [{ node: 'nope', port: 'metrics' }] }] }),
        ],
        nodes: platform.nodes,
        placement: platform.placement,
        scrapeIntervalSeconds: 15,
        evaluationIntervalSeconds: 15,
        rulesDir: '/rules',
        caFile: '/ca.crt',
        alertmanager: { host: 'alertmanager', port: 9093 },
      }),
    ).toThrow("scrape job 'f' of f targets node 'nope', which is not in the platform");
  });
});

describe('monitoring settings', () => {
  it.each([
    [{ scrapeIntervalSeconds: 0 }, 'monitoring.scrapeIntervalSeconds must be an integer between 1 and 30 (got 0)'],
    [{ scrapeIntervalSeconds: 60 }, 'monitoring.scrapeIntervalSeconds must be an integer between 1 and 30 (got 60)'],
    [{ retentionDays: 0 }, 'monitoring.retentionDays must be an integer ≥ 1 (got 0)'],
    [
      { images: { grafana: { repository: 'grafana/grafana', tag: 'latest' } } },
      "monitoring.images.grafana 'grafana/grafana:latest' is not pinned",
    ],
  ])('rejects %j', (monitoring, message) => {
    expect(() => dockerPlatform({ monitoring })).toThrow(message);
  });

  it('rejects an unpinned exporter image', () => {
    expect(() =>
      dockerPlatform({ postgres: { patroni: { exporterImage: { repository: 'x/y', tag: 'latest' } } } }),
    ).toThrow("postgres.patroni.exporterImage 'x/y:latest' is not pinned");
    expect(() =>
      dockerPlatform({ postgres: { pgbouncer: { exporterImage: { repository: 'x/y', tag: 'main' } } } }),
    ).toThrow("postgres.pgbouncer.exporterImage 'x/y:main' is not pinned");
  });
});

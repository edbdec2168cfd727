import { stringify } from 'yaml';
import { OPS_HOST } from '../platform/hosts';
import type { ImageRef, NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';
import {
  WEB_CLIENT_CONFIG_PATH,
  WEB_CONFIG_PATH,
  WEB_TLS_CERT,
  WEB_TLS_KEY,
  clientTlsConfig,
  httpsWgetHealth,
  webConfigFile,
} from '../platform/web-tls';
import { GRAFANA_PATHS } from './grafana-config';
import { ALERTMANAGER_PATHS, MONITORING_PORTS, PROMETHEUS_PATHS, type MonitoringFiles } from './render';

export interface MonitoringNodesInput {
  readonly placement: Placement;
  readonly retentionDays: number;
  readonly grafanaPassword: string;
  readonly images: { readonly prometheus: ImageRef; readonly alertmanager: ImageRef; readonly grafana: ImageRef };
  readonly hostPorts: { readonly prometheus: number; readonly alertmanager: number; readonly grafana: number };
}

/**
 * Command-line flags of Prometheus. The image's entrypoint is the binary, so
 * these replace its default arguments; the lab passes the same to Debian's.
 */
export function prometheusArgs(p: Placement, retentionDays: number): string[] {
  return [
    `--config.file=${p.path('prometheus', PROMETHEUS_PATHS.config)}`,
    `--storage.tsdb.path=${p.path('prometheus', PROMETHEUS_PATHS.data)}`,
    `--storage.tsdb.retention.time=${retentionDays}d`,
    `--web.listen-address=${p.bindHost}:${p.port('prometheus', 'web', MONITORING_PORTS.prometheus)}`,
    `--web.config.file=${p.path('prometheus', WEB_CONFIG_PATH)}`,
  ];
}

/**
 * Command-line flags of Alertmanager. An empty `--cluster.listen-address`
 * turns gossip off: a single Alertmanager has no peers, and otherwise it binds
 * port 9094 on every interface.
 */
export function alertmanagerArgs(p: Placement): string[] {
  return [
    `--config.file=${p.path('alertmanager', ALERTMANAGER_PATHS.config)}`,
    `--storage.path=${p.path('alertmanager', ALERTMANAGER_PATHS.data)}`,
    `--web.listen-address=${p.bindHost}:${p.port('alertmanager', 'web', MONITORING_PORTS.alertmanager)}`,
    `--web.config.file=${p.path('alertmanager', WEB_CONFIG_PATH)}`,
    '--cluster.listen-address=',
  ];
}

/**
 * Prometheus and Alertmanager serve HTTPS and let in only clients with a
 * certificate of the platform CA (every node has one). Their health checks
 * therefore use the image's own promtool and amtool, which can present one
 * through this http_config file; busybox wget cannot.
 */
function mutualTlsFiles(p: Placement, node: 'prometheus' | 'alertmanager') {
  return [
    webConfigFile(p, node, 'mutual'),
    { path: WEB_CLIENT_CONFIG_PATH, content: stringify({ tls_config: clientTlsConfig(p, node, p.host(node)) }) },
  ];
}
const clientConfigFlag = `--http.config.file=${WEB_CLIENT_CONFIG_PATH}`;

/**
 * Prometheus, Alertmanager and Grafana. Without `files` the nodes carry no
 * configuration: that form only lets the scrape targets on them be resolved
 * before the configuration is rendered.
 */
export function monitoringNodes(input: MonitoringNodesInput, files?: MonitoringFiles): NodeSpec[] {
  const { placement: p, hostPorts } = input;
  const port = (node: keyof typeof MONITORING_PORTS) => p.port(node, 'web', MONITORING_PORTS[node]);
  const prometheus: NodeSpec = {
    name: 'prometheus',
    component: 'prometheus',
    role: 'server',
    image: input.images.prometheus,
    command: prometheusArgs(p, input.retentionDays),
    env: {},
    files: files
      ? [
          ...mutualTlsFiles(p, 'prometheus'),
          { path: PROMETHEUS_PATHS.config, content: files.prometheusYml },
          ...Object.entries(files.rules).map(([component, content]) => ({
            path: `${PROMETHEUS_PATHS.rules}/${component}.yml`,
            content,
          })),
        ]
      : [],
    ports: [{ name: 'web', port: port('prometheus'), hostPort: hostPorts.prometheus }],
    volumes: [{ name: 'data', path: PROMETHEUS_PATHS.data }],
    stateful: true,
    health: {
      test: [
        'CMD',
        'promtool',
        'check',
        'ready',
        `--url=https://127.0.0.1:${MONITORING_PORTS.prometheus}`,
        clientConfigFlag,
      ],
      startPeriodSeconds: 30,
    },
    memoryMb: 192,
    dependsOn: ['alertmanager'],
  };
  const alertmanager: NodeSpec = {
    name: 'alertmanager',
    component: 'alertmanager',
    role: 'server',
    image: input.images.alertmanager,
    command: alertmanagerArgs(p),
    env: {},
    files: files
      ? [...mutualTlsFiles(p, 'alertmanager'), { path: ALERTMANAGER_PATHS.config, content: files.alertmanagerYml }]
      : [],
    ports: [{ name: 'web', port: port('alertmanager'), hostPort: hostPorts.alertmanager }],
    // Silences and the notification log survive restarts.
    volumes: [{ name: 'data', path: ALERTMANAGER_PATHS.data }],
    stateful: true,
    // `cluster show` reads /api/v2/status: it fails unless the server answers.
    health: {
      test: [
        'CMD',
        'amtool',
        `--alertmanager.url=https://127.0.0.1:${MONITORING_PORTS.alertmanager}`,
        clientConfigFlag,
        'cluster',
        'show',
      ],
    },
    memoryMb: 48,
    dependsOn: [],
    host: OPS_HOST,
  };
  const grafana: NodeSpec = {
    name: 'grafana',
    component: 'grafana',
    role: 'server',
    image: input.images.grafana,
    env: {
      GF_SERVER_HTTP_ADDR: p.bindHost,
      GF_SERVER_HTTP_PORT: String(port('grafana')),
      // HTTPS with its node certificate, which is also its client certificate towards Prometheus.
      GF_SERVER_PROTOCOL: 'https',
      GF_SERVER_CERT_FILE: p.path('grafana', WEB_TLS_CERT),
      GF_SERVER_CERT_KEY: p.path('grafana', WEB_TLS_KEY),
      GF_PATHS_PROVISIONING: p.path('grafana', GRAFANA_PATHS.provisioning),
      GF_SECURITY_ADMIN_USER: 'admin',
      GF_SECURITY_ADMIN_PASSWORD: input.grafanaPassword,
      GF_USERS_ALLOW_SIGN_UP: 'false',
      GF_AUTH_ANONYMOUS_ENABLED: 'false',
      // No calls home from a data platform's monitoring.
      GF_ANALYTICS_REPORTING_ENABLED: 'false',
      GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
      GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: 'false',
    },
    files: files
      ? [
          { path: `${GRAFANA_PATHS.provisioning}/datasources/platform.yml`, content: files.grafanaDatasources },
          { path: `${GRAFANA_PATHS.provisioning}/dashboards/platform.yml`, content: files.grafanaDashboardProvider },
          ...Object.entries(files.dashboards).map(([uid, content]) => ({
            path: `${GRAFANA_PATHS.dashboards}/${uid}.json`,
            content,
          })),
        ]
      : [],
    ports: [{ name: 'web', port: port('grafana'), hostPort: hostPorts.grafana }],
    volumes: [{ name: 'data', path: '/var/lib/grafana' }],
    stateful: true,
    // Busybox wget of the Alpine base, not curl: removing curl from the image has been proposed upstream.
    health: { test: httpsWgetHealth(MONITORING_PORTS.grafana, '/api/health'), startPeriodSeconds: 30 },
    memoryMb: 256,
    dependsOn: ['prometheus'],
    // A machine of its own where machines are shared: its dashboards alone fill half of EC2's 16 KiB of user data.
  };
  return [alertmanager, prometheus, grafana];
}

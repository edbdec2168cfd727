import { Construct } from 'constructs';
import { platformOf, monitoringOf } from '../platform/context';
import { IMAGES } from '../platform/images';
import type { ImageRef, NodeSpec } from '../platform/node-spec';
import { checkInt, checkPinned } from '../platform/validation';
import { WEB_TLS_CERT, WEB_TLS_KEY } from '../platform/web-tls';
import type { AlertmanagerConfigInput } from './alertmanager-config';
import { backupStatusMonitoring } from './backup-status';
import { cadvisorMonitoring } from './cadvisor';
import { monitoringNodes, type MonitoringNodesInput } from './nodes';
import { renderMonitoringFiles, type MonitoringFiles } from './render';
import { selfMonitoring } from './self-monitoring';

export interface MonitoringProps {
  /** Seconds between scrapes and rule evaluations; the alerts' `for` windows assume at most 30. @default 15 */
  readonly scrapeIntervalSeconds?: number;
  /** Days of metrics Prometheus keeps. @default 15 */
  readonly retentionDays?: number;
  /**
   * Prefix of every alert's `runbook` annotation, e.g. your repository's web
   * address ending in `/blob/main/`. @default '' (a path from the repository root)
   */
  readonly runbookBaseUrl?: string;
  /** Where alerts go, by severity. @default a documented placeholder receiver that drops them */
  readonly alertmanager?: AlertmanagerConfigInput;
  /**
   * Run cAdvisor for per-container CPU, memory and network. It needs privileged
   * access to the host, which only the Docker target grants.
   * @default false
   */
  readonly containerMetrics?: boolean;
  /** Published host ports (Alertmanager is not on its usual 9093: Kafka brokers publish 9092 upwards). @default Prometheus 9090, Alertmanager 9095, Grafana 3000 */
  readonly hostPorts?: Partial<MonitoringNodesInput['hostPorts']>;
  /** @default IMAGES.prometheus, .alertmanager, .grafana, .cadvisor, .pushgateway */
  readonly images?: {
    readonly prometheus?: ImageRef;
    readonly alertmanager?: ImageRef;
    readonly grafana?: ImageRef;
    readonly cadvisor?: ImageRef;
    readonly pushgateway?: ImageRef;
  };
}

/**
 * Prometheus, Alertmanager and Grafana, configured from what the components
 * registered. DataPlatform creates it last: it renders the registry once and
 * refuses later registrations.
 */
export class Monitoring extends Construct {
  readonly nodes: readonly NodeSpec[];
  /** The rendered configuration: the same files the loopback lab runs. */
  readonly files: MonitoringFiles;

  constructor(scope: Construct, id: string, props: MonitoringProps = {}) {
    super(scope, id);
    const platform = platformOf(this);
    const p = platform.placement;
    const registry = monitoringOf(this);
    const images = props.images ?? {};

    registry.register(selfMonitoring());
    registry.register(
      backupStatusMonitoring(p, checkPinned('monitoring.images.pushgateway', images.pushgateway ?? IMAGES.pushgateway)),
    );
    if (props.containerMetrics) {
      registry.register(
        cadvisorMonitoring(p, checkPinned('monitoring.images.cadvisor', images.cadvisor ?? IMAGES.cadvisor)),
      );
    }
    const scrapeIntervalSeconds = checkInt('monitoring.scrapeIntervalSeconds', props.scrapeIntervalSeconds ?? 15, {
      min: 1,
      max: 30,
    });
    // Each serves HTTPS and presents the same certificate as a client (to Alertmanager, to Prometheus).
    for (const name of ['prometheus', 'alertmanager', 'grafana']) {
      platform.certificate({ node: name, hosts: [p.host(name)], certPath: WEB_TLS_CERT, keyPath: WEB_TLS_KEY });
    }
    const nodesInput: MonitoringNodesInput = {
      placement: p,
      retentionDays: checkInt('monitoring.retentionDays', props.retentionDays ?? 15, { min: 1 }),
      grafanaPassword: platform.secret({ name: 'grafana-admin', description: 'Grafana admin user (admin)' }),
      images: {
        prometheus: checkPinned('monitoring.images.prometheus', images.prometheus ?? IMAGES.prometheus),
        alertmanager: checkPinned('monitoring.images.alertmanager', images.alertmanager ?? IMAGES.alertmanager),
        grafana: checkPinned('monitoring.images.grafana', images.grafana ?? IMAGES.grafana),
      },
      hostPorts: { prometheus: 9090, alertmanager: 9095, grafana: 3000, ...props.hostPorts },
    };
    this.files = renderMonitoringFiles({
      components: registry.seal(),
      nodes: [...platform.nodes, ...monitoringNodes(nodesInput)],
      placement: p,
      scrapeIntervalSeconds,
      runbookBaseUrl: props.runbookBaseUrl ?? '',
      alertmanager: props.alertmanager ?? {},
    });
    this.nodes = monitoringNodes(nodesInput, this.files);
    platform.addNodes(this.nodes);
  }
}

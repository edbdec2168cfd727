import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { FileSpec, NodeSpec, PortSpec } from './node-spec';
import type { Placement } from './placement';
import type { CertificateSpec } from './tls';
import { ValidationError } from './validation';
import { WEB_CONFIG_PATH, WEB_TLS_CERT, WEB_TLS_KEY, webConfigFile } from './web-tls';

/**
 * What a component hands to monitoring: how to scrape it, when to page and what
 * to show. Components register this; Prometheus config, rule files and Grafana
 * provisioning are generated from the registry, so a component's monitoring
 * comes and goes with the component.
 */
export interface ComponentMonitoring {
  /** Component name: the rule file, the runbook (monitoring/runbooks/<component>.md) and the `component` label of its alerts. */
  readonly component: string;
  readonly jobs: readonly ScrapeJob[];
  readonly rules: readonly AlertRule[];
  readonly dashboard: Dashboard;
  /** Exporters that run beside the component; they join the platform when monitoring renders. @default none */
  readonly exporters?: readonly NodeSpec[];
  /** What the platform overview shows for this component. */
  readonly overview: OverviewSpec;
}

export interface ScrapeJob {
  /** Prometheus `job` label, unique in the platform. */
  readonly job: string;
  /**
   * The metric catalog of what this job's targets expose, by exporter and
   * version: `monitoring/catalog/<exporter>.txt` (see monitoring/README.md).
   */
  readonly exporter: string;
  readonly targets: readonly ScrapeTarget[];
  /** @default '/metrics' */
  readonly metricsPath?: string;
  /** Query parameters of the scrape. @default none */
  readonly params?: Readonly<Record<string, readonly string[]>>;
  /**
   * The targets serve HTTPS; Prometheus checks them against the platform CA
   * and presents its own certificate. For a target among the component's
   * `exporters` (an exporter-toolkit server), the registry does the rest when
   * monitoring renders: it declares the node's certificate and adds the web
   * config (web-tls.ts) and `webConfigFlag=<path>` to its command. Its health
   * check must then speak HTTPS (httpsWgetHealth). Other targets serve TLS
   * themselves.
   * @default plain HTTP
   */
  readonly tls?: {
    /** The exporter's flag for its web config file. @default '--web.config.file' */
    readonly webConfigFlag?: string;
  };
}

export interface ScrapeTarget {
  /** Node that serves the metrics. */
  readonly node: string;
  /** Name of that node's port. */
  readonly port: string;
  /**
   * `instance` label: the node the series describe, so alerts name a member
   * rather than an address (a Postgres exporter's series describe its member).
   * @default the node name
   */
  readonly instance?: string;
}

export type Severity = 'critical' | 'warning';

export interface AlertRule {
  /** CamelCase alert name; its runbook section is the lower-cased name. */
  readonly alert: string;
  readonly expr: string;
  /** Pending period, e.g. '1m'. @default fires on the first evaluation that matches */
  readonly for?: string;
  /** `critical` pages: the component is down or losing data. `warning` can wait for working hours. */
  readonly severity: Severity;
  /** One line; may use `{{ $labels.x }}` and `{{ $value }}`. */
  readonly summary: string;
  readonly description: string;
}

export interface OverviewSpec {
  /** Display name, e.g. 'Patroni'. */
  readonly title: string;
  /** A query whose value is the component's headline number (e.g. members running). */
  readonly stat: { readonly title: string; readonly expr: string; readonly unit: string };
  /** Events drawn on the overview's time axis, e.g. leader changes. @default none */
  readonly annotations?: readonly { readonly name: string; readonly expr: string; readonly title: string }[];
  /** Extra overview panels (e.g. CDC end-to-end lag), as query and unit. @default none */
  readonly lag?: readonly {
    readonly title: string;
    readonly expr: string;
    readonly legend: string;
    readonly unit: string;
  }[];
}

const ALERT_NAME = /^[A-Z][A-Za-z0-9]+$/;

/** What the registry needs of the platform when monitoring renders. */
export interface RegistryPlatform {
  readonly placement: Placement;
  /** Adds exporter nodes to the platform. */
  addNodes(nodes: readonly NodeSpec[]): void;
  /** Declares the certificate of an exporter that serves HTTPS. */
  certificate(spec: CertificateSpec): void;
}

/** The registry of one platform. Monitoring renders it once, after every component has registered. */
export class MonitoringRegistry {
  private readonly list: ComponentMonitoring[] = [];
  private sealed = false;

  constructor(private readonly platform: RegistryPlatform) {}

  get components(): readonly ComponentMonitoring[] {
    return this.list;
  }

  /**
   * Adds a component's monitoring. Its exporters join the platform only when
   * monitoring renders, so a component may register before adding the nodes
   * its exporters depend on.
   */
  register(m: ComponentMonitoring): void {
    if (this.sealed) {
      throw new ValidationError(
        `monitoring of '${m.component}' registered after monitoring was rendered: create the ${m.component} component before Monitoring in DataPlatform`,
      );
    }
    if (this.list.some((c) => c.component === m.component)) {
      throw new ValidationError(`monitoring of component '${m.component}' is registered twice`);
    }
    const jobs = new Set(this.list.flatMap((c) => c.jobs.map((j) => j.job)));
    const alerts = new Set(this.list.flatMap((c) => c.rules.map((r) => r.alert)));
    for (const job of m.jobs) {
      if (jobs.has(job.job))
        throw new ValidationError(`scrape job '${job.job}' of ${m.component} is already registered`);
      jobs.add(job.job);
    }
    for (const rule of m.rules) {
      if (!ALERT_NAME.test(rule.alert) || alerts.has(rule.alert)) {
        throw new ValidationError(
          `alert '${rule.alert}' of ${m.component} must be a unique CamelCase name (it is also its runbook anchor)`,
        );
      }
      alerts.add(rule.alert);
    }
    this.list.push(m);
  }

  /**
   * Called by Monitoring when it renders: adds every exporter to the platform,
   * with HTTPS where a job scrapes it over TLS. Later registrations would be
   * silently missing, so they throw.
   */
  seal(): readonly ComponentMonitoring[] {
    this.sealed = true;
    for (const m of this.list) this.platform.addNodes((m.exporters ?? []).map((e) => this.withWebTls(m, e)));
    return this.list;
  }

  private withWebTls(m: ComponentMonitoring, exporter: NodeSpec): NodeSpec {
    const jobs = m.jobs.filter((j) => j.tls && j.targets.some((t) => t.node === exporter.name));
    if (jobs.length === 0) return exporter;
    const flags = new Set(jobs.map((j) => j.tls!.webConfigFlag ?? '--web.config.file'));
    if (flags.size > 1 || !exporter.command) {
      throw new ValidationError(
        `${m.component}: exporter '${exporter.name}' is scraped over TLS, so it needs a command to take one web config flag (got ${[...flags].join(', ')})`,
      );
    }
    const p = this.platform.placement;
    this.platform.certificate({
      node: exporter.name,
      hosts: [p.host(exporter.name)],
      certPath: WEB_TLS_CERT,
      keyPath: WEB_TLS_KEY,
    });
    // Metrics are read-only and the image's wget health check has no client certificate: server TLS only.
    return {
      ...exporter,
      command: [...exporter.command, `${[...flags][0]}=${p.path(exporter.name, WEB_CONFIG_PATH)}`],
      files: [...exporter.files, webConfigFile(p, exporter.name, 'server')],
    };
  }
}

/** What a node needs to serve its own metrics: a port, config files, and shell run before it starts. */
export interface MetricsAddon {
  readonly port: PortSpec;
  readonly files?: readonly FileSpec[];
  /**
   * bash run before the node's command, in the process that then becomes it
   * (so it can export JVM options for the server alone, not for the health
   * check's tools): what the metrics need at start and the image lacks, such
   * as a Java agent (jmx-exporter.ts). It must never stop the node starting.
   * @default none
   */
  readonly prelude?: string;
}

/** `node` with a metrics add-on merged in. */
export function withMetrics(node: NodeSpec, addon: MetricsAddon): NodeSpec {
  if (addon.prelude && !node.command) {
    throw new Error(`node ${node.name}: a metrics prelude needs the node's command to run after it`);
  }
  return {
    ...node,
    ...(addon.prelude ? { command: ['bash', '-c', `${addon.prelude}exec "$@"`, node.name, ...node.command!] } : {}),
    ports: [...node.ports, addon.port],
    files: [...node.files, ...(addon.files ?? [])],
  };
}

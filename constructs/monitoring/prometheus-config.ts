import { stringify } from 'yaml';
import { findPort, type Endpoint, type NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';
import { ValidationError } from '../platform/validation';
import { clientTlsConfig } from '../platform/web-tls';
import type { AlertRule, ComponentMonitoring } from '../platform/monitoring-registry';

export interface PrometheusConfigInput {
  readonly components: readonly ComponentMonitoring[];
  /** Every node of the platform: scrape targets are resolved against them. */
  readonly nodes: readonly NodeSpec[];
  readonly placement: Placement;
  readonly scrapeIntervalSeconds: number;
  readonly evaluationIntervalSeconds: number;
  /** Folder the rule files are in, as Prometheus sees it. */
  readonly rulesDir: string;
  /** The platform CA, as Prometheus sees it: HTTPS jobs check their targets against it. */
  readonly caFile: string;
  readonly alertmanager: Endpoint;
}

/**
 * prometheus.yml. Only keys that Prometheus 2.42 (the lab's Debian package) and
 * 3.x (the image) both accept. One static target per node, labelled with the
 * node name as `instance`, so alerts name members rather than addresses.
 * Alertmanager and the TLS scrape targets are checked against the platform CA,
 * and Prometheus presents its own certificate to them.
 */
export function renderPrometheusYml(input: PrometheusConfigInput): string {
  const { placement: p } = input;
  const tls = { scheme: 'https', tls_config: clientTlsConfig(p, 'prometheus') };
  return stringify({
    global: {
      scrape_interval: `${input.scrapeIntervalSeconds}s`,
      scrape_timeout: `${Math.min(10, input.scrapeIntervalSeconds)}s`,
      evaluation_interval: `${input.evaluationIntervalSeconds}s`,
    },
    rule_files: [`${input.rulesDir}/*.yml`],
    alerting: {
      alertmanagers: [
        { ...tls, static_configs: [{ targets: [`${input.alertmanager.host}:${input.alertmanager.port}`] }] },
      ],
    },
    scrape_configs: input.components.flatMap((c) =>
      c.jobs.map((job) => ({
        job_name: job.job,
        metrics_path: job.metricsPath ?? '/metrics',
        ...(job.params ? { params: job.params } : {}),
        ...(job.tls ? tls : {}),
        static_configs: job.targets.map((t) => {
          const node = input.nodes.find((n) => n.name === t.node);
          if (!node) {
            throw new ValidationError(
              `scrape job '${job.job}' of ${c.component} targets node '${t.node}', which is not in the platform`,
            );
          }
          return {
            targets: [`${p.host(node.name)}:${findPort(node, t.port).port}`],
            labels: { instance: t.instance ?? t.node, component: c.component },
          };
        }),
      })),
    ),
  });
}

/** Where an alert's runbook section lives: monitoring/runbooks/<component>.md, anchored by the lower-cased alert name. */
export function runbookUrl(baseUrl: string, component: string, alert: string): string {
  return `${baseUrl}monitoring/runbooks/${component}.md#${alert.toLowerCase()}`;
}

/** A standard Prometheus rule file with one group per component. */
export function renderRuleFile(c: ComponentMonitoring, runbookBaseUrl: string): string {
  // No line folding: expressions stay on one line, as people read and grep them.
  return stringify(
    { groups: [{ name: c.component, rules: c.rules.map((r) => ruleEntry(c.component, r, runbookBaseUrl)) }] },
    { lineWidth: 0 },
  );
}

function ruleEntry(component: string, r: AlertRule, runbookBaseUrl: string) {
  return {
    alert: r.alert,
    expr: r.expr,
    ...(r.for ? { for: r.for } : {}),
    labels: { severity: r.severity, component },
    annotations: {
      summary: r.summary,
      description: r.description,
      runbook: runbookUrl(runbookBaseUrl, component, r.alert),
    },
  };
}

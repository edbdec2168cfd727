import { stringify } from 'yaml';
import type { Placement } from '../platform/placement';
import type { MetricsAddon } from './registry';

/**
 * Prometheus' JMX exporter as a Java agent (Maven
 * io.prometheus.jmx:jmx_prometheus_javaagent:1.6.0). Neither apache/kafka nor
 * quay.io/debezium/connect bundles the jar: the node must find it at JAR_PATH
 * (see monitoring/README.md, "JMX agent jar").
 */
export const JMX_EXPORTER = {
  version: '1.6.0',
  artifact: 'io.prometheus.jmx:jmx_prometheus_javaagent:1.6.0',
  jarPath: '/opt/jmx-exporter/jmx_prometheus_javaagent.jar',
  port: 9404,
} as const;

/** One exported metric. Every name is explicit, so the rule list is also the metric catalog. */
export interface JmxRule {
  /** Regex over `domain<key=value, …><>attribute: value`. */
  readonly pattern: string;
  readonly name: string;
  readonly type: 'GAUGE' | 'COUNTER';
  readonly help: string;
  /** Labels from the pattern's groups, e.g. `{ connector: '$1' }`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Fixed value, for string attributes turned into a label (e.g. a status). */
  readonly value?: number;
}

/** Names of the agent's own series (JmxCollector at 1.6.0), beside the rules' names. */
export const JMX_AGENT_METRICS = [
  'jmx_config_reload_failure_total',
  'jmx_config_reload_success_total',
  'jmx_exporter_build_info',
  'jmx_scrape_cached_beans',
  'jmx_scrape_duration_seconds',
  'jmx_scrape_error',
] as const;

/** The agent's YAML: only the listed MBeans are read, and only rule matches are exported. */
export function renderJmxConfig(objectNames: readonly string[], rules: readonly JmxRule[]): string {
  return stringify({
    lowercaseOutputName: false,
    includeObjectNames: objectNames,
    rules: rules.map((r) => ({
      pattern: r.pattern,
      name: r.name,
      type: r.type,
      help: r.help,
      ...(r.labels ? { labels: r.labels } : {}),
      ...(r.value !== undefined ? { value: r.value } : {}),
    })),
  });
}

/**
 * The agent on a JVM node: its config file, the `metrics` port and the
 * `-javaagent` option appended to `optsVar` (KAFKA_OPTS for Kafka's scripts).
 */
export function jmxAddon(
  p: Placement,
  node: string,
  config: { readonly path: string; readonly content: string },
  optsVar: string,
): MetricsAddon {
  const port = p.port(node, 'metrics', JMX_EXPORTER.port);
  return {
    port: { name: 'metrics', port },
    files: [config],
    env: {
      [optsVar]: `-javaagent:${p.path(node, JMX_EXPORTER.jarPath)}=${p.bindHost}:${port}:${p.path(node, config.path)}`,
    },
  };
}

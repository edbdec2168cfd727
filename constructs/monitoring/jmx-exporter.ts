import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { shellLine } from '../platform/shell-words';
import type { Placement } from '../platform/placement';
import type { MetricsAddon } from '../platform/monitoring-registry';

/**
 * Prometheus' JMX exporter as a Java agent. Neither apache/kafka nor
 * quay.io/debezium/connect bundles it, and since 1.2.0 the agent is published
 * only as a release asset (Maven Central carries the `collector` library
 * alone), so each JVM node fetches it when its container starts: see
 * `renderAgentPrelude` and monitoring/README.md, "JMX agent".
 */
export const JMX_EXPORTER = {
  url: 'https://github.com/prometheus/jmx_exporter/releases/download/1.6.0/jmx_prometheus_javaagent-1.6.0.jar',
  /** Not computed here (no route to the release assets): the value public Dockerfiles check with `ADD --checksum`. */
  sha256: 'a95983fd96e865d2bcdf911cc500e7c82808c27ab9fd226bf96732b6c3d8c46e',
  /** In the container's writable layer: a restart keeps it, a new container fetches it again. */
  jarPath: '/tmp/jmx-exporter/jmx_prometheus_javaagent-1.6.0.jar',
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

export interface AgentPreludeInput {
  readonly url: string;
  readonly sha256: string;
  /** Where the jar is kept; a directory the node's user can write. */
  readonly jar: string;
  /** The variable the JVM's launch script reads its options from, e.g. KAFKA_OPTS. */
  readonly optsVar: string;
  /** The agent's `[host:]port:config` argument. */
  readonly agentArgs: string;
}

/**
 * bash that fetches the agent once per container (with curl, or the busybox
 * wget of Alpine images such as apache/kafka's), keeps it only if its SHA-256
 * matches, and only then adds `-javaagent` to `optsVar`. A missing jar would
 * stop the JVM, so a failed fetch starts it without metrics instead: the log
 * says so, and Prometheus sees the target down. The timeouts keep the start
 * well within the health check's grace and the Docker target's wait.
 */
export function renderAgentPrelude(i: AgentPreludeInput): string {
  if (!/^[0-9a-f]{64}$/.test(i.sha256)) throw new Error(`agent sha256 '${i.sha256}' is not 64 hex digits`);
  if (!/^[A-Z_][A-Z0-9_]*$/.test(i.optsVar)) throw new Error(`'${i.optsVar}' is not an environment variable name`);
  return [
    `agent=${shellLine([i.jar])} url=${shellLine([i.url])} args=${shellLine([i.agentArgs])}`,
    'if [ ! -f "$agent" ]; then',
    `  mkdir -p ${shellLine([dirname(i.jar)])}`,
    '  if command -v curl >/dev/null; then',
    '    curl -fsSL --retry 2 --connect-timeout 10 --max-time 60 -o "$agent.part" "$url"',
    '  else',
    // Not wget's -T: some busybox builds lack it (Debian's crashes on it).
    '    timeout 90 wget -q -O "$agent.part" "$url"',
    '  fi',
    `  echo "${i.sha256}  $agent.part" | sha256sum -c >/dev/null 2>&1 && mv "$agent.part" "$agent"`,
    '  rm -f "$agent.part"',
    'fi',
    'if [ -f "$agent" ]; then',
    `  export ${i.optsVar}="$${i.optsVar} -javaagent:$agent=$args"`,
    'else',
    "  echo 'JMX exporter agent unavailable (fetch failed or checksum mismatch): starting without metrics' >&2",
    'fi',
    '',
  ].join('\n');
}

/**
 * The agent on a JVM node: its config file, the `metrics` port, and the
 * prelude that fetches the agent and adds it to `optsVar` (KAFKA_OPTS for
 * Kafka's scripts) for the server process only.
 */
export function jmxAddon(
  p: Placement,
  node: string,
  config: { readonly path: string; readonly content: string },
  optsVar: string,
  /** The agent's port on a network placement. @default JMX_EXPORTER.port */
  standardPort: number = JMX_EXPORTER.port,
): MetricsAddon {
  const port = p.port(node, 'metrics', standardPort);
  return {
    port: { name: 'metrics', port, plaintext: "the JMX agent's HTTP server has no TLS configured (read-only metrics)" },
    files: [config],
    prelude: renderAgentPrelude({
      url: JMX_EXPORTER.url,
      sha256: JMX_EXPORTER.sha256,
      jar: p.path(node, JMX_EXPORTER.jarPath),
      optsVar,
      agentArgs: `${p.bindHost}:${port}:${p.path(node, config.path)}`,
    }),
  };
}

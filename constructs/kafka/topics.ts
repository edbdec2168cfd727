import { ValidationError, checkInt } from '../platform/validation';
import { shellLine } from '../platform/shell-words';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

/** A topic declared in code; the topics job creates it and keeps its config in line. */
export interface KafkaTopic {
  readonly name: string;
  /** Partitions can be added later, never removed. @default 3 */
  readonly partitions?: number;
  /** @default kafka.replicationFactor */
  readonly replicationFactor?: number;
  /** Milliseconds a record is kept; -1 keeps it forever. @default 604800000 (7 days) */
  readonly retentionMs?: number;
  /** @default 'delete' */
  readonly cleanupPolicy?: CleanupPolicy;
}

export type ResolvedTopic = Required<KafkaTopic>;

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const WEEK_MS = 7 * 24 * 3600 * 1000;

/** Applies defaults and checks each topic against the cluster: unique names, RF within the brokers, ISR below RF. */
export function resolveTopics(
  setting: string,
  topics: readonly KafkaTopic[],
  cluster: { readonly brokers: number; readonly replicationFactor: number; readonly minInsyncReplicas: number },
): ResolvedTopic[] {
  const seen = new Set<string>();
  return topics.map((t) => {
    const at = `${setting}[${t.name}]`;
    if (!TOPIC_NAME.test(t.name) || t.name === '.' || t.name === '..') {
      throw new ValidationError(`${at}.name must be 1–249 letters, digits, '.', '_' or '-' (got '${t.name}')`);
    }
    if (seen.has(t.name)) {
      throw new ValidationError(`${setting}: topic '${t.name}' is declared twice; topic names must be unique`);
    }
    seen.add(t.name);
    const replicationFactor = checkInt(`${at}.replicationFactor`, t.replicationFactor ?? cluster.replicationFactor, {
      min: 1,
    });
    if (replicationFactor > cluster.brokers) {
      throw new ValidationError(
        `${at}.replicationFactor is ${replicationFactor} but only ${cluster.brokers} brokers are configured: ` +
          `lower it to ≤ ${cluster.brokers} or add brokers`,
      );
    }
    if (replicationFactor > 1 && cluster.minInsyncReplicas >= replicationFactor) {
      throw new ValidationError(
        `${at}.replicationFactor is ${replicationFactor} but kafka.minInsyncReplicas is ${cluster.minInsyncReplicas}: ` +
          `with min.insync.replicas ≥ RF one broker down stops every write; use RF ≥ ${cluster.minInsyncReplicas + 1}`,
      );
    }
    const retentionMs = t.retentionMs ?? WEEK_MS;
    if (retentionMs !== -1) checkInt(`${at}.retentionMs`, retentionMs, { min: 60_000 });
    return {
      name: t.name,
      partitions: checkInt(`${at}.partitions`, t.partitions ?? 3, { min: 1, max: 10_000 }),
      replicationFactor,
      retentionMs,
      cleanupPolicy: t.cleanupPolicy ?? 'delete',
    };
  });
}

/**
 * Arguments (after the tool name) that converge one topic: `kafka-topics` creates it
 * unless it exists, `kafka-configs` sets its config either way. The lab runs the
 * same arguments through `TopicCommand` and `ConfigCommand` with `java -cp`.
 */
export function topicCommands(topic: ResolvedTopic, bootstrap: string): { topics: string[]; configs: string[] } {
  const config = { 'retention.ms': topic.retentionMs, 'cleanup.policy': topic.cleanupPolicy };
  return {
    topics: [
      ...['--bootstrap-server', bootstrap, '--create', '--if-not-exists', '--topic', topic.name],
      ...['--partitions', String(topic.partitions), '--replication-factor', String(topic.replicationFactor)],
      ...Object.entries(config).flatMap(([k, v]) => ['--config', `${k}=${v}`]),
    ],
    configs: [
      ...['--bootstrap-server', bootstrap, '--alter', '--entity-type', 'topics', '--entity-name', topic.name],
      // kafka-configs separates entries with ',', so a list value is bracketed.
      '--add-config',
      Object.entries(config)
        .map(([k, v]) => `${k}=${String(v).includes(',') ? `[${v}]` : v}`)
        .join(','),
    ],
  };
}

/**
 * The topics job: one listing of the topics that exist, then per topic one
 * command, creating it with its config or converging the config of one that
 * exists (each Kafka tool is a JVM start, the job's main cost). Every command
 * is retried while the brokers finish registering with the controller.
 */
export function renderTopicsScript(topics: readonly ResolvedTopic[], bootstrap: string, binDir: string): string {
  const lines = topics.flatMap((t) => {
    const c = topicCommands(t, bootstrap);
    return [
      `if exists ${shellLine([t.name])}; then`,
      `  retry ${shellLine([`${binDir}/kafka-configs.sh`, ...c.configs])}`,
      'else',
      `  retry ${shellLine([`${binDir}/kafka-topics.sh`, ...c.topics])}`,
      'fi',
    ];
  });
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'retry() {',
    '  for attempt in 1 2 3 4 5 6 7 8 9 10; do',
    '    "$@" && return 0',
    '    echo "attempt $attempt failed: $*" >&2; sleep 5',
    '  done',
    '  return 1',
    '}',
    `existing=$(retry ${shellLine([`${binDir}/kafka-topics.sh`, '--bootstrap-server', bootstrap, '--list'])})`,
    'exists() { grep -qxF -- "$1" <<<"$existing"; }',
    ...lines,
    `echo "${topics.length} topics in place"`,
    '',
  ].join('\n');
}

import { renderProperties } from '../kafka/java-properties';
import { shellLine } from '../platform/shell-words';
import type { Placement } from '../platform/placement';
import type { ConnectorConfig } from './connectors';

export const CONNECT_REST_PORT = 8083;

export interface ConnectPropertiesInput {
  readonly worker: string;
  readonly bootstrapServers: string;
  readonly groupId: string;
  /** Internal topics: Connect creates them itself, compacted, at this RF. */
  readonly topics: { readonly configs: string; readonly offsets: string; readonly status: string };
  readonly replicationFactor: number;
  readonly pluginPath: string;
  readonly placement: Placement;
}

/** connect-distributed.properties for one worker of the Connect cluster. */
export function renderConnectProperties(input: ConnectPropertiesInput): string {
  const { placement: p, worker } = input;
  const port = p.port(worker, 'rest', CONNECT_REST_PORT);
  return renderProperties(`Kafka Connect worker ${worker}; generated, do not edit.`, {
    'bootstrap.servers': input.bootstrapServers,
    'group.id': input.groupId,
    'config.storage.topic': input.topics.configs,
    'config.storage.replication.factor': input.replicationFactor,
    'offset.storage.topic': input.topics.offsets,
    'offset.storage.replication.factor': input.replicationFactor,
    'offset.storage.partitions': 25,
    'status.storage.topic': input.topics.status,
    'status.storage.replication.factor': input.replicationFactor,
    'status.storage.partitions': 5,
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'offset.flush.interval.ms': 10000,
    // A departed worker's connectors and tasks stay unassigned this long, in case it returns (default 5 min).
    // 30 s (3 session timeouts) lets a restarted worker keep its work yet bounds a CDC stall after a crash;
    // the lab saw a connector stay UNASSIGNED for over 2 min after a broker crash with the default.
    'scheduled.rebalance.max.delay.ms': 30000,
    listeners: `http://${p.bindHost}:${port}`,
    'rest.advertised.host.name': p.host(worker),
    'rest.advertised.port': port,
    'plugin.path': input.pluginPath,
    // Plugins are found through their ServiceLoader manifests (Debezium ships them) instead of scanning every
    // class on plugin.path and the classpath: the scan is most of a worker's start-up CPU.
    'plugin.discovery': 'service_load',
    // Connectors read passwords as ${env:NAME} from the worker's environment.
    'config.providers': 'env',
    'config.providers.env.class': 'org.apache.kafka.common.config.provider.EnvVarConfigProvider',
    // Brokers refuse auto-creation; every topic a connector writes is declared in code.
    'topic.creation.enable': false,
  });
}

/** The connector's JSON, as `PUT /connectors/<name>/config` takes it. */
export function renderConnectorJson(config: ConnectorConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

export interface RegisterScriptInput {
  /** Base URL of any worker's REST API. */
  readonly restUrl: string;
  /** Connector name → path of its JSON file in the job. */
  readonly connectors: Readonly<Record<string, string>>;
  /** Seconds to wait for the REST API, then for each connector to run. */
  readonly timeoutSeconds: number;
}

/**
 * The connector registration job. `PUT /connectors/<name>/config` creates or
 * updates, so re-running converges; the job fails unless each connector and
 * its task report RUNNING before the timeout.
 */
export function renderRegisterScript(input: RegisterScriptInput): string {
  // Polled every second: the job is on the deploy's critical path, and each poll is one cheap curl.
  const attempts = input.timeoutSeconds;
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    `url=${shellLine([input.restUrl])}`,
    `attempts=${attempts}`,
    'for ((i = 1; ; i++)); do',
    '  curl -fsS "$url/connectors" >/dev/null && break',
    '  ((i < attempts)) || { echo "Connect REST API at $url not ready" >&2; exit 1; }',
    '  sleep 1',
    'done',
    'register() {',
    '  local name=$1 file=$2 status',
    '  for ((i = 1; ; i++)); do',
    '    # 409 while the workers rebalance: retried.',
    '    curl -fsS -X PUT -H "Content-Type: application/json" --data @"$file" "$url/connectors/$name/config" >/dev/null && break',
    '    ((i < attempts)) || { echo "could not register $name" >&2; exit 1; }',
    '    sleep 1',
    '  done',
    '  for ((i = 1; ; i++)); do',
    '    status=$(curl -fsS "$url/connectors/$name/status" || true)',
    '    case $status in *\'"state":"FAILED"\'*) echo "$name failed: $status" >&2; exit 1 ;; esac',
    '    if [[ $(grep -o \'"state":"RUNNING"\' <<<"$status" | wc -l) -ge 2 ]]; then echo "$name running"; return; fi',
    '    ((i < attempts)) || { echo "$name not running: $status" >&2; exit 1; }',
    '    sleep 1',
    '  done',
    '}',
    ...Object.entries(input.connectors).map(([name, file]) => `register ${shellLine([name, file])}`),
    '',
  ].join('\n');
}

import type { IConstruct } from 'constructs';
import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import { jmxAddon, renderJmxConfig, type JmxRule } from '../monitoring/jmx-exporter';
import { withMetrics, type ComponentMonitoring } from '../platform/monitoring-registry';
import { platformOf, monitoringOf } from '../platform/context';
import { OPS_HOST } from '../platform/hosts';
import type { ImageRef, NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';

const JOB = 'kafka';
const LAG_JOB = 'kafka-exporter';
const KAFKA_EXPORTER_PORT = 9308;
const JMX_CONFIG_PATH = '/etc/kafka/jmx-exporter.yml';

/** Broker and KRaft controller MBeans, each under one explicit name (catalog: these names plus the agent's own). */
export const KAFKA_JMX_RULES: readonly JmxRule[] = [
  {
    pattern: 'kafka.controller<type=KafkaController, name=ActiveControllerCount><>Value',
    name: 'kafka_controller_active_controller_count',
    type: 'GAUGE',
    help: '1 on the active KRaft controller',
  },
  {
    pattern: 'kafka.controller<type=KafkaController, name=OfflinePartitionsCount><>Value',
    name: 'kafka_controller_offline_partitions',
    type: 'GAUGE',
    help: 'Partitions without a leader (active controller only)',
  },
  {
    pattern: 'kafka.controller<type=KafkaController, name=ActiveBrokerCount><>Value',
    name: 'kafka_controller_active_brokers',
    type: 'GAUGE',
    help: 'Brokers registered and unfenced',
  },
  {
    pattern: 'kafka.controller<type=KafkaController, name=FencedBrokerCount><>Value',
    name: 'kafka_controller_fenced_brokers',
    type: 'GAUGE',
    help: 'Brokers registered but fenced',
  },
  {
    pattern: 'kafka.server<type=ReplicaManager, name=UnderReplicatedPartitions><>Value',
    name: 'kafka_server_under_replicated_partitions',
    type: 'GAUGE',
    help: 'Led partitions with fewer in-sync replicas than replicas',
  },
  {
    pattern: 'kafka.server<type=ReplicaManager, name=UnderMinIsrPartitionCount><>Value',
    name: 'kafka_server_under_min_isr_partitions',
    type: 'GAUGE',
    help: 'Led partitions with fewer in-sync replicas than min.insync.replicas',
  },
  {
    pattern: 'kafka.server<type=ReplicaManager, name=PartitionCount><>Value',
    name: 'kafka_server_partitions',
    type: 'GAUGE',
    help: 'Partitions on this broker',
  },
  {
    pattern: 'kafka.server<type=ReplicaManager, name=LeaderCount><>Value',
    name: 'kafka_server_leader_partitions',
    type: 'GAUGE',
    help: 'Partitions this broker leads',
  },
  {
    pattern: 'kafka.server<type=ReplicaManager, name=IsrShrinksPerSec><>Count',
    name: 'kafka_server_isr_shrinks_total',
    type: 'COUNTER',
    help: 'In-sync replica set shrinks',
  },
  {
    pattern: 'kafka.server<type=BrokerTopicMetrics, name=MessagesInPerSec><>Count',
    name: 'kafka_server_messages_in_total',
    type: 'COUNTER',
    help: 'Messages appended, all topics',
  },
  {
    pattern: 'kafka.server<type=BrokerTopicMetrics, name=BytesInPerSec><>Count',
    name: 'kafka_server_bytes_in_total',
    type: 'COUNTER',
    help: 'Bytes in from clients, all topics',
  },
  {
    pattern: 'kafka.server<type=BrokerTopicMetrics, name=BytesOutPerSec><>Count',
    name: 'kafka_server_bytes_out_total',
    type: 'COUNTER',
    help: 'Bytes out to clients, all topics',
  },
];
const KAFKA_JMX_OBJECTS = [
  'kafka.controller:type=KafkaController,*',
  'kafka.server:type=ReplicaManager,*',
  'kafka.server:type=BrokerTopicMetrics,*',
];

export interface KafkaMonitoringInput {
  /** Every Kafka node (brokers and controllers), each with its `metrics` port. */
  readonly nodes: readonly NodeSpec[];
  /** Internal bootstrap addresses (`host:port`) the lag exporter connects to. */
  readonly bootstrap: readonly string[];
  readonly placement: Placement;
  readonly exporterImage: ImageRef;
}

/**
 * One call for the Kafka construct: adds the JMX agent (config file, port,
 * and the prelude that fetches it and sets KAFKA_OPTS) to each node and
 * registers Kafka's monitoring with a lag exporter. Use the returned nodes in
 * place of `nodes`.
 */
export function monitorKafka(
  scope: IConstruct,
  nodes: readonly NodeSpec[],
  input: Omit<KafkaMonitoringInput, 'nodes' | 'placement'>,
): NodeSpec[] {
  const p = platformOf(scope).placement;
  const config = { path: JMX_CONFIG_PATH, content: renderJmxConfig(KAFKA_JMX_OBJECTS, KAFKA_JMX_RULES) };
  const instrumented = nodes.map((n) => withMetrics(n, jmxAddon(p, n.name, config, 'KAFKA_OPTS')));
  monitoringOf(scope).register(kafkaMonitoring({ ...input, nodes: instrumented, placement: p }));
  return instrumented;
}

export function kafkaMonitoring(input: KafkaMonitoringInput): ComponentMonitoring {
  const p = input.placement;
  const name = 'kafka-exporter';
  const port = p.port(name, 'metrics', KAFKA_EXPORTER_PORT);
  const exporter: NodeSpec = {
    name,
    component: 'kafka-exporter',
    role: 'exporter',
    image: input.exporterImage,
    command: [
      ...input.bootstrap.map((b) => `--kafka.server=${b}`),
      // Kafka 4 dropped the old protocol versions the exporter's default (2.0.0) would use.
      '--kafka.version=4.0.0',
      `--web.listen-address=${p.bindHost}:${port}`,
    ],
    env: {},
    files: [],
    ports: [
      { name: 'metrics', port, plaintext: 'kafka_exporter has no exporter-toolkit web config (read-only metrics)' },
    ],
    volumes: [],
    stateful: false,
    health: { test: ['CMD', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${KAFKA_EXPORTER_PORT}/metrics`] },
    memoryMb: 24,
    dependsOn: input.nodes.map((n) => n.name),
    // It watches the cluster as a whole, not one broker.
    host: OPS_HOST,
    // The brokers' internal listeners, and nothing else of theirs (AWS opens exactly these).
    connectsTo: input.nodes
      .filter((n) => n.ports.some((port) => port.name === 'internal'))
      .map((n) => ({ node: n.name, port: 'internal' })),
  };
  const sel = `job="${JOB}"`;
  const lag = `job="${LAG_JOB}"`;
  const groupLag = `sum by (consumergroup) (kafka_consumergroup_lag_sum{${lag}})`;
  return {
    component: 'kafka',
    jobs: [
      { job: JOB, exporter: 'kafka-jmx-1.6', targets: input.nodes.map((n) => ({ node: n.name, port: 'metrics' })) },
      { job: LAG_JOB, exporter: 'kafka-exporter-1.9', targets: [{ node: name, port: 'metrics', instance: 'kafka' }] },
    ],
    exporters: [exporter],
    rules: [
      {
        alert: 'KafkaBrokerDown',
        expr: `up{${sel}} == 0`,
        for: '1m',
        severity: 'critical',
        summary: 'Kafka node {{ $labels.instance }} is down',
        description:
          'Its partitions lost a replica; with replication factor 3 and min.insync.replicas 2, one more loss blocks producers that use acks=all.',
      },
      {
        alert: 'KafkaNoActiveController',
        expr: `sum(kafka_controller_active_controller_count{${sel}}) != 1 or absent(kafka_controller_active_controller_count{${sel}})`,
        for: '1m',
        severity: 'critical',
        summary: 'Kafka has {{ $value }} active KRaft controllers instead of 1',
        description:
          'Without exactly one active controller, leader elections and topic changes stop; more than one means a split controller quorum.',
      },
      {
        alert: 'KafkaOfflinePartitions',
        expr: `sum(kafka_controller_offline_partitions{${sel}}) > 0`,
        for: '1m',
        severity: 'critical',
        summary: '{{ $value }} Kafka partitions have no leader',
        description:
          'Reads and writes to these partitions fail. Unclean leader election is off, so they return only when a replica from the ISR comes back.',
      },
      {
        alert: 'KafkaUnderReplicatedPartitions',
        expr: `sum by (instance) (kafka_server_under_replicated_partitions{${sel}}) > 0`,
        for: '5m',
        severity: 'warning',
        summary: '{{ $labels.instance }} leads {{ $value }} under-replicated partitions',
        description: 'A follower is down or cannot keep up. Durability is reduced until it catches up.',
      },
      {
        alert: 'KafkaUnderMinIsr',
        expr: `sum by (instance) (kafka_server_under_min_isr_partitions{${sel}}) > 0`,
        for: '1m',
        severity: 'critical',
        summary: '{{ $labels.instance }} leads {{ $value }} partitions below min.insync.replicas',
        description:
          'Producers with acks=all (Debezium, the platform default) get NotEnoughReplicas errors on these partitions: CDC stalls.',
      },
      {
        alert: 'KafkaConsumerLagGrowing',
        expr: `${groupLag} > 1000 and delta(${groupLag}[10m:1m]) > 0`,
        for: '10m',
        severity: 'warning',
        summary: 'Consumer group {{ $labels.consumergroup }} is {{ $value }} messages behind and falling further',
        description:
          'The group consumes slower than its topics grow (ClickHouse CDC tables are groups named clickhouse-*). Check the consumer for errors before adding partitions.',
      },
    ],
    dashboard: buildDashboard({
      uid: 'dp-kafka',
      title: 'Kafka',
      rows: [
        {
          title: 'Cluster',
          panels: [
            stat(
              'Nodes up',
              'none',
              { expr: `sum(up{${sel}})`, legend: 'up' },
              { warn: input.nodes.length, critical: input.nodes.length - 1, lowIsBad: true },
            ),
            stat(
              'Active controllers',
              'none',
              { expr: `sum(kafka_controller_active_controller_count{${sel}})`, legend: 'active' },
              { warn: 1, critical: 1, lowIsBad: true },
            ),
            stat(
              'Offline partitions',
              'none',
              { expr: `sum(kafka_controller_offline_partitions{${sel}})`, legend: 'offline' },
              { warn: 1, critical: 1 },
            ),
            stat(
              'Under min ISR',
              'none',
              { expr: `sum(kafka_server_under_min_isr_partitions{${sel}})`, legend: 'under min ISR' },
              { warn: 1, critical: 1 },
            ),
            timeseries(
              'Under-replicated partitions',
              'short',
              [{ expr: `kafka_server_under_replicated_partitions{${sel}}`, legend: '{{instance}}' }],
              { min: 0, thresholds: { warn: 1, critical: 1 } },
            ),
            timeseries(
              'Messages in',
              'ops',
              [{ expr: `rate(kafka_server_messages_in_total{${sel}}[5m])`, legend: '{{instance}}' }],
              { min: 0 },
            ),
            timeseries(
              'Bytes in and out',
              'Bps',
              [
                { expr: `rate(kafka_server_bytes_in_total{${sel}}[5m])`, legend: '{{instance}} in' },
                { expr: `rate(kafka_server_bytes_out_total{${sel}}[5m])`, legend: '{{instance}} out' },
              ],
              { min: 0 },
            ),
            timeseries('Consumer group lag', 'short', [{ expr: groupLag, legend: '{{consumergroup}}' }], {
              min: 0,
              thresholds: { warn: 1000, critical: 10000 },
            }),
          ],
        },
      ],
    }),
    overview: {
      title: 'Kafka',
      stat: {
        title: 'Kafka offline partitions',
        expr: `sum(kafka_controller_offline_partitions{${sel}})`,
        unit: 'none',
      },
      annotations: [
        {
          name: 'Kafka controller change',
          expr: `kafka_controller_active_controller_count{${sel}} == 1 and changes(kafka_controller_active_controller_count{${sel}}[2m]) > 0`,
          title: 'Kafka controller: {{instance}}',
        },
      ],
      lag: [
        {
          title: 'Kafka → ClickHouse consumer lag',
          expr: `sum by (consumergroup) (kafka_consumergroup_lag_sum{${lag}, consumergroup=~"clickhouse-.*"})`,
          legend: '{{consumergroup}}',
          unit: 'short',
        },
      ],
    },
  };
}

import type { IConstruct } from 'constructs';
import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import { jmxAddon, renderJmxConfig, type JmxRule } from '../monitoring/jmx-exporter';
import { withMetrics, type ComponentMonitoring } from '../platform/monitoring-registry';
import { platformOf, monitoringOf } from '../platform/context';
import type { NodeSpec } from '../platform/node-spec';

const JOB = 'connect';
const JMX_CONFIG_PATH = '/etc/kafka-connect/jmx-exporter.yml';
/** Debezium streaming metrics; Mongo's MBean adds a `task` key after `server`. */
const STREAMING = 'debezium.([a-z]+)<type=connector-metrics, context=streaming, server=([^,>]+)(?:, task=[^>]+)?><>';

/** Kafka Connect worker and Debezium MBeans, each under one explicit name. */
export const CONNECT_JMX_RULES: readonly JmxRule[] = [
  {
    pattern: 'kafka.connect<type=connector-metrics, connector=([^>]+)><>status: ([a-z-]+)',
    name: 'kafka_connect_connector_status',
    type: 'GAUGE',
    help: "1 for the connector's current status",
    labels: { connector: '$1', status: '$2' },
    value: 1,
  },
  {
    pattern: 'kafka.connect<type=connector-task-metrics, connector=([^,]+), task=([^>]+)><>status: ([a-z-]+)',
    name: 'kafka_connect_task_status',
    type: 'GAUGE',
    help: "1 for the task's current status",
    labels: { connector: '$1', task: '$2', status: '$3' },
    value: 1,
  },
  {
    pattern: 'kafka.connect<type=connect-worker-metrics, connector=([^>]+)><>connector-failed-task-count',
    name: 'kafka_connect_connector_failed_tasks',
    type: 'GAUGE',
    help: 'Failed tasks of the connector on this worker',
    labels: { connector: '$1' },
  },
  {
    pattern: 'kafka.connect<type=connect-worker-metrics, connector=([^>]+)><>connector-running-task-count',
    name: 'kafka_connect_connector_running_tasks',
    type: 'GAUGE',
    help: 'Running tasks of the connector on this worker',
    labels: { connector: '$1' },
  },
  {
    pattern: `${STREAMING}MilliSecondsBehindSource`,
    name: 'debezium_streaming_milliseconds_behind_source',
    type: 'GAUGE',
    help: 'Source commit time to Debezium processing time of the last event',
    labels: { plugin: '$1', server: '$2' },
  },
  {
    pattern: `${STREAMING}Connected`,
    name: 'debezium_streaming_connected',
    type: 'GAUGE',
    help: '1 while the connector is connected to its source',
    labels: { plugin: '$1', server: '$2' },
  },
  {
    pattern: `${STREAMING}TotalNumberOfEventsSeen`,
    name: 'debezium_streaming_events_total',
    type: 'COUNTER',
    help: 'Change events seen since the connector started',
    labels: { plugin: '$1', server: '$2' },
  },
  {
    pattern: `${STREAMING}MilliSecondsSinceLastEvent`,
    name: 'debezium_streaming_milliseconds_since_last_event',
    type: 'GAUGE',
    help: 'Time since the last change event',
    labels: { plugin: '$1', server: '$2' },
  },
];
const CONNECT_JMX_OBJECTS = ['kafka.connect:*', 'debezium.postgres:*', 'debezium.mongodb:*'];
/** Not the brokers' 9404, so a worker and a broker can share a machine's network. */
export const CONNECT_METRICS_PORT = 9405;

/**
 * One call for the Debezium Connect construct: adds the JMX agent to each
 * worker and registers CDC monitoring. Use the returned nodes in place of `workers`.
 */
export function monitorCdc(scope: IConstruct, workers: readonly NodeSpec[]): NodeSpec[] {
  const p = platformOf(scope).placement;
  const config = { path: JMX_CONFIG_PATH, content: renderJmxConfig(CONNECT_JMX_OBJECTS, CONNECT_JMX_RULES) };
  const instrumented = workers.map((n) =>
    withMetrics(n, jmxAddon(p, n.name, config, 'KAFKA_OPTS', CONNECT_METRICS_PORT)),
  );
  monitoringOf(scope).register(cdcMonitoring(instrumented));
  return instrumented;
}

export function cdcMonitoring(workers: readonly NodeSpec[]): ComponentMonitoring {
  const sel = `job="${JOB}"`;
  const behind = `max by (server) (debezium_streaming_milliseconds_behind_source{${sel}})`;
  return {
    component: 'cdc',
    jobs: [{ job: JOB, exporter: 'connect-jmx-1.6', targets: workers.map((w) => ({ node: w.name, port: 'metrics' })) }],
    rules: [
      {
        alert: 'ConnectWorkerDown',
        expr: `up{${sel}} == 0`,
        for: '1m',
        severity: 'critical',
        summary: 'Kafka Connect worker {{ $labels.instance }} is down',
        description: 'Its connectors and tasks are rebalanced onto the other workers; if none is left, CDC stops.',
      },
      {
        alert: 'DebeziumConnectorFailed',
        expr: `max by (connector) (kafka_connect_connector_status{${sel}, status="failed"}) == 1`,
        for: '1m',
        severity: 'critical',
        summary: 'Connector {{ $labels.connector }} has failed',
        description:
          'Connect does not restart a failed connector: changes stop flowing until it is restarted (POST /connectors/<name>/restart). Its slot keeps WAL meanwhile.',
      },
      {
        alert: 'DebeziumTaskFailed',
        expr: `sum by (connector) (kafka_connect_connector_failed_tasks{${sel}}) > 0`,
        for: '1m',
        severity: 'critical',
        summary: '{{ $value }} tasks of connector {{ $labels.connector }} have failed',
        description:
          'A failed task stops capturing. The task trace is in GET /connectors/<name>/status; restart it with POST /connectors/<name>/tasks/<id>/restart.',
      },
      {
        alert: 'DebeziumNotConnected',
        expr: `max by (server) (debezium_streaming_connected{${sel}}) == 0`,
        for: '2m',
        severity: 'critical',
        summary: 'Debezium ({{ $labels.server }}) is not connected to its source',
        description:
          'The streaming connection to the database is down, for example during a Postgres failover until the connector reconnects through HAProxy.',
      },
      {
        alert: 'DebeziumStreamingLag',
        expr: `${behind} > 60000`,
        for: '5m',
        severity: 'warning',
        summary: 'Debezium ({{ $labels.server }}) is {{ $value }} ms behind its source',
        description:
          'Changes reach Kafka more than a minute after commit. Look at Kafka produce errors (under min ISR) and the connector task before the source keeps more WAL.',
      },
    ],
    dashboard: buildDashboard({
      uid: 'dp-cdc',
      title: 'CDC (Debezium)',
      rows: [
        {
          title: 'Connectors',
          panels: [
            stat(
              'Workers up',
              'none',
              { expr: `sum(up{${sel}})`, legend: 'up' },
              { warn: workers.length, critical: 1, lowIsBad: true },
            ),
            stat(
              'Failed connectors',
              'none',
              {
                expr: `count(kafka_connect_connector_status{${sel}, status="failed"} == 1) or vector(0)`,
                legend: 'failed',
              },
              { warn: 1, critical: 1 },
            ),
            stat(
              'Failed tasks',
              'none',
              { expr: `sum(kafka_connect_connector_failed_tasks{${sel}})`, legend: 'failed' },
              { warn: 1, critical: 1 },
            ),
            stat(
              'Max lag behind source',
              'ms',
              { expr: `max(${behind})`, legend: 'lag' },
              { warn: 10000, critical: 60000 },
            ),
            timeseries('Lag behind source', 'ms', [{ expr: behind, legend: '{{server}}' }], {
              min: 0,
              thresholds: { warn: 10000, critical: 60000 },
            }),
            timeseries(
              'Change events',
              'ops',
              [{ expr: `sum by (server) (rate(debezium_streaming_events_total{${sel}}[5m]))`, legend: '{{server}}' }],
              { min: 0 },
            ),
            timeseries(
              'Time since last event',
              'ms',
              [
                {
                  expr: `max by (server) (debezium_streaming_milliseconds_since_last_event{${sel}})`,
                  legend: '{{server}}',
                },
              ],
              { min: 0 },
            ),
            timeseries(
              'Running tasks',
              'short',
              [{ expr: `sum by (connector) (kafka_connect_connector_running_tasks{${sel}})`, legend: '{{connector}}' }],
              { min: 0 },
            ),
          ],
        },
      ],
    }),
    overview: {
      title: 'CDC',
      stat: { title: 'Failed CDC tasks', expr: `sum(kafka_connect_connector_failed_tasks{${sel}})`, unit: 'none' },
      lag: [{ title: 'Postgres/Mongo → Kafka (Debezium lag)', expr: behind, legend: '{{server}}', unit: 'ms' }],
    },
  };
}

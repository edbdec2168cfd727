import { Construct } from 'constructs';
import { platformOf } from '../platform/context';
import { IMAGES } from '../platform/images';
import type { ImageRef, NodeSpec } from '../platform/node-spec';
import { ValidationError, checkInt, checkOddCount, checkPinned } from '../platform/validation';
import { monitorKafka } from './kafka-monitoring';
import {
  KAFKA_PORTS,
  internalListener,
  renderServerProperties,
  type KafkaNodeRef,
  type KafkaRole,
} from './server-properties';
import { storageFormatArgs } from './storage-format';

const KAFKA_PLAINTEXT = "Kafka's listeners are plaintext until SASL_SSL lands (issue 11)";
import { renderTopicsScript, resolveTopics, type KafkaTopic, type ResolvedTopic } from './topics';

export interface KafkaClusterProps {
  /**
   * Broker count. With combined controllers every broker is also a KRaft voter,
   * so the count must then be odd.
   * @default 3
   */
  readonly brokers?: number;
  /**
   * `combined`: each node is broker and KRaft controller (3 containers for a
   * 3-voter quorum and 3 brokers: what a laptop can hold). `dedicated`: separate
   * controller nodes, as Kafka recommends for production, where a busy broker
   * must not starve the quorum.
   * @default 'combined'
   */
  readonly controllers?: 'combined' | 'dedicated';
  /** Dedicated controller count; odd. Only with controllers: 'dedicated'. @default 3 */
  readonly controllerCount?: number;
  /** `default.replication.factor`, also for the internal topics. @default 3 */
  readonly replicationFactor?: number;
  /** Must stay below every topic's RF, so one broker down does not stop writes. @default 2 */
  readonly minInsyncReplicas?: number;
  /** Topics, created by the `kafka-topics` job. The CDC topics are added to these. @default none */
  readonly topics?: readonly KafkaTopic[];
  /**
   * `broker.session.timeout.ms`: how long the controller waits for a broker's heartbeat before
   * fencing it and moving its partition leaderships, i.e. most of the write outage when a broker
   * dies (Kafka's default of 9 s measured 11.4 s in the lab). Lower is faster failover; too low
   * fences live brokers that stall briefly (GC, I/O, an overloaded host). 4 s with a 1 s heartbeat
   * still tolerates a 3 s stall, well beyond a G1 pause on the default 384 MB heap. 3000–60000.
   * @default 4000
   */
  readonly brokerSessionTimeoutMs?: number;
  /** `broker.heartbeat.interval.ms`; at most a third of the session timeout, so one late heartbeat never fences. @default 1000 */
  readonly brokerHeartbeatIntervalMs?: number;
  /** Host listener port of broker 1 (127.0.0.1); broker n uses hostPortBase + n - 1. @default 9092 */
  readonly hostPortBase?: number;
  /** JVM heap per node. At most half of memoryMb: Kafka lives on the page cache. @default 192 */
  readonly heapMb?: number;
  /** @default 640 */
  readonly memoryMb?: number;
  /** @default IMAGES.kafka */
  readonly image?: ImageRef;
}

const CONFIG_PATH = '/etc/kafka/server.properties';
const TOPICS_SCRIPT = '/etc/kafka/create-topics.sh';
const TOPICS_JOB = 'kafka-topics';
const DATA_DIR = '/var/lib/kafka/data';
const BIN = '/opt/kafka/bin';
/** Dedicated controllers get IDs from here, so broker IDs stay 1…n. */
const CONTROLLER_ID_BASE = 100;

/** Kafka in KRaft mode: brokers, their controller quorum, and the job that creates the declared topics. */
export class KafkaCluster extends Construct {
  readonly nodes: readonly NodeSpec[];
  readonly brokers: readonly NodeSpec[];
  readonly topicsJob: NodeSpec;
  readonly topics: readonly ResolvedTopic[];
  /** Internal listeners of all brokers, for clients inside the platform. */
  readonly bootstrapServers: string;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;

  constructor(scope: Construct, id: string, props: KafkaClusterProps = {}) {
    super(scope, id);
    const platform = platformOf(this);
    const p = platform.placement;
    const { mode, brokerCount, controllerCount, memoryMb, heapMb, hostPortBase, session, ...cluster } =
      resolveSettings(props);
    this.replicationFactor = cluster.replicationFactor;
    this.minInsyncReplicas = cluster.minInsyncReplicas;
    const image = checkPinned('kafka.image', props.image ?? IMAGES.kafka);

    const brokerRefs = Array.from({ length: brokerCount }, (_, i) => ({ name: `kafka-${i + 1}`, id: i + 1 }));
    const controllerRefs = Array.from({ length: controllerCount }, (_, i) => ({
      name: `kafka-controller-${i + 1}`,
      id: CONTROLLER_ID_BASE + i + 1,
    }));
    const voters = mode === 'combined' ? brokerRefs : controllerRefs;
    const clusterId = platform.generatedId({ name: 'kafka-cluster-id', description: 'Kafka KRaft cluster ID' });

    const kafkaNode = (ref: KafkaNodeRef, role: KafkaRole, hostPort: number, dependsOn: string[]): NodeSpec => {
      const isBroker = role !== 'controller';
      return {
        name: ref.name,
        component: 'kafka',
        role,
        image,
        // Format the log dir once (the cluster ID is generated per deployment), then run
        // the broker on our file instead of the image's env-to-properties launcher. The
        // format tool gets no KAFKA_OPTS: those are the server's (its metrics agent).
        command: [
          '/bin/bash',
          '-c',
          `set -e; KAFKA_OPTS= ${BIN}/kafka-storage.sh ${storageFormatArgs('"$CLUSTER_ID"', CONFIG_PATH).join(' ')}; ` +
            `export KAFKA_HEAP_OPTS="-Xms${heapMb}m -Xmx${heapMb}m"; exec ${BIN}/kafka-server-start.sh ${CONFIG_PATH}`,
        ],
        env: { CLUSTER_ID: clusterId },
        files: [
          {
            path: CONFIG_PATH,
            content: renderServerProperties({
              node: { ...ref, role },
              voters,
              hostPort,
              logDir: p.path(ref.name, DATA_DIR),
              replicationFactor: this.replicationFactor,
              minInsyncReplicas: this.minInsyncReplicas,
              partitions: 3,
              session,
              placement: p,
            }),
          },
        ],
        ports: [
          ...(isBroker
            ? [
                {
                  name: 'internal',
                  port: p.port(ref.name, 'internal', KAFKA_PORTS.internal),
                  plaintext: KAFKA_PLAINTEXT,
                },
                // Same port inside and out: the broker advertises 127.0.0.1:<this port>.
                { name: 'host', port: p.port(ref.name, 'host', hostPort), hostPort, plaintext: KAFKA_PLAINTEXT },
              ]
            : []),
          ...(role !== 'broker'
            ? [
                {
                  name: 'controller',
                  port: p.port(ref.name, 'controller', KAFKA_PORTS.controller),
                  plaintext: KAFKA_PLAINTEXT,
                },
              ]
            : []),
        ],
        volumes: [{ name: 'data', path: DATA_DIR }],
        stateful: true,
        // The tools start a JVM (default heap 256 MB, as the container env sets no KAFKA_HEAP_OPTS), hence the slower interval.
        health: {
          test: isBroker
            ? ['CMD', `${BIN}/kafka-broker-api-versions.sh`, '--bootstrap-server', `127.0.0.1:${KAFKA_PORTS.internal}`]
            : [
                'CMD',
                `${BIN}/kafka-metadata-quorum.sh`,
                '--bootstrap-controller',
                `127.0.0.1:${KAFKA_PORTS.controller}`,
                'describe',
                '--status',
              ],
          intervalSeconds: 15,
          timeoutSeconds: 10,
          startPeriodSeconds: 60,
        },
        memoryMb,
        dependsOn,
        // Their controllers' quorum port (Kafka nodes reach each other on every Kafka port anyway):
        // not their metrics port, which a node without its agent never opens.
        connectsTo: dependsOn.map((controller) => ({ node: controller, port: 'controller' })),
      };
    };

    const bootstrap = brokerRefs.map((b) => internalListener(p, b.name));
    const servers = monitorKafka(
      this,
      [
        ...controllerRefs.map((ref) => kafkaNode(ref, 'controller', 0, [])),
        ...brokerRefs.map((ref, i) =>
          kafkaNode(
            ref,
            mode === 'combined' ? 'combined' : 'broker',
            hostPortBase + i,
            controllerRefs.map((c) => c.name),
          ),
        ),
      ],
      { bootstrap, exporterImage: IMAGES.kafkaExporter },
    );
    this.brokers = servers.filter((n) => n.role !== 'controller');
    this.bootstrapServers = bootstrap.join(',');
    this.topics = resolveTopics('kafka.topics', props.topics ?? [], {
      brokers: brokerCount,
      ...cluster,
    });
    this.topicsJob = {
      name: TOPICS_JOB,
      component: 'kafka',
      role: 'init',
      image,
      command: ['/bin/bash', TOPICS_SCRIPT],
      env: {},
      files: [
        {
          path: TOPICS_SCRIPT,
          content: renderTopicsScript(this.topics, this.bootstrapServers, p.path(TOPICS_JOB, BIN)),
          mode: '0755',
        },
      ],
      ports: [],
      volumes: [],
      stateful: false,
      oneShot: true,
      memoryMb: 512,
      dependsOn: this.brokers.map((b) => b.name),
      connectsTo: this.brokers.map((b) => ({ node: b.name, port: 'internal' })),
    };
    this.nodes = [...servers, this.topicsJob];
    platform.addNodes(this.nodes);
  }
}

function resolveSettings(props: KafkaClusterProps) {
  const mode = props.controllers ?? 'combined';
  const brokerCount = checkInt('kafka.brokers', props.brokers ?? 3, { min: 1, max: 50 });
  if (mode === 'combined') checkOddCount('kafka.brokers (combined controllers: each broker is a voter)', brokerCount);
  if (mode === 'combined' && props.controllerCount !== undefined) {
    throw new ValidationError(`kafka.controllerCount applies only with kafka.controllers: 'dedicated'`);
  }
  const controllerCount = mode === 'dedicated' ? checkOddCount('kafka.controllerCount', props.controllerCount ?? 3) : 0;
  const replicationFactor = checkInt('kafka.replicationFactor', props.replicationFactor ?? 3, { min: 1 });
  if (replicationFactor > brokerCount) {
    throw new ValidationError(
      `kafka.replicationFactor is ${replicationFactor} but only ${brokerCount} brokers are configured: ` +
        `lower it to ≤ ${brokerCount} or add brokers`,
    );
  }
  const minInsyncReplicas = checkInt('kafka.minInsyncReplicas', props.minInsyncReplicas ?? 2, { min: 1 });
  if (minInsyncReplicas >= replicationFactor && replicationFactor > 1) {
    throw new ValidationError(
      `kafka.minInsyncReplicas is ${minInsyncReplicas} but kafka.replicationFactor is ${replicationFactor}: ` +
        `min.insync.replicas ≥ RF stops every write when one broker is down; lower it to ≤ ${replicationFactor - 1}`,
    );
  }
  const memoryMb = checkInt('kafka.memoryMb', props.memoryMb ?? 640, { min: 384 });
  const heapMb = checkInt('kafka.heapMb', props.heapMb ?? 192, { min: 128 });
  if (heapMb * 2 > memoryMb) {
    throw new ValidationError(
      `kafka.heapMb is ${heapMb} but kafka.memoryMb is ${memoryMb}: keep the heap at most half the memory limit ` +
        `(the rest is page cache and JVM overhead); lower heapMb to ≤ ${Math.floor(memoryMb / 2)} or raise memoryMb`,
    );
  }
  const hostPortBase = checkInt('kafka.hostPortBase', props.hostPortBase ?? 9092, {
    min: 1024,
    max: 65535 - brokerCount,
  });
  // A broker listens on its host port inside the node too, beside the fixed internal ports.
  const internal = Object.values(KAFKA_PORTS);
  const clash = internal.find((port) => port >= hostPortBase && port < hostPortBase + brokerCount);
  if (clash) {
    throw new ValidationError(
      `kafka.hostPortBase ${hostPortBase} puts a host listener on port ${clash}, which every node uses internally: ` +
        `keep the host ports ${hostPortBase}–${hostPortBase + brokerCount - 1} clear of ${internal.join(' and ')}`,
    );
  }
  const timeoutMs = checkInt('kafka.brokerSessionTimeoutMs', props.brokerSessionTimeoutMs ?? 4000, {
    min: 3000,
    max: 60_000,
  });
  const heartbeatMs = checkInt('kafka.brokerHeartbeatIntervalMs', props.brokerHeartbeatIntervalMs ?? 1000, {
    min: 250,
    max: Math.floor(timeoutMs / 3),
  });
  const session = { timeoutMs, heartbeatMs };
  return {
    mode,
    brokerCount,
    controllerCount,
    replicationFactor,
    minInsyncReplicas,
    memoryMb,
    heapMb,
    hostPortBase,
    session,
  };
}

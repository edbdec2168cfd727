import type { Placement } from '../platform/placement';
import { renderProperties } from './java-properties';

/** Standard ports inside a Kafka node; the host listener's port is per node (see KafkaClusterProps.hostPortBase). */
export const KAFKA_PORTS = { internal: 19092, controller: 19093 } as const;

/** Address a client on the machine running the platform uses: Docker publishes there, the lab listens there. */
export const HOST_LISTENER_ADDRESS = '127.0.0.1';

/** `combined`: broker and KRaft controller in one process; otherwise one of the two. */
export type KafkaRole = 'combined' | 'broker' | 'controller';

export interface KafkaNodeRef {
  readonly name: string;
  readonly id: number;
}

export interface ServerPropertiesInput {
  readonly node: KafkaNodeRef & { readonly role: KafkaRole };
  /** The KRaft controller quorum (static voters). */
  readonly voters: readonly KafkaNodeRef[];
  /**
   * Port of the host listener. The node listens on the very port it advertises
   * at 127.0.0.1, so the address is right both when Docker publishes it 1:1 and
   * in the lab, where the listener itself is on 127.0.0.1.
   */
  readonly hostPort: number;
  readonly logDir: string;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
  readonly partitions: number;
  /** Broker liveness: `broker.session.timeout.ms` and `broker.heartbeat.interval.ms`. */
  readonly session: { readonly timeoutMs: number; readonly heartbeatMs: number };
  readonly placement: Placement;
}

/** `host:port` of a node's internal listener, where clients inside the platform bootstrap. */
export function internalListener(p: Placement, node: string): string {
  return `${p.host(node)}:${p.port(node, 'internal', KAFKA_PORTS.internal)}`;
}

/**
 * server.properties for one KRaft node. Every key is explicit, so neither the
 * image's env-driven defaults nor a distribution's sample file leaks in, and
 * the lab runs the same file with `java -cp`.
 */
export function renderServerProperties(input: ServerPropertiesInput): string {
  const { placement: p, node } = input;
  const isBroker = node.role !== 'controller';
  const isController = node.role !== 'broker';
  const controllerPort = p.port(node.name, 'controller', KAFKA_PORTS.controller);
  const hostPort = p.port(node.name, 'host', input.hostPort);
  const listen = [
    ...(isBroker
      ? [
          `INTERNAL://${p.bindHost}:${p.port(node.name, 'internal', KAFKA_PORTS.internal)}`,
          `HOST://${p.bindHost}:${hostPort}`,
        ]
      : []),
    ...(isController ? [`CONTROLLER://${p.bindHost}:${controllerPort}`] : []),
  ];
  const voters = input.voters.map(
    (v) => `${v.id}@${p.host(v.name)}:${p.port(v.name, 'controller', KAFKA_PORTS.controller)}`,
  );
  return renderProperties(`Kafka ${node.name} (node.id ${node.id}, ${node.role}); generated, do not edit.`, {
    'process.roles': isBroker && isController ? 'broker,controller' : isBroker ? 'broker' : 'controller',
    'node.id': node.id,
    'controller.quorum.voters': voters.join(','),
    'controller.listener.names': 'CONTROLLER',
    listeners: listen.join(','),
    ...(isBroker
      ? {
          // Clients in the platform network get the node's host name; clients on
          // the operator's machine connect to 127.0.0.1 and get 127.0.0.1 back.
          'advertised.listeners': `INTERNAL://${internalListener(p, node.name)},HOST://${HOST_LISTENER_ADDRESS}:${hostPort}`,
          'inter.broker.listener.name': 'INTERNAL',
        }
      : {}),
    'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,HOST:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': input.logDir,
    'num.partitions': input.partitions,
    'default.replication.factor': input.replicationFactor,
    'min.insync.replicas': input.minInsyncReplicas,
    'offsets.topic.replication.factor': input.replicationFactor,
    'transaction.state.log.replication.factor': input.replicationFactor,
    'transaction.state.log.min.isr': input.minInsyncReplicas,
    // Fencing a dead broker takes the session timeout: most of a broker crash's write outage.
    'broker.session.timeout.ms': input.session.timeoutMs,
    'broker.heartbeat.interval.ms': input.session.heartbeatMs,
    // A stale replica never becomes leader: an acknowledged write is never lost to an election.
    'unclean.leader.election.enable': false,
    // Topics exist only as declared in code (KafkaClusterProps.topics), never by a typo in a client.
    'auto.create.topics.enable': false,
  });
}

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { RootConstruct } from 'constructs';
import { DataPlatform } from '../../constructs/data-platform';
import { LoopbackPlacement, type Placement } from '../../constructs/platform/placement';
import type { RunningLab } from '../../scripts/lab/runtime';
import { LAB_TOOLS } from '../../scripts/lab/tools';
import { findTool } from '../real-tools/tools';

export const tools = {
  java: findTool(LAB_TOOLS.java),
  'Kafka 4.3.1 jars': existsSync(`${LAB_TOOLS.kafkaLibs}/kafka_2.13-4.3.1.jar`) ? LAB_TOOLS.kafkaLibs : undefined,
};

/**
 * The shared lab's placement for a platform with more components than the lab
 * runs: every (node, port) the lab has keeps the lab's port, so the platform's
 * renderers point at the lab's real servers; the rest (Mongo, ClickHouse,
 * MinIO, which run nowhere here) get ports of their own above the lab's.
 */
class OnTheLab implements Placement {
  readonly bindHost = '127.0.0.1';
  private readonly spare: LoopbackPlacement;

  constructor(
    root: string,
    private readonly known: ReadonlyMap<string, number>,
  ) {
    this.spare = new LoopbackPlacement(root, Math.max(...known.values()) + 100);
  }

  host(): string {
    return '127.0.0.1';
  }

  port(node: string, portName: string): number {
    return this.known.get(`${node}/${portName}`) ?? this.spare.port(node, portName);
  }

  path(node: string, containerPath: string): string {
    return this.spare.path(node, containerPath);
  }
}

/**
 * The default platform (Mongo and ClickHouse included) rendered onto the shared
 * lab, so its ClickHouse DDL and its declared topics, which the lab's settings
 * leave out, run against the lab's Kafka and Debezium. Plus the Kafka clients
 * the tests drive it with, from the lab's jars.
 */
export class StreamingOnLab {
  readonly platform: DataPlatform;

  constructor(readonly lab: RunningLab) {
    const known = new Map(lab.plan.platform.nodes.flatMap((n) => n.ports.map((p) => [`${n.name}/${p.name}`, p.port])));
    this.platform = new DataPlatform(new RootConstruct(), 'platform', { placement: new OnTheLab(lab.root, known) });
  }

  get kafka() {
    return this.platform.kafka!;
  }

  /** Port of a node's named port. */
  port(node: string, name: string): number {
    return this.platform.nodes.find((n) => n.name === node)!.ports.find((p) => p.name === name)!.port;
  }

  java(main: string, args: readonly string[], heap = '128m'): string[] {
    return [tools.java!, `-Xmx${heap}`, '-cp', `${LAB_TOOLS.kafkaLibs}/*`, main, ...args];
  }

  /** The folder where the lab's topics job finds its kafka-topics.sh and kafka-configs.sh. */
  get binDir(): string {
    return this.lab.plan.platform.placement.path(this.lab.plan.platform.kafka!.topicsJob.name, '/opt/kafka/bin');
  }

  /** One record per line, through broker 1's host listener (a client on the operator's machine). */
  produce(topic: string, records: readonly string[]): ReturnType<typeof spawnSync> {
    const [cmd, ...args] = this.java('org.apache.kafka.tools.ConsoleProducer', [
      ...['--bootstrap-server', `127.0.0.1:${this.port('kafka-1', 'host')}`, '--topic', topic],
      ...['--command-property', 'acks=all'],
    ]);
    return spawnSync(cmd!, args, { input: `${records.join('\n')}\n`, encoding: 'utf8', timeout: 60_000 });
  }
}

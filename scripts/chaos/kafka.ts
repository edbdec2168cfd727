/** Kafka as the scenarios see it, through the brokers' host listeners in the manifest. */
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { TopologyManifest } from '../../constructs/platform/topology';
import { endpointOf, nodesOf } from './target';

export function kafkaClient(manifest: TopologyManifest, clientId: string): Kafka {
  const brokers = nodesOf(manifest, 'kafka')
    .filter((n) => n.endpoints.host)
    .map((n) => endpointOf(n, 'host'));
  if (brokers.length === 0) throw new Error('the topology manifest has no Kafka brokers');
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 3 } });
}

export async function withAdmin<T>(manifest: TopologyManifest, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaClient(manifest, 'chaos-admin').admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The broker (by manifest node name) leading partition 0 of `topic`, and the active controller. */
export async function leaders(
  manifest: TopologyManifest,
  topic: string,
): Promise<{ partitionLeader: string; controller: string }> {
  return withAdmin(manifest, async (admin) => {
    const [t] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const cluster = await admin.describeCluster();
    return {
      partitionLeader: `kafka-${t!.partitions.find((p) => p.partitionId === 0)!.leader}`,
      controller: `kafka-${cluster.controller}`,
    };
  });
}

/** A broker setting in force, read from the broker itself. */
export async function brokerSetting(manifest: TopologyManifest, name: string): Promise<number> {
  return withAdmin(manifest, async (admin) => {
    const { brokers } = await admin.describeCluster();
    const res = await admin.describeConfigs({
      resources: [{ type: 4 /* BROKER */, name: String(brokers[0]!.nodeId), configNames: [name] }],
      includeSynonyms: false,
    });
    const value = res.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
    if (value === undefined) throw new Error(`broker setting ${name} not found`);
    return Number(value);
  });
}

/**
 * Every message value of `topic` from the beginning up to the end offsets as of
 * the call: a fresh consumer group reads until it has reached them on every partition.
 */
export async function readTopic(manifest: TopologyManifest, topic: string, withinSeconds = 60): Promise<string[]> {
  const kafka = kafkaClient(manifest, 'chaos-readback');
  const ends = await withAdmin(manifest, (admin) => admin.fetchTopicOffsets(topic));
  const remaining = new Map(ends.filter((e) => e.high !== e.low).map((e) => [e.partition, BigInt(e.high)]));
  const values: string[] = [];
  if (remaining.size === 0) return values;
  const consumer = kafka.consumer({ groupId: `chaos-readback-${Date.now()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`reading ${topic} did not reach its end within ${withinSeconds} s`)),
        withinSeconds * 1000,
      );
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          values.push(message.value?.toString() ?? '');
          const end = remaining.get(partition);
          if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/**
 * Serving again, for Kafka scenarios: an acks=all write of a probe producer (no retries) is acknowledged.
 * One producer per run, connected on first use; `close` before the scenario's rollback acts.
 */
export function acksAllProbe(manifest: TopologyManifest, topic: string) {
  let probe: Producer | undefined;
  return {
    async recovered(): Promise<boolean> {
      probe ??= kafkaClient(manifest, 'chaos-probe').producer({ retry: { retries: 0 } });
      await probe.connect();
      await probe.send({ topic, acks: -1, timeout: 2000, messages: [{ value: 'probe' }] });
      return true;
    },
    close: async () => void (await probe?.disconnect()),
  };
}

/**
 * Produces keyed messages with acks=all from a few concurrent senders and
 * records every attempt. A send the client retried internally may land twice:
 * that is a duplicate, counted apart, never a loss.
 */
import { Partitioners } from 'kafkajs';
import type { TopologyManifest } from '../../../constructs/platform/topology';
import { kafkaClient, readTopic, withAdmin } from '../kafka';
import type { Op, Readback, Workload } from '../types';

export async function prepareTopic(manifest: TopologyManifest, topic: string): Promise<void> {
  await withAdmin(manifest, async (admin) => {
    if ((await admin.listTopics()).includes(topic)) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
      ],
    });
  });
}

/** @param retries the client's retries of a failed send before it counts as failed */
export function kafkaProduce(
  manifest: TopologyManifest,
  topic: string,
  run: string,
  senders = 3,
  retries = 2,
): Workload {
  const ops: Op[] = [];
  let running = false;
  let next = 0;
  const workers: Promise<void>[] = [];
  const producer = kafkaClient(manifest, `chaos-${run}`).producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries },
  });

  async function sender(): Promise<void> {
    while (running) {
      const key = String(++next);
      const startedAt = Date.now();
      try {
        await producer.send({ topic, acks: -1, timeout: 5000, messages: [{ key, value: `${run}:${key}` }] });
        ops.push({ key, startedAt, endedAt: Date.now(), ok: true });
      } catch (e) {
        ops.push({ key, startedAt, endedAt: Date.now(), ok: false, error: (e as Error).message });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  return {
    start() {
      running = true;
      workers.push(
        producer.connect().then(() => Promise.all(Array.from({ length: senders }, sender)).then(() => undefined)),
      );
    },
    async stop() {
      running = false;
      await Promise.all(workers);
      await producer.disconnect();
      return ops;
    },
  };
}

/** Keys of this run present in the topic, with their counts. */
export async function readProduced(manifest: TopologyManifest, topic: string, run: string): Promise<Readback> {
  const present = new Map<string, number>();
  for (const value of await readTopic(manifest, topic)) {
    if (!value.startsWith(`${run}:`)) continue;
    const key = value.slice(run.length + 1);
    present.set(key, (present.get(key) ?? 0) + 1);
  }
  return { present };
}

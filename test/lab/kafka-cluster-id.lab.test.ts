import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { getProperties } from 'properties-file';
import { describe, expect, it } from 'vitest';
import { labStatus } from '../../scripts/lab/status';
import { LAB_TOOLS } from '../../scripts/lab/tools';
import { file } from '../helpers';
import { run } from '../real-tools/tools';
import { labAvailable, useLab } from './lab-fixture';
import { LAB_KAFKA_CLUSTER_ID as CLUSTER_ID } from './shared-lab-files';

const TOPIC = 'cluster-id-probe';

/**
 * The shared lab runs its brokers on a cluster ID that begins with '-'
 * (LAB_KAFKA_CLUSTER_ID), formatted by the same command every target renders.
 */
describe.runIf(labAvailable())('lab: a Kafka cluster ID that begins with "-"', () => {
  const lab = useLab();
  const brokers = () => lab().plan.nodes.filter((n) => n.spec.component === 'kafka' && !n.launch.job);
  const broker = () => brokers()[0]!;

  it("formats every broker's log dir with that ID", () => {
    expect(brokers().length).toBe(3);
    for (const b of brokers()) {
      const props = b.spec.files.find((f) => f.path.endsWith('/server.properties'))!;
      const logDir = getProperties(props.content)['log.dirs']!;
      const meta = getProperties(readFileSync(join(logDir, 'meta.properties'), 'utf8'));
      expect(meta['cluster.id'], b.spec.name).toBe(CLUSTER_ID);
    }
  });

  it('starts a broker that serves under that ID: the topics job, then a produce and consume with acks=all', async () => {
    const names = [...brokers().map((b) => b.spec.name), 'kafka-topics'];
    const status = (await labStatus(lab().plan, lab())).filter((s) => names.includes(s.name));
    expect(status).toEqual([
      ...brokers().map((b) => ({ name: b.spec.name, pid: lab().pids[b.spec.name], state: 'ready' })),
      { name: 'kafka-topics', pid: lab().jobs['kafka-topics']!.pid, state: 'done', exitCode: 0 },
    ]);
    const host = broker().spec.ports.find((p) => p.name === 'host')!.port;
    const kafka = new Kafka({
      clientId: 'cluster-id-test',
      brokers: [`127.0.0.1:${host}`],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: 'cluster-id-test' });
    try {
      await admin.connect();
      expect((await admin.describeCluster()).clusterId).toBe(CLUSTER_ID);
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }] });
      await producer.connect();
      await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'hello' }] });
      await consumer.connect();
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      const got = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no record consumed within 45 s')), 45_000);
        void consumer.run({
          eachMessage: async ({ message }) => (clearTimeout(timer), resolve(String(message.value))),
        });
      });
      expect(got).toBe('hello');
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
    }
  }, 90_000);

  it('refuses that ID as a separate argument, as before the fix (negative control)', () => {
    // A scratch copy: the running broker's own log dir must stay as it is.
    const config = join(lab().root, 'negative-control.properties');
    const text = file(broker().spec, '/etc/kafka/server.properties');
    writeFileSync(config, text.replace(/^log\.dirs=.*$/m, `log.dirs=${join(lab().root, 'negative-control-data')}`));
    const argv = ['format', '--ignore-formatted', '--cluster-id', CLUSTER_ID, '--config', config];
    const result = run(
      [LAB_TOOLS.java, '-Xmx128m', '-cp', `${LAB_TOOLS.kafkaLibs}/*`, 'kafka.tools.StorageTool', ...argv],
      60_000,
    );
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('argument --cluster-id/-t: expected one argument');
  }, 60_000);
});

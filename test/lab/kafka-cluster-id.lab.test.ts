import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { getProperties } from 'properties-file';
import { describe, expect, it } from 'vitest';
import { LAB_SETTINGS } from '../../scripts/lab/plan';
import { labStatus } from '../../scripts/lab/status';
import { LAB_TOOLS } from '../../scripts/lab/tools';
import { file } from '../helpers';
import { findTool, haveTools, run } from '../real-tools/tools';
import { useLab } from './lab-fixture';

/** Begins with '-', as 1 generated ID in 64 does (issue 15): forced, so the test cannot pass by luck. */
const CLUSTER_ID = '-fX0uk1PAQTOsccHQ2WRmg';
const TOPIC = 'cluster-id-probe';

/**
 * One single-node KRaft broker and the topics job, started by the lab's own
 * runtime (the same format command as every target) on a cluster ID that
 * begins with '-'.
 */
const installed = (path: string) => (existsSync(path) ? path : undefined);

describe.runIf(
  haveTools({
    java: findTool(LAB_TOOLS.java),
    'Kafka jars': installed(LAB_TOOLS.kafkaLibs),
    'JMX exporter agent': installed(LAB_TOOLS.jmxAgent),
  }),
)('lab: a Kafka cluster ID that begins with "-"', () => {
  const lab = useLab({
    basePort: 23600,
    ids: { 'kafka-cluster-id': CLUSTER_ID },
    settings: {
      ...LAB_SETTINGS,
      cdc: false,
      kafka: { brokers: 1, replicationFactor: 1, minInsyncReplicas: 1, topics: [{ name: TOPIC, partitions: 1 }] },
    },
    include: (n) => ['kafka-1', 'kafka-topics'].includes(n.spec.name),
  });
  const broker = () => lab().plan.nodes.find((n) => n.spec.name === 'kafka-1')!;

  it('formats the log dir with that ID', () => {
    const props = broker().spec.files.find((f) => f.path.endsWith('/server.properties'))!;
    const logDir = getProperties(props.content)['log.dirs']!;
    const meta = getProperties(readFileSync(join(logDir, 'meta.properties'), 'utf8'));
    expect(meta['cluster.id']).toBe(CLUSTER_ID);
  });

  it('starts a broker that serves under that ID: the topics job, then a produce and consume with acks=all', async () => {
    // The plan holds the whole lab; this test started these two.
    const status = (await labStatus(lab().plan, lab())).filter((s) => ['kafka-1', 'kafka-topics'].includes(s.name));
    expect(status).toEqual([
      { name: 'kafka-1', pid: lab().pids['kafka-1'], state: 'ready' },
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
      expect(await admin.listTopics()).toContain(TOPIC);
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

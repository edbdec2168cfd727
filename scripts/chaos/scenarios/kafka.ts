/** Kafka scenarios: an acks=all producer must lose nothing when a broker or the controller dies. */
import { acksAllProbe, brokerSetting, leaders, withAdmin } from '../kafka';
import { nodeNamed, nodesOf } from '../target';
import type { ScenarioDefinition } from '../types';
import { kafkaProduce, prepareTopic, readProduced } from '../workloads/kafka-produce';

const TOPIC = 'chaos.produce';
/** Seconds beyond the broker session timeout: a new leader's election and the clients' metadata refresh. */
const ELECTION_MARGIN = 10;

function brokerCrash(victim: 'partitionLeader' | 'controller'): ScenarioDefinition {
  return {
    name: victim === 'controller' ? 'kafka-controller-crash' : 'kafka-broker-crash',
    description:
      victim === 'controller'
        ? 'Kill the active KRaft controller (a broker too, in combined mode): another voter takes over, and acks=all writes go on with none lost.'
        : 'Kill the broker leading partition 0 of the test topic (RF 3, min.insync.replicas 2) under an acks=all producer: leadership moves, nothing acknowledged is lost.',
    drivers: ['docker', 'aws', 'lab'],
    async prepare(ctx) {
      const brokers = nodesOf(ctx.manifest, 'kafka').filter((n) => n.endpoints.host);
      await prepareTopic(ctx.manifest, TOPIC);
      const sessionMs = await brokerSetting(ctx.manifest, 'broker.session.timeout.ms');
      const name = (await leaders(ctx.manifest, TOPIC))[victim];
      const node = nodeNamed(ctx.manifest, name);
      const run = `${this.name}-${Date.now()}`;
      const workload = kafkaProduce(ctx.manifest, TOPIC, run);
      const probe = acksAllProbe(ctx.manifest, TOPIC);
      return {
        rtoBoundSeconds: Math.ceil(sessionMs / 1000) + ELECTION_MARGIN,
        async steadyState() {
          await withAdmin(ctx.manifest, async (admin) => {
            const live = (await admin.describeCluster()).brokers.length;
            if (live !== brokers.length) throw new Error(`${live} of ${brokers.length} brokers registered`);
            const [t] = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics;
            const short = t!.partitions.filter((p) => p.isr.length !== p.replicas.length);
            if (short.length) throw new Error(`${short.length} partitions of ${TOPIC} under-replicated`);
          });
        },
        workload: () => workload,
        async inject() {
          await ctx.driver.act('kill', node);
          return {
            description: `kill ${victim === 'controller' ? 'controller' : 'partition leader'} ${name}`,
            at: Date.now(),
          };
        },
        recovered: () => probe.recovered(),
        rollback: async () => {
          await probe.close();
          await ctx.driver.act('restart', node);
        },
        readback: () => readProduced(ctx.manifest, TOPIC, run),
      };
    },
  };
}

export const KAFKA_SCENARIOS: readonly ScenarioDefinition[] = [
  brokerCrash('partitionLeader'),
  brokerCrash('controller'),
];

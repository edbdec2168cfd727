/**
 * Planned maintenance that clients must not notice: the operator commands of
 * scripts/ops run under a recorded workload. The zero-error switchover: beyond
 * RPO 0, no client statement may fail and none may wait longer than
 * MAX_STATEMENT_SECONDS. Rolling restarts: RPO 0, no failed acks=all send after
 * retries, every committed row in the CDC topic.
 */
import { ROLLING_COMPONENTS, type RollingComponent } from '../../ops/limits';
import { rollingRestart } from '../../ops/rolling-restart';
import { zeroErrorSwitchover } from '../../ops/switchover';
import { clusterMembers, leaderOf, timings } from '../patroni';
import { endpointOf, nodeNamed } from '../target';
import type { Op, ScenarioDefinition } from '../types';
import { kafkaProduce, prepareTopic, readProduced } from '../workloads/kafka-produce';
import { prepareTable, writeProbe } from '../workloads/pg-writes';
import { connectorRunning, orderWrites, readCaptured } from './cdc';
import { newLeaderRunning, pgbouncerTarget, pgRun, splitBrain } from './patroni';

/** Worst statement latency a planned switchover may cause (the goal). */
export const MAX_STATEMENT_SECONDS = 3;
/** The writers' timeout: long enough that a stall is measured as latency, not turned into an error. */
const WRITE_TIMEOUT_MS = 15_000;

/** Failures of the zero-error promise in a history: any failed op, any op slower than the bound. */
export function zeroErrorProblems(ops: readonly Op[], maxSeconds = MAX_STATEMENT_SECONDS): string[] {
  const failed = ops.filter((o) => !o.ok);
  const worst = ops.reduce((m, o) => Math.max(m, o.endedAt - o.startedAt), 0) / 1000;
  return [
    ...(failed.length ? [`${failed.length} client statements failed (first: ${failed[0]!.error})`] : []),
    ...(worst > maxSeconds ? [`worst statement latency ${worst.toFixed(2)} s exceeds ${maxSeconds} s`] : []),
  ];
}

const pausedSwitchover: ScenarioDefinition = {
  name: 'patroni-zero-error-switchover',
  description: `'npm run ops -- switchover' under writes through PgBouncer: PAUSE, switchover, wait for HAProxy, RESUME. No failed statement, none slower than ${MAX_STATEMENT_SECONDS} s, none lost.`,
  drivers: ['docker', 'aws', 'lab'],
  async prepare(ctx) {
    await timings(ctx.manifest); // fails early if Patroni does not answer
    let leader = '';
    let ops: Op[] = [];
    const run = await pgRun(
      ctx,
      this.name,
      {
        rtoBoundSeconds: MAX_STATEMENT_SECONDS,
        async inject() {
          const at = Date.now();
          const r = await zeroErrorSwitchover(ctx, { log: ctx.log });
          leader = r.from;
          return {
            description: `zero-error switchover ${r.from} → ${r.to} (paused ${r.pausedSeconds.toFixed(2)} s)`,
            at,
          };
        },
        recovered: () => newLeaderRunning(ctx, leader)(),
        rollback: async () => undefined,
        invariants: async () => [...(await splitBrain(ctx)), ...zeroErrorProblems(ops)],
      },
      WRITE_TIMEOUT_MS,
    );
    return {
      ...run,
      workload: () => {
        const w = run.workload();
        return { start: () => w.start(), stop: async () => (ops = await w.stop()) };
      },
    };
  },
};

/** Seconds a whole rolling restart may take, for the runner's recovery wait (each node has WHOLE_WITHIN_SECONDS). */
const ROLLING_BOUND_SECONDS = 30;
const KAFKA_TOPIC = 'chaos.produce';
/** Client retries of an acks=all send: a leadership move during a controlled shutdown must be ridden out, not failed. */
const KAFKA_RETRIES = 8;

function rollingRestartOf(component: RollingComponent): ScenarioDefinition {
  const what: Record<RollingComponent, string> = {
    patroni:
      'Patroni members (replicas, a zero-error switchover, the old leader) under writes through PgBouncer: no acknowledged write lost, never two primaries.',
    etcd: 'etcd members one at a time, quorum checked, under writes through PgBouncer: the leader keeps its lock, nothing lost.',
    kafka: `Kafka brokers one at a time, full ISR before each, the active controller last, under an acks=all producer (${KAFKA_RETRIES} retries): no failed send, nothing lost.`,
    connect:
      'Kafka Connect workers one at a time while orders are inserted through PgBouncer: every committed row reaches the CDC topic.',
  };
  return {
    name: `rolling-restart-${component}`,
    description: `'npm run ops -- rolling-restart ${component}': ${what[component]}`,
    drivers: ['docker', 'aws', 'lab'],
    async prepare(ctx) {
      const inject = async () => {
        const at = Date.now();
        await rollingRestart(ctx, component);
        return { description: `rolling restart of ${component}`, at };
      };
      if (component === 'kafka') {
        await prepareTopic(ctx.manifest, KAFKA_TOPIC);
        const run = `${this.name}-${Date.now()}`;
        const workload = kafkaProduce(ctx.manifest, KAFKA_TOPIC, run, 3, KAFKA_RETRIES);
        let ops: Op[] = [];
        return {
          rtoBoundSeconds: ROLLING_BOUND_SECONDS,
          steadyState: async () => undefined, // rollingRestart checks full ISR before each broker
          workload: () => ({ start: () => workload.start(), stop: async () => (ops = await workload.stop()) }),
          inject,
          recovered: async () => true,
          rollback: async () => undefined,
          readback: () => readProduced(ctx.manifest, KAFKA_TOPIC, run),
          invariants: async () => {
            const failed = ops.filter((o) => !o.ok);
            return failed.length
              ? [`${failed.length} acks=all sends failed after retries (first: ${failed[0]!.error})`]
              : [];
          },
        };
      }
      if (component === 'connect') {
        const target = pgbouncerTarget(ctx);
        const base = Date.now() * 1000;
        const workload = orderWrites(target, base, 2);
        const rest = `http://${endpointOf(nodeNamed(ctx.manifest, 'connect-1'), 'rest')}`;
        let ops: Op[] = [];
        return {
          rtoBoundSeconds: ROLLING_BOUND_SECONDS,
          async steadyState() {
            if (!(await connectorRunning(rest))) throw new Error('the postgres-cdc connector is not RUNNING');
            await prepareTable(target);
          },
          workload: () => ({ start: () => workload.start(), stop: async () => (ops = await workload.stop()) }),
          inject,
          recovered: () => writeProbe(target),
          rollback: async () => undefined,
          readback: () => readCaptured(ctx, base, ops),
        };
      }
      const leader = leaderOf(await clusterMembers(ctx.manifest))?.name;
      return pgRun(
        ctx,
        this.name,
        {
          rtoBoundSeconds: ROLLING_BOUND_SECONDS,
          inject,
          recovered: async () => true,
          rollback: async () => undefined,
          invariants: async () => {
            const problems = await splitBrain(ctx);
            const after = leaderOf(await clusterMembers(ctx.manifest))?.name;
            if (component === 'etcd' && after !== leader)
              problems.push(`the leader changed (${leader} → ${after}) during an etcd rolling restart`);
            return problems;
          },
        },
        WRITE_TIMEOUT_MS,
      );
    },
  };
}

export const MAINTENANCE_SCENARIOS: readonly ScenarioDefinition[] = [
  pausedSwitchover,
  ...ROLLING_COMPONENTS.map(rollingRestartOf),
];

/** Restarts of the routing tier: HAProxy and PgBouncer hold no state, so clients only reconnect. */
import type { ScenarioDefinition } from '../types';
import { nodesOf } from '../target';
import { clusterMembers, patroniNodes, steadyProblem } from '../patroni';
import { pgWrites, prepareTable, readRows, writeProbe } from '../workloads/pg-writes';
import { pgbouncerTarget } from './patroni';

/** Seconds for a restarted proxy to listen again and a client to reconnect. */
const RESTART_BOUND = 10;

function restartOf(component: 'pgbouncer' | 'haproxy'): ScenarioDefinition {
  return {
    name: `${component}-restart`,
    description: `Restart ${component === 'pgbouncer' ? 'PgBouncer' : 'HAProxy'} under write load: writes fail only while it restarts, and none acknowledged is lost.`,
    drivers: ['docker', 'aws', 'lab'],
    async prepare(ctx) {
      const node = nodesOf(ctx.manifest, component)[0];
      if (!node) throw new Error(`the topology manifest has no ${component} node`);
      const target = pgbouncerTarget(ctx);
      const label = `${component}-restart-${Date.now()}`;
      const members = patroniNodes(ctx.manifest).length;
      return {
        rtoBoundSeconds: RESTART_BOUND,
        async steadyState() {
          const problem = steadyProblem(await clusterMembers(ctx.manifest), members);
          if (problem) throw new Error(problem);
          await prepareTable(target);
        },
        workload: () => pgWrites({ target, run: label }),
        async inject() {
          await ctx.driver.act('restart', node);
          return { description: `restart ${node.name}`, at: Date.now() };
        },
        recovered: () => writeProbe(target),
        rollback: async () => undefined,
        readback: () => readRows(target, label),
      };
    },
  };
}

export const ROUTING_SCENARIOS: readonly ScenarioDefinition[] = [restartOf('pgbouncer'), restartOf('haproxy')];

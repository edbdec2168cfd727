/** Restarts of the routing tier: HAProxy and PgBouncer hold no state, so clients only reconnect. */
import { nodesOf } from '../target';
import type { ScenarioDefinition } from '../types';
import { pgRun } from './patroni';

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
      return pgRun(ctx, this.name, {
        rtoBoundSeconds: RESTART_BOUND,
        async inject() {
          await ctx.driver.act('restart', node);
          return { description: `restart ${node.name}`, at: Date.now() };
        },
        // pgRun adds the write probe through PgBouncer: that is the whole recovery condition here.
        recovered: async () => true,
        rollback: async () => undefined,
      });
    },
  };
}

export const ROUTING_SCENARIOS: readonly ScenarioDefinition[] = [restartOf('pgbouncer'), restartOf('haproxy')];

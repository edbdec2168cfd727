import type { NodeSpec } from './node-spec';
import { ValidationError } from './validation';

/**
 * The machine that one-shot jobs and the platform's small services share
 * (routers, alerting, dashboards, exporters that watch a whole cluster).
 */
export const OPS_HOST = 'ops';

/** One machine of a packing target and the nodes it runs, in platform order (dependencies first). */
export interface Machine {
  /** The anchor node's name, or OPS_HOST. Stable: targets derive resource IDs from it. */
  readonly name: string;
  /** The node the others point at, if the machine is not OPS_HOST. */
  readonly anchor?: NodeSpec;
  readonly nodes: readonly NodeSpec[];
}

/** The machine name a node asks for directly (before following other nodes). */
function requested(node: NodeSpec): string {
  return node.host ?? (node.oneShot ? OPS_HOST : node.name);
}

/**
 * Groups nodes by the machine they share (NodeSpec.host), following chains
 * (pgbouncer-exporter → pgbouncer → ops). Machines come in the order of
 * their first node. Rejects a host that names no node, a loop, a job as an
 * anchor (it exits, so nothing can run "where it runs"), and a node named
 * like OPS_HOST.
 */
export function machinesOf(nodes: readonly NodeSpec[]): Machine[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  if (byName.has(OPS_HOST)) {
    throw new ValidationError(`node name '${OPS_HOST}' is reserved for the platform's ops machine: rename the node`);
  }
  const machineOf = (node: NodeSpec): string => {
    const seen = [node.name];
    let current = node;
    for (;;) {
      const next = requested(current);
      if (next === OPS_HOST || next === current.name) return next;
      const target = byName.get(next);
      if (!target) {
        throw new ValidationError(
          `node '${current.name}' has host '${next}', which is neither a node nor '${OPS_HOST}': name the node whose machine it shares`,
        );
      }
      if (target.oneShot && requested(target) !== next) {
        throw new ValidationError(
          `node '${current.name}' has host '${next}', a one-shot job: a job has no machine to share, name a service or '${OPS_HOST}'`,
        );
      }
      if (seen.includes(next)) {
        throw new ValidationError(`nodes ${seen.join(' → ')} → ${next} name each other as host: break the loop`);
      }
      seen.push(next);
      current = target;
    }
  };
  const machines = new Map<string, NodeSpec[]>();
  for (const node of nodes) {
    const name = machineOf(node);
    machines.set(name, [...(machines.get(name) ?? []), node]);
  }
  return [...machines].map(([name, members]) =>
    name === OPS_HOST ? { name, nodes: members } : { name, anchor: byName.get(name)!, nodes: members },
  );
}

import type { NodeSpec, PortRef } from '../../platform/node-spec';
import { ValidationError } from '../../platform/validation';

/** How other nodes address a node (the placement's host name). */
export type HostOf = (node: string) => string;

/**
 * The named ports `node` connects to: its `connectsTo` when declared;
 * otherwise every port of every node it depends on, plus every endpoint of
 * another node that its env, command or files name as `<host>:<port>`
 * (a connector config or a bootstrap list names what the node will dial,
 * including through jobs it waits for).
 */
export function connectionsOf(node: NodeSpec, nodes: readonly NodeSpec[], hostOf: HostOf): PortRef[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  if (node.connectsTo) {
    for (const ref of node.connectsTo) {
      const target = byName.get(ref.node);
      if (!target?.ports.some((p) => p.name === ref.port)) {
        const known = target ? `its ports are ${target.ports.map((p) => p.name).join(', ') || 'none'}` : 'no such node';
        throw new ValidationError(
          `node '${node.name}' connectsTo ${ref.node}:${ref.port}, which does not exist (${known}): fix the component's connectsTo`,
        );
      }
    }
    return [...node.connectsTo];
  }
  const refs = new Map<string, PortRef>();
  for (const dep of node.dependsOn) {
    for (const p of byName.get(dep)!.ports) refs.set(`${dep}/${p.name}`, { node: dep, port: p.name });
  }
  const text = [...Object.values(node.env), ...(node.command ?? []), ...node.files.map((f) => f.content)].join('\n');
  for (const other of nodes) {
    if (other.name === node.name) continue;
    for (const p of other.ports) {
      // `\:` too: Java properties files escape the colon.
      const named = new RegExp(`(?<![\\w.-])${escape(hostOf(other.name))}\\\\?:${p.port}(?!\\d)`);
      if (named.test(text)) refs.set(`${other.name}/${p.name}`, { node: other.name, port: p.name });
    }
  }
  return [...refs.values()];
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** One opening between machines: `consumer` machine may connect to `provider` machine on `port`. */
export interface MachineGrant {
  readonly provider: string;
  readonly consumer: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
}

/**
 * The node-level openings (what each node connects to, plus peer traffic
 * between the running members of a component on all of their ports), seen
 * between the machines the nodes run on. Traffic inside a machine never
 * reaches a security group, so it needs no rule. Sorted, without duplicates.
 */
export function machineGrants(
  nodes: readonly NodeSpec[],
  hostOf: HostOf,
  machineOf: (node: string) => string,
): MachineGrant[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const grants = new Map<string, MachineGrant>();
  const add = (providerNode: NodeSpec, portName: string, consumerNode: NodeSpec) => {
    const provider = machineOf(providerNode.name);
    const consumer = machineOf(consumerNode.name);
    if (provider === consumer) return;
    const p = providerNode.ports.find((x) => x.name === portName)!;
    const g = { provider, consumer, port: p.port, protocol: p.protocol ?? 'tcp' };
    grants.set(`${g.provider}|${g.port}/${g.protocol}|${g.consumer}`, g);
  };
  for (const node of nodes) {
    for (const ref of connectionsOf(node, nodes, hostOf)) add(byName.get(ref.node)!, ref.port, node);
  }
  for (const component of new Set(nodes.map((n) => n.component))) {
    const members = nodes.filter((n) => n.component === component && !n.oneShot);
    for (const provider of members) {
      for (const consumer of members) {
        if (provider !== consumer) for (const port of provider.ports) add(provider, port.name, consumer);
      }
    }
  }
  return [...grants.values()].sort(
    (a, b) => a.provider.localeCompare(b.provider) || a.port - b.port || a.consumer.localeCompare(b.consumer),
  );
}

import type { NodeSpec, PortRef } from '../../platform/node-spec';
import { ValidationError } from '../../platform/validation';

/** One opening in a firewall: `consumer` component may connect to `provider` component on `port`. */
export interface PortGrant {
  readonly provider: string;
  readonly consumer: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
}

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

/**
 * Every (provider, port, consumer) opening the platform needs, by component:
 * what each node connects to, plus peer traffic between members of a
 * component with more than one node (etcd raft, Patroni replication) on all
 * of the component's ports. Nothing else is open. Sorted, without duplicates.
 */
export function portGrants(nodes: readonly NodeSpec[], hostOf: HostOf): PortGrant[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const grants = new Map<string, PortGrant>();
  const add = (g: PortGrant) => grants.set(`${g.provider}|${g.port}/${g.protocol}|${g.consumer}`, g);

  for (const node of nodes) {
    for (const ref of connectionsOf(node, nodes, hostOf)) {
      const target = byName.get(ref.node)!;
      const port = target.ports.find((p) => p.name === ref.port)!;
      add({ provider: target.component, consumer: node.component, port: port.port, protocol: port.protocol ?? 'tcp' });
    }
  }
  for (const component of new Set(nodes.map((n) => n.component))) {
    const members = nodes.filter((n) => n.component === component);
    if (members.length < 2) continue;
    for (const port of members.flatMap((n) => n.ports)) {
      add({ provider: component, consumer: component, port: port.port, protocol: port.protocol ?? 'tcp' });
    }
  }
  return [...grants.values()].sort(
    (a, b) => a.provider.localeCompare(b.provider) || a.port - b.port || a.consumer.localeCompare(b.consumer),
  );
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

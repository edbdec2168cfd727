import type { NodeSpec } from '../../platform/node-spec';
import { ValidationError } from '../../platform/validation';

/**
 * The AWS guardrail on plaintext: every port that speaks no TLS (PortSpec.plaintext)
 * fails synth unless `aws.allowPlaintext` names it as `<component or node>:<port>`.
 * An entry that names no plaintext port fails too, so an opt-out never outlives its port.
 */
export function checkPlaintextPorts(nodes: readonly NodeSpec[], allow: readonly string[]): void {
  const plaintext = nodes.flatMap((n) => n.ports.filter((p) => p.plaintext).map((p) => ({ node: n, port: p })));
  // How an entry may name a port: by component or by node.
  const names = (node: NodeSpec, port: string) => [`${node.component}:${port}`, `${node.name}:${port}`];
  const refused = plaintext.filter(({ node, port }) => !names(node, port.name).some((n) => allow.includes(n)));
  if (refused.length > 0) {
    const byPort = new Map<string, { reason: string; nodes: string[] }>();
    for (const { node, port } of refused) {
      const key = `${node.component}:${port.name}`;
      const entry = byPort.get(key) ?? { reason: port.plaintext!, nodes: [] };
      entry.nodes.push(node.name);
      byPort.set(key, entry);
    }
    throw new ValidationError(
      `plaintext listeners on AWS: ${[...byPort].map(([key, e]) => `${key} on ${e.nodes.join(', ')} (${e.reason})`).join('; ')}. ` +
        `Allow each by adding '<component>:<port>' (or '<node>:<port>') to aws.allowPlaintext, e.g. '${[...byPort.keys()][0]}'`,
    );
  }
  const stale = allow.filter((entry) => !plaintext.some(({ node, port }) => names(node, port.name).includes(entry)));
  if (stale.length > 0) {
    throw new ValidationError(
      `aws.allowPlaintext names ${stale.join(', ')}, which is no plaintext port of the platform: remove ${stale.length === 1 ? 'it' : 'them'}`,
    );
  }
}

/** `<component>:<port>` of every plaintext port of the platform. */
export function plaintextPortsOf(nodes: readonly NodeSpec[]): string[] {
  return [...new Set(nodes.flatMap((n) => n.ports.filter((p) => p.plaintext).map((p) => `${n.component}:${p.name}`)))];
}

import type { NodeSpec } from '../../platform/node-spec';
import { ValidationError } from '../../platform/validation';

/**
 * The AWS guardrail on plaintext: every port that speaks no TLS (PortSpec.plaintext)
 * fails synth unless `aws.allowPlaintext` names it as `<component or node>:<port>`.
 * An entry that names no plaintext port fails too, so an opt-out never outlives its port.
 */
export function checkPlaintextPorts(nodes: readonly NodeSpec[], allow: readonly string[]): void {
  const plaintext = nodes.flatMap((n) => n.ports.filter((p) => p.plaintext).map((p) => ({ node: n, port: p })));
  const allowed = (node: NodeSpec, port: string) =>
    allow.includes(`${node.component}:${port}`) || allow.includes(`${node.name}:${port}`);
  const refused = plaintext.filter(({ node, port }) => !allowed(node, port.name));
  if (refused.length > 0) {
    throw new ValidationError(
      `plaintext listeners on AWS: ${refused.map(({ node, port }) => `${node.name}:${port.name} (${port.plaintext})`).join('; ')}. ` +
        `Allow each by adding '<component>:<port>' to aws.allowPlaintext, e.g. '${refused[0]!.node.component}:${refused[0]!.port.name}'`,
    );
  }
  const stale = allow.filter(
    (entry) =>
      !plaintext.some(({ node, port }) => [node.component, node.name].some((n) => `${n}:${port.name}` === entry)),
  );
  if (stale.length > 0) {
    throw new ValidationError(
      `aws.allowPlaintext names ${stale.join(', ')}, which is no plaintext port of the platform: remove ${stale.length === 1 ? 'it' : 'them'}`,
    );
  }
}

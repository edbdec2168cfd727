import type { NodeSpec } from './node-spec';
import type { Placement } from './placement';

/**
 * The topology manifest: every node, how to reach it and how to disrupt it.
 * Docker and AWS export it as the Terraform output `topology`; the lab writes
 * the same shape to a file. Chaos scripts read only this, never names in code.
 */
export interface TopologyManifest {
  readonly version: 1;
  readonly target: 'docker' | 'aws' | 'lab';
  readonly nodes: readonly ManifestNode[];
  /**
   * PEM certificate of the deployment's CA (public): clients check the servers' certificates against it.
   * @default absent: the target issued none, and TLS clients cannot verify (they fail rather than trust any server)
   */
  readonly caCert?: string;
}

export interface ManifestNode {
  readonly name: string;
  readonly component: string;
  readonly role: string;
  /**
   * What a driver acts on: Docker sets container, the lab pid, AWS instanceId
   * and container (several nodes may share an instance, each in its container).
   */
  readonly handle: { readonly container?: string; readonly instanceId?: string; readonly pid?: number };
  /**
   * Per named port: `internal` is how other nodes reach it, `published` how the operator's
   * machine does, and `plaintext` why it speaks no TLS if it does not (PortSpec.plaintext).
   */
  readonly endpoints: Readonly<Record<string, ManifestEndpoint>>;
}

export interface ManifestEndpoint {
  readonly internal: string;
  readonly published?: string;
  readonly plaintext?: string;
}

export function manifestNode(
  node: NodeSpec,
  placement: Placement,
  handle: ManifestNode['handle'],
  /** Address host ports are published on, if the target publishes any. */
  publishHost?: string,
): ManifestNode {
  return {
    name: node.name,
    component: node.component,
    role: node.role,
    handle,
    endpoints: Object.fromEntries(
      node.ports.map((port) => {
        const internal = `${placement.host(node.name)}:${port.port}`;
        const published = publishHost && port.hostPort !== undefined ? `${publishHost}:${port.hostPort}` : undefined;
        return [
          port.name,
          { internal, ...(published ? { published } : {}), ...(port.plaintext ? { plaintext: port.plaintext } : {}) },
        ];
      }),
    ),
  };
}

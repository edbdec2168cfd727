/**
 * Placement: the only thing a target tells the components about where nodes run.
 *
 * Renderers ask it for host names, ports and paths instead of hard-coding them,
 * so the same renderer output runs in a container network (every node its own
 * host, standard ports) and in the loopback lab (every node on 127.0.0.1 with
 * ports of its own, files under a scratch folder).
 */
export interface Placement {
  /** Host name other nodes use to reach `node`. */
  host(node: string): string;
  /** Port `node` listens on for `portName`; `standard` is the port the image uses. */
  port(node: string, portName: string, standard: number): number;
  /** Address servers bind to. */
  readonly bindHost: string;
  /** Where a path inside `node` lives for this target. */
  path(node: string, containerPath: string): string;
  /**
   * DNS server for run-time re-resolution of node names (HAProxy `resolvers`).
   * @default none: names are resolved once at start-up
   */
  readonly dnsResolver?: string;
}

/**
 * Each node is its own host on a private network and uses its image's standard
 * ports and paths. Docker and AWS both place nodes this way.
 */
export class NetworkPlacement implements Placement {
  readonly bindHost = '0.0.0.0';

  /**
   * @param dnsResolver resolver reachable from inside a node (Docker's embedded DNS is `127.0.0.11:53`)
   * @param domain optional DNS suffix appended to node names (e.g. a private hosted zone)
   */
  constructor(
    readonly dnsResolver?: string,
    private readonly domain?: string,
  ) {}

  host(node: string): string {
    return this.domain ? `${node}.${this.domain}` : node;
  }

  port(_node: string, _portName: string, standard: number): number {
    return standard;
  }

  path(_node: string, containerPath: string): string {
    return containerPath;
  }
}

/** Docker's embedded DNS server, reachable from every container on a user-defined network. */
export const DOCKER_DNS = '127.0.0.11:53';

/**
 * The loopback lab's placement: every node on 127.0.0.1, each (node, port)
 * pair given its own port from `basePort` upwards in order of first request,
 * and every path inside a node moved under `root/<node>`.
 */
export class LoopbackPlacement implements Placement {
  readonly bindHost = '127.0.0.1';
  private readonly ports = new Map<string, number>();

  constructor(
    private readonly root: string,
    private readonly basePort: number,
  ) {}

  host(): string {
    return '127.0.0.1';
  }

  port(node: string, portName: string): number {
    const key = `${node}/${portName}`;
    if (!this.ports.has(key)) this.ports.set(key, this.basePort + this.ports.size);
    return this.ports.get(key)!;
  }

  path(node: string, containerPath: string): string {
    return `${this.root}/${node}${containerPath}`;
  }
}

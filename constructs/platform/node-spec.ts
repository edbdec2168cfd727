/**
 * NodeSpec: the seam between components and targets.
 *
 * A component describes *what runs* as plain data; a target (Docker, AWS, the
 * loopback lab) decides *where*. Nothing in here may reference a provider.
 */

/** A container image pinned to an exact release tag (see images.ts for the evidence of each pin). */
export interface ImageRef {
  readonly repository: string;
  readonly tag: string;
  /**
   * An image the target builds, tagged repository:tag, from this Dockerfile
   * (FROM a pinned image, no build context: it copies nothing in).
   * @default none: the image is pulled
   */
  readonly build?: { readonly dockerfile: string };
}

export interface PortSpec {
  /** Stable name other nodes and the manifest refer to, e.g. `postgres`, `rest`. */
  readonly name: string;
  /** Port the server listens on inside its node. */
  readonly port: number;
  /**
   * Port published on the Docker host, bound to 127.0.0.1 only.
   * @default not published
   */
  readonly hostPort?: number;
  /** @default 'tcp' */
  readonly protocol?: 'tcp' | 'udp';
  /**
   * Why this port speaks plaintext, when it does (e.g. a server that has no TLS).
   * The topology manifest shows it, the AWS target refuses it unless the stack
   * allows it (aws.allowPlaintext), and the lab checks that every other port
   * completes a TLS handshake with the platform CA.
   * @default none: the port speaks TLS
   */
  readonly plaintext?: string;
  /**
   * How a client starts TLS on the port: 'postgres' asks first with Postgres's SSLRequest.
   * @default TLS from the first byte
   */
  readonly handshake?: 'postgres';
}

export interface VolumeSpec {
  /** Short name, unique within the node, e.g. `data`. */
  readonly name: string;
  readonly path: string;
}

export interface FileSpec {
  readonly path: string;
  /** File text. May contain secret placeholders (see secrets.ts), which each target resolves. */
  readonly content: string;
  /** @default '0644' */
  readonly mode?: string;
}

export interface HealthCheck {
  /** Docker healthcheck `test`, e.g. `['CMD', 'curl', '-fsS', 'http://127.0.0.1:8008/health']`. */
  readonly test: readonly string[];
  /** @default 5 */
  readonly intervalSeconds?: number;
  /** @default 3 */
  readonly timeoutSeconds?: number;
  /** @default 10 */
  readonly retries?: number;
  /** Grace period during which failures do not count. @default 10 */
  readonly startPeriodSeconds?: number;
}

export interface NodeSpec {
  /** Unique node name; also its hostname on the platform network. */
  readonly name: string;
  /** Component that owns the node, e.g. `etcd`, `patroni`, `haproxy`. */
  readonly component: string;
  /** Static role within the component, e.g. `member`, `router`, `pooler`. Dynamic roles (leader) are discovered at run time. */
  readonly role: string;
  readonly image: ImageRef;
  /** Overrides the image's entrypoint. @default the image's own entrypoint */
  readonly entrypoint?: readonly string[];
  /** Overrides the image's command. @default the image's own command */
  readonly command?: readonly string[];
  /** Environment. Values may contain secret placeholders. */
  readonly env: Readonly<Record<string, string>>;
  readonly files: readonly FileSpec[];
  readonly ports: readonly PortSpec[];
  /** Persistent volumes. A node with state must declare at least one. */
  readonly volumes: readonly VolumeSpec[];
  /** Whether the node holds state that must survive a restart or replacement. */
  readonly stateful: boolean;
  /** Required for services; a one-shot job has none (it is done when it exits 0). */
  readonly health?: HealthCheck;
  readonly memoryMb: number;
  /**
   * Nodes that must be ready before this one starts: healthy for a service,
   * finished with exit code 0 for a one-shot job.
   */
  readonly dependsOn: readonly string[];
  /**
   * A one-shot job (create topics, register connectors, apply DDL…): it runs to
   * completion once per deploy, is never restarted, and a non-zero exit fails
   * the deploy. Jobs must be idempotent: targets re-run them when they change.
   * @default false: a long-running service
   */
  readonly oneShot?: boolean;
  /**
   * The one-shot job without which this service never turns healthy (e.g. a
   * MongoDB member is healthy only once `rs.initiate` has run). Targets start
   * the service without waiting for its health, and dependants wait for the
   * job instead, which must itself wait until the service is ready.
   * @default none: the service turns healthy on its own
   */
  readonly initializedBy?: string;
  /**
   * The ports this node opens connections to. Targets with a network of their
   * own (AWS security groups) allow exactly these, plus peer traffic between
   * members of one component on the component's ports. Declare it when the
   * default below would open too much or miss a connection.
   * @default every port of every node in dependsOn, plus every `<host>:<port>`
   * of another node that this node's env, command or files name
   */
  readonly connectsTo?: readonly PortRef[];
  /**
   * Access to the host the node runs on, for agents that observe that host
   * (cAdvisor reads its cgroups and the container engine's state). A target
   * that cannot grant it must reject the node rather than run it without.
   * @default none
   */
  readonly hostAccess?: HostAccess;
  /**
   * The machine this node shares, on targets that put several nodes on one
   * machine (AWS): another node's name, to run wherever that node runs (an
   * exporter beside the server it watches, a server beside its quorum
   * member), or OPS_HOST (see hosts.ts) for the platform's small services.
   * Docker and the lab run every node apart and ignore it.
   * @default a machine of its own; OPS_HOST for a one-shot job
   */
  readonly host?: string;
}

export interface HostAccess {
  readonly privileged: boolean;
  /** Host paths mounted read-only into the node. */
  readonly mounts: readonly { readonly hostPath: string; readonly path: string }[];
}

/** A named port of a node, e.g. `{ node: 'haproxy', port: 'primary' }`. */
export interface PortRef {
  readonly node: string;
  readonly port: string;
}

/** `host:port` of a node's named port as other nodes reach it. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export function endpointString(e: Endpoint): string {
  return `${e.host}:${e.port}`;
}

export function findPort(node: NodeSpec, name: string): PortSpec {
  const port = node.ports.find((p) => p.name === name);
  if (!port) throw new Error(`node ${node.name} has no port named '${name}'`);
  return port;
}

import { stringify } from 'yaml';
import type { Placement } from '../platform/placement';

export const CLICKHOUSE_PORTS = { http: 8123, native: 9000, interserver: 9009 } as const;
/** Keeper's metrics port differs from the server's 9363, so a member and a replica can share a machine's network. */
export const KEEPER_PORTS = { client: 9181, raft: 9234, http: 9182, metrics: 9364 } as const;

/** Env var the server reads the platform user's password from (`from_env`), so no file holds it. */
export const CLICKHOUSE_PASSWORD_ENV = 'CLICKHOUSE_PLATFORM_PASSWORD';

/** Name of the cluster in `remote_servers`: one shard, every server a replica. */
export const CLUSTER_NAME = 'platform';

/**
 * ClickHouse's own Prometheus endpoint, a config section of the server
 * (config.d/) and of Keeper (its config's top level). It listens on the
 * process's listen_host.
 */
export function prometheusSection(port: number) {
  return { prometheus: { endpoint: '/metrics', port, metrics: true, events: true, asynchronous_metrics: true } };
}

export interface KeeperConfigInput {
  readonly node: string;
  readonly id: number;
  readonly ensemble: readonly { readonly name: string; readonly id: number }[];
  readonly dataDir: string;
  /** Port of the Prometheus endpoint. */
  readonly metricsPort: number;
  readonly placement: Placement;
}

/**
 * A whole ClickHouse Keeper config (YAML, which Keeper reads like XML). The HTTP
 * control endpoint's `/ready` answers 200 only while the node is in a quorum.
 */
export function renderKeeperConfig(input: KeeperConfigInput): string {
  const p = input.placement;
  return stringify({
    logger: { level: 'information', console: true },
    listen_host: p.bindHost,
    ...prometheusSection(input.metricsPort),
    keeper_server: {
      tcp_port: p.port(input.node, 'client', KEEPER_PORTS.client),
      server_id: input.id,
      log_storage_path: `${input.dataDir}/coordination/log`,
      snapshot_storage_path: `${input.dataDir}/coordination/snapshots`,
      coordination_settings: { operation_timeout_ms: 10000, session_timeout_ms: 30000, raft_logs_level: 'warning' },
      http_control: { port: p.port(input.node, 'http', KEEPER_PORTS.http), readiness: { endpoint: '/ready' } },
      raft_configuration: {
        server: input.ensemble.map((m) => ({
          id: m.id,
          hostname: p.host(m.name),
          port: p.port(m.name, 'raft', KEEPER_PORTS.raft),
        })),
      },
    },
  });
}

const MiB = 1024 * 1024;

export interface ServerConfigInput {
  readonly server: string;
  readonly replicas: readonly string[];
  readonly keepers: readonly string[];
  /** The server's memory limit; its own limit and its mark cache are sized from it. */
  readonly memoryMb: number;
  readonly placement: Placement;
}

/**
 * config.d overrides for one server: its ports, its Keeper ensemble, the
 * `{shard}`/`{replica}` macros of replicated tables, and the one-shard cluster
 * of all replicas. No `listen_host`: the image's own config.d already listens on
 * every address, and a second entry would bind the same address twice.
 */
export function renderServerConfig(input: ServerConfigInput): string {
  const p = input.placement;
  const port = (node: string, name: keyof typeof CLICKHOUSE_PORTS) => p.port(node, name, CLICKHOUSE_PORTS[name]);
  return stringify({
    http_port: port(input.server, 'http'),
    tcp_port: port(input.server, 'native'),
    interserver_http_port: port(input.server, 'interserver'),
    interserver_http_host: p.host(input.server),
    // From the node's limit, not the cgroup, so every target renders the same figure; 20 % stays
    // for what the server does not track. The mark cache (5 GiB by default) gets an eighth.
    max_server_memory_usage: Math.floor(input.memoryMb * 0.8) * MiB,
    mark_cache_size: Math.floor(input.memoryMb / 8) * MiB,
    zookeeper: {
      node: input.keepers.map((k) => ({ host: p.host(k), port: p.port(k, 'client', KEEPER_PORTS.client) })),
    },
    macros: { shard: '01', replica: input.server },
    remote_servers: {
      [CLUSTER_NAME]: {
        shard: {
          internal_replication: true,
          replica: input.replicas.map((r) => ({ host: p.host(r), port: port(r, 'native') })),
        },
      },
    },
  });
}

/**
 * users.d: the platform's login, its password read from the environment, and
 * the image's passwordless `default` user confined to the node itself.
 */
export function renderUsersConfig(user: string): string {
  return stringify({
    users: {
      default: { networks: { '@replace': 'replace', ip: ['::1', '127.0.0.1'] } },
      [user]: {
        password: { '@from_env': CLICKHOUSE_PASSWORD_ENV },
        networks: { ip: '::/0' },
        profile: 'default',
        quota: 'default',
        access_management: 1,
      },
    },
  });
}

import { stringify } from 'yaml';
import type { Placement } from '../platform/placement';

export interface EtcdConfigInput {
  /** Names of all members, in order. */
  readonly members: readonly string[];
  /** The member this file is for. */
  readonly member: string;
  /** Cluster token; distinct clusters sharing a network must use distinct tokens. */
  readonly clusterToken: string;
  readonly dataDir: string;
  readonly placement: Placement;
}

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

const clientUrl = (p: Placement, m: string, host = p.host(m)) =>
  `http://${host}:${p.port(m, 'client', ETCD_CLIENT_PORT)}`;
const peerUrl = (p: Placement, m: string, host = p.host(m)) => `http://${host}:${p.port(m, 'peer', ETCD_PEER_PORT)}`;

/**
 * etcd's `--config-file` YAML. Only keys that etcd 3.4 to 3.6 share, so the lab's
 * Debian etcd runs the same file. Patroni uses the v3 API (its `etcd3` section).
 */
export function renderEtcdConfig(input: EtcdConfigInput): string {
  const { placement: p, member } = input;
  return stringify({
    name: member,
    'data-dir': input.dataDir,
    'listen-client-urls': clientUrl(p, member, p.bindHost),
    'advertise-client-urls': clientUrl(p, member),
    'listen-peer-urls': peerUrl(p, member, p.bindHost),
    'initial-advertise-peer-urls': peerUrl(p, member),
    'initial-cluster': input.members.map((m) => `${m}=${peerUrl(p, m)}`).join(','),
    'initial-cluster-state': 'new',
    'initial-cluster-token': input.clusterToken,
    // Patroni's etcd3 client speaks HTTP/JSON through the gRPC gateway. etcd 3.4 turns the
    // gateway off when started from a config file (etcd-io/etcd#12093), so say it explicitly.
    'enable-grpc-gateway': true,
    'log-level': 'warn',
  });
}

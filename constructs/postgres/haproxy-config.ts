import type { Endpoint } from '../platform/node-spec';

export const HAPROXY_PORTS = { primary: 5000, replicas: 5001, metrics: 8404 } as const;

/**
 * How the resolver section treats lookups, in seconds. A lookup that gets no answer is given up after
 * `retries × retry` (2 s); a name that stops resolving keeps its last address for `hold`, then the
 * server is put in maintenance. Neither decides where traffic goes: the health checks do.
 */
export const HAPROXY_DNS = { timeoutResolve: 1, retry: 1, retries: 2, holdValid: 5, hold: 3600 } as const;

export interface HaproxyMember {
  readonly name: string;
  /** Where Postgres accepts connections. */
  readonly postgres: Endpoint;
  /** Patroni REST API port on the same host, used for the health checks. */
  readonly restPort: number;
}

export interface HaproxyConfigInput {
  readonly members: readonly HaproxyMember[];
  readonly bindHost: string;
  readonly ports: { readonly primary: number; readonly replicas: number; readonly metrics: number };
  /** Resolver for re-resolving member names at run time (container IPs change on restart). */
  readonly dnsResolver?: string;
  /** Seconds between checks; a member is marked down after 2 failures. */
  readonly checkIntervalSeconds: number;
  /** CA the members' REST certificates are checked against (the checks speak HTTPS). */
  readonly caFile: string;
}

/** ms between checks of a server in transition (after one result that differs from its state). */
const FAST_CHECK_MS = 250;
/** ms between checks of a server that is down (in `primary`: every replica). */
const DOWN_CHECK_MS = 500;

/** Path on the metrics port that names the member read-write traffic goes to (see renderHaproxyCfg). */
export const HAPROXY_LEADER_PATH = '/leader';

/**
 * haproxy.cfg: read-write traffic goes to whichever member answers Patroni's
 * `/primary` with 200, read-only traffic to members answering `/replica`.
 * `GET /leader` on the metrics port answers 200 with a member's name only while
 * that member is the one server up in `primary`, so a planned switchover can
 * wait until HAProxy itself routes to the new leader and to nobody else.
 * HAProxy has no maintained serializer package; the format is line-based.
 */
export function renderHaproxyCfg(input: HaproxyConfigInput): string {
  // IPv4 first: Docker networks and the VPC here have no IPv6, so an AAAA miss would only add a lookup.
  const resolvers = input.dnsResolver ? ' resolvers platformdns resolve-prefer ipv4' : '';
  // Postgres traffic stays TCP pass-through (clients do TLS with the member); the checks are HTTPS, and
  // the certificate must name the member.
  const tls = (host: string) =>
    ` check-ssl verify required ca-file ${input.caFile} check-sni ${host} verifyhost ${host}`;
  const servers = input.members.map(
    (m) =>
      `    server ${m.name} ${m.postgres.host}:${m.postgres.port} check port ${m.restPort}${tls(m.postgres.host)}${resolvers}`,
  );
  const backend = (name: string, port: number, path: string, extra: string[] = []) => [
    `listen ${name}`,
    `    bind ${input.bindHost}:${port}`,
    '    option httpchk',
    `    http-check send meth GET uri ${path}`,
    '    http-check expect status 200',
    ...extra,
    // Existing sessions to a demoted leader are cut, so clients reconnect to the new one.
    // A server changing state is re-checked every fastinter, a down one every downinter, so a new
    // leader is routed ~0.5 s after Patroni promotes it instead of up to 2 × inter (the paused
    // switchover waits exactly that long); an up server is still checked only every inter.
    `    default-server inter ${input.checkIntervalSeconds}s fastinter ${FAST_CHECK_MS}ms downinter ${DOWN_CHECK_MS}ms fall 2 rise 2 on-marked-down shutdown-sessions init-addr last,libc,none`,
    // A server that starts, or leaves maintenance because its name resolves again, gets no traffic
    // until `rise` checks pass; HAProxy's default would mark it UP at once, before any check (3.1+;
    // the block lets Debian's HAProxy 2.6, which the lab and CI run, read the same file).
    '.if version_atleast(3.1)',
    '    default-server init-state fully-down',
    '.endif',
    ...servers,
    '',
  ];
  const d = HAPROXY_DNS;
  return [
    'global',
    '    maxconn 2000',
    '',
    'defaults',
    '    mode tcp',
    '    log stdout format raw local0 info',
    '    timeout connect 4s',
    '    timeout client 30m',
    '    timeout server 30m',
    '    timeout check 3s',
    '',
    ...(input.dnsResolver
      ? [
          'resolvers platformdns',
          `    nameserver dns1 ${input.dnsResolver}`,
          `    resolve_retries ${d.retries}`,
          `    timeout resolve ${d.timeoutResolve}s`,
          `    timeout retry ${d.retry}s`,
          `    hold valid ${d.holdValid}s`,
          ...['nx', 'timeout', 'refused', 'other'].map((status) => `    hold ${status} ${d.hold}s`),
          '',
        ]
      : []),
    ...backend('primary', input.ports.primary, '/primary'),
    ...backend('replicas', input.ports.replicas, '/replica', ['    balance roundrobin']),
    'frontend metrics',
    '    mode http',
    `    bind ${input.bindHost}:${input.ports.metrics}`,
    '    http-request use-service prometheus-exporter if { path /metrics }',
    ...input.members.map(
      (m) =>
        `    http-request return status 200 content-type text/plain string ${m.name} if { path ${HAPROXY_LEADER_PATH} } { nbsrv(primary) eq 1 } { srv_is_up(primary/${m.name}) }`,
    ),
    `    http-request return status 503 content-type text/plain string none if { path ${HAPROXY_LEADER_PATH} }`,
    '    monitor-uri /health',
    '',
  ].join('\n');
}

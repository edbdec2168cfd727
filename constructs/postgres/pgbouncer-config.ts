import type { Endpoint } from '../platform/node-spec';

export const PGBOUNCER_PORT = 6432;

/** The admin console user the operations scripts PAUSE and RESUME the pools with. */
export const PGBOUNCER_ADMIN_USER = 'pgbouncer_admin';

export interface PgbouncerConfigInput {
  readonly bindHost: string;
  readonly port: number;
  /** Application database name on the server. */
  readonly database: string;
  /** Read-write route (HAProxy `primary`) and read-only route (HAProxy `replicas`). */
  readonly readWrite: Endpoint;
  readonly readOnly: Endpoint;
  readonly authFile: string;
  readonly maxClientConnections: number;
  readonly poolSize: number;
  /** Users allowed read-only SHOW commands on the admin console (the exporter). @default none */
  readonly statsUsers?: readonly string[];
  /** Users allowed every admin console command (PAUSE, RESUME). @default none */
  readonly adminUsers?: readonly string[];
  /** PgBouncer's certificate towards clients, and the CA the servers' certificates are checked against. */
  readonly tls: { readonly certFile: string; readonly keyFile: string; readonly caFile: string };
}

/** Client-facing database names: `<db>_rw` follows the leader, `<db>_ro` is spread over replicas. */
export function pgbouncerDatabases(database: string): { readonly readWrite: string; readonly readOnly: string } {
  return { readWrite: `${database}_rw`, readOnly: `${database}_ro` };
}

/**
 * pgbouncer.ini. Transaction pooling, SCRAM for clients; PgBouncer reaches the
 * server through HAProxy, so a failover needs no change here.
 */
export function renderPgbouncerIni(input: PgbouncerConfigInput): string {
  const names = pgbouncerDatabases(input.database);
  const route = (e: Endpoint) => `host=${e.host} port=${e.port} dbname=${input.database}`;
  return renderSections({
    databases: {
      [names.readWrite]: route(input.readWrite),
      [names.readOnly]: route(input.readOnly),
    },
    pgbouncer: {
      listen_addr: input.bindHost,
      listen_port: input.port,
      // TCP only: no socket file to collide with a local Postgres.
      unix_socket_dir: '',
      auth_type: 'scram-sha-256',
      auth_file: input.authFile,
      pool_mode: 'transaction',
      max_client_conn: input.maxClientConnections,
      default_pool_size: input.poolSize,
      reserve_pool_size: 5,
      // A connection to a demoted leader is dropped at the next check rather than reused.
      server_check_delay: 5,
      server_login_retry: 1,
      ignore_startup_parameters: 'extra_float_digits',
      // Clients must speak TLS; towards Postgres (through HAProxy) the member's certificate must name the route's host.
      client_tls_sslmode: 'require',
      client_tls_cert_file: input.tls.certFile,
      client_tls_key_file: input.tls.keyFile,
      server_tls_sslmode: 'verify-full',
      server_tls_ca_file: input.tls.caFile,
      ...(input.statsUsers?.length ? { stats_users: input.statsUsers.join(', ') } : {}),
      ...(input.adminUsers?.length ? { admin_users: input.adminUsers.join(', ') } : {}),
    },
  });
}

/**
 * PgBouncer's ini dialect takes values verbatim to the end of the line and has
 * no quoting; the `ini` package quotes any value containing `=`, which
 * PgBouncer rejects (its own start-up test caught this). So sections are
 * written here, refusing values that would break the line format.
 */
function renderSections(sections: Record<string, Record<string, string | number>>): string {
  return Object.entries(sections)
    .map(([section, entries]) => {
      const lines = Object.entries(entries).map(([key, value]) => {
        if (/[\n\r]/.test(String(value)))
          throw new Error(`pgbouncer.ini ${section}.${key}: value must be a single line`);
        return `${key} = ${value}`;
      });
      return [`[${section}]`, ...lines, ''].join('\n');
    })
    .join('\n');
}

export interface PgbouncerUser {
  readonly name: string;
  readonly password: string;
}

/** userlist.txt: `"name" "password"` per line; PgBouncer uses the password both for clients and for the server login. */
export function renderPgbouncerUserlist(users: readonly PgbouncerUser[]): string {
  return users.map((u) => `"${u.name}" "${u.password}"\n`).join('');
}

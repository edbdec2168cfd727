import { stringify } from 'yaml';
import type { Endpoint } from '../platform/node-spec';
import { endpointString } from '../platform/node-spec';
import type { Placement } from '../platform/placement';

export const PG_PORT = 5432;
export const PATRONI_REST_PORT = 8008;

/** A logical replication slot Patroni keeps on the leader and copies to replicas, so it survives failover. */
export interface LogicalSlot {
  readonly name: string;
  readonly database: string;
  /** @default 'pgoutput' */
  readonly plugin?: string;
}

/** Values Patroni writes to the DCS at bootstrap; afterwards they are changed with `patronictl edit-config`. */
export interface PatroniDcsSettings {
  readonly ttl: number;
  readonly loopWait: number;
  readonly retryTimeout: number;
  readonly synchronousMode: boolean;
  readonly synchronousModeStrict: boolean;
  readonly maximumLagOnFailoverBytes: number;
  readonly maxConnections: number;
  readonly logicalSlots: readonly LogicalSlot[];
}

export interface PatroniUsers {
  readonly superuser: string;
  readonly replication: string;
  readonly rewind: string;
}

export interface PatroniConfigInput {
  readonly scope: string;
  readonly member: string;
  readonly etcd: readonly Endpoint[];
  readonly dcs: PatroniDcsSettings;
  readonly users: PatroniUsers;
  /** Directory holding the data directory, the socket and the pgpass file. */
  readonly volumePath: string;
  readonly postBootstrapPath: string;
  /** Postgres binaries. Omitted: found on PATH, as in the Spilo image. */
  readonly binDir?: string;
  /** The member's memory limit: the shared buffers take a quarter of it. */
  readonly memoryMb: number;
  readonly placement: Placement;
  /** WAL archiving and, when restoring, the bootstrap from the backup. @default no archiving, initdb */
  readonly backup?: PatroniBackup;
  readonly tls: PatroniTls;
  /** User for the REST API's unsafe methods; its password comes from PATRONI_RESTAPI_PASSWORD. */
  readonly restUser: string;
}

/** The member's certificate (server, and client towards the other members), and the platform CA, as paths in the member. */
export interface PatroniTls {
  readonly certPath: string;
  readonly keyPath: string;
  readonly caPath: string;
}

export interface PatroniBackup {
  /** archive_mode, archive_command, archive_timeout (see pgbackrest-config.ts). */
  readonly archive: Readonly<Record<string, string | number>>;
  /**
   * Create the cluster from the backup (Patroni's custom bootstrap method
   * `pgbackrest`) instead of initdb. Only a new cluster bootstraps, so it
   * matters once: after the restore the members join the cluster it made.
   * @default initdb
   */
  readonly restore?: {
    /** Command line (Patroni splits it as a shell would) that fills the empty data directory. */
    readonly command: string;
    /** Recovery settings of the first start: restore_command and the target. */
    readonly recoveryConf: Readonly<Record<string, string>>;
  };
}

/** Environment variables through which each Patroni member receives its passwords (never written to patroni.yml). */
export const PATRONI_PASSWORD_ENV = {
  superuser: 'PATRONI_SUPERUSER_PASSWORD',
  replication: 'PATRONI_REPLICATION_PASSWORD',
  rewind: 'PATRONI_REWIND_PASSWORD',
  /** Patroni reads restapi.authentication.password from it, patronictl too (it reads the same file). */
  rest: 'PATRONI_RESTAPI_PASSWORD',
} as const;

/** Env var the post-bootstrap script reads the application role's password from. */
export const APP_PASSWORD_ENV = 'APP_DB_PASSWORD';

export function renderPatroniYaml(input: PatroniConfigInput): string {
  const { placement: p, member, dcs, users, tls } = input;
  // libpq on every connection Patroni makes (replication, rewind, its own superuser session) checks
  // the server's certificate and name; the socket connections ignore these.
  const verify = { sslmode: 'verify-full', sslrootcert: tls.caPath };
  const restore = input.backup?.restore;
  const pgPort = p.port(member, 'postgres', PG_PORT);
  const restPort = p.port(member, 'rest', PATRONI_REST_PORT);
  return stringify({
    scope: input.scope,
    name: member,
    restapi: {
      listen: `${p.bindHost}:${restPort}`,
      connect_address: `${p.host(member)}:${restPort}`,
      certfile: tls.certPath,
      keyfile: tls.keyPath,
      // GETs stay open (HAProxy's checks, Prometheus); unsafe methods need the user.
      authentication: { username: input.restUser },
    },
    // patronictl and the members' calls to each other check the REST API's certificate.
    ctl: { cacert: tls.caPath, certfile: tls.certPath, keyfile: tls.keyPath },
    etcd3: { hosts: input.etcd.map(endpointString) },
    bootstrap: {
      dcs: {
        ttl: dcs.ttl,
        loop_wait: dcs.loopWait,
        retry_timeout: dcs.retryTimeout,
        maximum_lag_on_failover: dcs.maximumLagOnFailoverBytes,
        synchronous_mode: dcs.synchronousMode,
        synchronous_mode_strict: dcs.synchronousModeStrict,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: {
            wal_level: 'logical',
            hot_standby: 'on',
            // Replicas report their xmin so the copies of logical slots stay usable after failover.
            hot_standby_feedback: 'on',
            wal_log_hints: 'on',
            max_connections: dcs.maxConnections,
            max_wal_senders: 10,
            max_replication_slots: 10,
            password_encryption: 'scram-sha-256',
          },
        },
        // Permanent slots: Patroni recreates them on whichever member is leader.
        slots: Object.fromEntries(
          dcs.logicalSlots.map((s) => [
            s.name,
            { type: 'logical', database: s.database, plugin: s.plugin ?? 'pgoutput' },
          ]),
        ),
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C.UTF-8' }, 'data-checksums'],
      ...(restore
        ? {
            method: 'pgbackrest',
            pgbackrest: {
              command: restore.command,
              no_params: true,
              // Patroni writes recoveryConf and drops what pgBackRest wrote to postgresql.auto.conf.
              keep_existing_recovery_conf: false,
              recovery_conf: restore.recoveryConf,
            },
          }
        : // A restored cluster has its roles and databases already; the script would fail creating them.
          { post_bootstrap: input.postBootstrapPath }),
    },
    postgresql: {
      listen: `${p.bindHost}:${pgPort}`,
      connect_address: `${p.host(member)}:${pgPort}`,
      data_dir: `${input.volumePath}/pgroot/data`,
      ...(input.binDir ? { bin_dir: input.binDir } : {}),
      pgpass: `${input.volumePath}/pgpass`,
      // Patroni's own session to its server goes through the socket: over TCP it would ask for
      // 'localhost', a name no certificate here carries (seen in the lab: verify-full refused it).
      use_unix_socket: true,
      // A new replica's base backup otherwise waits for a spread checkpoint on the leader,
      // which right after bootstrap takes most of checkpoint_timeout (seen in the lab: 88 s).
      basebackup: [{ checkpoint: 'fast' }],
      authentication: {
        superuser: { username: users.superuser, ...verify },
        replication: { username: users.replication, ...verify },
        rewind: { username: users.rewind, ...verify },
      },
      // Postgres' own guidance: shared_buffers a quarter of the memory; the rest is for
      // backends and the page cache, which effective_cache_size tells the planner about.
      parameters: {
        unix_socket_directories: input.volumePath,
        ssl: 'on',
        ssl_cert_file: tls.certPath,
        ssl_key_file: tls.keyPath,
        ssl_min_protocol_version: 'TLSv1.2',
        shared_buffers: `${Math.floor(input.memoryMb / 4)}MB`,
        effective_cache_size: `${Math.floor(input.memoryMb / 2)}MB`,
        // Local, not in the DCS: archive_command names this member's config path, which differs in the lab.
        ...input.backup?.archive,
      },
      // First match wins: TCP without TLS is refused before any password is asked for.
      pg_hba: [
        'local all all peer',
        'hostnossl all all 0.0.0.0/0 reject',
        'hostnossl all all ::/0 reject',
        'hostnossl replication all 0.0.0.0/0 reject',
        'hostnossl replication all ::/0 reject',
        `hostssl replication ${users.replication} 0.0.0.0/0 scram-sha-256`,
        `hostssl replication ${users.replication} ::/0 scram-sha-256`,
        'hostssl all all 0.0.0.0/0 scram-sha-256',
        'hostssl all all ::/0 scram-sha-256',
      ],
    },
  });
}

/** Env var the post-bootstrap script reads the monitoring role's password from. */
export const MONITOR_PASSWORD_ENV = 'MONITOR_DB_PASSWORD';

/** Env var the post-bootstrap script reads the CDC role's password from. */
export const CDC_PASSWORD_ENV = 'DEBEZIUM_DB_PASSWORD';

/** What change data capture needs in the application database, created at bootstrap. */
export interface CdcBootstrap {
  /** Login role with REPLICATION; it may read the captured tables and write the heartbeat, nothing else. */
  readonly user: string;
  /**
   * Publication of the captured tables and the heartbeat table. Created here, before
   * Patroni creates the permanent slot, so the slot never decodes WAL from before it.
   */
  readonly publication: string;
  /** Captured tables: name and `CREATE TABLE` statement; owned by the application role. */
  readonly tables: readonly { readonly name: string; readonly ddl: string }[];
  readonly heartbeatTable: { readonly name: string; readonly ddl: string };
}

export interface PostBootstrapInput {
  readonly database: string;
  readonly appUser: string;
  /** @default no CDC objects */
  readonly cdc?: CdcBootstrap;
  /** Login role with pg_monitor for the Postgres exporters. @default none */
  readonly monitorUser?: string;
}

/**
 * Run once by Patroni on the member that initialises the cluster, with a
 * superuser connection URL as $1. Creates the application role and database
 * (and, with CDC, the capture role, tables and publication); passwords arrive
 * through the environment, never through this file.
 */
export function renderPostBootstrap(input: PostBootstrapInput): string {
  const { cdc } = input;
  return [
    '#!/bin/sh',
    'set -eu',
    `psql "$1" -v ON_ERROR_STOP=1 -v app_password="$${APP_PASSWORD_ENV}"` +
      (cdc ? ` -v cdc_password="$${CDC_PASSWORD_ENV}"` : '') +
      (input.monitorUser ? ` -v monitor_password="$${MONITOR_PASSWORD_ENV}"` : '') +
      ` <<'SQL'`,
    `CREATE ROLE ${input.appUser} LOGIN PASSWORD :'app_password';`,
    `CREATE DATABASE ${input.database} OWNER ${input.appUser};`,
    ...(input.monitorUser
      ? [`CREATE ROLE ${input.monitorUser} LOGIN PASSWORD :'monitor_password' IN ROLE pg_monitor;`]
      : []),
    ...(cdc ? cdcStatements(input.database, input.appUser, cdc) : []),
    'SQL',
    '',
  ].join('\n');
}

function cdcStatements(database: string, appUser: string, cdc: CdcBootstrap): string[] {
  const tables = cdc.tables.map((t) => t.name);
  const all = [...tables, cdc.heartbeatTable.name];
  return [
    `CREATE ROLE ${cdc.user} LOGIN REPLICATION PASSWORD :'cdc_password';`,
    `GRANT CONNECT ON DATABASE ${database} TO ${cdc.user};`,
    `\\connect ${database}`,
    `SET ROLE ${appUser};`,
    ...cdc.tables.map((t) => t.ddl),
    cdc.heartbeatTable.ddl,
    'RESET ROLE;',
    `GRANT USAGE ON SCHEMA public TO ${cdc.user};`,
    ...(tables.length ? [`GRANT SELECT ON ${tables.join(', ')} TO ${cdc.user};`] : []),
    `GRANT SELECT, INSERT, UPDATE ON ${cdc.heartbeatTable.name} TO ${cdc.user};`,
    `CREATE PUBLICATION ${cdc.publication} FOR TABLE ${all.join(', ')};`,
  ];
}

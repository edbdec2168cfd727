import { Construct } from 'constructs';
import { platformOf, monitoringOf } from '../platform/context';
import { PUSHGATEWAY_NODE } from '../platform/backup-status';
import { IMAGES } from '../platform/images';
import type { Endpoint, ImageRef, NodeSpec } from '../platform/node-spec';
import type { S3Access } from '../platform/object-storage';
import { ValidationError, checkInt, checkPinned } from '../platform/validation';
import type { EtcdCluster } from './etcd-cluster';
import { patroniImage } from './patroni-image';
import { patroniMonitoring } from './patroni-monitoring';
import {
  BACKUP_SCHEDULER_PATH,
  postgresBackupSchedules,
  postgresRepoExpiryDays,
  renderPostgresScheduler,
} from './backup-schedule';
import { MONITOR_USER, postgresMonitoring } from './postgres-monitoring';
import {
  APP_PASSWORD_ENV,
  CDC_PASSWORD_ENV,
  MONITOR_PASSWORD_ENV,
  PATRONI_PASSWORD_ENV,
  PATRONI_REST_PORT,
  PG_PORT,
  renderPatroniYaml,
  renderPostBootstrap,
  type CdcBootstrap,
  type LogicalSlot,
  type PatroniDcsSettings,
} from './patroni-config';
import {
  PGBACKREST_KEY_ENV,
  archiveParameters,
  recoveryTargetSettings,
  renderPgBackRestConf,
  resolveBackupSettings,
  resolveRestoreTarget,
  restoreArgs,
  restoreCommand,
  type BackupSettings,
  type PostgresBackupProps,
  type PostgresRestoreProps,
  type RestoreTarget,
} from './pgbackrest-config';
import { shellLine } from '../platform/shell-words';
import { PLATFORM_CA_PATH } from '../platform/tls';

export interface PatroniClusterProps {
  /**
   * Number of Patroni members. With synchronous mode at least 2, so a sync standby can exist.
   * @default 3
   */
  readonly members?: number;
  /** Patroni cluster name (`scope`), also the DCS key prefix. @default 'pg-ha' */
  readonly scope?: string;
  /**
   * Seconds the leader key lives without renewal; a crashed leader is replaced
   * about ttl + loopWait seconds after it stops. Patroni 3.3+ silently raises
   * anything below 20, so lower values are rejected here instead.
   * @default 20
   */
  readonly ttl?: number;
  /** Seconds between Patroni HA loops. @default 2 */
  readonly loopWait?: number;
  /**
   * Seconds Patroni retries DCS and Postgres operations before giving up.
   * loopWait + 2 × retryTimeout must not exceed ttl, so a leader that loses
   * the DCS demotes itself before its key expires.
   * @default 5
   */
  readonly retryTimeout?: number;
  /** Commit only once a standby has the WAL, so a failover loses no acknowledged write. @default true */
  readonly synchronousMode?: boolean;
  /**
   * Refuse writes while no sync standby exists. Off by default: with it on, losing
   * both replicas stops all writes; with it off, the leader runs alone until a
   * replica catches up again.
   * @default false
   */
  readonly synchronousModeStrict?: boolean;
  /** A replica further behind than this is never promoted. @default 1048576 (1 MiB) */
  readonly maximumLagOnFailoverBytes?: number;
  /** @default 200 */
  readonly maxConnections?: number;
  /** Application database, created at bootstrap. @default 'app' */
  readonly database?: string;
  /** Application role, created at bootstrap with a generated password. @default 'app' */
  readonly appUser?: string;
  /** Permanent logical slots (for CDC). @default one `pgoutput` slot named `debezium` on the application database */
  readonly logicalSlots?: readonly LogicalSlot[];
  /**
   * Directory of the Postgres binaries. The image's PATH has Debian's pg_wrapper shims, which pick a
   * version by their own rules; Patroni should run the server's own.
   * @default '/usr/lib/postgresql/17/bin', the image's Postgres
   */
  readonly binDir?: string;
  /** Host port of member 1's REST API; member n publishes restHostPortBase + n - 1. @default 8008 */
  readonly restHostPortBase?: number;
  /** @default IMAGES.patroni */
  readonly image?: ImageRef;
  /** Image of the Postgres exporter beside each member. @default IMAGES.postgresExporter */
  readonly exporterImage?: ImageRef;
  /** Patroni and Postgres; shared_buffers is a quarter of it. @default 240 */
  readonly memoryMb?: number;
}

const VOLUME = '/home/postgres/pgdata';
const CONFIG_PATH = '/etc/patroni/patroni.yml';
const POST_BOOTSTRAP_PATH = '/etc/patroni/post-bootstrap.sh';
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const TLS_CERT = '/etc/patroni/tls/server.crt';
const TLS_KEY = '/etc/patroni/tls/server.key';
/** User for the REST API's unsafe methods (POST /switchover, PATCH /config, …). */
export const PATRONI_REST_USER = 'patroni';
/** The platform secret holding that user's password. */
export const PATRONI_REST_SECRET = 'patroni-rest';

/** Resolved settings, exposed for the chaos scripts' recovery bounds and the tests. */
export interface PatroniSettings extends PatroniDcsSettings {
  readonly scope: string;
  readonly database: string;
  readonly appUser: string;
}

export interface PatroniClusterConstructProps extends PatroniClusterProps {
  readonly etcd: EtcdCluster;
  /** CDC role, tables and publication to create at bootstrap (from the cdc component). @default none */
  readonly cdc?: CdcBootstrap;
  /** How the members reach the object store that holds the backups. */
  readonly objectStore: S3Access;
  /** `postgres.backup`. @default see PostgresBackupProps */
  readonly backup?: PostgresBackupProps;
  /** `postgres.restore`. @default none: a new cluster starts empty */
  readonly restore?: PostgresRestoreProps;
  /**
   * Other names clients reach Postgres by, added to every member's certificate: a TCP router in
   * front (HAProxy) passes the member's certificate through, and clients check it against the router's name.
   * @default none
   */
  readonly clientHosts?: readonly string[];
}

// setpriv keeps HOME=/root, which postgres cannot read: libpq then fails probing ~/.postgresql once TLS is on.
const AS_POSTGRES = 'setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/home/postgres';

/** Where pgbackrest.conf is on every member; the backup and restore commands pass it too. */
export const PGBACKREST_CONFIG_PATH = '/etc/pgbackrest/pgbackrest.conf';
/** The bucket of the backup repository (one stanza per cluster in it). */
export const BACKUP_BUCKET = 'postgres-backups';

/** Postgres members managed by Patroni, with etcd as the DCS. */
export class PatroniCluster extends Construct {
  readonly nodes: readonly NodeSpec[];
  readonly settings: PatroniSettings;
  /** Postgres endpoint of each member. */
  readonly postgresEndpoints: readonly Endpoint[];
  readonly restPorts: readonly number[];
  /** Placeholder of the application role's password. */
  readonly appPassword: string;
  readonly backupSettings: BackupSettings;
  /** Set when the cluster is to bootstrap from the backup. */
  readonly restoreTarget?: RestoreTarget;

  constructor(scope: Construct, id: string, props: PatroniClusterConstructProps) {
    super(scope, id);
    const platform = platformOf(this);
    const p = platform.placement;
    this.settings = resolveSettings(props);
    const s = this.settings;
    const count = checkInt('postgres.patroni.members', props.members ?? 3, { min: 1, max: 9 });
    if (s.synchronousMode && count < 2) {
      throw new ValidationError(
        `postgres.patroni.members must be ≥ 2 when synchronousMode is on (got ${count}): a sync standby needs a second member`,
      );
    }
    // pgBackRest on top of the pinned image (patroni-image.ts): the targets build it.
    const image = patroniImage(checkPinned('postgres.patroni.image', props.image ?? IMAGES.patroni));
    const memoryMb = checkInt('postgres.patroni.memoryMb', props.memoryMb ?? 240, { min: 192 });
    const restHostPortBase = checkInt('postgres.patroni.restHostPortBase', props.restHostPortBase ?? 8008, {
      min: 1024,
      max: 65535 - count,
    });

    const secret = (name: string, description: string) => platform.secret({ name, description });
    const env: Record<string, string> = {
      [PATRONI_PASSWORD_ENV.superuser]: secret('postgres-superuser', 'Postgres superuser (postgres)'),
      [PATRONI_PASSWORD_ENV.replication]: secret('postgres-replication', 'Postgres streaming replication role'),
      [PATRONI_PASSWORD_ENV.rewind]: secret('postgres-rewind', 'Postgres pg_rewind role'),
      [PATRONI_PASSWORD_ENV.rest]: secret(PATRONI_REST_SECRET, `Patroni REST API user (${PATRONI_REST_USER})`),
      [APP_PASSWORD_ENV]: secret('postgres-app', `Postgres application role (${s.appUser})`),
      ...(props.cdc ? { [CDC_PASSWORD_ENV]: secret('postgres-cdc', `Postgres CDC role (${props.cdc.user})`) } : {}),
      [MONITOR_PASSWORD_ENV]: secret('postgres-monitor', `Postgres monitoring role (${MONITOR_USER})`),
    };
    this.appPassword = env[APP_PASSWORD_ENV]!;
    const members = Array.from({ length: count }, (_, i) => `patroni-${i + 1}`);
    this.backupSettings = resolveBackupSettings(props.backup);
    this.restoreTarget = props.restore && resolveRestoreTarget(props.restore, new Date());
    platform.bucket({
      name: BACKUP_BUCKET,
      description: 'Postgres base backups and WAL archive',
      users: members,
      // repo1-path is /<stanza>: each cluster's members reach only its own repository.
      prefix: `${s.scope}/`,
      expireAfterDays: postgresRepoExpiryDays(this.backupSettings),
    });
    const store = props.objectStore;
    if (store.credentials) {
      env[PGBACKREST_KEY_ENV.accessKey] = store.credentials.accessKey;
      env[PGBACKREST_KEY_ENV.secretKey] = store.credentials.secretKey;
    }
    const backupFiles = (member: string) => {
      const volume = p.path(member, VOLUME);
      const configPath = p.path(member, PGBACKREST_CONFIG_PATH);
      const [host, port] = store.endpoint ? store.endpoint.split(':') : [];
      return {
        configPath,
        conf: renderPgBackRestConf({
          stanza: s.scope,
          pgDataDir: `${volume}/pgroot/data`,
          pgPort: p.port(member, 'postgres', PG_PORT),
          pgSocketDir: volume,
          repo: {
            // Without an endpoint the store is S3 (AWS); its regional endpoint is not passed in yet (not verified).
            host: host ?? 's3.amazonaws.com',
            port: Number(port ?? 443),
            region: store.region ?? 'us-east-1',
            bucket: BACKUP_BUCKET,
            ...(store.caPath ? { caFile: p.path(member, store.caPath) } : {}),
            keyType: store.credentials ? 'shared' : 'auth',
          },
          workDir: `${volume}/pgbackrest`,
          settings: this.backupSettings,
        }),
      };
    };

    const tlsPaths = (member: string) => ({
      certPath: p.path(member, TLS_CERT),
      keyPath: p.path(member, TLS_KEY),
      caPath: p.path(member, PLATFORM_CA_PATH),
    });
    for (const member of members) {
      platform.certificate({
        node: member,
        // 'localhost': Patroni checks its own server's timeline over a TCP replication connection to localhost.
        hosts: [...new Set([p.host(member), ...(props.clientHosts ?? []), 'localhost'])],
        certPath: TLS_CERT,
        keyPath: TLS_KEY,
      });
    }

    this.nodes = members.map((member, i) => {
      const backup = backupFiles(member);
      return {
        name: member,
        component: 'patroni',
        role: 'member',
        image,
        // Run Patroni itself on our patroni.yml instead of Spilo's launcher, which
        // generates its own config; the named volume arrives root-owned. The backup
        // scheduler runs beside it as postgres (it backs up only while this member leads).
        command: [
          '/bin/sh',
          '-c',
          // Postgres refuses a key others can read; the target may upload it root-owned and world-readable.
          `chown postgres:postgres ${VOLUME} ${TLS_KEY} && chmod 0700 ${VOLUME} && chmod 0600 ${TLS_KEY} && ` +
            `{ ${AS_POSTGRES} bash ${BACKUP_SCHEDULER_PATH} & } && exec ${AS_POSTGRES} patroni ${CONFIG_PATH}`,
        ],
        env,
        files: [
          {
            path: CONFIG_PATH,
            content: renderPatroniYaml({
              scope: s.scope,
              member,
              etcd: props.etcd.clientEndpoints,
              dcs: s,
              users: { superuser: 'postgres', replication: 'replicator', rewind: 'rewind_user' },
              volumePath: p.path(member, VOLUME),
              postBootstrapPath: p.path(member, POST_BOOTSTRAP_PATH),
              binDir: props.binDir ?? '/usr/lib/postgresql/17/bin',
              memoryMb,
              tls: tlsPaths(member),
              restUser: PATRONI_REST_USER,
              placement: p,
              backup: {
                archive: archiveParameters(s.scope, backup.configPath, this.backupSettings),
                ...(this.restoreTarget
                  ? { restore: restoreBootstrap(s.scope, backup.configPath, this.restoreTarget) }
                  : {}),
              },
            }),
          },
          { path: PGBACKREST_CONFIG_PATH, content: backup.conf },
          {
            path: BACKUP_SCHEDULER_PATH,
            content: renderPostgresScheduler({
              stanza: s.scope,
              configPath: backup.configPath,
              settings: this.backupSettings,
              restPort: p.port(member, 'rest', PATRONI_REST_PORT),
              restHost: p.host(member),
              caPath: tlsPaths(member).caPath,
              placement: p,
            }),
            mode: '0755',
          },
          {
            path: POST_BOOTSTRAP_PATH,
            content: renderPostBootstrap({
              database: s.database,
              appUser: s.appUser,
              ...(props.cdc ? { cdc: props.cdc } : {}),
              monitorUser: MONITOR_USER,
            }),
            mode: '0755',
          },
        ],
        ports: [
          { name: 'postgres', port: p.port(member, 'postgres', PG_PORT), handshake: 'postgres' },
          { name: 'rest', port: p.port(member, 'rest', PATRONI_REST_PORT), hostPort: restHostPortBase + i },
        ],
        volumes: [{ name: 'pgdata', path: VOLUME }],
        stateful: true,
        // /health answers 200 while Postgres runs, on the leader and on replicas alike. The certificate
        // names the member, so curl resolves that name to loopback and checks it against the CA.
        health: {
          test: [
            'CMD',
            'curl',
            '-fsS',
            '--cacert',
            PLATFORM_CA_PATH,
            '--resolve',
            `${p.host(member)}:${PATRONI_REST_PORT}:127.0.0.1`,
            `https://${p.host(member)}:${PATRONI_REST_PORT}/health`,
          ],
          startPeriodSeconds: 60,
        },
        memoryMb,
        dependsOn: props.etcd.nodes.map((n) => n.name),
        // Members talk to etcd's client port (peer traffic is etcd's own), and record backups in the Pushgateway.
        connectsTo: [
          ...props.etcd.nodes.map((n) => ({ node: n.name, port: 'client' })),
          { node: PUSHGATEWAY_NODE, port: 'http' },
        ],
        // Member i runs beside etcd member i where machines are shared: each
        // machine then holds one vote of each quorum, and losing one costs neither.
        ...(props.etcd.nodes[i] ? { host: props.etcd.nodes[i]!.name } : {}),
      } satisfies NodeSpec;
    });
    this.postgresEndpoints = members.map((m) => ({ host: p.host(m), port: p.port(m, 'postgres', PG_PORT) }));
    this.restPorts = members.map((m) => p.port(m, 'rest', PATRONI_REST_PORT));
    platform.addNodes(this.nodes);
    const monitoring = monitoringOf(this);
    monitoring.register(patroniMonitoring({ members: this.nodes, ...s }));
    monitoring.register(
      postgresMonitoring({
        members: members.map((node, i) => ({ node, postgres: this.postgresEndpoints[i]! })),
        logicalSlots: s.logicalSlots.map((slot) => slot.name),
        monitorPassword: env[MONITOR_PASSWORD_ENV]!,
        image: checkPinned('postgres.patroni.exporterImage', props.exporterImage ?? IMAGES.postgresExporter),
        placement: p,
        backups: postgresBackupSchedules(this.backupSettings),
      }),
    );
  }
}

/** Patroni's custom bootstrap from the backup: pgBackRest fills the data directory, Postgres replays to the target. */
function restoreBootstrap(stanza: string, configPath: string, target: RestoreTarget) {
  return {
    command: shellLine(restoreArgs(stanza, configPath, target)),
    recoveryConf: { restore_command: restoreCommand(stanza, configPath), ...recoveryTargetSettings(target) },
  };
}

function resolveSettings(props: PatroniClusterProps): PatroniSettings {
  const ttl = checkInt('postgres.patroni.ttl', props.ttl ?? 20, { min: 20 });
  const loopWait = checkInt('postgres.patroni.loopWait', props.loopWait ?? 2, { min: 1 });
  const retryTimeout = checkInt('postgres.patroni.retryTimeout', props.retryTimeout ?? 5, { min: 3 });
  if (loopWait + 2 * retryTimeout > ttl) {
    throw new ValidationError(
      `postgres.patroni: loopWait + 2 × retryTimeout must be ≤ ttl (got ${loopWait} + 2 × ${retryTimeout} = ` +
        `${loopWait + 2 * retryTimeout} > ${ttl}): lower loopWait or retryTimeout, or raise ttl`,
    );
  }
  const database = checkIdentifier('postgres.patroni.database', props.database ?? 'app');
  const logicalSlots = props.logicalSlots ?? [{ name: 'debezium', database, plugin: 'pgoutput' }];
  const seen = new Set<string>();
  for (const slot of logicalSlots) {
    checkIdentifier(`postgres.patroni.logicalSlots[${slot.name}].name`, slot.name);
    if (seen.has(slot.name)) {
      throw new ValidationError(
        `postgres.patroni.logicalSlots: slot name '${slot.name}' is declared twice; slot names must be unique`,
      );
    }
    seen.add(slot.name);
  }
  return {
    scope: props.scope ?? 'pg-ha',
    ttl,
    loopWait,
    retryTimeout,
    synchronousMode: props.synchronousMode ?? true,
    synchronousModeStrict: props.synchronousModeStrict ?? false,
    maximumLagOnFailoverBytes: checkInt(
      'postgres.patroni.maximumLagOnFailoverBytes',
      props.maximumLagOnFailoverBytes ?? 1048576,
      { min: 0 },
    ),
    maxConnections: checkInt('postgres.patroni.maxConnections', props.maxConnections ?? 200, { min: 20, max: 10000 }),
    logicalSlots,
    database,
    appUser: checkIdentifier('postgres.patroni.appUser', props.appUser ?? 'app'),
  };
}

function checkIdentifier(setting: string, value: string): string {
  if (!IDENTIFIER.test(value)) {
    throw new ValidationError(
      `${setting} '${value}' must be a lower-case SQL identifier: a letter or '_' then up to 62 letters, digits or '_'`,
    );
  }
  return value;
}

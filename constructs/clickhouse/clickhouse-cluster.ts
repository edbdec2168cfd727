import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { platformOf } from '../platform/context';
import { IMAGES } from '../platform/images';
import type { ImageRef, NodeSpec } from '../platform/node-spec';
import type { S3Access } from '../platform/object-storage';
import { checkWeeklySchedule, type WeeklySchedule } from '../platform/schedule';
import { ValidationError, checkInt, checkOddCount, checkPinned } from '../platform/validation';
import { shellLine } from '../platform/shell-words';
import { renderCdcDdl, type CdcSink } from './cdc-ddl';
import {
  CLICKHOUSE_PASSWORD_ENV,
  CLICKHOUSE_PORTS,
  KEEPER_PORTS,
  renderKeeperConfig,
  renderServerConfig,
  renderUsersConfig,
} from './clickhouse-config';
import {
  CLICKHOUSE_BACKUP_PREFIX,
  CLICKHOUSE_BUCKET,
  CLICKHOUSE_SCHEDULER_PATH,
  S3_KEY_ENV,
  renderClickHouseScheduler,
} from './clickhouse-backup';

const CLICKHOUSE_PLAINTEXT = "ClickHouse's TLS ports are not built yet (issue 11)";
import { monitorClickhouse } from './clickhouse-monitoring';

export interface KeeperProps {
  /** Keeper nodes; odd, as a Raft quorum of an even count tolerates no more failures. @default 3 */
  readonly nodes?: number;
  /** @default 128 */
  readonly memoryMb?: number;
  /** @default IMAGES.clickhouseKeeper */
  readonly image?: ImageRef;
}

export interface ClickHouseClusterProps {
  /** Servers, each a replica of the one shard. @default 2 */
  readonly replicas?: number;
  /**
   * Keeper runs on its own nodes rather than embedded in the servers: a server
   * restart or OOM then never costs a quorum vote, and the quorum size does not
   * follow the replica count (2 replicas would make an even embedded ensemble).
   * @default 3 nodes
   */
  readonly keeper?: KeeperProps;
  /** Database of the CDC tables. @default 'cdc' */
  readonly database?: string;
  /** Login created for the platform (DDL job, queries), with a generated password. @default 'platform' */
  readonly user?: string;
  /** HTTP host port of replica 1 (127.0.0.1); replica n uses httpHostPort + n - 1. @default 8123 */
  readonly httpHostPort?: number;
  /** @default 512; the server limits itself to 80 % of it */
  readonly memoryMb?: number;
  /** @default IMAGES.clickhouse */
  readonly image?: ImageRef;
  /** Scheduled `BACKUP DATABASE … TO S3`. @default see ClickHouseBackupProps */
  readonly backup?: ClickHouseBackupProps;
}

export interface ClickHouseBackupProps {
  /** When the CDC database is backed up: weekly cron in UTC (see platform/schedule.ts). @default '30 2 * * *' (daily, 02:30) */
  readonly schedule?: string;
  /** Days a backup is kept (the bucket's lifecycle rule on AWS). @default 14 */
  readonly retentionDays?: number;
}

export interface ClickHouseClusterConstructProps extends ClickHouseClusterProps {
  /** How the servers reach the object store the backups go to. @default the cloud store of the target, by the server's role */
  readonly objectStore?: S3Access;
  /** CDC sinks and the Kafka brokers they consume from. @default no sinks */
  readonly cdc?: {
    readonly sinks: readonly CdcSink[];
    readonly brokers: string;
    readonly dependsOn: readonly string[];
  };
}

const SERVER_CONFIG = '/etc/clickhouse-server/config.d/platform.yaml';
const USERS_CONFIG = '/etc/clickhouse-server/users.d/platform.yaml';
const BACKUP_TLS_CONFIG = '/etc/clickhouse-server/config.d/backup-tls.yaml';
const KEEPER_CONFIG = '/etc/clickhouse-keeper/keeper.yaml';
const KEEPER_DATA = '/var/lib/clickhouse-keeper';
const DDL_DIR = '/etc/clickhouse-ddl';
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** ClickHouse replicas on a Keeper ensemble, with the CDC sink tables applied by a DDL job. */
export class ClickHouseCluster extends Construct {
  readonly nodes: readonly NodeSpec[];
  readonly servers: readonly NodeSpec[];
  readonly ddlJob: NodeSpec;
  readonly database: string;
  readonly user: string;

  constructor(scope: Construct, id: string, props: ClickHouseClusterConstructProps = {}) {
    super(scope, id);
    const platform = platformOf(this);
    const p = platform.placement;
    const k = props.keeper ?? {};
    const keeperCount = checkOddCount('clickhouse.keeper.nodes', k.nodes ?? 3);
    const replicaCount = checkInt('clickhouse.replicas', props.replicas ?? 2, { min: 1, max: 9 });
    this.database = identifier('clickhouse.database', props.database ?? 'cdc');
    this.user = identifier('clickhouse.user', props.user ?? 'platform');
    const httpHostPort = checkInt('clickhouse.httpHostPort', props.httpHostPort ?? CLICKHOUSE_PORTS.http, {
      min: 1024,
      max: 65535 - replicaCount,
    });
    const password = platform.secret({ name: 'clickhouse-platform', description: `ClickHouse user ${this.user}` });

    const ensemble = Array.from({ length: keeperCount }, (_, i) => ({ name: `keeper-${i + 1}`, id: i + 1 }));
    const keeperImage = checkPinned('clickhouse.keeper.image', k.image ?? IMAGES.clickhouseKeeper);
    const keepers: NodeSpec[] = ensemble.map((m) => ({
      name: m.name,
      component: 'clickhouse-keeper',
      role: 'member',
      image: keeperImage,
      // The image's entrypoint runs Keeper on this file and prepares the data directory for its user.
      env: { KEEPER_CONFIG, CLICKHOUSE_DATA_DIR: KEEPER_DATA },
      files: [
        {
          path: KEEPER_CONFIG,
          content: renderKeeperConfig({
            node: m.name,
            id: m.id,
            ensemble,
            dataDir: p.path(m.name, KEEPER_DATA),
            metricsPort: p.port(m.name, 'metrics', KEEPER_PORTS.metrics),
            placement: p,
          }),
        },
      ],
      ports: [
        { name: 'client', port: p.port(m.name, 'client', KEEPER_PORTS.client), plaintext: CLICKHOUSE_PLAINTEXT },
        { name: 'raft', port: p.port(m.name, 'raft', KEEPER_PORTS.raft), plaintext: CLICKHOUSE_PLAINTEXT },
        { name: 'http', port: p.port(m.name, 'http', KEEPER_PORTS.http), plaintext: CLICKHOUSE_PLAINTEXT },
        { name: 'metrics', port: p.port(m.name, 'metrics', KEEPER_PORTS.metrics), plaintext: CLICKHOUSE_PLAINTEXT },
      ],
      volumes: [{ name: 'data', path: KEEPER_DATA }],
      stateful: true,
      health: { test: ['CMD', 'wget', '-qO-', `http://127.0.0.1:${KEEPER_PORTS.http}/ready`], startPeriodSeconds: 20 },
      memoryMb: checkInt('clickhouse.keeper.memoryMb', k.memoryMb ?? 128, { min: 128 }),
      dependsOn: [],
    }));

    const image = checkPinned('clickhouse.image', props.image ?? IMAGES.clickhouse);
    const memoryMb = checkInt('clickhouse.memoryMb', props.memoryMb ?? 512, { min: 512 });
    const names = Array.from({ length: replicaCount }, (_, i) => `clickhouse-${i + 1}`);
    const servers = names.map((name, i): NodeSpec => ({
      name,
      component: 'clickhouse',
      role: 'replica',
      image,
      env: { [CLICKHOUSE_PASSWORD_ENV]: password },
      files: [
        {
          path: SERVER_CONFIG,
          content: renderServerConfig({
            server: name,
            replicas: names,
            keepers: ensemble.map((m) => m.name),
            memoryMb,
            placement: p,
          }),
        },
        { path: USERS_CONFIG, content: renderUsersConfig(this.user) },
      ],
      ports: [
        {
          name: 'http',
          port: p.port(name, 'http', CLICKHOUSE_PORTS.http),
          hostPort: httpHostPort + i,
          plaintext: CLICKHOUSE_PLAINTEXT,
        },
        { name: 'native', port: p.port(name, 'native', CLICKHOUSE_PORTS.native), plaintext: CLICKHOUSE_PLAINTEXT },
        {
          name: 'interserver',
          port: p.port(name, 'interserver', CLICKHOUSE_PORTS.interserver),
          plaintext: CLICKHOUSE_PLAINTEXT,
        },
      ],
      volumes: [{ name: 'data', path: '/var/lib/clickhouse' }],
      stateful: true,
      health: {
        test: ['CMD', 'wget', '-qO-', `http://127.0.0.1:${CLICKHOUSE_PORTS.http}/ping`],
        startPeriodSeconds: 30,
      },
      memoryMb,
      dependsOn: keepers.map((n) => n.name),
      // Replica i runs beside Keeper member i where machines are shared (one vote per machine).
      ...(keepers[i] ? { host: keepers[i]!.name } : {}),
    }));
    const backupSchedule = checkWeeklySchedule('clickhouse.backup.schedule', props.backup?.schedule ?? '30 2 * * *');
    // Replica 1 runs the backups: one server backs up the replicated database for all.
    servers[0] = this.withBackups(servers[0]!, backupSchedule, props, password);
    this.servers = monitorClickhouse(this, servers, keepers, [{ type: 'full', schedule: backupSchedule }]);

    const ddl = renderCdcDdl({
      database: this.database,
      sinks: props.cdc?.sinks ?? [],
      brokers: props.cdc?.brokers ?? '',
      replicated: true,
    });
    const script = [
      '#!/bin/bash',
      'set -euo pipefail',
      // Each replica gets every statement: tables are replicated, their definitions are not.
      ...names.map(
        (n) =>
          `clickhouse-client ${shellLine(['--host', p.host(n), '--port', String(p.port(n, 'native', CLICKHOUSE_PORTS.native)), '--user', this.user])} ` +
          `--password "$${CLICKHOUSE_PASSWORD_ENV}" --queries-file ${DDL_DIR}/cdc.sql && echo "DDL applied on ${n}"`,
      ),
      '',
    ].join('\n');
    this.ddlJob = {
      name: 'clickhouse-ddl',
      component: 'clickhouse',
      role: 'init',
      image,
      command: ['bash', `${DDL_DIR}/apply.sh`],
      env: { [CLICKHOUSE_PASSWORD_ENV]: password },
      files: [
        { path: `${DDL_DIR}/cdc.sql`, content: `${ddl.join('\n\n')}\n` },
        { path: `${DDL_DIR}/apply.sh`, content: script, mode: '0755' },
      ],
      ports: [],
      volumes: [],
      stateful: false,
      oneShot: true,
      memoryMb: 256,
      // The sinks' topics must exist before a queue table subscribes to them.
      dependsOn: [...names, ...(props.cdc?.dependsOn ?? [])],
    };
    this.nodes = [...keepers, ...this.servers, this.ddlJob];
    platform.addNodes(this.nodes);
  }

  /** `server` with the backup scheduler beside it, started before the image's entrypoint. */
  private withBackups(
    server: NodeSpec,
    schedule: WeeklySchedule,
    props: ClickHouseClusterConstructProps,
    password: string,
  ): NodeSpec {
    const platform = platformOf(this);
    const p = platform.placement;
    const store = props.objectStore ?? {};
    platform.bucket({
      name: CLICKHOUSE_BUCKET,
      description: 'ClickHouse backups and cold data',
      users: [server.name],
      prefix: CLICKHOUSE_BACKUP_PREFIX,
      expireAfterDays: checkInt('clickhouse.backup.retentionDays', props.backup?.retentionDays ?? 14, {
        min: 1,
        max: 3650,
      }),
    });
    const script = renderClickHouseScheduler({
      database: this.database,
      schedule,
      // Path-style on VersityGW; on S3 the virtual-hosted name (the target prefixes the bucket: not resolved yet).
      bucketUrl: store.endpoint
        ? `https://${store.endpoint}/${CLICKHOUSE_BUCKET}`
        : `https://${CLICKHOUSE_BUCKET}.s3.amazonaws.com`,
      withKeys: !!store.credentials,
      client: [
        'clickhouse-client',
        '--port',
        String(p.port(server.name, 'native', CLICKHOUSE_PORTS.native)),
        '--user',
        this.user,
      ],
      passwordEnv: CLICKHOUSE_PASSWORD_ENV,
      placement: p,
    });
    return {
      ...server,
      // The image's ENTRYPOINT is /entrypoint.sh; the scheduler runs beside it in the background.
      entrypoint: ['bash', '-c', `bash ${CLICKHOUSE_SCHEDULER_PATH} & exec /entrypoint.sh "$@"`, server.name],
      env: {
        ...server.env,
        [CLICKHOUSE_PASSWORD_ENV]: password,
        ...(store.credentials
          ? { [S3_KEY_ENV.accessKey]: store.credentials.accessKey, [S3_KEY_ENV.secretKey]: store.credentials.secretKey }
          : {}),
      },
      files: [
        ...server.files,
        { path: CLICKHOUSE_SCHEDULER_PATH, content: script, mode: '0755' },
        // The S3 client checks VersityGW's certificate against the platform CA (not verified here: no server runs).
        ...(store.caPath
          ? [{ path: BACKUP_TLS_CONFIG, content: stringify({ openSSL: { client: { caConfig: store.caPath } } }) }]
          : []),
      ],
    };
  }
}

function identifier(setting: string, value: string): string {
  if (!IDENTIFIER.test(value)) throw new ValidationError(`${setting} '${value}' must be a lower-case identifier`);
  return value;
}

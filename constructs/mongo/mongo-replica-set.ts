import { Construct } from 'constructs';
import { platformOf } from '../platform/context';
import { IMAGES } from '../platform/images';
import type { ImageRef, NodeSpec } from '../platform/node-spec';
import { checkWeeklySchedule } from '../platform/schedule';
import { PLATFORM_CA_PATH } from '../platform/tls';
import { ValidationError, checkInt, checkPinned } from '../platform/validation';
import {
  MONGO_PASSWORD_ENV,
  MONGO_PORT,
  memberHosts,
  renderMongoInit,
  renderMongodConf,
  replicaSetUri,
} from './mongo-config';
import { monitorMongo } from './mongo-monitoring';

export interface MongoReplicaSetProps {
  /**
   * Data-bearing members. The voters (members, plus the arbiter if any) must be
   * odd, or an election can tie and a partition can leave no primary.
   * @default 3
   */
  readonly members?: number;
  /** Add a vote-only member, for an even member count. @default false */
  readonly arbiter?: boolean;
  /** @default 'rs0' */
  readonly replicaSet?: string;
  /** Application database. @default 'app' */
  readonly database?: string;
  /** Application user (readWrite on the database), created by the mongo-init job. @default 'app' */
  readonly appUser?: string;
  /** Host port of member 1 (127.0.0.1, for `directConnection=true` clients); member n uses hostPortBase + n - 1. @default 27017 */
  readonly hostPortBase?: number;
  /**
   * WiredTiger cache per member, GB: 0.25 up to half of memoryMb.
   * @default MongoDB's own rule on the memory limit: the larger of 0.25 and half of (memoryMb − 1 GiB)
   */
  readonly cacheSizeGb?: number;
  /** Room for mongod, its cache and the mongosh health check. @default 512 */
  readonly memoryMb?: number;
  /** @default IMAGES.mongo */
  readonly image?: ImageRef;
  /** Scheduled dumps into the object store. @default see MongoBackupProps */
  readonly backup?: MongoBackupProps;
}

export interface MongoBackupProps {
  /** When `mongodump --oplog` runs: weekly cron in UTC (see platform/schedule.ts). @default '0 2 * * *' (daily, 02:00) */
  readonly schedule?: string;
}

export interface MongoReplicaSetConstructProps extends MongoReplicaSetProps {
  /** Debezium's change-stream user and the collections it captures. @default no CDC */
  readonly cdc?: { readonly user: string; readonly collections: readonly string[] };
}

const CONFIG_DIR = '/etc/mongo';
const DATA_DIR = '/data/db';
const INIT_SCRIPT = '/etc/mongo-init/init.js';
/** The member's platform certificate and key, and the one PEM file mongod reads them from. */
const TLS_CERT = `${CONFIG_DIR}/tls/tls.crt`;
const TLS_KEY = `${CONFIG_DIR}/tls/tls.key`;
const TLS_PEM = `${CONFIG_DIR}/member.pem`;
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** A MongoDB replica set with keyfile auth, and the job that initiates it and creates its users. */
export class MongoReplicaSet extends Construct {
  readonly nodes: readonly NodeSpec[];
  readonly members: readonly NodeSpec[];
  readonly initJob: NodeSpec;
  readonly database: string;
  /** Replica-set connection string, without credentials. */
  readonly connectionString: string;

  constructor(scope: Construct, id: string, props: MongoReplicaSetConstructProps = {}) {
    super(scope, id);
    const platform = platformOf(this);
    const p = platform.placement;
    const count = checkInt('mongo.members', props.members ?? 3, { min: 1, max: 7 });
    const arbiter = props.arbiter ?? false;
    if (!arbiter && count % 2 === 0) {
      throw new ValidationError(
        `mongo.members is ${count} without an arbiter: an even number of voters can tie; ` +
          `use ${count + 1} members, or set mongo.arbiter: true`,
      );
    }
    if (arbiter && count % 2 === 1) {
      throw new ValidationError(
        `mongo.arbiter with ${count} members makes ${count + 1} voters: drop the arbiter or use an even member count`,
      );
    }
    const replicaSet = props.replicaSet ?? 'rs0';
    if (!NAME.test(replicaSet))
      throw new ValidationError(`mongo.replicaSet '${replicaSet}' must be letters, digits, _ or -`);
    this.database = identifier('mongo.database', props.database ?? 'app');
    const appUser = identifier('mongo.appUser', props.appUser ?? 'app');
    const image = checkPinned('mongo.image', props.image ?? IMAGES.mongo);
    const memoryMb = checkInt('mongo.memoryMb', props.memoryMb ?? 512, { min: 512 });
    const cacheSizeGb = props.cacheSizeGb ?? Math.max(0.25, Math.floor(((memoryMb - 1024) / 2048) * 20) / 20);
    if (!(cacheSizeGb >= 0.25) || cacheSizeGb * 1024 > memoryMb / 2) {
      throw new ValidationError(
        `mongo.cacheSizeGb is ${cacheSizeGb} but mongo.memoryMb is ${memoryMb}: use 0.25 up to half the memory limit (${memoryMb / 2048} GB)`,
      );
    }
    const hostPortBase = checkInt('mongo.hostPortBase', props.hostPortBase ?? MONGO_PORT, {
      min: 1024,
      max: 65535 - count,
    });

    const secret = (name: string, description: string) => platform.secret({ name, description });
    const keyFile = secret('mongo-keyfile', 'MongoDB replica-set keyfile (member authentication)');
    const rootPassword = secret('mongo-root', 'MongoDB root user');
    const names = Array.from({ length: count }, (_, i) => `mongo-${i + 1}`);
    const all = arbiter ? [...names, 'mongo-arbiter'] : names;
    const initJobName = 'mongo-init';

    for (const name of all) {
      platform.certificate({ node: name, hosts: [p.host(name)], certPath: TLS_CERT, keyPath: TLS_KEY });
    }
    const member = (name: string, i: number): NodeSpec => ({
      name,
      component: 'mongo',
      role: name === 'mongo-arbiter' ? 'arbiter' : 'member',
      image,
      // Docker uploads files as root; mongod (uid 999) refuses a keyfile it does not own or that others can read.
      // It reads its certificate and key from one file: joined here, readable by mongod alone. The entrypoint's
      // first-start mongod (root user) drops `net` from the config and runs with --tlsMode disabled on localhost.
      command: [
        'bash',
        '-c',
        `install -o mongodb -g mongodb -m 0400 ${CONFIG_DIR}/keyfile.source ${CONFIG_DIR}/keyfile && ` +
          `(umask 077 && cat ${TLS_CERT} ${TLS_KEY} > ${TLS_PEM}) && chown mongodb:mongodb ${TLS_PEM} && ` +
          `exec docker-entrypoint.sh mongod --config ${CONFIG_DIR}/mongod.conf`,
      ],
      // The image's entrypoint creates this user on the first member's first start only,
      // before replication is on, so the init job can log in to initiate the set.
      env: i === 0 ? { MONGO_INITDB_ROOT_USERNAME: 'root', MONGO_INITDB_ROOT_PASSWORD: rootPassword } : {},
      files: [
        {
          path: `${CONFIG_DIR}/mongod.conf`,
          content: renderMongodConf({
            member: name,
            replicaSet,
            dataDir: p.path(name, DATA_DIR),
            keyFile: p.path(name, `${CONFIG_DIR}/keyfile`),
            tls: { certificateKeyFile: p.path(name, TLS_PEM), caFile: p.path(name, PLATFORM_CA_PATH) },
            cacheSizeGb,
            placement: p,
          }),
        },
        { path: `${CONFIG_DIR}/keyfile.source`, content: keyFile, mode: '0400' },
      ],
      ports: [
        {
          name: 'mongo',
          port: p.port(name, 'mongo', MONGO_PORT),
          ...(i < count ? { hostPort: hostPortBase + i } : {}),
        },
      ],
      volumes: [{ name: 'data', path: DATA_DIR }],
      stateful: true,
      // Healthy only as PRIMARY, SECONDARY or ARBITER: a started but uninitiated member is not.
      // HOME=/tmp: the image's HOME is the data volume, where mongosh would write its logs.
      // The CA is checked, the host name not: 127.0.0.1 is not among the SANs on Docker.
      health: {
        test: [
          'CMD',
          'env',
          'HOME=/tmp',
          'mongosh',
          '--quiet',
          '--tls',
          '--tlsCAFile',
          PLATFORM_CA_PATH,
          '--tlsAllowInvalidHostnames',
          '--eval',
          'const h = db.hello(); quit(h.isWritablePrimary || h.secondary || h.arbiterOnly ? 0 : 1)',
        ],
        intervalSeconds: 10,
        timeoutSeconds: 10,
        startPeriodSeconds: 30,
      },
      memoryMb,
      dependsOn: [],
      initializedBy: initJobName,
    });
    this.members = all.map(member);
    const backupSchedule = checkWeeklySchedule('mongo.backup.schedule', props.backup?.schedule ?? '0 2 * * *');
    const exporter = monitorMongo(
      this,
      this.members.filter((m) => m.role === 'member'),
      IMAGES.mongodbExporter,
      [{ type: 'dump', schedule: backupSchedule }],
    );

    const hosts = memberHosts(p, names);
    this.connectionString = replicaSetUri(hosts, replicaSet);
    this.initJob = {
      name: initJobName,
      component: 'mongo',
      role: 'init',
      image,
      command: ['mongosh', '--nodb', '--quiet', INIT_SCRIPT],
      env: {
        [MONGO_PASSWORD_ENV.root]: rootPassword,
        [MONGO_PASSWORD_ENV.app]: secret('mongo-app', `MongoDB application user (${appUser})`),
        ...(props.cdc
          ? { [MONGO_PASSWORD_ENV.cdc]: secret('mongo-cdc', `MongoDB change-stream user (${props.cdc.user})`) }
          : {}),
        ...exporter.env,
      },
      files: [
        {
          path: INIT_SCRIPT,
          content: renderMongoInit({
            replicaSet,
            members: hosts,
            ...(arbiter ? { arbiter: memberHosts(p, ['mongo-arbiter'])[0]! } : {}),
            rootUser: 'root',
            database: this.database,
            appUser,
            ...(props.cdc ? { cdcUser: props.cdc.user } : {}),
            collections: props.cdc?.collections ?? [],
            adminUsers: [exporter.user],
            timeoutSeconds: 300,
            tlsCAFile: p.path(initJobName, PLATFORM_CA_PATH),
          }),
        },
      ],
      ports: [],
      volumes: [],
      stateful: false,
      oneShot: true,
      memoryMb: 256,
      dependsOn: all,
    };
    this.nodes = [...this.members, this.initJob];
    platform.addNodes(this.nodes);
  }
}

function identifier(setting: string, value: string): string {
  if (!IDENTIFIER.test(value)) throw new ValidationError(`${setting} '${value}' must be a lower-case identifier`);
  return value;
}

import { stringify } from 'yaml';
import type { Placement } from '../platform/placement';

export const MONGO_PORT = 27017;

/** Env vars the init job reads passwords from (never written to its script). */
export const MONGO_PASSWORD_ENV = {
  root: 'MONGO_ROOT_PASSWORD',
  app: 'MONGO_APP_PASSWORD',
  cdc: 'MONGO_CDC_PASSWORD',
} as const;

export interface MongodConfigInput {
  readonly member: string;
  readonly replicaSet: string;
  readonly dataDir: string;
  readonly keyFile: string;
  /** The member's certificate and key in one PEM file, as mongod wants them, and the platform CA. */
  readonly tls: { readonly certificateKeyFile: string; readonly caFile: string };
  /** WiredTiger cache; mongod would otherwise size it from the host's memory, not the container's limit. */
  readonly cacheSizeGb: number;
  readonly placement: Placement;
}

/**
 * mongod.conf. A keyfile both authenticates members to each other and turns on
 * client authorization. Every connection is TLS (requireTLS), members' and
 * clients' alike; clients log in with SCRAM, so they need the CA, not a
 * certificate of their own.
 */
export function renderMongodConf(input: MongodConfigInput): string {
  const p = input.placement;
  return stringify({
    storage: { dbPath: input.dataDir, wiredTiger: { engineConfig: { cacheSizeGB: input.cacheSizeGb } } },
    net: {
      port: p.port(input.member, 'mongo', MONGO_PORT),
      bindIp: p.bindHost,
      tls: {
        mode: 'requireTLS',
        certificateKeyFile: input.tls.certificateKeyFile,
        CAFile: input.tls.caFile,
        allowConnectionsWithoutCertificates: true,
      },
    },
    replication: { replSetName: input.replicaSet },
    security: { keyFile: input.keyFile },
  });
}

/** Host names as the replica set records them: how members and clients reach each other, never 127.0.0.1 on Docker. */
export function memberHosts(p: Placement, members: readonly string[]): string[] {
  return members.map((m) => `${p.host(m)}:${p.port(m, 'mongo', MONGO_PORT)}`);
}

/** Replica-set connection string without credentials, over TLS (the client trusts the platform CA). */
export function replicaSetUri(hosts: readonly string[], replicaSet: string, database = ''): string {
  return `mongodb://${hosts.join(',')}/${database}?replicaSet=${replicaSet}&authSource=admin&tls=true`;
}

/** A user the init job creates or updates in `admin`, its password read from the env var `passwordEnv`. */
export interface MongoAdminUser {
  readonly user: string;
  readonly passwordEnv: string;
  readonly roles: readonly { readonly role: string; readonly db: string }[];
}

export interface MongoInitInput {
  readonly replicaSet: string;
  /** `host:port` of each data-bearing member, in order; the first holds the root user. */
  readonly members: readonly string[];
  readonly arbiter?: string;
  readonly rootUser: string;
  readonly database: string;
  readonly appUser: string;
  /** Change-stream user for Debezium, limited to the application database. */
  readonly cdcUser?: string;
  /** Collections to create up front, so the connector's snapshot finds them. */
  readonly collections: readonly string[];
  /** Further users, such as the exporters' (mongo-monitoring.ts). */
  readonly adminUsers: readonly MongoAdminUser[];
  readonly timeoutSeconds: number;
  /** The platform CA as the job sees it: every member requires TLS. */
  readonly tlsCAFile: string;
}

/**
 * The mongo-init job (run by `mongosh --nodb`). The image's entrypoint creates
 * the root user on the first member's first start; this script then initiates
 * the replica set with the members' host names, waits until every member is
 * PRIMARY or SECONDARY, and creates or updates the other users. Safe to re-run.
 */
export function renderMongoInit(input: MongoInitInput): string {
  const data = JSON.stringify(input, null, 2);
  return `// Generated; do not edit.
const cfg = ${data};
const env = process.env;
const deadline = Date.now() + cfg.timeoutSeconds * 1000;
const uri = (hosts, extra) =>
  \`mongodb://\${cfg.rootUser}:\${encodeURIComponent(env.${MONGO_PASSWORD_ENV.root})}@\${hosts}/admin?authSource=admin&tls=true&tlsCAFile=\${encodeURIComponent(cfg.tlsCAFile)}&\${extra}\`;

function until(what, attempt) {
  for (;;) {
    let error;
    try {
      const result = attempt();
      if (result) return result;
    } catch (e) {
      error = e;
    }
    if (Date.now() > deadline) throw new Error(\`timed out waiting for \${what}\${error ? \`: \${error.message}\` : ''}\`);
    sleep(2000);
  }
}

// mongosh throws on a failed command; here a failure is an answer.
function tryCommand(db, command) {
  try {
    return db.runCommand(command);
  } catch (e) {
    return { ok: 0, codeName: e.codeName, errmsg: e.message };
  }
}

const seed = until('the first member', () => new Mongo(uri(cfg.members[0], 'directConnection=true')));
const admin = seed.getDB('admin');
const status = tryCommand(admin, { replSetGetStatus: 1 });
if (status.ok !== 1) {
  if (status.codeName !== 'NotYetInitialized') throw new Error(\`replSetGetStatus: \${status.errmsg}\`);
  const members = cfg.members.map((host, i) => ({ _id: i, host }));
  if (cfg.arbiter) members.push({ _id: members.length, host: cfg.arbiter, arbiterOnly: true });
  const res = admin.runCommand({ replSetInitiate: { _id: cfg.replicaSet, members } });
  if (res.ok !== 1) throw new Error(\`replSetInitiate: \${res.errmsg}\`);
  print(\`initiated \${cfg.replicaSet} with \${members.map((m) => m.host).join(', ')}\`);
}
until('every member to be PRIMARY or SECONDARY', () => {
  const s = tryCommand(admin, { replSetGetStatus: 1 });
  return s.ok === 1 && s.members.every((m) => ['PRIMARY', 'SECONDARY', 'ARBITER'].includes(m.stateStr));
});

const rs = new Mongo(uri(cfg.members.join(','), \`replicaSet=\${cfg.replicaSet}\`));
function upsertUser(db, user, pwd, roles) {
  const exists = db.getUser(user) !== null;
  db.runCommand(exists ? { updateUser: user, pwd, roles } : { createUser: user, pwd, roles });
  print(\`\${exists ? 'updated' : 'created'} user \${user} in \${db.getName()}\`);
}
const app = rs.getDB(cfg.database);
for (const name of cfg.collections) {
  if (!app.getCollectionNames().includes(name)) app.createCollection(name);
}
upsertUser(app, cfg.appUser, env.${MONGO_PASSWORD_ENV.app}, [{ role: 'readWrite', db: cfg.database }]);
if (cfg.cdcUser) {
  const radmin = rs.getDB('admin');
  const role = 'cdcCapture';
  const privileges = [
    { resource: { db: cfg.database, collection: '' }, actions: ['find', 'changeStream', 'listCollections'] },
    { resource: { cluster: true }, actions: ['listDatabases'] },
  ];
  const roleExists = radmin.getRole(role) !== null;
  radmin.runCommand(roleExists ? { updateRole: role, privileges, roles: [] } : { createRole: role, privileges, roles: [] });
  upsertUser(radmin, cfg.cdcUser, env.${MONGO_PASSWORD_ENV.cdc}, [role]);
}
for (const u of cfg.adminUsers) upsertUser(rs.getDB('admin'), u.user, env[u.passwordEnv], u.roles);
print('replica set ready');
`;
}

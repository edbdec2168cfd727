import { Construct } from 'constructs';
import { platformOf, monitoringOf } from '../platform/context';
import { OPS_HOST } from '../platform/hosts';
import { IMAGES } from '../platform/images';
import type { Endpoint, ImageRef, NodeSpec } from '../platform/node-spec';
import type { S3Access } from '../platform/object-storage';
import { PLATFORM_CA_PATH } from '../platform/tls';
import { checkInt, checkPinned } from '../platform/validation';
import type { EtcdCluster } from './etcd-cluster';
import type { CdcBootstrap } from './patroni-config';
import { HAPROXY_PORTS, renderHaproxyCfg } from './haproxy-config';
import { PatroniCluster, type PatroniClusterProps } from './patroni-cluster';
import type { PostgresBackupProps, PostgresRestoreProps } from './pgbackrest-config';
import { haproxyMonitoring } from './haproxy-monitoring';
import { PGBOUNCER_ADMIN_USER, PGBOUNCER_PORT, renderPgbouncerIni, renderPgbouncerUserlist } from './pgbouncer-config';
import { PGBOUNCER_STATS_USER, pgbouncerMonitoring } from './pgbouncer-monitoring';

export interface HaproxyProps {
  /** Host port for read-write connections (the leader). @default 5000 */
  readonly primaryHostPort?: number;
  /** Host port for read-only connections (the replicas). @default 5001 */
  readonly replicasHostPort?: number;
  /**
   * Host port of HAProxy's metrics and `/leader` endpoint, which the operations
   * scripts read during a switchover. @default 8404
   */
  readonly metricsHostPort?: number;
  /** Seconds between Patroni REST checks; the leader is found within about 2 × this after a failover. @default 1 */
  readonly checkIntervalSeconds?: number;
  /** @default IMAGES.haproxy */
  readonly image?: ImageRef;
  /** @default 32 */
  readonly memoryMb?: number;
}

export interface PgbouncerProps {
  /** Host port of the pooler. @default 6432 */
  readonly hostPort?: number;
  /** Server connections per database and user. @default 20 */
  readonly poolSize?: number;
  /** @default 1000 */
  readonly maxClientConnections?: number;
  /** @default IMAGES.pgbouncer */
  readonly image?: ImageRef;
  /** @default IMAGES.pgbouncerExporter */
  readonly exporterImage?: ImageRef;
  /** @default 32 */
  readonly memoryMb?: number;
}

export interface PostgresHaProps {
  /** @default 3 members, synchronous mode, see PatroniClusterProps */
  readonly patroni?: PatroniClusterProps;
  /** @default see HaproxyProps */
  readonly haproxy?: HaproxyProps;
  /** @default see PgbouncerProps */
  readonly pgbouncer?: PgbouncerProps;
  /** WAL archiving and base backups with pgBackRest. @default see PostgresBackupProps */
  readonly backup?: PostgresBackupProps;
  /**
   * Bootstrap a new cluster from the backup, stopping at this target, instead
   * of running initdb. Only a cluster that does not exist yet bootstraps: set
   * it for a restore (`npm run restore` does so), remove it afterwards.
   * @default none: a new cluster starts empty
   */
  readonly restore?: PostgresRestoreProps;
}

const HAPROXY_CFG = '/usr/local/etc/haproxy/haproxy.cfg';
const PGBOUNCER_DIR = '/etc/pgbouncer';
const PGBOUNCER_CERT = `${PGBOUNCER_DIR}/tls/server.crt`;
const PGBOUNCER_KEY = `${PGBOUNCER_DIR}/tls/server.key`;

/**
 * Highly available Postgres: Patroni members, HAProxy routing on Patroni's REST
 * health endpoints, and PgBouncer in front with a read-write and a read-only database.
 */
export class PostgresHa extends Construct {
  readonly patroni: PatroniCluster;
  readonly haproxy: NodeSpec;
  readonly pgbouncer: NodeSpec;
  /** Read-write endpoint (HAProxy → leader), as other nodes reach it. */
  readonly readWrite: Endpoint;
  readonly readOnly: Endpoint;

  constructor(
    scope: Construct,
    id: string,
    props: PostgresHaProps & {
      readonly etcd: EtcdCluster;
      readonly cdc?: CdcBootstrap;
      /** How the members reach the object store that holds the backups. */
      readonly objectStore: S3Access;
    },
  ) {
    super(scope, id);
    const platform = platformOf(this);
    const p = platform.placement;
    const router = 'haproxy';
    this.patroni = new PatroniCluster(this, 'patroni', {
      ...props.patroni,
      clientHosts: [p.host(router)],
      etcd: props.etcd,
      objectStore: props.objectStore,
      ...(props.backup ? { backup: props.backup } : {}),
      ...(props.restore ? { restore: props.restore } : {}),
      ...(props.cdc ? { cdc: props.cdc } : {}),
    });

    const h = props.haproxy ?? {};
    const ports = {
      primary: p.port(router, 'primary', HAPROXY_PORTS.primary),
      replicas: p.port(router, 'replicas', HAPROXY_PORTS.replicas),
      metrics: p.port(router, 'metrics', HAPROXY_PORTS.metrics),
    };
    this.readWrite = { host: p.host(router), port: ports.primary };
    this.readOnly = { host: p.host(router), port: ports.replicas };
    const patroniNames = this.patroni.nodes.map((n) => n.name);
    this.haproxy = {
      name: router,
      component: 'haproxy',
      role: 'router',
      image: checkPinned('postgres.haproxy.image', h.image ?? IMAGES.haproxy),
      env: {},
      files: [
        {
          path: HAPROXY_CFG,
          content: renderHaproxyCfg({
            members: this.patroni.nodes.map((n, i) => ({
              name: n.name,
              postgres: this.patroni.postgresEndpoints[i]!,
              restPort: this.patroni.restPorts[i]!,
            })),
            bindHost: p.bindHost,
            ports,
            checkIntervalSeconds: checkInt('postgres.haproxy.checkIntervalSeconds', h.checkIntervalSeconds ?? 1, {
              min: 1,
              max: 30,
            }),
            ...(p.dnsResolver ? { dnsResolver: p.dnsResolver } : {}),
            caFile: p.path(router, PLATFORM_CA_PATH),
          }),
        },
      ],
      ports: [
        // Pass-through: the member behind it does the TLS.
        {
          name: 'primary',
          port: ports.primary,
          hostPort: h.primaryHostPort ?? HAPROXY_PORTS.primary,
          handshake: 'postgres',
        },
        {
          name: 'replicas',
          port: ports.replicas,
          hostPort: h.replicasHostPort ?? HAPROXY_PORTS.replicas,
          handshake: 'postgres',
        },
        {
          name: 'metrics',
          port: ports.metrics,
          hostPort: h.metricsHostPort ?? HAPROXY_PORTS.metrics,
          plaintext: "HAProxy's metrics frontend has no certificate yet (read-only counters)",
        },
      ],
      volumes: [],
      stateful: false,
      // The Debian-based image has bash but neither curl nor wget.
      health: {
        test: [
          'CMD',
          'bash',
          '-c',
          `exec 3<>/dev/tcp/127.0.0.1/${HAPROXY_PORTS.metrics} && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ' 200 ' <&3`,
        ],
      },
      memoryMb: checkInt('postgres.haproxy.memoryMb', h.memoryMb ?? 32, { min: 32 }),
      dependsOn: patroniNames,
      host: OPS_HOST,
    };

    const b = props.pgbouncer ?? {};
    const pooler = 'pgbouncer';
    const poolerPort = p.port(pooler, 'pgbouncer', PGBOUNCER_PORT);
    const s = this.patroni.settings;
    const statsPassword = platform.secret({
      name: 'pgbouncer-stats',
      description: `PgBouncer stats user (${PGBOUNCER_STATS_USER})`,
    });
    const adminPassword = platform.secret({
      name: 'pgbouncer-admin',
      description: `PgBouncer admin console user (${PGBOUNCER_ADMIN_USER}), for PAUSE/RESUME during a switchover`,
    });
    platform.certificate({ node: pooler, hosts: [p.host(pooler)], certPath: PGBOUNCER_CERT, keyPath: PGBOUNCER_KEY });
    this.pgbouncer = {
      name: pooler,
      component: 'pgbouncer',
      role: 'pooler',
      image: checkPinned('postgres.pgbouncer.image', b.image ?? IMAGES.pgbouncer),
      env: {},
      files: [
        {
          path: `${PGBOUNCER_DIR}/pgbouncer.ini`,
          content: renderPgbouncerIni({
            bindHost: p.bindHost,
            port: poolerPort,
            database: s.database,
            readWrite: this.readWrite,
            readOnly: this.readOnly,
            authFile: p.path(pooler, `${PGBOUNCER_DIR}/userlist.txt`),
            maxClientConnections: checkInt('postgres.pgbouncer.maxClientConnections', b.maxClientConnections ?? 1000, {
              min: 10,
            }),
            poolSize: checkInt('postgres.pgbouncer.poolSize', b.poolSize ?? 20, { min: 1, max: s.maxConnections }),
            statsUsers: [PGBOUNCER_STATS_USER],
            adminUsers: [PGBOUNCER_ADMIN_USER],
            tls: {
              certFile: p.path(pooler, PGBOUNCER_CERT),
              keyFile: p.path(pooler, PGBOUNCER_KEY),
              caFile: p.path(pooler, PLATFORM_CA_PATH),
            },
          }),
        },
        {
          path: `${PGBOUNCER_DIR}/userlist.txt`,
          content: renderPgbouncerUserlist([
            { name: s.appUser, password: this.patroni.appPassword },
            { name: PGBOUNCER_STATS_USER, password: statsPassword },
            { name: PGBOUNCER_ADMIN_USER, password: adminPassword },
          ]),
        },
      ],
      ports: [{ name: 'pgbouncer', port: poolerPort, hostPort: b.hostPort ?? PGBOUNCER_PORT, handshake: 'postgres' }],
      volumes: [],
      stateful: false,
      health: { test: ['CMD', 'pg_isready', '-h', '127.0.0.1', '-p', String(PGBOUNCER_PORT)] },
      memoryMb: checkInt('postgres.pgbouncer.memoryMb', b.memoryMb ?? 32, { min: 32 }),
      dependsOn: [router],
      host: OPS_HOST,
      connectsTo: [
        { node: router, port: 'primary' },
        { node: router, port: 'replicas' },
      ],
    };
    platform.addNodes([this.haproxy, this.pgbouncer]);
    const monitoring = monitoringOf(this);
    monitoring.register(haproxyMonitoring(router));
    monitoring.register(
      pgbouncerMonitoring({
        pooler,
        endpoint: { host: p.host(pooler), port: poolerPort },
        statsPassword,
        image: checkPinned('postgres.pgbouncer.exporterImage', b.exporterImage ?? IMAGES.pgbouncerExporter),
        placement: p,
      }),
    );
  }
}

import { Construct } from 'constructs';
import { platformOf } from '../platform/context';
import { IMAGES } from '../platform/images';
import type { ImageRef, NodeSpec } from '../platform/node-spec';
import type { BucketSpec } from '../platform/object-storage';
import { ValidationError, checkInt, checkPinned } from '../platform/validation';
import { MINIO_METRICS_ENV, monitorStorage } from './storage-monitoring';

export interface MinioProps {
  /**
   * Buckets to declare, in addition to those other components declare; in
   * `minio` mode the minio-buckets job creates them all.
   * @default DEFAULT_BUCKETS: cdc-archive, postgres-backups, clickhouse
   */
  readonly buckets?: readonly BucketSpec[];
  /** Host port of the S3 API (127.0.0.1). @default 9000 */
  readonly apiHostPort?: number;
  /** Host port of the web console (127.0.0.1). @default 9001 */
  readonly consoleHostPort?: number;
  /** @default 256 */
  readonly memoryMb?: number;
  /**
   * Upstream publishes no images since 2025-10: this is the last release. Point
   * it at a copy in your own registry if the upstream one is gone.
   * @default IMAGES.minio
   */
  readonly image?: ImageRef;
  /** @default IMAGES.minioClient */
  readonly clientImage?: ImageRef;
}

export const MINIO_PORTS = { api: 9000, console: 9001 } as const;

export const DEFAULT_BUCKETS: readonly BucketSpec[] = [
  { name: 'cdc-archive', description: 'CDC change events archived from Kafka' },
  { name: 'postgres-backups', description: 'Postgres base backups and WAL archive' },
  { name: 'clickhouse', description: 'ClickHouse backups and cold data' },
];

const DATA_DIR = '/data';
/** The platform's bucket names (object-storage.ts), valid on S3 and MinIO alike. */
const BUCKET = /^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$/;
/** Alias the bucket job's `mc` knows the server by (its MC_HOST_<alias> variable). */
const ALIAS = 'platform';

/**
 * Object storage. Declares the buckets; in `minio` mode (the Docker stack) it
 * also runs one MinIO node and the job that creates every declared bucket, so
 * it must be created after the components that declare buckets of their own.
 */
export class MinioStorage extends Construct {
  readonly nodes: readonly NodeSpec[];

  constructor(scope: Construct, id: string, props: MinioProps = {}) {
    super(scope, id);
    const platform = platformOf(this);
    const p = platform.placement;
    const declared = props.buckets ?? DEFAULT_BUCKETS;
    for (const b of declared) {
      if (!BUCKET.test(b.name)) {
        throw new ValidationError(`storage.buckets[${b.name}].name must be 3–42 lower-case letters, digits or '-'`);
      }
      if (declared.filter((d) => d.name === b.name).length > 1) {
        throw new ValidationError(`storage.buckets: '${b.name}' is listed twice`);
      }
      platform.bucket(b);
    }
    if (platform.objectStorage !== 'minio') {
      this.nodes = [];
      return;
    }
    const user = platform.secret({ name: 'minio-root-user', description: 'MinIO root user name' });
    const password = platform.secret({ name: 'minio-root-password', description: 'MinIO root password' });
    const name = 'minio';
    const api = p.port(name, 'api', MINIO_PORTS.api);
    const consolePort = p.port(name, 'console', MINIO_PORTS.console);
    const server: NodeSpec = {
      name,
      component: 'minio',
      role: 'server',
      image: checkPinned('storage.image', props.image ?? IMAGES.minio),
      command: [
        'server',
        p.path(name, DATA_DIR),
        '--address',
        `${p.bindHost}:${api}`,
        '--console-address',
        `${p.bindHost}:${consolePort}`,
      ],
      env: { MINIO_ROOT_USER: user, MINIO_ROOT_PASSWORD: password, ...MINIO_METRICS_ENV },
      files: [],
      ports: [
        { name: 'api', port: api, hostPort: props.apiHostPort ?? MINIO_PORTS.api },
        { name: 'console', port: consolePort, hostPort: props.consoleHostPort ?? MINIO_PORTS.console },
      ],
      volumes: [{ name: 'data', path: DATA_DIR }],
      stateful: true,
      // The image has no curl since 2023-11; upstream's own advice is its bundled client.
      health: { test: ['CMD', 'mc', 'ready', 'local'], startPeriodSeconds: 10 },
      memoryMb: checkInt('storage.memoryMb', props.memoryMb ?? 256, { min: 256 }),
      dependsOn: [],
    };
    const bucketsJob: NodeSpec = {
      name: 'minio-buckets',
      component: 'minio',
      role: 'init',
      image: checkPinned('storage.clientImage', props.clientImage ?? IMAGES.minioClient),
      // The image's entrypoint is `mc`; `--ignore-existing` makes a re-run a no-op.
      command: ['mb', '--ignore-existing', ...platform.buckets.map((b) => `${ALIAS}/${b.name}`)],
      env: { [`MC_HOST_${ALIAS}`]: `http://${user}:${password}@${p.host(name)}:${api}` },
      files: [],
      ports: [],
      volumes: [],
      stateful: false,
      oneShot: true,
      memoryMb: 128,
      dependsOn: [name],
    };
    monitorStorage(this, [server]);
    this.nodes = [server, bucketsJob];
    platform.addNodes(this.nodes);
  }
}

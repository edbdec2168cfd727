import { Construct } from 'constructs';
import { monitoringOf, platformOf } from '../platform/context';
import { IMAGES } from '../platform/images';
import type { ImageRef, NodeSpec } from '../platform/node-spec';
import { checkBucketName, type BucketSpec, type S3Access } from '../platform/object-storage';
import { PLATFORM_CA_PATH } from '../platform/tls';
import { ValidationError, checkInt, checkPinned } from '../platform/validation';
import { renderBucketScript } from './bucket-job';
import { storageMonitoring } from './storage-monitoring';

export interface ObjectStorageProps {
  /**
   * Buckets to declare, in addition to those other components declare; the
   * bucket job creates them all on VersityGW (on S3 the AWS target does).
   * @default DEFAULT_BUCKETS: cdc-archive, postgres-backups, clickhouse
   */
  readonly buckets?: readonly BucketSpec[];
  /** Host port of the S3 API (127.0.0.1). @default 7070 */
  readonly apiHostPort?: number;
  /** Not measured here (no container runs): 200 leaves the default profile room for the backup monitoring. @default 200 */
  readonly memoryMb?: number;
  /** @default IMAGES.versitygw */
  readonly image?: ImageRef;
  /** Image of the bucket job: an AWS CLI v2 whose entrypoint is `aws`. @default IMAGES.awsCli */
  readonly clientImage?: ImageRef;
  /** Image of the health prober (VersityGW has no metrics endpoint). @default IMAGES.blackboxExporter */
  readonly proberImage?: ImageRef;
}

export const VERSITYGW_PORT = 7070;
/** VersityGW's region when none is set; S3 clients sign requests for it. */
export const VERSITYGW_REGION = 'us-east-1';

export const DEFAULT_BUCKETS: readonly BucketSpec[] = [
  { name: 'cdc-archive', description: 'CDC change events archived from Kafka' },
  { name: 'postgres-backups', description: 'Postgres base backups and WAL archive' },
  { name: 'clickhouse', description: 'ClickHouse backups and cold data' },
];

const NAME = 'versitygw';
const DATA_DIR = '/data';
const HEALTH_PATH = '/health';
const SCRIPT = '/etc/dataplatform/create-buckets.sh';
const TLS_CERT = '/etc/versitygw/tls/tls.crt';
const TLS_KEY = '/etc/versitygw/tls/tls.key';

/**
 * Object storage. Declares the buckets, and in `versitygw` mode (the Docker
 * stack, the lab) runs VersityGW, an S3 server over a POSIX directory: each
 * bucket is a folder of its volume and each object a file. `s3` describes how
 * nodes reach the store; the root adds the bucket job with `addBucketJob`
 * once every component has declared its buckets.
 */
export class ObjectStorage extends Construct {
  readonly nodes: NodeSpec[] = [];
  readonly s3: S3Access;
  private readonly clientImage: ImageRef;

  constructor(scope: Construct, id: string, props: ObjectStorageProps = {}) {
    super(scope, id);
    const platform = platformOf(this);
    const declared = props.buckets ?? DEFAULT_BUCKETS;
    for (const b of declared) {
      checkBucketName(`storage.buckets[${b.name}].name`, b.name);
      if (declared.filter((d) => d.name === b.name).length > 1) {
        throw new ValidationError(`storage.buckets: '${b.name}' is listed twice`);
      }
      platform.bucket(b);
    }
    this.clientImage = checkPinned('storage.clientImage', props.clientImage ?? IMAGES.awsCli);
    if (platform.objectStorage !== 'versitygw') {
      this.s3 = {};
      return;
    }
    const p = platform.placement;
    const accessKey = platform.secret({ name: 'versitygw-root-access-key', description: 'VersityGW root access key' });
    const secretKey = platform.secret({ name: 'versitygw-root-secret-key', description: 'VersityGW root secret key' });
    const api = p.port(NAME, 's3', VERSITYGW_PORT);
    this.s3 = {
      endpoint: `${p.host(NAME)}:${api}`,
      region: VERSITYGW_REGION,
      caPath: PLATFORM_CA_PATH,
      credentials: { accessKey, secretKey },
    };
    // HTTPS only: pgBackRest speaks nothing else to S3 and checks the certificate's host name.
    platform.certificate({
      node: NAME,
      hosts: [p.host(NAME)],
      certPath: TLS_CERT,
      keyPath: TLS_KEY,
    });
    const server: NodeSpec = {
      name: NAME,
      component: 'versitygw',
      role: 'server',
      image: checkPinned('storage.image', props.image ?? IMAGES.versitygw),
      // The image's entrypoint hands these to `versitygw`: global flags, then the backend and its folder.
      command: [
        '--port',
        `${p.bindHost}:${api}`,
        '--cert',
        p.path(NAME, TLS_CERT),
        '--key',
        p.path(NAME, TLS_KEY),
        '--health',
        HEALTH_PATH,
        'posix',
        p.path(NAME, DATA_DIR),
      ],
      env: { ROOT_ACCESS_KEY: accessKey, ROOT_SECRET_KEY: secretKey },
      files: [],
      ports: [{ name: 's3', port: api, hostPort: props.apiHostPort ?? VERSITYGW_PORT }],
      volumes: [{ name: 'data', path: DATA_DIR }],
      stateful: true,
      // Alpine base: busybox wget is there, curl is not.
      // The certificate names the node, not 127.0.0.1: the probe checks liveness, not the certificate.
      health: {
        test: [
          'CMD',
          'wget',
          '-q',
          '--no-check-certificate',
          '-O',
          '/dev/null',
          `https://127.0.0.1:${api}${HEALTH_PATH}`,
        ],
      },
      memoryMb: checkInt('storage.memoryMb', props.memoryMb ?? 200, { min: 128 }),
      dependsOn: [],
    };
    this.nodes.push(server);
    platform.addNodes([server]);
    monitoringOf(this).register(
      storageMonitoring({
        server: NAME,
        healthUrl: `https://${p.host(NAME)}:${api}${HEALTH_PATH}`,
        image: checkPinned('storage.proberImage', props.proberImage ?? IMAGES.blackboxExporter),
        placement: p,
      }),
    );
  }

  /**
   * Adds the job that creates every bucket declared so far through the S3 API
   * (VersityGW only; on S3 the target creates them). Called by the root last.
   */
  addBucketJob(): void {
    const platform = platformOf(this);
    const { endpoint, credentials } = this.s3;
    if (!endpoint || !credentials) return;
    const job: NodeSpec = {
      name: 'create-buckets',
      component: 'versitygw',
      role: 'init',
      image: this.clientImage,
      entrypoint: ['bash'],
      command: [SCRIPT],
      env: {
        AWS_ACCESS_KEY_ID: credentials.accessKey,
        AWS_SECRET_ACCESS_KEY: credentials.secretKey,
        AWS_DEFAULT_REGION: VERSITYGW_REGION,
        AWS_CA_BUNDLE: platform.placement.path('create-buckets', PLATFORM_CA_PATH),
      },
      files: [
        {
          path: SCRIPT,
          content: renderBucketScript({
            endpoint: `https://${endpoint}`,
            buckets: platform.buckets.map((b) => b.name),
          }),
          mode: '0755',
        },
      ],
      ports: [],
      volumes: [],
      stateful: false,
      oneShot: true,
      memoryMb: 128,
      dependsOn: [NAME],
    };
    this.nodes.push(job);
    platform.addNodes([job]);
  }
}

import { ValidationError, checkInt } from './validation';

/**
 * Where buckets live: `versitygw`, an S3 server node inside the platform (the
 * Docker stack and the lab), or `s3`, the cloud store the AWS target provides.
 * The mode is a platform setting chosen by the stack, like the placement; every
 * component declares the buckets it needs through `bucket()`, whichever store
 * holds them.
 */
export type ObjectStorageMode = 'versitygw' | 's3';

export interface BucketSpec {
  /** Lower-case name, unique in the platform, e.g. `cdc-archive`. Targets may prefix it. */
  readonly name: string;
  /** What the bucket holds; shown in the docs and as a tag. */
  readonly description: string;
  /** Nodes that read and write the bucket (granted access where the store has its own access control). @default none */
  readonly users?: readonly string[];
  /**
   * Key prefix, ending in '/', that the users may read and write (on S3 their
   * role is scoped to it); one component's backups then cannot touch another's.
   * @default the whole bucket
   */
  readonly prefix?: string;
  /** Objects expire this many days after they are written (an S3 lifecycle rule): the retention of what the bucket holds. @default never */
  readonly expireAfterDays?: number;
}

const PREFIX = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*\/$/;

/** Merges a second declaration of a bucket into the first: users add up; a prefix or expiry must agree where both set one. */
export function mergeBucket(known: BucketSpec | undefined, spec: BucketSpec): BucketSpec {
  const setting = `buckets[${spec.name}]`;
  if (spec.prefix !== undefined && !PREFIX.test(spec.prefix)) {
    throw new ValidationError(
      `${setting}.prefix '${spec.prefix}' must be lower-case path segments ending in '/', e.g. 'pg-ha/'`,
    );
  }
  if (spec.expireAfterDays !== undefined)
    checkInt(`${setting}.expireAfterDays`, spec.expireAfterDays, { min: 1, max: 36500 });
  for (const key of ['prefix', 'expireAfterDays'] as const) {
    if (known?.[key] !== undefined && spec[key] !== undefined && known[key] !== spec[key]) {
      throw new ValidationError(
        `${setting}.${key} is declared as both '${known[key]}' and '${spec[key]}': one bucket per prefix and retention, give each its own bucket`,
      );
    }
  }
  const users = [...new Set([...(known?.users ?? []), ...(spec.users ?? [])])];
  const prefix = known?.prefix ?? spec.prefix;
  const expireAfterDays = known?.expireAfterDays ?? spec.expireAfterDays;
  return {
    ...(known ?? spec),
    users,
    ...(prefix !== undefined ? { prefix } : {}),
    ...(expireAfterDays !== undefined ? { expireAfterDays } : {}),
  };
}

/** 3–42 characters leave room for a target's prefix within S3's 63. Dots are out: they break TLS to virtual-hosted buckets. */
const NAME = /^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$/;
/** Prefixes and suffixes S3 reserves (S3 user guide, "General purpose bucket naming rules"). */
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '--x-s3', '--table-s3'];

/** Returns `name` if S3 (and so every store here) accepts it as a bucket name; otherwise throws naming `setting`. */
export function checkBucketName(setting: string, name: string): string {
  const reserved = RESERVED_PREFIXES.find((p) => name.startsWith(p)) ?? RESERVED_SUFFIXES.find((s) => name.endsWith(s));
  if (!NAME.test(name) || reserved) {
    throw new ValidationError(
      `${setting} '${name}' is not a bucket name S3 accepts: use 3–42 lower-case letters, digits or '-', ` +
        `starting and ending with a letter or digit` +
        (reserved ? ` ('${reserved}' is reserved by S3)` : ''),
    );
  }
  return name;
}

/** How a node reaches the object store with an S3 client. */
export interface S3Access {
  /** `host:port` of the platform's own S3 server. @default none: the cloud store the target provides (AWS S3) */
  readonly endpoint?: string;
  /** Region requests are signed for. @default the target's region */
  readonly region?: string;
  /**
   * Path, inside every node, of the CA the server's certificate is checked
   * against (the platform CA, see tls.ts). The endpoint always speaks HTTPS.
   * @default none: the system's CAs (AWS S3)
   */
  readonly caPath?: string;
  /** Secret placeholders of the key pair. @default none: the node's instance role */
  readonly credentials?: { readonly accessKey: string; readonly secretKey: string };
}

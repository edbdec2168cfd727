/**
 * Object storage is either MinIO nodes inside the platform or a cloud store
 * (S3) that a target provides. The mode is a platform setting chosen by the
 * stack, like the placement: the storage component adds MinIO nodes only in
 * `minio` mode, and every component declares the buckets it needs through
 * `DataPlatform.bucket`, whichever store holds them.
 */
export type ObjectStorageMode = 'minio' | 's3';

export interface BucketSpec {
  /** Lower-case name, unique in the platform, e.g. `cdc-archive`. Targets may prefix it. */
  readonly name: string;
  /** What the bucket holds; shown in the docs and as a tag. */
  readonly description: string;
  /** Nodes that read and write the bucket (granted access where the store has its own access control). @default none */
  readonly users?: readonly string[];
}

const NAME = /^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$/;

export function checkBucketName(name: string): string {
  if (!NAME.test(name)) throw new Error(`bucket name '${name}' must match ${NAME}`);
  return name;
}

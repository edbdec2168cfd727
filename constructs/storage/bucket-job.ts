import { shellLine } from '../platform/shell-words';

export interface BucketJobInput {
  /** `http://host:port` of the S3 API. */
  readonly endpoint: string;
  readonly buckets: readonly string[];
}

/**
 * The bucket job's script, for the AWS CLI (v2 in the container, Debian's v2.9
 * in the lab). It creates each bucket the store does not list yet, so a re-run
 * converges. The endpoint is a flag, not AWS_ENDPOINT_URL: CLI releases before
 * 2.13 ignore that variable. Credentials and region come from the environment.
 */
export function renderBucketScript(input: BucketJobInput): string {
  const aws = shellLine(['aws', '--endpoint-url', input.endpoint, 's3api']);
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    // The server is healthy before the job starts; the loop covers a slow first answer.
    'for attempt in $(seq 1 30); do',
    `  existing=$(${aws} list-buckets --query 'Buckets[].Name' --output text) && break`,
    `  if [[ $attempt == 30 ]]; then echo ${shellLine([`no answer from the object store at ${input.endpoint}`])} >&2; exit 1; fi`,
    '  sleep 2',
    'done',
    `for bucket in ${shellLine(input.buckets)}; do`,
    '  if [[ " $existing " == *[[:space:]]"$bucket"[[:space:]]* ]]; then echo "bucket $bucket exists"; continue; fi',
    `  ${aws} create-bucket --bucket "$bucket" >/dev/null`,
    '  echo "bucket $bucket created"',
    'done',
    '',
  ].join('\n');
}

import { renderSchedulerScript } from '../platform/backup-scheduler';
import { backupPushUrl } from '../platform/backup-status';
import type { Placement } from '../platform/placement';
import type { WeeklySchedule } from '../platform/schedule';
import { shellLine } from '../platform/shell-words';

/** The bucket and key prefix of the ClickHouse backups (one folder per backup, named by its UTC time). */
export const CLICKHOUSE_BUCKET = 'clickhouse';
export const CLICKHOUSE_BACKUP_PREFIX = 'backups/';
export const CLICKHOUSE_SCHEDULER_PATH = '/etc/dataplatform/backup-scheduler.sh';
export const CLICKHOUSE_HEARTBEAT = '/tmp/backup-scheduler.alive';
/** The S3 keys reach the statement through these (VersityGW); without them the server's own credentials apply (AWS). */
export const S3_KEY_ENV = { accessKey: 'BACKUP_S3_ACCESS_KEY', secretKey: 'BACKUP_S3_SECRET_KEY' } as const;

const quoteString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** `BACKUP DATABASE … TO S3(url[, key, secret])`: a full backup of the database, run by the server itself. */
export function backupStatement(database: string, url: string, keys?: { key: string; secret: string }): string {
  return `BACKUP DATABASE \`${database}\` TO S3(${[url, ...(keys ? [keys.key, keys.secret] : [])].map(quoteString).join(', ')})`;
}

/** Restores the database from one backup, under another name so the live one is untouched until swapped. */
export function restoreStatement(
  database: string,
  as: string,
  url: string,
  keys?: { key: string; secret: string },
): string {
  return `RESTORE DATABASE \`${database}\` AS \`${as}\` FROM S3(${[url, ...(keys ? [keys.key, keys.secret] : [])].map(quoteString).join(', ')})`;
}

export interface ClickHouseSchedulerInput {
  readonly database: string;
  readonly schedule: WeeklySchedule;
  /** `https://host:port/clickhouse` (VersityGW, path-style) or the bucket's S3 URL. */
  readonly bucketUrl: string;
  /** Whether the S3 keys come from S3_KEY_ENV (VersityGW) rather than the server's role. */
  readonly withKeys: boolean;
  /** clickhouse-client arguments that reach the server as the platform user (password from the env). */
  readonly client: readonly string[];
  readonly passwordEnv: string;
  readonly placement: Placement;
}

/**
 * The scheduler run beside ClickHouse on one replica: each run backs the CDC
 * database up into a new folder, so every backup is full and independent.
 * The statement is built in bash because the folder name is the run's time.
 */
export function renderClickHouseScheduler(input: ClickHouseSchedulerInput): string {
  const url = `${input.bucketUrl}/${CLICKHOUSE_BACKUP_PREFIX}${input.database}/$(date -u +%Y%m%dT%H%M%SZ)`;
  const keys = input.withKeys ? `, '$${S3_KEY_ENV.accessKey}', '$${S3_KEY_ENV.secretKey}'` : '';
  const statement = `BACKUP DATABASE \\\`${input.database}\\\` TO S3('${url}'${keys})`;
  return renderSchedulerScript({
    backups: [
      {
        type: 'full',
        schedule: input.schedule,
        command: ['bash', '-c', `${shellLine(input.client)} --password "$${input.passwordEnv}" --query "${statement}"`],
        pushUrl: backupPushUrl(input.placement, 'clickhouse', 'full'),
      },
    ],
    timeoutSeconds: 6 * 3600,
    heartbeatFile: CLICKHOUSE_HEARTBEAT,
    http: 'wget',
  });
}

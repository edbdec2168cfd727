import { stringify } from 'ini';
import { checkWeeklySchedule } from '../platform/schedule';
import { ValidationError, checkInt } from '../platform/validation';

/** Backup settings of the Postgres cluster (`postgres.backup`). */
export interface PostgresBackupProps {
  /**
   * Seconds after which Postgres closes a WAL segment that has any writes, so it
   * is archived: the bound on what a loss of every member can cost (RPO).
   * @default 60
   */
  readonly archiveTimeoutSeconds?: number;
  /** Full backups kept; older ones expire with the WAL they need. @default 2 */
  readonly retentionFull?: number;
  /** Differential backups kept per full backup. @default 7 */
  readonly retentionDiff?: number;
  /** When full backups run on the leader: weekly cron in UTC (platform/schedule.ts). @default '0 3 * * 0' (Sundays, 03:00) */
  readonly fullSchedule?: string;
  /** When differential backups run; a minute both name runs the full only. @default '0 3 * * 1-6' (other days, 03:00) */
  readonly differentialSchedule?: string;
}

export type BackupSettings = Required<PostgresBackupProps>;

export function resolveBackupSettings(props: PostgresBackupProps = {}): BackupSettings {
  return {
    // Below 10 s every idle-ish minute costs several 16 MiB segments; above an hour the RPO is no longer a bound.
    archiveTimeoutSeconds: checkInt('postgres.backup.archiveTimeoutSeconds', props.archiveTimeoutSeconds ?? 60, {
      min: 10,
      max: 3600,
    }),
    retentionFull: checkInt('postgres.backup.retentionFull', props.retentionFull ?? 2, { min: 1, max: 100 }),
    retentionDiff: checkInt('postgres.backup.retentionDiff', props.retentionDiff ?? 7, { min: 1, max: 100 }),
    fullSchedule: checkWeeklySchedule('postgres.backup.fullSchedule', props.fullSchedule ?? '0 3 * * 0').expression,
    differentialSchedule: checkWeeklySchedule(
      'postgres.backup.differentialSchedule',
      props.differentialSchedule ?? '0 3 * * 1-6',
    ).expression,
  };
}

/** pgBackRest reads the repository keys from these, so no key is ever written to pgbackrest.conf. */
export const PGBACKREST_KEY_ENV = {
  accessKey: 'PGBACKREST_REPO1_S3_KEY',
  secretKey: 'PGBACKREST_REPO1_S3_KEY_SECRET',
} as const;

export interface PgBackRestInput {
  /** The Patroni scope: one stanza per cluster. */
  readonly stanza: string;
  readonly pgDataDir: string;
  readonly pgPort: number;
  readonly pgSocketDir: string;
  readonly repo: {
    /** Host of the S3 endpoint; pgBackRest always speaks TLS to it and checks its certificate. */
    readonly host: string;
    readonly port: number;
    readonly region: string;
    readonly bucket: string;
    /** CA (or self-signed certificate) the endpoint's certificate is checked against. @default the system's CAs */
    readonly caFile?: string;
    /** `shared`: keys from PGBACKREST_KEY_ENV; `auth`: the instance role (AWS). */
    readonly keyType: 'shared' | 'auth';
  };
  /** Directory for logs, locks and the archive spool. */
  readonly workDir: string;
  readonly settings: BackupSettings;
}

/** pgbackrest.conf: one S3 repository under /<stanza> in the bucket, path-style (VersityGW and S3 alike). */
export function renderPgBackRestConf(input: PgBackRestInput): string {
  const { repo, settings } = input;
  return stringify({
    global: {
      'repo1-type': 's3',
      'repo1-s3-endpoint': repo.host,
      'repo1-storage-port': repo.port,
      'repo1-s3-region': repo.region,
      'repo1-s3-bucket': repo.bucket,
      'repo1-s3-uri-style': 'path',
      'repo1-s3-key-type': repo.keyType,
      ...(repo.caFile ? { 'repo1-storage-ca-file': repo.caFile } : {}),
      'repo1-path': `/${input.stanza}`,
      'repo1-retention-full': settings.retentionFull,
      'repo1-retention-diff': settings.retentionDiff,
      'compress-type': 'zst',
      // A checkpoint at once, not spread over checkpoint_timeout: the backup starts when asked.
      'start-fast': 'y',
      // Archive pushes return at once and ship from the spool, so a slow store never stalls commits.
      'archive-async': 'y',
      'spool-path': `${input.workDir}/spool`,
      'lock-path': `${input.workDir}/lock`,
      // pgBackRest does not create a log folder; its console output (stderr) lands in the
      // Postgres log from archive_command, and the async archiver reports through the spool.
      'log-level-console': 'warn',
      'log-level-file': 'off',
    },
    [input.stanza]: {
      'pg1-path': input.pgDataDir,
      'pg1-port': input.pgPort,
      'pg1-socket-path': input.pgSocketDir,
    },
  });
}

/** The Postgres parameters that archive every WAL segment through pgBackRest. */
export function archiveParameters(
  stanza: string,
  configPath: string,
  settings: BackupSettings,
): { archive_mode: 'on'; archive_command: string; archive_timeout: number } {
  return {
    archive_mode: 'on',
    archive_command: `pgbackrest --config=${configPath} --stanza=${stanza} archive-push %p`,
    archive_timeout: settings.archiveTimeoutSeconds,
  };
}

/** What a replica or a restored cluster fetches missing WAL with. */
export function restoreCommand(stanza: string, configPath: string): string {
  return `pgbackrest --config=${configPath} --stanza=${stanza} archive-get %f "%p"`;
}

/**
 * Where a restore stops (`postgres.restore`): exactly one of a time, a restore
 * point made with `pg_create_restore_point`, or the end of the archived WAL.
 */
export interface PostgresRestoreProps {
  /** ISO 8601 time with a zone, e.g. `2026-12-01T13:05:00.250Z`; not in the future. @default not a time target */
  readonly time?: string;
  /** A restore point name. @default not a named target */
  readonly name?: string;
  /** Replay every archived WAL segment. @default false */
  readonly latest?: boolean;
}

export type RestoreTarget =
  | { readonly kind: 'time'; readonly time: string }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'latest' };

const ISO_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)$/;
/** What pg_create_restore_point accepts (up to 63 bytes), narrowed to characters no config format quotes. */
const RESTORE_POINT = /^[A-Za-z0-9_.-]{1,63}$/;

/**
 * Checks a restore request; `setting` is the path named in errors
 * (`postgres.restore` at synth, `--to`/`--name` for the restore command).
 */
export function resolveRestoreTarget(
  props: PostgresRestoreProps,
  now: Date,
  setting = { time: 'postgres.restore.time', name: 'postgres.restore.name', all: 'postgres.restore' },
): RestoreTarget {
  const given = [props.time !== undefined, props.name !== undefined, props.latest === true].filter(Boolean).length;
  if (given !== 1) {
    throw new ValidationError(
      `${setting.all} needs exactly one of a time, a restore point name or latest (got ${given})`,
    );
  }
  if (props.time !== undefined) {
    const at = Date.parse(props.time.replace(' ', 'T'));
    if (!ISO_TIME.test(props.time) || Number.isNaN(at)) {
      throw new ValidationError(
        `${setting.time} '${props.time}' is not an ISO 8601 time with a zone, e.g. 2026-12-01T13:05:00Z`,
      );
    }
    if (at > now.getTime()) {
      throw new ValidationError(
        `${setting.time} '${props.time}' is in the future: a restore target must be at or before now (${now.toISOString()})`,
      );
    }
    return { kind: 'time', time: props.time };
  }
  if (props.name !== undefined) {
    if (!RESTORE_POINT.test(props.name)) {
      throw new ValidationError(
        `${setting.name} '${props.name}' must be 1–63 letters, digits, '_', '.' or '-' (a pg_create_restore_point name)`,
      );
    }
    return { kind: 'name', name: props.name };
  }
  return { kind: 'latest' };
}

/** Recovery settings Patroni writes for the restored cluster's first start; they stop replay at the target. */
export function recoveryTargetSettings(target: RestoreTarget): Record<string, string> {
  const stop: Record<string, string> =
    target.kind === 'time'
      ? { recovery_target_time: target.time }
      : target.kind === 'name'
        ? { recovery_target_name: target.name }
        : {};
  // Promote at the target (not pause), so Patroni sees a leader and the replicas re-seed from it.
  return { ...stop, recovery_target_timeline: 'latest', recovery_target_action: 'promote' };
}

/**
 * The pgBackRest restore that fills an empty data directory. The target is
 * given to pgBackRest too, only so it picks the last backup before it; the
 * recovery settings it writes are replaced by Patroni's (recoveryTargetSettings).
 */
export function restoreArgs(stanza: string, configPath: string, target: RestoreTarget): string[] {
  // pgBackRest refuses --target-action without a target (seen in the lab's whole-cluster-loss drill).
  const type =
    target.kind === 'time'
      ? ['--type=time', `--target=${target.time.replace('T', ' ').replace(/Z$/, '+00')}`, '--target-action=promote']
      : target.kind === 'name'
        ? ['--type=name', `--target=${target.name}`, '--target-action=promote']
        : ['--type=default'];
  return ['pgbackrest', `--config=${configPath}`, `--stanza=${stanza}`, ...type, 'restore'];
}

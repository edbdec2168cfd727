import { renderSchedulerScript } from '../platform/backup-scheduler';
import { backupPushUrl } from '../platform/backup-status';
import type { Placement } from '../platform/placement';
import { checkWeeklySchedule, type WeeklySchedule } from '../platform/schedule';
import type { BackupSettings } from './pgbackrest-config';

/** Where the scheduler script and its heartbeat are in every Patroni member. */
export const BACKUP_SCHEDULER_PATH = '/etc/dataplatform/backup-scheduler.sh';
export const BACKUP_HEARTBEAT = '/tmp/backup-scheduler.alive';

/** Full first: when both fall on one minute the full runs (pgBackRest would also turn a diff without a full into one). */
export function postgresBackupSchedules(
  settings: BackupSettings,
): readonly { readonly type: 'full' | 'diff'; readonly schedule: WeeklySchedule }[] {
  return [
    { type: 'full', schedule: checkWeeklySchedule('postgres.backup.fullSchedule', settings.fullSchedule) },
    {
      type: 'diff',
      schedule: checkWeeklySchedule('postgres.backup.differentialSchedule', settings.differentialSchedule),
    },
  ];
}

/**
 * Days after which S3 may expire repository objects: pgBackRest expires backups
 * itself (retentionFull), so the lifecycle rule only catches what it leaves
 * behind. It must outlast the oldest full kept and the WAL since: one more full
 * interval than the retention, and a day.
 */
export function postgresRepoExpiryDays(settings: BackupSettings): number {
  const fullGap = postgresBackupSchedules(settings)[0]!.schedule.maxGapSeconds;
  return Math.ceil(((settings.retentionFull + 1) * fullGap) / 86400) + 1;
}

export interface PostgresSchedulerInput {
  readonly stanza: string;
  /** pgbackrest.conf as the member sees it. */
  readonly configPath: string;
  readonly settings: BackupSettings;
  /** Patroni's REST port inside the member: `/primary` answers 200 on the leader only. */
  readonly restPort: number;
  /** The name the member's REST certificate carries; curl resolves it to loopback. */
  readonly restHost: string;
  /** The platform CA, as the member sees it. */
  readonly caPath: string;
  readonly placement: Placement;
}

/**
 * The scheduler every member runs beside Patroni: a backup is due on all of
 * them, and only the leader takes it (pgBackRest backs up the server it runs
 * beside, so it must be the leader's data directory, wherever the leader is now).
 */
export function renderPostgresScheduler(input: PostgresSchedulerInput): string {
  const p = input.placement;
  return renderSchedulerScript({
    backups: postgresBackupSchedules(input.settings).map((b) => ({
      ...b,
      command: ['pgbackrest', `--config=${input.configPath}`, `--stanza=${input.stanza}`, `--type=${b.type}`, 'backup'],
      pushUrl: backupPushUrl(p, 'postgres', b.type),
    })),
    onlyIf: [
      ...['curl', '-fsS', '-o', '/dev/null', '--cacert', input.caPath],
      ...[
        '--resolve',
        `${input.restHost}:${input.restPort}:127.0.0.1`,
        `https://${input.restHost}:${input.restPort}/primary`,
      ],
    ],
    // A full backup of a large cluster takes hours; a run longer than a day is stuck.
    timeoutSeconds: 86400,
    heartbeatFile: BACKUP_HEARTBEAT,
    http: 'curl',
  });
}

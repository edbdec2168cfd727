import type { AlertRule } from './monitoring-registry';
import type { Placement } from './placement';
import { combinedMaxGapSeconds, overdueAfterSeconds, type WeeklySchedule } from './schedule';

/**
 * How backup jobs report success, and the alert on a backup that is overdue.
 *
 * No exporter knows when a backup last succeeded for all three tools (pgBackRest,
 * mongodump, ClickHouse BACKUP), so each job pushes one gauge to a Prometheus
 * Pushgateway after it succeeds: the Pushgateway is Prometheus' own answer for
 * the outcome of batch jobs, and it keeps the value after the job exits. The
 * monitoring component runs it (monitoring/nodes.ts); components only push.
 */
export const PUSHGATEWAY_NODE = 'pushgateway';
export const PUSHGATEWAY_PORT = 9091;
/** Unix time of the last successful backup, labelled `backup` (the component) and `type` (full, diff, dump…). */
export const BACKUP_METRIC = 'dataplatform_backup_last_success_timestamp_seconds';

/** The Pushgateway URL a job pushes its metric to (grouping key job=backup, backup, type); HTTPS (monitoring/backup-status.ts). */
export function backupPushUrl(p: Placement, backup: string, type: string): string {
  const port = p.port(PUSHGATEWAY_NODE, 'http', PUSHGATEWAY_PORT);
  return `https://${p.host(PUSHGATEWAY_NODE)}:${port}/metrics/job/backup/backup/${backup}/type/${type}`;
}

/** The body a job pushes: the metric at the time of success. */
export const BACKUP_PUSH_BODY = `${BACKUP_METRIC} $(date +%s)`;

function human(seconds: number): string {
  return seconds % 86400 === 0 ? `${seconds / 86400} d` : `${Math.round(seconds / 3600)} h`;
}

/**
 * `<Title>BackupOverdue`: the last successful backup of `backup` (of any type
 * listed) is older than its schedule allows, or none was recorded since the
 * Pushgateway started that long ago (a backup that never ran must page too).
 */
export function backupOverdueRule(
  title: string,
  backup: string,
  schedules: readonly { readonly type: string; readonly schedule: WeeklySchedule }[],
): AlertRule {
  const sel = `job="pushgateway", backup="${backup}"`;
  const limit = (s: WeeklySchedule) => overdueAfterSeconds(s.maxGapSeconds);
  const any = overdueAfterSeconds(combinedMaxGapSeconds(schedules.map((s) => s.schedule)));
  // A type on a sparser schedule (weekly full beside daily diff) is also checked on its own.
  const ages = schedules
    .filter((s) => limit(s.schedule) > any)
    .map((s) => `time() - max(${BACKUP_METRIC}{${sel}, type="${s.type}"}) > ${limit(s.schedule)}`);
  const never = `time() - max(process_start_time_seconds{job="pushgateway"}) > ${any} unless on () count(${BACKUP_METRIC}{${sel}})`;
  return {
    alert: `${title}BackupOverdue`,
    expr: [`time() - max(${BACKUP_METRIC}{${sel}}) > ${any}`, ...ages, never].map((e) => `(${e})`).join(' or '),
    for: '10m',
    severity: 'critical',
    summary: `A scheduled ${title} backup is overdue: the last one succeeded {{ $value | humanizeDuration }} ago`,
    description:
      `${schedules.map((s) => `${s.type} backups run on '${s.schedule.expression}' (UTC), overdue after ${human(limit(s.schedule))}`).join('; ')}. ` +
      'No recent backup means a restore would lose everything since the last one. The scheduler log on the nodes says why.',
  };
}

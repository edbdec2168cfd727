import { Cron } from 'croner';
import { ValidationError } from './validation';

/**
 * A backup schedule: a standard 5-field cron expression in UTC that repeats
 * every week (day-of-month and month are `*`), so the scheduler in each
 * container can run it from a list of minutes of the week with nothing but
 * bash and `date` (no cron daemon, which none of the images has).
 */
export interface WeeklySchedule {
  readonly expression: string;
  /** Minutes of the week it fires at, as `date -u +%u%H%M` prints them (ISO weekday, hour, minute), e.g. `70300`. */
  readonly minutes: readonly string[];
  /** The longest time between two runs, in seconds: what the backup-age alert allows (plus a margin). */
  readonly maxGapSeconds: number;
}

/** A Monday (2027-01-04, UTC): the week the runs are listed over. */
const WEEK_START = Date.UTC(2027, 0, 4);
const WEEK_MS = 7 * 24 * 3600 * 1000;
const NICKNAMES = ['@hourly', '@daily', '@midnight', '@weekly'];
/** Runs closer than this would overlap any real backup. */
const MIN_GAP_SECONDS = 15 * 60;

/** Parses `expression` with croner, or throws naming `setting` and the accepted forms. */
export function checkWeeklySchedule(setting: string, expression: string): WeeklySchedule {
  const fail = (why: string): never => {
    throw new ValidationError(
      `${setting} '${expression}' ${why}: use a 5-field cron expression in UTC (minute hour * * weekday, ` +
        `e.g. '0 3 * * 0' for Sundays at 03:00) or ${NICKNAMES.join(', ')}, with runs at least 15 minutes apart`,
    );
  };
  const fields = expression.trim().split(/\s+/);
  if (expression.startsWith('@') ? !NICKNAMES.includes(expression) : fields.length !== 5) {
    fail('is not a weekly cron schedule');
  }
  if (fields.length === 5 && (fields[2] !== '*' || fields[3] !== '*')) {
    fail('sets a day of the month or a month (only weekly schedules are supported)');
  }
  let cron: Cron;
  try {
    cron = new Cron(expression, { paused: true, timezone: 'UTC', mode: '5-part' });
  } catch (e) {
    return fail(`is not valid cron (${(e as Error).message})`);
  }
  // Every run of one week, one at a time: a week holds at most 7 × 24 × 4 runs 15 minutes apart.
  const runs: Date[] = [];
  for (let at = cron.nextRun(new Date(WEEK_START - 60_000)); at && +at < WEEK_START + WEEK_MS; at = cron.nextRun(at)) {
    if (runs.push(at) > 7 * 24 * 4) fail('fires more often than every 15 minutes');
  }
  if (runs.length === 0) fail('never fires');
  const pad = (n: number) => String(n).padStart(2, '0');
  const minutes = runs.map((d) => `${d.getUTCDay() || 7}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`);
  if (Math.min(...gapsSeconds(minutes)) < MIN_GAP_SECONDS) fail('fires more often than every 15 minutes');
  return { expression, minutes, maxGapSeconds: Math.max(...gapsSeconds(minutes)) };
}

/** Seconds between consecutive runs of one week (the last to the next week's first included). */
function gapsSeconds(minutes: readonly string[]): number[] {
  const at = [...new Set(minutes)]
    .map((m) => (Number(m[0]) - 1) * 1440 + Number(m.slice(1, 3)) * 60 + Number(m.slice(3)))
    .sort((a, b) => a - b);
  return at.map((t, i) => (i === 0 ? t + 7 * 1440 - at[at.length - 1]! : t - at[i - 1]!) * 60);
}

/** The longest time without a run of any of `schedules`, in seconds. */
export function combinedMaxGapSeconds(schedules: readonly WeeklySchedule[]): number {
  return Math.max(...gapsSeconds(schedules.flatMap((s) => s.minutes)));
}

/** Seconds since the last run after which a backup is overdue: the gap plus a quarter of it (at least an hour) for the run itself. */
export function overdueAfterSeconds(maxGapSeconds: number): number {
  return maxGapSeconds + Math.max(3600, maxGapSeconds / 4);
}

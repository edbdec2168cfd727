import { BACKUP_PUSH_BODY } from './backup-status';
import type { WeeklySchedule } from './schedule';
import { shellLine } from './shell-words';
import { PLATFORM_CA_PATH } from './tls';

export interface ScheduledBackup {
  /** `full`, `diff`, `dump`…: the `type` label of the pushed metric. */
  readonly type: string;
  readonly schedule: WeeklySchedule;
  /** The backup command; it must exit 0 only when the backup is complete. */
  readonly command: readonly string[];
  /** Pushgateway URL of this backup's metric (backupPushUrl). */
  readonly pushUrl: string;
}

export interface SchedulerInput {
  /** In order of precedence: when two fall on one minute, only the first runs (a full covers a diff). */
  readonly backups: readonly ScheduledBackup[];
  /** A command that must succeed for a backup to run here, e.g. "this member leads". @default always run */
  readonly onlyIf?: readonly string[];
  /** Seconds a backup may take before it is killed. */
  readonly timeoutSeconds: number;
  /** Touched every tick: the node's health check reads its age (SCHEDULER_HEALTH). */
  readonly heartbeatFile: string;
  /** HTTP client present in the image, for the push. */
  readonly http: 'curl' | 'wget';
  /**
   * CA file the push checks the Pushgateway's certificate with, as the node sees it.
   * @default PLATFORM_CA_PATH (a container path: the lab runs no Pushgateway)
   */
  readonly caFile?: string;
}

/**
 * The backup scheduler: a bash loop that checks the minute of the week every
 * 20 s and runs the backup due, then pushes its success. Nothing but bash,
 * coreutils and curl or wget, so it runs in the component's own image.
 */
export function renderSchedulerScript(input: SchedulerInput): string {
  // POST replaces this metric in its group (job, backup, type) and leaves the rest. HTTPS, checked against the CA.
  const ca = shellLine([input.caFile ?? PLATFORM_CA_PATH]);
  const push =
    input.http === 'curl'
      ? `curl -fsS --cacert ${ca} --data-binary @- "$2"`
      : `wget -q -O /dev/null --ca-certificate=${ca} --post-file=/dev/stdin "$2"`;
  const lines = [
    '#!/bin/bash',
    'set -uo pipefail',
    'log() { echo "$(date -u +%FT%TZ) backup-scheduler: $*" >&2; }',
    `push() { echo "${BACKUP_PUSH_BODY}" | ${push} || log "could not record the $1 backup at $2"; }`,
    'run() {',
    '  local type=$1 url=$2; shift 2',
    ...(input.onlyIf
      ? [
          `  if ! ${shellLine(input.onlyIf)} >/dev/null 2>&1; then log "$type backup due, not run: this node does not qualify"; return; fi`,
        ]
      : []),
    '  log "$type backup starting"',
    `  if timeout ${input.timeoutSeconds} "$@"; then push "$type" "$url"; log "$type backup done"; else log "$type backup FAILED (exit $?)"; fi`,
    '}',
    // In the background, so the heartbeat goes on during a long backup; none starts beside a running one.
    'start() {',
    '  if [[ -n ${pid:-} ]] && kill -0 "$pid" 2>/dev/null; then log "$1 backup due, skipped: the previous one still runs"; return; fi',
    '  run "$@" &',
    '  pid=$!',
    '}',
    ...input.backups.map((b, i) => `due_${i}=" ${b.schedule.minutes.join(' ')} "`),
    'last=""',
    'while true; do',
    `  touch ${shellLine([input.heartbeatFile])}`,
    '  now=$(date -u +%u%H%M)',
    '  if [[ $now != "$last" ]]; then',
    '    last=$now',
    ...input.backups.map(
      (b, i) =>
        `    ${i === 0 ? 'if' : 'elif'} [[ $due_${i} == *" $now "* ]]; then start ${b.type} ${shellLine([b.pushUrl])} ${shellLine(b.command)}`,
    ),
    '    fi',
    '  fi',
    '  sleep 20',
    'done',
    '',
  ];
  return lines.join('\n');
}

/** Health check of a scheduler node: its loop touched the heartbeat within two minutes. */
export function schedulerHealth(heartbeatFile: string): readonly string[] {
  return ['CMD', 'bash', '-c', `[[ $(( $(date +%s) - $(stat -c %Y ${heartbeatFile}) )) -lt 120 ]]`];
}

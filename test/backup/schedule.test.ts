import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderSchedulerScript } from '../../constructs/platform/backup-scheduler';
import { BACKUP_METRIC } from '../../constructs/platform/backup-status';
import { checkWeeklySchedule, combinedMaxGapSeconds } from '../../constructs/platform/schedule';
import { ValidationError } from '../../constructs/platform/validation';
import { dockerPlatform } from '../helpers';

describe('weekly backup schedules', () => {
  it('lists the minutes of the week a schedule fires at, and its longest gap', () => {
    expect(checkWeeklySchedule('s', '0 3 * * 0')).toEqual({
      expression: '0 3 * * 0',
      minutes: ['70300'],
      maxGapSeconds: 7 * 86400,
    });
    const diff = checkWeeklySchedule('s', '0 3 * * 1-6');
    expect(diff.minutes).toEqual(['10300', '20300', '30300', '40300', '50300', '60300']);
    // Saturday to Monday.
    expect(diff.maxGapSeconds).toBe(2 * 86400);
    expect(checkWeeklySchedule('s', '@daily').minutes).toHaveLength(7);
    expect(checkWeeklySchedule('s', '*/30 * * * *').maxGapSeconds).toBe(1800);
    expect(combinedMaxGapSeconds([checkWeeklySchedule('s', '0 3 * * 0'), diff])).toBe(86400);
  });

  it.each([
    ['bad', /is not a weekly cron schedule/],
    ['0 3 * *', /is not a weekly cron schedule/],
    ['0 0 3 * * *', /is not a weekly cron schedule/],
    ['61 3 * * *', /is not valid cron \(.*minute/],
    ['0 3 1 * *', /sets a day of the month or a month/],
    ['0 3 * 6 *', /sets a day of the month or a month/],
    ['* * * * *', /fires more often than every 15 minutes/],
    ['@monthly', /is not a weekly cron schedule/],
  ])('rejects %j, naming the setting and the accepted forms', (expr, why) => {
    expect(() => checkWeeklySchedule('mongo.backup.schedule', expr)).toThrow(ValidationError);
    expect(() => checkWeeklySchedule('mongo.backup.schedule', expr)).toThrow(why);
    expect(() => checkWeeklySchedule('mongo.backup.schedule', expr)).toThrow(
      /^mongo\.backup\.schedule '.*' .*: use a 5-field cron expression in UTC \(minute hour \* \* weekday.*at least 15 minutes apart$/,
    );
  });

  it.each([
    [
      { mongo: { backup: { schedule: '0 3 31 * *' } } },
      /mongo\.backup\.schedule '0 3 31 \* \*' sets a day of the month/,
    ],
    [{ clickhouse: { backup: { schedule: 'daily' } } }, /clickhouse\.backup\.schedule 'daily' is not a weekly cron/],
  ])('rejects a malformed component schedule at synth: %j', (settings, message) => {
    expect(() => dockerPlatform(settings)).toThrow(ValidationError);
    expect(() => dockerPlatform(settings)).toThrow(message);
  });
});

const run = promisify(execFile);

/** Runs the rendered scheduler with `date +%u%H%M` pinned to a due minute, for three ticks. */
async function runScheduler(opts: { onlyIf?: string[]; command: string[] }) {
  const dir = mkdtempSync(join(tmpdir(), 'dp-scheduler-'));
  const pushes: { url: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      pushes.push({ url: req.url ?? '', body });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  writeFileSync(
    join(dir, 'date'),
    `#!/bin/bash\nif [[ "$*" == *'%u%H%M'* ]]; then echo 70300; else exec /bin/date "$@"; fi\n`,
    { mode: 0o755 },
  );
  // Ends the loop after three ticks; the backup runs in the background and is waited for below.
  writeFileSync(
    join(dir, 'sleep'),
    `#!/bin/bash\necho x >> ${dir}/ticks\n[[ $(wc -l < ${dir}/ticks) -ge 3 ]] && kill $PPID\n/bin/sleep 0.2\n`,
    { mode: 0o755 },
  );
  const script = renderSchedulerScript({
    backups: [
      {
        type: 'full',
        schedule: checkWeeklySchedule('s', '0 3 * * 0'),
        command: opts.command,
        pushUrl: `http://127.0.0.1:${port}/metrics/job/backup/backup/test/type/full`,
      },
      { type: 'diff', schedule: checkWeeklySchedule('s', '0 3 * * *'), command: ['false'], pushUrl: 'http://x' },
    ],
    ...(opts.onlyIf ? { onlyIf: opts.onlyIf } : {}),
    timeoutSeconds: 10,
    heartbeatFile: join(dir, 'alive'),
    http: 'curl',
  });
  writeFileSync(join(dir, 'scheduler.sh'), script, { mode: 0o755 });
  const result = await run('timeout', ['20', 'bash', join(dir, 'scheduler.sh')], {
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
  }).catch((e: { stderr: string }) => ({ stderr: e.stderr }));
  // The background backup and its push finish within a second or two.
  for (let i = 0; i < 25 && !/backup (done|FAILED)|not run/.test(result.stderr + readLog(dir)); i++) {
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 300));
  server.close();
  return { dir, pushes, log: result.stderr, heartbeat: existsSync(join(dir, 'alive')) };
}

function readLog(dir: string): string {
  return existsSync(join(dir, 'ran')) ? readFileSync(join(dir, 'ran'), 'utf8') : '';
}

describe('the rendered backup scheduler (bash, a fake clock)', () => {
  it('runs the backup due once, first in precedence, and pushes its success time', async () => {
    const r = await runScheduler({ command: ['bash', '-c', 'exit 0'] });
    expect(r.heartbeat).toBe(true);
    expect(r.log).toContain('full backup starting');
    expect(r.log).not.toContain('diff backup');
    expect(r.pushes, r.log).toHaveLength(1);
    expect(r.pushes[0]!.url).toBe('/metrics/job/backup/backup/test/type/full');
    const [name, value] = r.pushes[0]!.body.trim().split(' ');
    expect(name).toBe(BACKUP_METRIC);
    expect(Math.abs(Number(value) - Date.now() / 1000)).toBeLessThan(60);
  }, 30_000);

  it('pushes nothing when the backup fails (negative control)', async () => {
    const r = await runScheduler({ command: ['bash', '-c', 'exit 3'] });
    expect(r.log).toContain('full backup FAILED (exit 3)');
    expect(r.pushes).toHaveLength(0);
  }, 30_000);

  it('runs nothing on a node that does not qualify (a replica)', async () => {
    const r = await runScheduler({ onlyIf: ['false'], command: ['bash', '-c', 'exit 0'] });
    expect(r.log).toContain('full backup due, not run');
    expect(r.log).not.toContain('starting');
    expect(r.pushes).toHaveLength(0);
  }, 30_000);
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CLICKHOUSE_SCHEDULER_PATH,
  backupStatement,
  restoreStatement,
} from '../../constructs/clickhouse/clickhouse-backup';
import { haveTools } from '../real-tools/tools';
import { chdbPython } from '../streaming/chdb';
import { dockerPlatform, file, node } from '../helpers';

/** chDB's parser on one statement: the AST's first line, or the error. */
function parse(sql: string): string {
  const run = spawnSync(
    chdbPython!,
    [
      '-c',
      'import chdb,sys\ntry: print(str(chdb.query("EXPLAIN AST " + sys.argv[1], "CSV")).splitlines()[0])\nexcept Exception as e: print("ERROR", e)',
      sql,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
  return run.stdout.trim();
}

const platform = dockerPlatform();
const replica1 = node(platform, 'clickhouse-1');
const script = file(replica1, CLICKHOUSE_SCHEDULER_PATH);

/** The statement the scheduler's backup command sends, with a fake clickhouse-client that prints its query. */
function scheduledStatement(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dp-ch-'));
  writeFileSync(
    join(dir, 'clickhouse-client'),
    '#!/bin/bash\nwhile [[ $# -gt 0 ]]; do [[ $1 == --query ]] && echo "$2"; shift; done\n',
    {
      mode: 0o755,
    },
  );
  const line = script.split('\n').find((l) => l.includes('then start full'))!;
  const command = line.slice(line.indexOf(' bash -c ') + ' bash -c '.length);
  // The words as the scheduler's bash reads them, then the command they make.
  writeFileSync(join(dir, 'cmd.sh'), `set -- ${command}\nbash -c "$1"\n`);
  const run = spawnSync('bash', [join(dir, 'cmd.sh')], {
    encoding: 'utf8',
    env: {
      PATH: `${dir}:${process.env.PATH}`,
      BACKUP_S3_ACCESS_KEY: 'AK',
      BACKUP_S3_SECRET_KEY: 'SK',
      CLICKHOUSE_PLATFORM_PASSWORD: 'pw',
    },
  });
  return run.stdout.trim();
}

describe('ClickHouse backups', () => {
  it('runs the scheduler beside replica 1 only, before the image entrypoint', () => {
    expect(replica1.entrypoint).toEqual([
      'bash',
      '-c',
      `bash ${CLICKHOUSE_SCHEDULER_PATH} & exec /entrypoint.sh "$@"`,
      'clickhouse-1',
    ]);
    expect(node(platform, 'clickhouse-2').entrypoint).toBeUndefined();
    expect(script).toContain('https://pushgateway:9091/metrics/job/backup/backup/clickhouse/type/full');
    // The push checks the Pushgateway's certificate against the platform CA.
    expect(script).toContain('--ca-certificate=/etc/dataplatform/tls/ca.crt');
    expect(platform.buckets.find((b) => b.name === 'clickhouse')).toMatchObject({
      users: ['clickhouse-1'],
      prefix: 'backups/',
      expireAfterDays: 14,
    });
  });

  it('sends one BACKUP of the CDC database into a new folder named by the time, keys from the env', () => {
    expect(scheduledStatement()).toMatch(
      /^BACKUP DATABASE `cdc` TO S3\('https:\/\/versitygw:7070\/clickhouse\/backups\/cdc\/\d{8}T\d{6}Z', 'AK', 'SK'\)$/,
    );
  });

  it('rejects a retention below 1 day, naming the setting', () => {
    expect(() => dockerPlatform({ clickhouse: { backup: { retentionDays: 0 } } })).toThrow(
      /clickhouse\.backup\.retentionDays/,
    );
  });
});

describe.runIf(haveTools({ chdb: chdbPython }))('ClickHouse (chDB 26.9) parses the backup SQL', () => {
  it('accepts the statement the scheduler sends', () => {
    expect(parse(scheduledStatement())).toBe('"BackupQuery (children 1)"');
  });

  it('accepts BACKUP and RESTORE as rendered, and refuses a misspelt one (negative control)', () => {
    const url = 'https://versitygw:7070/clickhouse/backups/cdc/20270103T023000Z';
    expect(parse(backupStatement('cdc', url, { key: 'AK', secret: "se'cret" }))).toBe('"BackupQuery (children 1)"');
    expect(parse(restoreStatement('cdc', 'cdc_restored', url))).toBe('"RestoreQuery (children 1)"');
    expect(parse(backupStatement('cdc', url).replace('DATABASE', 'DATABSE'))).toMatch(/^ERROR .*Syntax error/);
  });
});

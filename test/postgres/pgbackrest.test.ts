import { parse } from 'ini';
import { describe, expect, it } from 'vitest';
import {
  archiveParameters,
  renderPgBackRestConf,
  resolveBackupSettings,
  restoreCommand,
} from '../../constructs/postgres/pgbackrest-config';

const settings = resolveBackupSettings();
const input = {
  stanza: 'pg-ha',
  pgDataDir: '/home/postgres/pgdata/pgroot/data',
  pgPort: 5432,
  pgSocketDir: '/home/postgres/pgdata',
  repo: { host: 'versitygw', port: 7070, region: 'us-east-1', bucket: 'postgres-backups', keyType: 'shared' as const },
  workDir: '/home/postgres/pgdata/pgbackrest',
  settings,
};

describe('pgBackRest config', () => {
  it('defaults: archive_timeout 60 s, 2 full and 7 differential backups kept', () => {
    expect(settings).toEqual({
      archiveTimeoutSeconds: 60,
      retentionFull: 2,
      retentionDiff: 7,
      fullSchedule: '0 3 * * 0',
      differentialSchedule: '0 3 * * 1-6',
    });
  });

  it('renders one S3 repository under /<stanza>, path-style, with no key in the file', () => {
    const conf = renderPgBackRestConf(input);
    const ini = parse(conf);
    expect(ini.global).toMatchObject({
      'repo1-type': 's3',
      'repo1-s3-endpoint': 'versitygw',
      'repo1-storage-port': '7070',
      'repo1-s3-bucket': 'postgres-backups',
      'repo1-s3-uri-style': 'path',
      'repo1-s3-key-type': 'shared',
      'repo1-path': '/pg-ha',
      'repo1-retention-full': '2',
      'repo1-retention-diff': '7',
      'archive-async': 'y',
    });
    expect(ini['pg-ha']).toEqual({
      'pg1-path': '/home/postgres/pgdata/pgroot/data',
      'pg1-port': '5432',
      'pg1-socket-path': '/home/postgres/pgdata',
    });
    expect(conf).not.toMatch(/repo1-s3-key=|key-secret/);
    expect(conf).not.toContain('"'); // pgBackRest would read quotes literally
  });

  it('checks the endpoint against a CA file when given one', () => {
    const conf = parse(renderPgBackRestConf({ ...input, repo: { ...input.repo, caFile: '/etc/pgbackrest/ca.crt' } }));
    expect(conf.global['repo1-storage-ca-file']).toBe('/etc/pgbackrest/ca.crt');
  });

  it('archives through pgBackRest and restores WAL from it', () => {
    expect(archiveParameters('pg-ha', '/etc/pgbackrest/pgbackrest.conf', settings)).toEqual({
      archive_mode: 'on',
      archive_command: 'pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=pg-ha archive-push %p',
      archive_timeout: 60,
    });
    expect(restoreCommand('pg-ha', '/c')).toBe('pgbackrest --config=/c --stanza=pg-ha archive-get %f "%p"');
  });
});

describe('backup settings validation', () => {
  it.each([0, 9, 3601, 1.5])('rejects archiveTimeoutSeconds %s', (archiveTimeoutSeconds) => {
    expect(() => resolveBackupSettings({ archiveTimeoutSeconds })).toThrow(
      /postgres\.backup\.archiveTimeoutSeconds must be an integer between 10 and 3600/,
    );
  });

  it.each([0, -1])('rejects a retention below 1 (%s)', (n) => {
    expect(() => resolveBackupSettings({ retentionFull: n })).toThrow(
      /postgres\.backup\.retentionFull must be an integer between 1 and 100/,
    );
    expect(() => resolveBackupSettings({ retentionDiff: n })).toThrow(
      /postgres\.backup\.retentionDiff must be an integer between 1 and 100/,
    );
  });

  it('accepts the bounds (negative control)', () => {
    expect(resolveBackupSettings({ archiveTimeoutSeconds: 10, retentionFull: 1, retentionDiff: 1 })).toEqual({
      fullSchedule: '0 3 * * 0',
      differentialSchedule: '0 3 * * 1-6',
      archiveTimeoutSeconds: 10,
      retentionFull: 1,
      retentionDiff: 1,
    });
    expect(resolveBackupSettings({ archiveTimeoutSeconds: 3600 }).archiveTimeoutSeconds).toBe(3600);
  });
});

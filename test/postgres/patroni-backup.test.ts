import { parse as parseIni } from 'ini';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveRestoreTarget } from '../../constructs/postgres/pgbackrest-config';
import { dockerPlatform, file, node } from '../helpers';

const yml = (p: ReturnType<typeof dockerPlatform>, member = 'patroni-1') =>
  parse(file(node(p, member), '/etc/patroni/patroni.yml'));

describe('Patroni members archive WAL and can bootstrap from the backup', () => {
  const platform = dockerPlatform();

  it('each member has pgbackrest.conf for the stanza of its cluster, over HTTPS to VersityGW, checked against the platform CA', () => {
    for (const member of ['patroni-1', 'patroni-2', 'patroni-3']) {
      const conf = parseIni(file(node(platform, member), '/etc/pgbackrest/pgbackrest.conf'));
      expect(conf.global).toMatchObject({
        'repo1-s3-endpoint': 'versitygw',
        'repo1-storage-port': '7070',
        'repo1-s3-bucket': 'postgres-backups',
        'repo1-storage-ca-file': '/etc/dataplatform/tls/ca.crt',
        'repo1-s3-key-type': 'shared',
        'repo1-path': '/pg-ha',
      });
      expect(conf['pg-ha']['pg1-path']).toBe('/home/postgres/pgdata/pgroot/data');
    }
    expect(node(platform, 'patroni-1').env).toMatchObject({
      PGBACKREST_REPO1_S3_KEY: '{{secret:versitygw-root-access-key}}',
      PGBACKREST_REPO1_S3_KEY_SECRET: '{{secret:versitygw-root-secret-key}}',
    });
    expect(platform.buckets.find((b) => b.name === 'postgres-backups')?.users).toEqual([
      'patroni-1',
      'patroni-2',
      'patroni-3',
    ]);
  });

  it('archives from whichever member leads: archive_mode on (primary only) in every member’s local parameters', () => {
    for (const member of ['patroni-1', 'patroni-2']) {
      expect(yml(platform, member).postgresql.parameters).toMatchObject({
        archive_mode: 'on',
        archive_command: 'pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=pg-ha archive-push %p',
        archive_timeout: 60,
      });
    }
    expect(
      dockerPlatform({ postgres: { backup: { archiveTimeoutSeconds: 30 } } }).postgres.patroni.backupSettings,
    ).toMatchObject({ archiveTimeoutSeconds: 30 });
  });

  it('bootstraps with initdb and the post-bootstrap script unless a restore is asked for', () => {
    const b = yml(platform).bootstrap;
    expect(b.method).toBeUndefined();
    expect(b.pgbackrest).toBeUndefined();
    expect(b.post_bootstrap).toBe('/etc/patroni/post-bootstrap.sh');
  });

  it('with postgres.restore.time: the custom method pgbackrest, recovery settings from the renderer, no post-bootstrap', () => {
    const restored = dockerPlatform({ postgres: { restore: { time: '2026-01-02T03:04:05.123456Z' } } });
    const b = yml(restored).bootstrap;
    expect(b.method).toBe('pgbackrest');
    expect(b.post_bootstrap).toBeUndefined();
    expect(b.pgbackrest).toEqual({
      command:
        "pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=pg-ha --type=time '--target=2026-01-02 03:04:05.123456+00' --target-action=promote restore",
      no_params: true,
      keep_existing_recovery_conf: false,
      recovery_conf: {
        restore_command: 'pgbackrest --config=/etc/pgbackrest/pgbackrest.conf --stanza=pg-ha archive-get %f "%p"',
        recovery_target_time: '2026-01-02T03:04:05.123456Z',
        recovery_target_timeline: 'latest',
        recovery_target_action: 'promote',
      },
    });
  });

  it('with a restore point name or latest', () => {
    const named = yml(dockerPlatform({ postgres: { restore: { name: 'before-migration' } } })).bootstrap.pgbackrest;
    expect(named.command).toContain('--type=name --target=before-migration');
    expect(named.recovery_conf.recovery_target_name).toBe('before-migration');
    const latest = yml(dockerPlatform({ postgres: { restore: { latest: true } } })).bootstrap.pgbackrest;
    expect(latest.command).toContain('--type=default');
    // pgBackRest refuses a target action without a target (the lab's whole-cluster-loss drill failed on it).
    expect(latest.command).not.toContain('--target-action');
    expect(named.command).toContain('--target-action=promote');
    expect(Object.keys(latest.recovery_conf)).not.toContain('recovery_target_time');
  });
});

describe('restore target validation', () => {
  const now = new Date('2026-12-01T12:00:00Z');

  it.each([
    [{}, /postgres\.restore needs exactly one of a time, a restore point name or latest \(got 0\)/],
    [{ time: '2026-01-01T00:00:00Z', latest: true }, /needs exactly one .*\(got 2\)/],
    [{ time: 'yesterday' }, /postgres\.restore\.time 'yesterday' is not an ISO 8601 time with a zone/],
    [{ time: '2026-01-01T00:00:00' }, /is not an ISO 8601 time with a zone/],
    [{ time: '2026-13-01T00:00:00Z' }, /is not an ISO 8601 time with a zone/],
    [
      { time: '2026-12-01T12:00:01Z' },
      /postgres\.restore\.time '.*' is in the future: .* at or before now \(2026-12-01T12:00:00.000Z\)/,
    ],
    [{ name: "it's" }, /postgres\.restore\.name 'it's' must be 1–63 letters, digits/],
    [{ name: 'x'.repeat(64) }, /must be 1–63/],
  ])('rejects %j', (props, message) => {
    expect(() => resolveRestoreTarget(props, now)).toThrow(message);
  });

  it('accepts a past time, a name, latest (negative control)', () => {
    expect(resolveRestoreTarget({ time: '2026-12-01T12:00:00+01:00' }, now)).toEqual({
      kind: 'time',
      time: '2026-12-01T12:00:00+01:00',
    });
    expect(resolveRestoreTarget({ name: 'pre-drop_1.0' }, now)).toEqual({ kind: 'name', name: 'pre-drop_1.0' });
    expect(resolveRestoreTarget({ latest: true }, now)).toEqual({ kind: 'latest' });
  });

  it('fails synth naming the setting', () => {
    expect(() => dockerPlatform({ postgres: { restore: { time: '2999-01-01T00:00:00Z' } } })).toThrow(
      /postgres\.restore\.time '2999-01-01T00:00:00Z' is in the future/,
    );
  });
});

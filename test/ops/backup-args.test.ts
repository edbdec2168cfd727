import { describe, expect, it } from 'vitest';
import { parseBackupArgs, parseRestoreArgs } from '../../scripts/ops/backup-args';

const now = new Date('2026-12-01T12:00:00Z');

describe('npm run backup arguments', () => {
  it('now (full by default, or --type), list', () => {
    expect(parseBackupArgs({ _: ['now'] })).toEqual({ command: 'now', type: 'full' });
    expect(parseBackupArgs({ _: ['now'], type: 'incr' })).toEqual({ command: 'now', type: 'incr' });
    expect(parseBackupArgs({ _: ['list'] })).toEqual({ command: 'list' });
  });

  it.each([
    [{ _: ['now'], type: 'weekly' }, /--type must be one of full, diff, incr \(got 'weekly'\)/],
    [{ _: ['later'] }, /backup: the command must be now or list \(got 'later'\)/],
    [{ _: [] }, /the command must be now or list \(got ''\)/],
    [{ _: ['list', 'x'] }, /unexpected argument 'x'/],
  ])('refuses %j', (args, message) => {
    expect(() => parseBackupArgs(args)).toThrow(message);
  });
});

describe('npm run restore arguments', () => {
  it('--to, --name, --latest', () => {
    expect(parseRestoreArgs({ _: [], to: '2026-12-01T11:59:00Z' }, now)).toEqual({
      kind: 'time',
      time: '2026-12-01T11:59:00Z',
    });
    expect(parseRestoreArgs({ _: [], name: 'pre-drop' }, now)).toEqual({ kind: 'name', name: 'pre-drop' });
    expect(parseRestoreArgs({ _: [], latest: true }, now)).toEqual({ kind: 'latest' });
  });

  it.each([
    [
      { _: [], to: '2026-12-01T12:00:30Z' },
      /--to '2026-12-01T12:00:30Z' is in the future: .*at or before now \(2026-12-01T12:00:00.000Z\)/,
    ],
    [{ _: [], to: '1 Dec 2026' }, /--to '1 Dec 2026' is not an ISO 8601 time with a zone/],
    [{ _: [], to: '2026-12-01T11:00:00' }, /--to .* is not an ISO 8601 time with a zone/],
    [{ _: [], to: true }, /--to needs a value/],
    [{ _: [] }, /--to, --name and --latest: needs exactly one .*\(got 0\)/],
    [{ _: [], latest: true, name: 'x' }, /needs exactly one .*\(got 2\)/],
    [{ _: [], name: 'a b' }, /--name 'a b' must be 1–63 letters/],
    [{ _: ['now'], latest: true }, /unexpected argument 'now'/],
  ])('refuses %j before touching anything', (args, message) => {
    expect(() => parseRestoreArgs(args, now)).toThrow(message);
  });

  it('refuses a time before the oldest backup, naming the valid range', () => {
    expect(() =>
      parseRestoreArgs({ _: [], to: '2026-12-01T10:00:00Z' }, now, new Date('2026-12-01T11:00:00Z')),
    ).toThrow(
      /--to '2026-12-01T10:00:00Z' is before the oldest backup: it must be between 2026-12-01T11:00:00.000Z and now/,
    );
    expect(parseRestoreArgs({ _: [], to: '2026-12-01T11:30:00Z' }, now, new Date('2026-12-01T11:00:00Z')).kind).toBe(
      'time',
    );
  });
});

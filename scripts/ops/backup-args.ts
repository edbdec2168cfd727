/**
 * The arguments of `npm run backup` and `npm run restore`, checked before
 * anything is touched: each error names the argument and what is accepted.
 */
import { ValidationError } from '../../constructs/platform/validation';
import { resolveRestoreTarget, type RestoreTarget } from '../../constructs/postgres/pgbackrest-config';

export const BACKUP_TYPES = ['full', 'diff', 'incr'] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

export type BackupRequest = { readonly command: 'now'; readonly type: BackupType } | { readonly command: 'list' };

/** minimist-style arguments, as zx's argv gives them. */
export interface Args {
  readonly _: readonly unknown[];
  readonly [flag: string]: unknown;
}

export function parseBackupArgs(args: Args): BackupRequest {
  const [command, ...rest] = args._.map(String);
  if (rest.length) throw new ValidationError(`backup: unexpected argument '${rest[0]}': use now or list`);
  if (command === 'list') return { command: 'list' };
  if (command !== 'now') throw new ValidationError(`backup: the command must be now or list (got '${command ?? ''}')`);
  const type = String(args.type ?? 'full');
  if (!(BACKUP_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(`--type must be one of ${BACKUP_TYPES.join(', ')} (got '${type}')`);
  }
  return { command: 'now', type: type as BackupType };
}

/**
 * `--to <ISO time>`, `--name <restore point>` or `--latest`: exactly one. The
 * time must lie between the end of the oldest backup (`earliest`, when known)
 * and now; a restore cannot reach back before its first backup.
 */
export function parseRestoreArgs(args: Args, now: Date, earliest?: Date): RestoreTarget {
  if (args._.length) throw new ValidationError(`restore: unexpected argument '${String(args._[0])}'`);
  for (const flag of ['to', 'name'] as const) {
    if (args[flag] === true || args[flag] === '') throw new ValidationError(`--${flag} needs a value`);
  }
  const target = resolveRestoreTarget(
    {
      ...(args.to !== undefined ? { time: String(args.to) } : {}),
      ...(args.name !== undefined ? { name: String(args.name) } : {}),
      ...(args.latest ? { latest: true } : {}),
    },
    now,
    { time: '--to', name: '--name', all: 'restore: --to, --name and --latest:' },
  );
  if (target.kind === 'time' && earliest && Date.parse(target.time.replace(' ', 'T')) < earliest.getTime()) {
    throw new ValidationError(
      `--to '${target.time}' is before the oldest backup: it must be between ${earliest.toISOString()} and now (${now.toISOString()})`,
    );
  }
  return target;
}

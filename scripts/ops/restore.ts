#!/usr/bin/env -S npx tsx
/**
 * Point-in-time restore of the Postgres cluster from its backups:
 *   npm run restore -- --to <ISO time> | --name <restore point> | --latest
 * Options: --target lab|local|aws (default lab), --lab-root DIR.
 * Every argument is checked, against the clock and the repository's oldest
 * backup, before anything is stopped. Only the lab is supported so far: on
 * Docker and AWS set `postgres.restore`, stop the members, `patronictl remove`
 * the cluster, empty the data volumes and apply (see README).
 */
import { argv, chalk } from 'zx';
import { currentLabRoot } from '../chaos/target';
import { parseRestoreArgs } from './backup-args';
import { LabBackups, describe } from './pg-backup-lab';

const log = (m: string) => console.log(`${chalk.dim(new Date().toISOString().slice(11, 23))} ${m}`);

async function main(): Promise<number> {
  const { target: which = 'lab', 'lab-root': labRoot, ...flags } = argv;
  parseRestoreArgs(flags as typeof argv, new Date()); // the clock check needs no lab
  if (String(which) !== 'lab') {
    throw new Error(`restore: --target ${String(which)} is not supported yet: see README "Backup and restore"`);
  }
  const backups = new LabBackups((labRoot as string | undefined) ?? currentLabRoot(), log);
  const list = await backups.list();
  if (!list.length) throw new Error("restore: the repository has no backup yet: run 'npm run backup -- now' first");
  const target = parseRestoreArgs(flags as typeof argv, new Date(), new Date(list[0]!.stop));
  log(`restore ${describe(target)} from ${list.length} backup(s), the oldest ${list[0]!.label}`);
  const r = await backups.restore(target);
  log(
    `restore done: writes accepted after ${((r.writableAt - r.startedAt) / 1000).toFixed(1)} s (RTO), ` +
      `every member streaming after ${((r.steadyAt - r.startedAt) / 1000).toFixed(1)} s`,
  );
  return 0;
}

process.exit(
  await main().catch((e: Error) => {
    console.error(chalk.red(e.message));
    return e.name === 'ValidationError' ? 2 : 1;
  }),
);

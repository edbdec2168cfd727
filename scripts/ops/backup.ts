#!/usr/bin/env -S npx tsx
/**
 * Postgres backups from the topology manifest:
 *   npm run backup -- now [--type full|diff|incr]   a base backup from the current leader
 *   npm run backup -- list                          the repository's backups
 * Options: --target lab|local|aws (default lab), --lab-root DIR.
 * Only the lab is supported so far; on local and aws the command says so.
 */
import { argv, chalk } from 'zx';
import { currentLabRoot } from '../chaos/target';
import { parseBackupArgs } from './backup-args';
import { LabBackups } from './pg-backup-lab';

const log = (m: string) => console.log(`${chalk.dim(new Date().toISOString().slice(11, 23))} ${m}`);

async function main(): Promise<number> {
  const request = parseBackupArgs(argv);
  const target = String(argv.target ?? 'lab');
  if (target !== 'lab') {
    throw new Error(
      `backup: --target ${target} is not supported yet: on Docker and AWS the scheduled backups run on the members; ` +
        `this command drives the lab only`,
    );
  }
  const backups = new LabBackups((argv['lab-root'] as string | undefined) ?? currentLabRoot(), log);
  if (request.command === 'now') {
    const b = await backups.backupNow(request.type);
    log(`backup ${b.label} (${b.type}) done in ${((b.stop - b.start) / 1000).toFixed(0)} s`);
    return 0;
  }
  const list = await backups.list();
  if (!list.length) console.log('no backups yet');
  for (const b of list) {
    console.log(
      `${b.label}  ${b.type.padEnd(5)} ${new Date(b.start).toISOString()} → ${new Date(b.stop).toISOString()}`,
    );
  }
  return 0;
}

process.exit(
  await main().catch((e: Error) => {
    console.error(chalk.red(e.message));
    return e.name === 'ValidationError' ? 2 : 1;
  }),
);

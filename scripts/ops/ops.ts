#!/usr/bin/env -S npx tsx
/**
 * Operator commands against a deployed platform or the lab, from the topology
 * manifest (as the chaos scripts). `npm run ops -- --help` lists them.
 */
import { argv, chalk } from 'zx';
import { LEASE_MS, ROLLING_COMPONENTS, WHOLE_WITHIN_SECONDS, type RollingComponent } from './limits';

function help(): string {
  return `Usage: npm run ops -- <command> [options]

Commands:
  switchover               planned Patroni switchover that clients do not notice: PgBouncer PAUSE,
                           switchover, wait until HAProxy routes read-write to the new leader alone,
                           RESUME. Exits 1 naming the step that failed (the pool is resumed first).
    --candidate NAME       member to promote (default: the sync standby)
    --max-pause S          longest the pool may stay paused, 2–60 s (default 8). Killed or frozen,
                           the command's watchdog resumes the pool within ${LEASE_MS} ms; Ctrl-C resumes it at once

  rolling-restart <${ROLLING_COMPONENTS.join('|')}>
                           restart a component's nodes one at a time (an orderly stop and start by the
                           target's driver), each only once the component is whole again (at most
                           ${WHOLE_WITHIN_SECONDS} s per node): kafka with full ISR and the active controller last;
                           connect with every connector and task RUNNING; patroni replicas first, then
                           the zero-error switchover, then the old leader; etcd with every member healthy

Options:
  --target lab|local|aws   what to act on (default: lab); local and aws read \`terraform output\`
  --lab-root DIR           a lab other than the one 'npm run lab -- up' started
  --help                   this text
`;
}

async function main(): Promise<number> {
  const [command] = argv._.map(String);
  if (argv.help || !command) {
    console.log(help());
    return argv.help ? 0 : 2;
  }
  const component = String(argv._[1] ?? '');
  if (command === 'rolling-restart' && !(ROLLING_COMPONENTS as readonly string[]).includes(component)) {
    console.error(`rolling-restart needs one of ${ROLLING_COMPONENTS.join(', ')} (got '${component}')`);
    return 2;
  }
  if (command !== 'switchover' && command !== 'rolling-restart') {
    console.error(`unknown command '${command}': see --help`);
    return 2;
  }
  // Loaded only now: the clients and drivers take seconds to load, --help and bad arguments none.
  const [{ loadTarget }, { rollingRestart }, { zeroErrorSwitchover }] = await Promise.all([
    import('../chaos/target'),
    import('./rolling-restart'),
    import('./switchover'),
  ]);
  const { target, driver } = await loadTarget(String(argv.target ?? 'lab'), argv['lab-root'] as string | undefined);
  const log = (m: string) => console.log(`${chalk.dim(new Date().toISOString().slice(11, 23))} ${m}`);
  if (command === 'switchover') {
    await zeroErrorSwitchover(target, {
      ...(argv.candidate ? { candidate: String(argv.candidate) } : {}),
      ...(argv['max-pause'] !== undefined ? { maxPauseSeconds: Number(argv['max-pause']) } : {}),
      log,
      onPaused: (pid) => log(`paused (watchdog pid ${pid})`),
    });
    return 0;
  }
  await rollingRestart({ ...target, driver, log }, component as RollingComponent);
  log(`rolling restart of ${component} done`);
  return 0;
}

// Exit at once: a failed step may leave a connection or the watchdog's pipe open, and closing
// that pipe is what tells the watchdog to resume.
process.exit(
  await main().catch((e: Error) => {
    console.error(chalk.red(e.message));
    return 1;
  }),
);

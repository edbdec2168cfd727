/**
 * The pause watchdog's process (started by watchdog.ts, never by hand). It
 * lives in a session of its own, so Ctrl-C in the operator's terminal does not
 * reach it, and holds its own admin console connection, opened before the
 * pause. It RESUMEs the pool when, after `arm`:
 *   - its stdin closes without `disarm`: the command died (SIGKILL included, the kernel closes the pipe);
 *   - no `renew` came for the lease: the command hangs (frozen, stuck);
 *   - the pause has lasted its maximum, whatever the command says.
 * Protocol on stdin, one word a line: arm, renew, disarm. It answers `ready` once connected.
 */
import { createInterface } from 'node:readline';
import { adminConnect, resume, type AdminTarget } from './pgbouncer-admin';

const target: AdminTarget = {
  host: process.env.WATCHDOG_PGBOUNCER_HOST!,
  port: Number(process.env.WATCHDOG_PGBOUNCER_PORT),
  password: process.env.WATCHDOG_PGBOUNCER_PASSWORD!,
  ssl: {
    ca: process.env.WATCHDOG_PGBOUNCER_CA!,
    ...(process.env.WATCHDOG_PGBOUNCER_SERVERNAME ? { servername: process.env.WATCHDOG_PGBOUNCER_SERVERNAME } : {}),
  },
};
const leaseMs = Number(process.env.WATCHDOG_LEASE_MS);
const maxPauseMs = Number(process.env.WATCHDOG_MAX_PAUSE_MS);
/** Seconds the watchdog lives at most, armed or not, so it can never outlive its purpose. */
const LIFETIME_MS = maxPauseMs + 60_000;

const log = (m: string) => process.stderr.write(`pause watchdog: ${m}\n`);
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

let admin = await adminConnect(target);
let armedAt: number | undefined;
let leaseUntil = 0;
let done = false;

async function resumeNow(why: string): Promise<never> {
  done = true;
  // A few tries over ~3 s: the console connection may have dropped (then reconnect).
  for (let attempt = 1; ; attempt++) {
    try {
      await resume(admin);
      log(`resumed the pool: ${why}`);
      process.exit(0);
    } catch (e) {
      if (attempt >= 6) {
        log(`could not resume the pool (${why}): ${(e as Error).message}; run RESUME on the admin console`);
        process.exit(1);
      }
      await new Promise((r) => setTimeout(r, 500));
      admin = await adminConnect(target).catch(() => admin);
    }
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const word = line.trim();
  if (word === 'arm') {
    armedAt = Date.now();
    leaseUntil = armedAt + leaseMs;
  } else if (word === 'renew') leaseUntil = Date.now() + leaseMs;
  else if (word === 'disarm') {
    done = true;
    void admin.end().finally(() => process.exit(0));
  }
});
lines.on('close', () => {
  if (done) return;
  if (armedAt !== undefined) void resumeNow('the command went away while the pool was paused');
  else process.exit(0);
});

const started = Date.now();
const timer = setInterval(() => {
  if (done) return;
  const now = Date.now();
  if (armedAt !== undefined && now > leaseUntil) void resumeNow(`no lease renewal for ${leaseMs} ms`);
  else if (armedAt !== undefined && now - armedAt > maxPauseMs)
    void resumeNow(`paused for the maximum ${maxPauseMs} ms`);
  else if (now - started > LIFETIME_MS) {
    clearInterval(timer);
    process.exit(0);
  }
}, 50);

process.stdout.write('ready\n');

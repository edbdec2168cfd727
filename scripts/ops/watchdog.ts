/**
 * A lease on a PgBouncer pause, held by a separate process (pause-watchdog.ts):
 * whatever happens to the command that paused the pool, the pool is resumed
 * within a bound. The command arms it just before PAUSE, renews it while it
 * works, and disarms it after its own RESUME.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AdminTarget } from './pgbouncer-admin';

export interface WatchdogOptions {
  readonly admin: AdminTarget;
  /** Resume when the command has not renewed for this long. */
  readonly leaseMs: number;
  /** Resume when the pause has lasted this long, renewed or not. */
  readonly maxPauseMs: number;
}

export interface Watchdog {
  arm(): void;
  disarm(): void;
  /** The watchdog's pid (tests kill it for their negative control). */
  readonly pid: number;
}

const ENTRY = fileURLToPath(new URL('./pause-watchdog.ts', import.meta.url));
const RENEW_EVERY_MS = 250;

/**
 * Starts the watchdog and resolves once it holds its own admin console connection. Nothing is paused yet, so
 * the generous bound costs nothing but covers tsx compiling the watchdog on a busy machine (>15 s seen at load 15).
 */
export async function startWatchdog(opts: WatchdogOptions, readyWithinMs = 30_000): Promise<Watchdog> {
  const child: ChildProcess = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), ENTRY], {
    detached: true, // a session of its own: the terminal's Ctrl-C does not reach it
    stdio: ['pipe', 'pipe', 'inherit'],
    env: {
      ...process.env,
      WATCHDOG_PGBOUNCER_HOST: opts.admin.host,
      WATCHDOG_PGBOUNCER_PORT: String(opts.admin.port),
      WATCHDOG_PGBOUNCER_PASSWORD: opts.admin.password,
      // The CA (public) and the certificate's name: the watchdog checks PgBouncer as its starter does.
      WATCHDOG_PGBOUNCER_CA: opts.admin.ssl.ca,
      ...(opts.admin.ssl.servername ? { WATCHDOG_PGBOUNCER_SERVERNAME: opts.admin.ssl.servername } : {}),
      WATCHDOG_LEASE_MS: String(opts.leaseMs),
      WATCHDOG_MAX_PAUSE_MS: String(opts.maxPauseMs),
    },
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the pause watchdog did not start within ${readyWithinMs} ms; nothing was paused`));
    }, readyWithinMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the pause watchdog exited (${code}) before it was ready: see its message above`));
    });
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve();
    });
  });
  // The command must be able to exit while the watchdog runs on (that is the point of it).
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  const send = (word: string) => child.stdin!.write(`${word}\n`);
  let renewal: NodeJS.Timeout | undefined;
  return {
    pid: child.pid!,
    arm() {
      send('arm');
      renewal = setInterval(() => send('renew'), RENEW_EVERY_MS);
    },
    disarm() {
      clearInterval(renewal);
      send('disarm');
      child.stdin!.end();
    },
  };
}

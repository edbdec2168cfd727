/**
 * Test helper: pauses a PgBouncer under the watchdog as the switchover command
 * does, prints `paused <watchdog pid>`, then holds the pause (renewing the
 * lease) until killed, or for at most 60 s.
 */
import { adminConnect, pause, poolDatabases } from '../../scripts/ops/pgbouncer-admin';
import { startWatchdog } from '../../scripts/ops/watchdog';

const admin = {
  host: '127.0.0.1',
  port: Number(process.env.HOLDER_PORT),
  password: process.env.HOLDER_PASSWORD!,
  ssl: { ca: process.env.HOLDER_CA! },
};
const console_ = await adminConnect(admin);
const watchdog = await startWatchdog({
  admin,
  leaseMs: Number(process.env.HOLDER_LEASE_MS),
  maxPauseMs: Number(process.env.HOLDER_MAX_PAUSE_MS),
});
watchdog.arm();
await pause(console_, await poolDatabases(console_));
process.stdout.write(`paused ${watchdog.pid}\n`);
await new Promise((r) => setTimeout(r, 60_000));

/**
 * The pause watchdog against a real PgBouncer (started on the rendered ini; no
 * Postgres is needed to PAUSE): whatever happens to the process that paused
 * the pool, the pool is resumed within the bound. The negative control kills
 * the watchdog as well and sees the pool stay paused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { RootConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataPlatform } from '../../constructs/data-platform';
import { LoopbackPlacement } from '../../constructs/platform/placement';
import { adminConnect, pausedDatabases, resume } from '../../scripts/ops/pgbouncer-admin';
import { node } from '../helpers';
import { asPostgres, findTool, haveTools, placeTls, run, scratch, start } from '../real-tools/tools';

const tools = { pgbouncer: findTool('pgbouncer', '/usr/sbin/pgbouncer') };
const PASSWORD = 'watchdog-test';
const LEASE_MS = 1000;
const MAX_PAUSE_MS = 4000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(haveTools(tools))('pause watchdog on a real PgBouncer', () => {
  const dir = scratch('pause-watchdog');
  const lab = new DataPlatform(new RootConstruct(), 'platform', { placement: new LoopbackPlacement(dir, 26500) });
  const pooler = node(lab, 'pgbouncer');
  const port = pooler.ports[0]!.port;
  const ca = placeTls(lab, dir, ['pgbouncer']).caCert;
  const admin = { host: '127.0.0.1', port, password: PASSWORD, ssl: { ca } };
  let server: ChildProcess | undefined;
  let log = '';

  beforeAll(async () => {
    for (const f of pooler.files) {
      const path = lab.placement.path('pgbouncer', f.path);
      run(['mkdir', '-p', path.replace(/\/[^/]+$/, '')]);
      writeFileSync(path, f.content.replace(/\{\{secret:[a-z-]+\}\}/g, PASSWORD));
    }
    run(['chmod', '-R', 'a+rX', dir]);
    server = start(asPostgres([tools.pgbouncer!, lab.placement.path('pgbouncer', '/etc/pgbouncer/pgbouncer.ini')]));
    server.stderr!.on('data', (d) => (log += d));
    server.stdout!.on('data', (d) => (log += d));
    for (let i = 0; i < 50 && !log.includes('process up'); i++) await sleep(100);
  });
  afterAll(() => server?.kill('SIGTERM'));

  async function paused(): Promise<string[]> {
    const c = await adminConnect(admin);
    try {
      return await pausedDatabases(c);
    } finally {
      await c.end();
    }
  }

  /** Starts a holder and resolves once it has paused the pool, with the watchdog's pid. */
  async function hold(): Promise<{ holder: ChildProcess; watchdog: number; exited: Promise<unknown> }> {
    const holder = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), 'test/ops/pause-holder.ts'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        HOLDER_PORT: String(port),
        HOLDER_PASSWORD: PASSWORD,
        HOLDER_CA: ca,
        HOLDER_LEASE_MS: String(LEASE_MS),
        HOLDER_MAX_PAUSE_MS: String(MAX_PAUSE_MS),
      },
    });
    const exited = new Promise((r) => holder.once('exit', r));
    let out = '';
    holder.stdout!.on('data', (d) => (out += d));
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(50)) {
      const m = /paused (\d+)/.exec(out);
      if (m) return { holder, watchdog: Number(m[1]), exited };
    }
    holder.kill('SIGKILL');
    throw new Error(`the holder did not pause the pool within 30 s: ${out}${log}`);
  }

  /** Seconds until nothing is paused, polled every 50 ms up to `within` s. */
  async function resumedAfter(within: number): Promise<number> {
    const t0 = Date.now();
    while ((await paused()).length > 0) {
      if (Date.now() - t0 > within * 1000) return Infinity;
      await sleep(50);
    }
    return (Date.now() - t0) / 1000;
  }

  it('pauses for real: a paused pool shows in SHOW DATABASES', async () => {
    const { holder, exited } = await hold();
    expect(await paused()).toContain('app_rw');
    holder.kill('SIGKILL');
    await exited;
    await resumedAfter(5);
  }, 60_000);

  it('resumes when the pausing process is SIGKILLed (its pipe closes)', async () => {
    const { holder, exited } = await hold();
    holder.kill('SIGKILL');
    await exited;
    expect(await resumedAfter(5)).toBeLessThanOrEqual(1);
  }, 60_000);

  it('resumes when the pausing process freezes (the lease runs out)', async () => {
    const { holder, exited } = await hold();
    holder.kill('SIGSTOP');
    const t = await resumedAfter(5);
    holder.kill('SIGKILL');
    await exited;
    expect(t).toBeGreaterThan(LEASE_MS / 1000 - 0.5);
    expect(t).toBeLessThanOrEqual(LEASE_MS / 1000 + 1);
  }, 60_000);

  it('resumes at the maximum pause even while the lease is renewed', async () => {
    const { holder, exited } = await hold();
    const t = await resumedAfter(10);
    holder.kill('SIGKILL');
    await exited;
    expect(t).toBeGreaterThan(MAX_PAUSE_MS / 1000 - 1.5);
    expect(t).toBeLessThanOrEqual(MAX_PAUSE_MS / 1000 + 1);
  }, 60_000);

  it('negative control: with the watchdog killed too, the pool stays paused', async () => {
    const { holder, watchdog, exited } = await hold();
    process.kill(watchdog, 'SIGKILL');
    holder.kill('SIGKILL');
    await exited;
    await sleep(MAX_PAUSE_MS + 1000);
    expect(await paused()).toContain('app_rw');
    const c = await adminConnect(admin);
    await resume(c);
    await c.end();
    expect(await paused()).toEqual([]);
  }, 60_000);
});

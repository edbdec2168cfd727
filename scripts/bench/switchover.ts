#!/usr/bin/env -S npx tsx
/**
 * Zero-error switchover benchmark on the loopback lab. Per run: an independent
 * writer (4 clients inserting through PgBouncer's app_rw, 15 s client timeout,
 * so a stall is measured rather than cut off) runs while `npm run ops --
 * switchover` is run as a separate process. Prints, per run and overall, the
 * failed client statements, the worst statement latency, the pause, and the
 * acknowledged writes lost. The lab (Postgres HA core) is started and torn down here.
 *   npm run bench:switchover -- [runs]   (default 10)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { promisify } from 'node:util';
import { clusterMembers, patroniNodes, steadyProblem } from '../chaos/patroni';
import { pgbouncerTarget } from '../chaos/scenarios/patroni';
import { labTarget } from '../chaos/target';
import { pgWrites, prepareTable, readRows } from '../chaos/workloads/pg-writes';
import { startLab, stopLab } from '../lab/runtime';
import { routedLeader } from '../ops/switchover';
import { POSTGRES_CORE } from './lab-groups';

const runs = Number(process.argv[2] ?? 10);
const CORE = new Set(POSTGRES_CORE);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);

const lab = await startLab({
  root: mkdtempSync('/tmp/dplab-bench-'),
  basePort: 24500,
  include: (n) => CORE.has(n.spec.component),
});
let failed = false;
try {
  const target = labTarget(lab.root);
  const ctx = { manifest: target.manifest, secrets: target.secrets };
  const pg = pgbouncerTarget({ ...ctx, driver: undefined as never, log: () => undefined });
  await prepareTable(pg);

  async function steady(): Promise<void> {
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(500)) {
      const members = await clusterMembers(ctx.manifest).catch(() => []);
      const leader = members.find((m) => m.role === 'leader')?.name;
      if (
        !steadyProblem(members, patroniNodes(ctx.manifest).length) &&
        (await routedLeader(ctx).catch(() => '')) === leader
      )
        return;
    }
    throw new Error('no steady state within 120 s');
  }

  console.log(`switchover benchmark on the lab: ${runs} runs, independent writer through PgBouncer (4 clients)`);
  let totalFailed = 0;
  let totalLost = 0;
  let totalAcked = 0;
  let worst = 0;
  const pauses: number[] = [];
  for (let i = 1; i <= runs; i++) {
    await steady();
    const label = `bench-switchover-${Date.now()}`;
    const writer = pgWrites({ target: pg, run: label, clients: 4, timeoutMs: 15_000 });
    writer.start();
    await sleep(2000);
    const t0 = Date.now();
    const out = await run(
      'npx',
      ['tsx', 'scripts/ops/ops.ts', 'switchover', '--target', 'lab', '--lab-root', lab.root],
      {
        timeout: 60_000,
      },
    ).then(
      (r) => ({ ok: true, text: r.stdout }),
      (e: { stdout?: string; stderr?: string }) => ({ ok: false, text: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
    );
    const commandSeconds = (Date.now() - t0) / 1000;
    await sleep(2000);
    const ops = await writer.stop();
    const present = (await readRows(pg, label)).present;
    const acked = ops.filter((o) => o.ok);
    const errors = ops.filter((o) => !o.ok);
    const lost = acked.filter((o) => !present.has(o.key)).length;
    const worstMs = ops.reduce((m, o) => Math.max(m, o.endedAt - o.startedAt), 0);
    const paused = Number(/paused ([\d.]+) s/.exec(out.text)?.[1] ?? NaN);
    pauses.push(paused);
    totalFailed += errors.length;
    totalLost += lost;
    totalAcked += acked.length;
    worst = Math.max(worst, worstMs);
    failed ||= !out.ok || errors.length > 0 || lost > 0 || worstMs > 3000;
    console.log(
      `  run ${String(i).padStart(2)}: command ${out.ok ? 'ok' : 'FAILED'} in ${commandSeconds.toFixed(1)} s, paused ${paused.toFixed(2)} s, ` +
        `worst statement ${(worstMs / 1000).toFixed(2)} s, failed ${errors.length}${errors[0] ? ` (${errors[0].error})` : ''}, ` +
        `lost ${lost} of ${acked.length}`,
    );
    if (!out.ok)
      console.log(
        out.text
          .trim()
          .split('\n')
          .map((l) => `      ${l}`)
          .join('\n'),
      );
  }
  pauses.sort((a, b) => a - b);
  console.log(
    `switchover: ${runs} runs, failed statements ${totalFailed}, worst statement latency ${(worst / 1000).toFixed(2)} s, ` +
      `pause median ${pauses[Math.floor(pauses.length / 2)]?.toFixed(2)} s max ${pauses.at(-1)?.toFixed(2)} s, ` +
      `lost ${totalLost} of ${totalAcked} acknowledged`,
  );
} finally {
  stopLab(lab, { keepRoot: failed });
  if (failed) console.log(`lab logs kept in ${lab.root}/logs`);
}
process.exitCode = failed ? 1 : 0;

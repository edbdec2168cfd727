#!/usr/bin/env -S npx tsx
/**
 * Synth benchmark: wall time and peak memory of synthesizing both stacks in a
 * fresh process, next to the floor (a fresh process that only loads cdktf).
 * The difference is what this project's constructs cost.
 *   npm run bench:synth -- [runs]   (default 5)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

const runs = Number(process.argv[2] ?? 5);
mkdirSync('.tmp', { recursive: true });

function measure(mode: 'floor' | 'synth'): { ms: number; maxRssMb: number } {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench/synth-probe.ts', mode], {
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`${mode} run failed:\n${child.stderr}`);
  return { ms, ...JSON.parse(child.stdout) };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
};

const results = { floor: [] as { ms: number; maxRssMb: number }[], synth: [] as { ms: number; maxRssMb: number }[] };
for (let i = 0; i < runs; i++) {
  // Interleave so drift in machine load hits both equally.
  results.floor.push(measure('floor'));
  results.synth.push(measure('synth'));
}

console.log(`synth benchmark, ${runs} runs each (node ${process.version}, fresh process per run)`);
for (const [name, rs] of Object.entries(results)) {
  const t = stats(rs.map((r) => r.ms));
  const m = stats(rs.map((r) => r.maxRssMb));
  const label = name === 'floor' ? 'floor (node + tsx + load cdktf)' : 'synth both stacks (local, aws)';
  console.log(
    `${label.padEnd(34)} wall ms min ${t.min.toFixed(0)} median ${t.median.toFixed(0)} max ${t.max.toFixed(0)}` +
      `   peak RSS MB median ${m.median} max ${m.max}`,
  );
}
const over = stats(results.synth.map((r, i) => r.ms - results.floor[i]!.ms));
console.log(`${'synth minus floor'.padEnd(34)} wall ms median ${over.median.toFixed(0)}`);

#!/usr/bin/env -S npx tsx
/**
 * Synth benchmark: wall time and peak memory of synthesizing both stacks in a
 * fresh process, next to the floor (a fresh process that only loads cdktf).
 * The difference is what this project's constructs cost.
 *   npm run bench:synth -- [runs]      (default 5)
 *   npm run bench:synth -- --profile   where one run of each spends its CPU (node --cpu-prof)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { categorize, phases, type CpuProfile } from './cpu-profile';

type Run = { ms: number; maxRssMb: number; cpuMs: number };
mkdirSync('.tmp', { recursive: true });

function measure(mode: 'floor' | 'synth', nodeArgs: string[] = []): Run {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, [...nodeArgs, '--import', 'tsx', 'scripts/bench/synth-probe.ts', mode], {
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`${mode} run failed:\n${child.stderr}`);
  return { ms, ...JSON.parse(child.stdout) };
}

if (process.argv[2] === '--profile') {
  const profiles = {} as Record<'floor' | 'synth', CpuProfile>;
  for (const mode of ['floor', 'synth'] as const) {
    const dir = mkdtempSync(join('.tmp', `synth-prof-${mode}-`));
    measure(mode, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    // The first file is the main thread's (tsx's hooks worker writes a second one).
    const main = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()[0]!;
    profiles[mode] = JSON.parse(readFileSync(join(dir, main), 'utf8')) as CpuProfile;
    console.log(`${mode} profile: ${join(dir, main)}`);
  }
  const table = (title: string, breakdown: typeof categorize) => {
    const floor = new Map(breakdown(profiles.floor).map((c) => [c.category, c.ms]));
    const synth = breakdown(profiles.synth);
    const row = (label: string, f: number, ms: number) =>
      console.log(
        `${label.padEnd(72)} ${f.toFixed(0).padStart(6)} ${ms.toFixed(0).padStart(6)} ${(ms - f).toFixed(0).padStart(6)}`,
      );
    console.log(`\n${title.padEnd(72)} ${'floor'.padStart(6)} ${'synth'.padStart(6)} ${'extra'.padStart(6)}`);
    for (const { category, ms } of synth) row(category, floor.get(category) ?? 0, ms);
    const sum = (xs: Iterable<number>) => [...xs].reduce((a, b) => a + b, 0);
    row('total', sum(floor.values()), sum(synth.map((c) => c.ms)));
  };
  table('main thread by kind of work, ms', categorize);
  table('main thread by phase, ms', phases);
  process.exit(0);
}

const runs = Number(process.argv[2] ?? 5);
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[Math.floor(s.length / 2)]!, max: s[s.length - 1]! };
};

const results = { floor: [] as Run[], synth: [] as Run[] };
for (let i = 0; i < runs; i++) {
  // Interleave so drift in machine load hits both equally.
  results.floor.push(measure('floor'));
  results.synth.push(measure('synth'));
}

console.log(`synth benchmark, ${runs} runs each (node ${process.version}, fresh process per run)`);
for (const [name, rs] of Object.entries(results)) {
  const t = stats(rs.map((r) => r.ms));
  const m = stats(rs.map((r) => r.maxRssMb));
  const c = stats(rs.map((r) => r.cpuMs));
  const label = name === 'floor' ? 'floor (node + tsx + load cdktf)' : 'synth both stacks (local, aws)';
  console.log(
    `${label.padEnd(34)} wall ms min ${t.min.toFixed(0)} median ${t.median.toFixed(0)} max ${t.max.toFixed(0)}` +
      `   CPU ms min ${c.min} median ${c.median}   peak RSS MB median ${m.median} max ${m.max}`,
  );
}
const over = stats(results.synth.map((r, i) => r.ms - results.floor[i]!.ms));
const ratio = stats(results.synth.map((r, i) => r.ms / results.floor[i]!.ms));
console.log(
  `${'synth minus floor'.padEnd(34)} wall ms median ${over.median.toFixed(0)}   synth/floor median ${ratio.median.toFixed(2)}`,
);

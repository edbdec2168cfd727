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
import { categorize, type CpuProfile } from './cpu-profile';

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
  const profiles: Record<string, Map<string, number>> = {};
  for (const mode of ['floor', 'synth'] as const) {
    const dir = mkdtempSync(join('.tmp', `synth-prof-${mode}-`));
    measure(mode, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    // The first file is the main thread's (tsx's hooks worker writes a second one).
    const main = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort()[0]!;
    const profile = JSON.parse(readFileSync(join(dir, main), 'utf8')) as CpuProfile;
    profiles[mode] = new Map(categorize(profile).map((c) => [c.category, c.ms]));
    console.log(`${mode} profile: ${join(dir, main)}`);
  }
  const { floor, synth } = profiles as Record<'floor' | 'synth', Map<string, number>>;
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${'main thread, ms'.padEnd(62)} ${'floor'.padStart(6)} ${'synth'.padStart(6)} ${'extra'.padStart(6)}`);
  for (const [category, ms] of synth) {
    const f = floor.get(category) ?? 0;
    console.log(
      `${category.padEnd(62)} ${f.toFixed(0).padStart(6)} ${ms.toFixed(0).padStart(6)} ${(ms - f).toFixed(0).padStart(6)}`,
    );
  }
  console.log(`${'total'.padEnd(62)} ${sum(floor).toFixed(0).padStart(6)} ${sum(synth).toFixed(0).padStart(6)}`);
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

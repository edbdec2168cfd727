// One measured process for scripts/bench/synth.ts: `floor` only loads cdktf, `synth` runs main.ts (both stacks).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const mode = process.argv[2];
if (mode === 'floor') {
  await import('cdktf');
} else {
  const out = mkdtempSync(join(process.cwd(), '.tmp', 'bench-synth-'));
  process.env.CDKTF_OUTDIR = out;
  await import('../../main');
  rmSync(out, { recursive: true, force: true });
}
const { userCPUTime, systemCPUTime, maxRSS } = process.resourceUsage();
// CPU time too: on a shared machine it moves far less than wall time.
process.stdout.write(
  JSON.stringify({ maxRssMb: Math.round(maxRSS / 1024), cpuMs: Math.round((userCPUTime + systemCPUTime) / 1000) }),
);

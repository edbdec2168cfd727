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
process.stdout.write(JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));

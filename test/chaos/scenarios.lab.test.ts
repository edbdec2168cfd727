import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabDriver } from '../../scripts/chaos/drivers/lab';
import { writeReport } from '../../scripts/chaos/report';
import { runScenario } from '../../scripts/chaos/runner';
import { CI_SCENARIOS, SCENARIOS } from '../../scripts/chaos/scenarios';
import { PARTITION_SCENARIOS } from '../../scripts/chaos/scenarios/partitions';
import { labTarget } from '../../scripts/chaos/target';
import { partitionsUnsupported } from '../../scripts/lab/partition';
import { labAvailable, useLab } from '../lab/lab-fixture';

/**
 * The CI chaos runs: each scenario on the real lab servers, judged from its
 * history. Reports (and the run's progress lines, log.txt) land in .tmp/chaos-ci/<scenario>/ for inspection.
 */
describe.runIf(labAvailable())('chaos on the lab', () => {
  const lab = useLab();

  // Partitions need root, nft and cgroup2: CI has them (scripts/lab/setup.sh) and must run them.
  const unsupported = process.env.CI === 'true' ? undefined : partitionsUnsupported();
  it.for(CI_SCENARIOS)(
    '%s: RPO 0 and recovery within the bound from the settings',
    // A rolling restart of Kafka or Connect takes minutes on a loaded lab (up to 215 s seen at load ~20).
    { timeout: 600_000 },
    async (name, test) => {
      if (unsupported && PARTITION_SCENARIOS.some((s) => s.name === name)) {
        console.log(`${name} skipped: ${unsupported}`);
        return test.skip();
      }
      const target = labTarget(lab().root);
      const ctx = {
        manifest: target.manifest,
        secrets: target.secrets,
        driver: new LabDriver(lab().root),
        log: (line: string) => void lines.push(`${new Date().toISOString()} ${line}`),
      };
      const lines: string[] = [];
      const { verdict, ops } = await runScenario(
        SCENARIOS.find((s) => s.name === name)!,
        ctx,
      );
      writeReport(join('.tmp/chaos-ci', name), verdict, ops);
      writeFileSync(join('.tmp/chaos-ci', name, 'log.txt'), `${lines.join('\n')}\n`);
      expect(verdict.failures).toEqual([]);
      expect(verdict.counts.lost).toBe(0);
      expect(verdict.counts.acknowledged).toBeGreaterThan(100);
      expect(verdict.rtoSeconds).toBeLessThanOrEqual(verdict.rtoBoundSeconds);
    },
  );
});

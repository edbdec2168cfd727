import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LabDriver } from '../../scripts/chaos/drivers/lab';
import { writeReport } from '../../scripts/chaos/report';
import { runScenario } from '../../scripts/chaos/runner';
import { CI_SCENARIOS, SCENARIOS } from '../../scripts/chaos/scenarios';
import { labTarget } from '../../scripts/chaos/target';
import { labAvailable, useLab } from '../lab/lab-fixture';

/**
 * The CI chaos runs: each scenario on the real lab servers, judged from its
 * history. Reports land in .tmp/chaos-ci/<scenario>/ for inspection.
 */
describe.runIf(labAvailable())('chaos on the lab', () => {
  const lab = useLab();

  it.each(CI_SCENARIOS)(
    '%s: RPO 0 and recovery within the bound from the settings',
    async (name) => {
      const target = labTarget(lab().root);
      const ctx = {
        manifest: target.manifest,
        secrets: target.secrets,
        driver: new LabDriver(lab().root),
        log: () => undefined,
      };
      const { verdict, ops } = await runScenario(
        SCENARIOS.find((s) => s.name === name)!,
        ctx,
      );
      writeReport(join('.tmp/chaos-ci', name), verdict, ops);
      expect(verdict.failures).toEqual([]);
      expect(verdict.counts.lost).toBe(0);
      expect(verdict.counts.acknowledged).toBeGreaterThan(100);
      expect(verdict.rtoSeconds).toBeLessThanOrEqual(verdict.rtoBoundSeconds);
    },
    // A rolling restart of Kafka or Connect takes minutes on a loaded lab (up to 215 s seen at load ~20).
    600_000,
  );
});

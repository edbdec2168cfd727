import { describe, expect, it } from 'vitest';
import { runDrill } from '../../scripts/chaos/scenarios/backup';
import { labAvailable, useLab } from '../lab/lab-fixture';

/**
 * The restore drills on the shared lab: PITR to before a DROP TABLE (RPO 0),
 * and the loss of every member's data (RPO within archive_timeout). Each ends
 * with a restored three-member cluster; the file runs last (lab-order.ts):
 * the cluster is a new timeline with a new history afterwards.
 */
describe.runIf(labAvailable())('restore drills on the lab', () => {
  const lab = useLab();

  it('PITR to the moment before a DROP TABLE: every row acknowledged before it is back, none after', async () => {
    const v = await runDrill('backup-drop-table', lab().root, console.log);
    expect(v.failures).toEqual([]);
    expect(v.lost).toBe(0);
    expect(v.afterTargetPresent).toBe(0);
    expect(v.acknowledgedBefore).toBeGreaterThan(20);
  }, 600_000);

  it('loss of every member’s data: restored to the latest archived WAL, RPO within archive_timeout', async () => {
    const v = await runDrill('backup-lose-all-data', lab().root, console.log);
    expect(v.failures).toEqual([]);
    expect(v.rpoSeconds).toBeLessThanOrEqual(v.rpoBoundSeconds);
  }, 600_000);
});

/**
 * The order of the lab files in a run, and the sequencer that applies it.
 *
 * Files named in FIRST run first, in that order; then every lab file not
 * named here (a new file needs no entry if it leaves the lab as it found it:
 * the fixture restores crashed or paused servers after each file anyway);
 * LAST runs at the end: files whose runs leave the lab in a state (Patroni
 * timelines, leaders moved, alerts fired, topics filled) that a later file
 * could mistake for its own results. Unit files come before all of them.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const FIRST = [
  // Reads the CDC topic from its beginning: it must see only its own rows.
  'test/streaming/real-streaming.lab.test.ts',
  // Asserts a fresh cluster (two streaming replicas, no alert firing before its own kill).
  'test/lab/platform.lab.test.ts',
  'test/chaos/lab-driver.lab.test.ts',
];
const LAST = [
  'test/chaos/scenarios.lab.test.ts',
  // Restores the cluster from its backup: a new timeline, tables dropped and rows gone.
  'test/chaos/backup-drills.lab.test.ts',
];

/** Where a lab file runs among the lab files: its rank. */
export function labRank(file: string): number {
  const first = FIRST.findIndex((f) => file.endsWith(f));
  if (first >= 0) return first;
  const last = LAST.findIndex((f) => file.endsWith(f));
  return last >= 0 ? FIRST.length + 1 + last : FIRST.length;
}

export default class LabOrderSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const unit = sorted.filter((f) => f.project.name !== 'lab');
    const lab = sorted
      .filter((f) => f.project.name === 'lab')
      .sort((a, b) => labRank(a.moduleId) - labRank(b.moduleId) || a.moduleId.localeCompare(b.moduleId));
    return [...unit, ...lab];
  }
}

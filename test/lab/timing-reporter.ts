/**
 * Prints, at the end of a run, the shared lab's bring-up (or its failure, the
 * one place it is reported in full) and the time of each lab file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import { labRank } from './lab-order';
import { BRING_UP_FILE, LAB_ROOT_ENV, type BringUp } from './shared-lab-files';

export default class LabTimingReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lab = modules
      .filter((m) => m.project.name === 'lab')
      .sort((a, b) => labRank(a.moduleId) - labRank(b.moduleId) || a.moduleId.localeCompare(b.moduleId));
    const root = process.env[LAB_ROOT_ENV];
    if (!root && lab.length === 0) return;
    const lines = ['', 'lab files (seconds; the first includes any wait for bring-up):'];
    const outcomeFile = root && join(root, BRING_UP_FILE);
    if (outcomeFile && existsSync(outcomeFile)) {
      const outcome = JSON.parse(readFileSync(outcomeFile, 'utf8')) as BringUp;
      lines.push(
        outcome.ok
          ? `  ${outcome.seconds.toFixed(1).padStart(6)}  bring-up (${outcome.nodes} nodes, beside the unit files)`
          : `  lab bring-up FAILED after ${outcome.seconds.toFixed(1)} s; logs kept in ${root}/logs:\n${outcome.error}`,
      );
    }
    let total = 0;
    for (const m of lab) {
      const seconds = m.diagnostic().duration / 1000;
      total += seconds;
      lines.push(`  ${seconds.toFixed(1).padStart(6)}  ${m.relativeModuleId}  ${m.state()}`);
    }
    lines.push(`  ${total.toFixed(1).padStart(6)}  all lab files`);
    console.log(lines.join('\n'));
  }
}

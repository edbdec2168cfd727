#!/usr/bin/env -S npx tsx
/**
 * Failover benchmark on the loopback lab: repeats a group of scenarios and
 * prints RTO median and max with RPO per scenario. The lab (only the group's
 * components) is started and torn down by this script.
 *   npm run bench:failover -- [runs] [postgres|kafka]   (default 5 postgres)
 * postgres: the Patroni leader crash and the planned switchover; kafka: the broker crash.
 */
import { mkdtempSync } from 'node:fs';
import { LabDriver } from '../chaos/drivers/lab';
import { runScenario } from '../chaos/runner';
import { SCENARIOS } from '../chaos/scenarios';
import { labTarget } from '../chaos/target';
import { startLab, stopLab } from '../lab/runtime';
import { POSTGRES_CORE } from './lab-groups';

const runs = Number(process.argv[2] ?? 5);
const GROUPS: Record<string, { components: string[]; scenarios: string[]; workload: string }> = {
  postgres: {
    components: [...POSTGRES_CORE],
    scenarios: ['patroni-leader-crash', 'patroni-switchover'],
    workload: 'writes through PgBouncer, 4 clients',
  },
  kafka: { components: ['kafka'], scenarios: ['kafka-broker-crash'], workload: 'acks=all producer, 3 senders' },
};
const group = GROUPS[process.argv[3] ?? 'postgres'];
if (!group) throw new Error(`group must be one of ${Object.keys(GROUPS).join(', ')}`);
const lab = await startLab({
  root: mkdtempSync('/tmp/dplab-bench-'),
  basePort: 24000,
  include: (n) => group.components.includes(n.spec.component),
});
let failed = false;
try {
  const target = labTarget(lab.root);
  const ctx = {
    manifest: target.manifest,
    secrets: target.secrets,
    driver: new LabDriver(lab.root),
    log: () => undefined,
  };
  console.log(`failover benchmark on the lab, ${runs} runs per scenario (${group.workload})`);
  for (const name of group.scenarios) {
    const rtos: number[] = [];
    let lost = 0;
    let acknowledged = 0;
    for (let i = 0; i < runs; i++) {
      const { verdict } = await runScenario(
        SCENARIOS.find((s) => s.name === name)!,
        ctx,
      );
      failed ||= !verdict.passed;
      if (verdict.rtoSeconds !== undefined) rtos.push(verdict.rtoSeconds);
      lost += verdict.counts.lost;
      acknowledged += verdict.counts.acknowledged;
      console.log(
        `  ${name} run ${i + 1}: RTO ${verdict.rtoSeconds?.toFixed(1) ?? '-'} s, lost ${verdict.counts.lost}${verdict.passed ? '' : ` FAILED: ${verdict.failures.join('; ')}`}`,
      );
    }
    rtos.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(22)} RTO s: min ${rtos[0]?.toFixed(1)} median ${rtos[Math.floor(rtos.length / 2)]?.toFixed(1)} max ${rtos.at(-1)?.toFixed(1)}` +
        `   RPO: ${lost} lost of ${acknowledged} acknowledged`,
    );
  }
} finally {
  stopLab(lab, { keepRoot: failed });
}
process.exitCode = failed ? 1 : 0;

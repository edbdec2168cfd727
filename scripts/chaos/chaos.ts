#!/usr/bin/env -S npx tsx
/**
 * Chaos and failover scenarios against a deployed platform or the lab.
 * `npm run chaos -- --help` lists the scenarios and options.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { argv, chalk } from 'zx';
import { ChaosMetrics, serveMetrics, writeMetrics } from './metrics';
import { writeReport } from './report';
import { runScenario } from './runner';
import { CI_SCENARIOS, SCENARIOS } from './scenarios';
import { loadTarget } from './target';
import type { Driver, ScenarioContext, Verdict } from './types';

function help(): string {
  const rows = SCENARIOS.map(
    (s) => `  ${s.name.padEnd(24)} ${s.description}\n  ${''.padEnd(24)} drivers: ${s.drivers.join(', ')}`,
  );
  return `Usage: npm run chaos -- <scenario...|ci|all> [options]

Runs each scenario: steady state, a recorded write workload, the fault, a bounded
wait for recovery, rollback, and verification from the history (RPO = acknowledged
writes lost, RTO = fault to first acknowledged write). Exits 1 if any run fails.

Scenarios:
${rows.join('\n')}

  ci   = ${CI_SCENARIOS.join(', ')}
  all  = every scenario the target's driver supports

Options:
  --target lab|local|aws   what to act on (default: lab). lab reads the running lab's
                           folder; local and aws read \`terraform output\` of cdktf.out/stacks/<stack>
  --lab-root DIR           a lab other than the one 'npm run lab -- up' started
  --runs N                 repeat each scenario N times (default 1)
  --report-dir DIR         where reports go (default reports/chaos/<time>)
  --metrics-port P         serve run metrics for Prometheus on 127.0.0.1:P while running
  --help                   this text
`;
}

function selectScenarios(names: string[], driver: Driver['name']) {
  const expanded = names.flatMap((n) =>
    n === 'ci'
      ? CI_SCENARIOS
      : n === 'all'
        ? SCENARIOS.filter((s) => s.drivers.includes(driver)).map((s) => s.name)
        : [n],
  );
  return expanded.map((name) => {
    const found = SCENARIOS.find((s) => s.name === name);
    if (!found) throw new Error(`unknown scenario '${name}': see --help`);
    if (!found.drivers.includes(driver)) throw new Error(`scenario ${name} does not run on the ${driver} driver`);
    return found;
  });
}

async function main(): Promise<number> {
  if (argv.help || argv._.length === 0) {
    console.log(help());
    return argv.help ? 0 : 2;
  }
  const { target, driver } = await loadTarget(String(argv.target ?? 'lab'), argv['lab-root'] as string | undefined);
  const scenarios = selectScenarios(argv._.map(String), driver.name);
  const runs = Number(argv.runs ?? 1);
  const reportRoot = resolve(
    String(argv['report-dir'] ?? join('reports/chaos', new Date().toISOString().replace(/[:.]/g, '-'))),
  );
  mkdirSync(reportRoot, { recursive: true });
  console.log(chalk.dim(`target: ${target.source} (driver ${driver.name}); reports: ${reportRoot}`));

  const t0 = Date.now();
  const ctx: ScenarioContext = {
    manifest: target.manifest,
    secrets: target.secrets,
    driver,
    log: (m) => console.log(`${chalk.dim(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s]`)} ${m}`),
  };
  const verdicts: Verdict[] = [];
  for (const scenario of scenarios) {
    for (let i = 1; i <= runs; i++) {
      const metrics = new ChaosMetrics(scenario.name, driver.name);
      const server = argv['metrics-port']
        ? await serveMetrics(metrics.registry, Number(argv['metrics-port']))
        : undefined;
      try {
        const { verdict, ops } = await runScenario(scenario, ctx);
        metrics.faultInjected(verdict.fault);
        metrics.observe(ops);
        metrics.judged(verdict);
        const dir = join(reportRoot, runs > 1 ? `${scenario.name}-${i}` : scenario.name);
        writeReport(dir, verdict, ops);
        await writeMetrics(dir, metrics.registry);
        verdicts.push(verdict);
        ctx.log(`report: ${join(dir, 'report.md')}`);
      } finally {
        await server?.close();
      }
    }
  }
  printSummary(verdicts);
  return verdicts.every((v) => v.passed) ? 0 : 1;
}

function printSummary(verdicts: readonly Verdict[]): void {
  console.log('\nscenario                   runs  passed  RTO median / max (s)  bound (s)  lost');
  for (const name of [...new Set(verdicts.map((v) => v.scenario))]) {
    const vs = verdicts.filter((v) => v.scenario === name);
    const rtos = vs.flatMap((v) => (v.rtoSeconds === undefined ? [] : [v.rtoSeconds])).sort((a, b) => a - b);
    const median = rtos.length ? rtos[Math.floor(rtos.length / 2)]!.toFixed(1) : '-';
    const max = rtos.length ? rtos[rtos.length - 1]!.toFixed(1) : '-';
    const passed = vs.filter((v) => v.passed).length;
    const line = `${name.padEnd(26)} ${String(vs.length).padStart(4)}  ${String(passed).padStart(6)}  ${`${median} / ${max}`.padStart(20)}  ${String(vs[0]!.rtoBoundSeconds).padStart(9)}  ${vs.reduce((n, v) => n + v.counts.lost, 0)}`;
    console.log(passed === vs.length ? line : chalk.red(line));
  }
}

process.exitCode = await main().catch((e: Error) => {
  console.error(chalk.red(e.message));
  return 1;
});

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderRuleFile } from '../../constructs/monitoring/prometheus-config';
import { findTool, haveTools, run } from '../real-tools/tools';
import { allMonitoring } from './components';

const RULES_DIR = resolve('monitoring/rules');
const components = allMonitoring().filter((c) => c.rules.length > 0);
const promtool = findTool(process.env.PROMTOOL ?? 'promtool', '/usr/bin/promtool');

interface PromtoolTest {
  readonly alert_rule_test?: readonly { readonly alertname: string; readonly exp_alerts?: readonly unknown[] }[];
}

describe('alert rules', () => {
  // The committed rule files are the rendered ones: `npx vitest run test/monitoring -u` rewrites them.
  it.each(components.map((c) => [c.component, c] as const))(
    'monitoring/rules/%s.yml is the rendered rule file',
    async (name, c) => {
      await expect(renderRuleFile(c, '')).toMatchFileSnapshot(join(RULES_DIR, `${name}.yml`));
    },
  );

  it('gives every rule a severity, a summary, a description and a runbook section that exists', () => {
    for (const c of components) {
      const runbook = readFileSync(resolve(`monitoring/runbooks/${c.component}.md`), 'utf8');
      const anchors = new Set([...runbook.matchAll(/^## (\w+)$/gm)].map((m) => m[1]!.toLowerCase()));
      for (const r of c.rules) {
        expect(['critical', 'warning']).toContain(r.severity);
        expect(r.summary.length, r.alert).toBeGreaterThan(10);
        expect(r.description.length, r.alert).toBeGreaterThan(30);
        expect(anchors, `runbook section for ${r.alert} in monitoring/runbooks/${c.component}.md`).toContain(
          r.alert.toLowerCase(),
        );
      }
    }
  });

  it('has, for every alert, a promtool case where it fires and one where it does not', () => {
    for (const c of components) {
      const path = join(RULES_DIR, `${c.component}.test.yml`);
      expect(existsSync(path), path).toBe(true);
      const cases = (parse(readFileSync(path, 'utf8')).tests as PromtoolTest[]).flatMap((t) => t.alert_rule_test ?? []);
      for (const r of c.rules) {
        const mine = cases.filter((t) => t.alertname === r.alert);
        expect(
          mine.some((t) => (t.exp_alerts ?? []).length > 0),
          `${r.alert} fires in some case`,
        ).toBe(true);
        expect(
          mine.some((t) => (t.exp_alerts ?? []).length === 0),
          `${r.alert} stays silent in some case`,
        ).toBe(true);
      }
    }
  });
});

describe.runIf(haveTools({ promtool }))('promtool', () => {
  it.each(components.map((c) => c.component))('accepts monitoring/rules/%s.yml and passes its unit tests', (name) => {
    const check = run([promtool!, 'check', 'rules', join(RULES_DIR, `${name}.yml`)]);
    expect(check.output).toContain('SUCCESS');
    const tests = run([promtool!, 'test', 'rules', join(RULES_DIR, `${name}.test.yml`)], 60_000);
    expect(tests.output).toContain('SUCCESS');
    expect(tests.code, tests.output).toBe(0);
  });

  it('fails a unit test whose expected alert does not fire, so the check is not a no-op', () => {
    const broken = run([promtool!, 'test', 'rules', resolve('test/monitoring/broken.test.yml')]);
    expect(broken.output).toContain('FAILED');
    expect(broken.code).not.toBe(0);
  });
});

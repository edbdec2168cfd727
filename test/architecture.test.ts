import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cruise, type ICruiseOptions, type IForbiddenRuleType } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const COMPONENTS = '^constructs/(postgres|kafka|cdc|mongo|clickhouse|storage|monitoring)/';
const ROOT = '^constructs/(data-platform|flow-diagram)\\.ts$';

/** The layers of DESIGN.md: the seam at the bottom, components and targets beside each other, the root on top. */
const RULES: IForbiddenRuleType[] = [
  { name: 'no-import-cycle', severity: 'error', from: {}, to: { circular: true } },
  {
    name: 'seam-imports-no-component',
    severity: 'error',
    from: { path: '^constructs/platform/' },
    to: { path: '^constructs/(?!platform/)' },
  },
  {
    name: 'targets-import-no-component',
    severity: 'error',
    from: { path: '^constructs/targets/' },
    to: { path: [COMPONENTS, ROOT] },
  },
  {
    name: 'components-import-no-target-or-root',
    severity: 'error',
    from: { path: COMPONENTS },
    to: { path: ['^constructs/targets/', ROOT] },
  },
];

async function violations(entries: string[], baseDir = process.cwd()): Promise<string[]> {
  const options: ICruiseOptions = {
    ruleSet: { forbidden: RULES },
    validate: true,
    exclude: { path: ['node_modules', '^test/', '\\.test\\.ts$'] },
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    baseDir,
  };
  const result = await cruise(entries, options);
  if (typeof result.output === 'string') throw new Error(result.output);
  return result.output.summary.violations.map((v) =>
    v.cycle?.length
      ? `${v.rule.name}: ${[v.from, ...v.cycle.map((c) => c.name)].join(' -> ')}`
      : `${v.rule.name}: ${v.from} -> ${v.to}`,
  );
}

describe('architecture', () => {
  it('has no import cycle and keeps the layers pointing one way', async () => {
    expect(await violations(['main.ts', 'stacks', 'constructs', 'scripts'])).toEqual([]);
  }, 60_000);

  it('reports a cycle and a seam that imports a component (negative control)', async () => {
    const dir = mkdtempSync(join('.tmp', 'arch-'));
    const put = (path: string, text: string) => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    put('constructs/platform/seam.ts', "import { k } from '../kafka/kafka';\nexport const s = k;\n");
    put('constructs/kafka/kafka.ts', "import { s } from '../platform/seam';\nexport const k = 1 + Number(s);\n");
    const found = await violations(['constructs'], dir);
    expect(found).toContain('seam-imports-no-component: constructs/platform/seam.ts -> constructs/kafka/kafka.ts');
    expect(found.some((v) => v.startsWith('no-import-cycle:'))).toBe(true);
    expect(relative('.', dir)).toMatch(/^\.tmp/);
  }, 60_000);
});

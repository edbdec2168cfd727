import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderMarkdown, renderTimeline, writeReport } from '../../scripts/chaos/report';
import type { Op, Verdict } from '../../scripts/chaos/types';

const FAULT_AT = 1_700_000_010_000;

/** 50 writes a second for 5 s before the fault and 8 s after, failing for the first `outageMs`. */
function history(outageMs: number): Op[] {
  const ops: Op[] = [];
  for (let t = FAULT_AT - 5000; t < FAULT_AT + 8000; t += 20) {
    const ok = t < FAULT_AT || t >= FAULT_AT + outageMs;
    ops.push({ key: `k${t}`, startedAt: t, endedAt: t + 5, ok });
  }
  return ops;
}

function verdict(overrides: Partial<Verdict> = {}): Verdict {
  return {
    scenario: 'patroni-leader-kill',
    driver: 'lab',
    passed: true,
    failures: [],
    fault: { description: 'kill patroni-1 <leader> & its "Postgres"', at: FAULT_AT },
    rtoSeconds: 2.5,
    rtoBoundSeconds: 6,
    counts: { attempted: 650, acknowledged: 525, lost: 0, duplicates: 0, unacknowledgedPresent: 1 },
    lostKeys: [],
    startedAt: FAULT_AT - 5000,
    endedAt: FAULT_AT + 9000,
    ...overrides,
  };
}

type Node = Record<string, unknown>;
const parse = (svg: string) =>
  new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['g', 'rect', 'text', 'line'].includes(name),
  }).parse(svg) as {
    svg: { g: Node[]; title: string };
  };
const group = (svg: ReturnType<typeof parse>, id: string) => svg.svg.g.find((g) => g.id === id);

describe('renderTimeline', () => {
  it('is well-formed SVG with the fault and recovery markers where they happened', () => {
    const text = renderTimeline(verdict(), history(2500));
    expect(XMLValidator.validate(text)).toBe(true);
    const svg = parse(text);
    const fault = (group(svg, 'fault-marker')!.line as Node[])[0]!;
    const recovery = (group(svg, 'recovery-marker')!.line as Node[])[0]!;
    const bound = (group(svg, 'rto-bound')!.line as Node[])[0]!;
    // 13 s over 860 px: the recovery 2.5 s and the bound 6 s right of the fault.
    expect(Number(recovery.x1) - Number(fault.x1)).toBeCloseTo((2.5 / 13) * 860, 0);
    expect(Number(bound.x1) - Number(fault.x1)).toBeCloseTo((6 / 13) * 860, 0);
    expect((group(svg, 'recovery-marker')!.text as Node[])[0]!['#text']).toBe('recovered +2.5 s');
  });

  it('draws a bar per 100 ms bucket: successes up, failures down', () => {
    const svg = parse(renderTimeline(verdict(), history(2500)));
    expect(group(svg, 'failed')!.rect).toHaveLength(25);
    expect(group(svg, 'acknowledged')!.rect).toHaveLength(105);
  });

  it('escapes text taken from the run', () => {
    const svg = parse(renderTimeline(verdict(), history(2500)));
    const heading = (group(svg, 'heading')!.text as Node[]).map((t) => t['#text']);
    expect(heading).toContain('Fault: kill patroni-1 <leader> & its "Postgres"');
  });

  it('shows a run that never recovered without a recovery marker', () => {
    const text = renderTimeline(verdict({ passed: false, rtoSeconds: undefined }), history(60_000));
    expect(XMLValidator.validate(text)).toBe(true);
    const svg = parse(text);
    expect(group(svg, 'recovery-marker')).toBeUndefined();
    expect(svg.svg.title).toBe('patroni-leader-kill on lab: FAIL');
  });

  it('renders an empty history', () => {
    expect(XMLValidator.validate(renderTimeline(verdict({ rtoSeconds: undefined }), []))).toBe(true);
  });
});

describe('renderMarkdown', () => {
  it('states the verdict, RTO against its bound, RPO and the counts', () => {
    const md = renderMarkdown(verdict());
    expect(md).toMatch(/^# patroni-leader-kill on lab: PASS$/m);
    expect(md).toContain('- **RTO**: 2.5 s, within the bound of 6 s');
    expect(md).toContain('- **RPO**: 0 of 525 acknowledged writes lost');
    expect(md).toContain('650 attempted, 525 acknowledged, 0 read back more than once, 1 unacknowledged yet present');
    expect(md).toContain('## Failures\n\nNone.');
    expect(md).not.toContain('## Lost writes');
  });

  it('lists failures and lost keys of a failed run', () => {
    const md = renderMarkdown(
      verdict({
        passed: false,
        failures: ['RPO: 2 acknowledged writes lost'],
        counts: { attempted: 650, acknowledged: 525, lost: 2, duplicates: 0, unacknowledgedPresent: 0 },
        lostKeys: ['k1', 'k2'],
      }),
    );
    expect(md).toMatch(/^# .*: FAIL$/m);
    expect(md).toContain('- RPO: 2 acknowledged writes lost');
    expect(md).toContain('2 of 2 lost keys: `k1`, `k2`');
  });
});

describe('writeReport', () => {
  it('writes verdict.json, report.md and timeline.svg', () => {
    mkdirSync(resolve('.tmp'), { recursive: true });
    const scratch = mkdtempSync(resolve('.tmp/chaos-report-'));
    const dir = join(scratch, 'run');
    writeReport(dir, verdict(), history(2500));
    expect(readdirSync(dir).sort()).toEqual(['report.md', 'timeline.svg', 'verdict.json']);
    expect(JSON.parse(readFileSync(join(dir, 'verdict.json'), 'utf8'))).toEqual(verdict());
    rmSync(scratch, { recursive: true });
  });
});

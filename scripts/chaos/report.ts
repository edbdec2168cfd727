/**
 * A run's report folder: verdict.json for machines, report.md and
 * timeline.svg for people. The SVG is built as an object tree and serialized
 * by fast-xml-parser's builder, which escapes text and attributes; the SVG
 * packages that draw need a DOM, which a script has no use for.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLBuilder } from 'fast-xml-parser';
import { timeline } from './history';
import type { Op, Verdict } from './types';

const BUCKET_MS = 100;

export function writeReport(dir: string, verdict: Verdict, ops: readonly Op[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'verdict.json'), `${JSON.stringify(verdict, null, 2)}\n`);
  writeFileSync(join(dir, 'report.md'), renderMarkdown(verdict));
  writeFileSync(join(dir, 'timeline.svg'), renderTimeline(verdict, ops));
}

const seconds = (s: number) => `${s.toFixed(1)} s`;
const outcome = (v: Verdict) => (v.passed ? 'PASS' : 'FAIL');

function rtoText(v: Verdict): string {
  if (v.rtoSeconds === undefined) return `no write acknowledged after the fault (bound ${v.rtoBoundSeconds} s)`;
  const within = v.rtoSeconds <= v.rtoBoundSeconds ? 'within' : 'over';
  return `${seconds(v.rtoSeconds)}, ${within} the bound of ${v.rtoBoundSeconds} s`;
}

export function renderMarkdown(v: Verdict): string {
  const c = v.counts;
  const lines = [
    `# ${v.scenario} on ${v.driver}: ${outcome(v)}`,
    '',
    `- **Fault**: ${v.fault.description}, at ${new Date(v.fault.at).toISOString()}`,
    `- **RTO**: ${rtoText(v)}`,
    `- **RPO**: ${c.lost} of ${c.acknowledged} acknowledged writes lost`,
    `- **Operations**: ${c.attempted} attempted, ${c.acknowledged} acknowledged, ${c.duplicates} read back more ` +
      `than once, ${c.unacknowledgedPresent} unacknowledged yet present (allowed)`,
    `- **Run**: ${new Date(v.startedAt).toISOString()} to ${new Date(v.endedAt).toISOString()} ` +
      `(${seconds((v.endedAt - v.startedAt) / 1000)})`,
    '',
    '## Failures',
    '',
    ...(v.failures.length ? v.failures.map((f) => `- ${f}`) : ['None.']),
    '',
  ];
  if (c.lost > 0) {
    const keys = v.lostKeys.map((k) => `\`${k}\``).join(', ');
    lines.push('## Lost writes', '', `${v.lostKeys.length} of ${c.lost} lost keys: ${keys}`, '');
  }
  lines.push(
    '## Timeline',
    '',
    `![Acknowledged and failed operations per ${BUCKET_MS} ms around the fault](timeline.svg)`,
    '',
  );
  return lines.join('\n');
}

// ---- timeline.svg -------------------------------------------------------------

const SIZE = { width: 960, height: 420 };
const PLOT = { left: 70, right: 930, top: 90, bottom: 340 };
const COLOR = { ok: '#2e7d32', failed: '#c62828', fault: '#212121', recovery: '#1565c0', bound: '#757575' };

type Element = Record<string, unknown>;

/** An element's attributes in the builder's notation (`@_name`). */
const at = (attributes: Record<string, string | number>): Element =>
  Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`@_${k}`, typeof v === 'number' ? round(v) : v]));
const round = (v: number) => Math.round(v * 10) / 10;
const text = (x: number, y: number, content: string, attributes: Record<string, string | number> = {}): Element => ({
  ...at({ x, y, ...attributes }),
  '#text': content,
});
const line = (x1: number, y1: number, x2: number, y2: number, attributes: Record<string, string | number>) =>
  at({ x1, y1, x2, y2, ...attributes });

function legendItem(i: number, color: string, label: string, dash?: string): Element {
  const [x, y] = [PLOT.left + i * 170, SIZE.height - 24];
  const swatch =
    dash === undefined
      ? { rect: at({ x, y: y - 6, width: 12, height: 12, fill: color }) }
      : { line: line(x, y, x + 16, y, { stroke: color, 'stroke-width': 2, 'stroke-dasharray': dash }) };
  return { ...swatch, text: text(x + 22, y + 4, label) };
}

/** A 1-2-5 tick step giving at most 12 ticks over `span` seconds. */
function tickStep(span: number): number {
  const rough = span / 12;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
}

export function renderTimeline(v: Verdict, ops: readonly Op[]): string {
  const tl = timeline(ops, BUCKET_MS);
  const bucket = BUCKET_MS / 1000;
  // Seconds relative to the fault: the axis everyone reads an RTO on.
  const first = ops.length ? (tl.start - v.fault.at) / 1000 : 0;
  const last = first + tl.ok.length * bucket;
  const lo = Math.min(first, 0);
  const hi = Math.max(last, v.rtoSeconds ?? 0, lo + 1);
  const x = (t: number) => PLOT.left + ((t - lo) / (hi - lo)) * (PLOT.right - PLOT.left);

  // Successes above the zero line, failures below, on one scale.
  const max = (counts: number[]) => counts.reduce((m, n) => Math.max(m, n), 0);
  const [maxOk, maxFailed] = [max(tl.ok), max(tl.failed)];
  const perOp = (PLOT.bottom - PLOT.top) / Math.max(1, maxOk + maxFailed);
  const zero = maxOk + maxFailed === 0 ? (PLOT.top + PLOT.bottom) / 2 : PLOT.top + maxOk * perOp;
  // Whole pixels, so that crisp edges leave no hairline gaps between neighbouring bars.
  const left = (i: number) => Math.round(x(first + i * bucket));
  const bars = (counts: number[], color: string, up: boolean): Element[] =>
    counts.flatMap((n, i) =>
      n === 0
        ? []
        : [
            at({
              x: left(i),
              y: up ? zero - n * perOp : zero,
              width: Math.max(1, left(i + 1) - left(i)),
              height: n * perOp,
              fill: color,
            }),
          ],
    );

  const step = tickStep(hi - lo);
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) ticks.push(round(t));

  const marker = (id: string, t: number, color: string, label: string, dash: string, anchor: 'start' | 'end') => ({
    '@_id': id,
    line: line(x(t), PLOT.top - 4, x(t), PLOT.bottom, { stroke: color, 'stroke-width': 2, 'stroke-dasharray': dash }),
    text: text(x(t) + (anchor === 'start' ? 4 : -4), PLOT.top - 8, label, { fill: color, 'text-anchor': anchor }),
  });
  const markers = [marker('fault-marker', 0, COLOR.fault, 'fault', '6 3', 'end')];
  if (v.rtoSeconds !== undefined) {
    markers.push(
      marker('recovery-marker', v.rtoSeconds, COLOR.recovery, `recovered +${seconds(v.rtoSeconds)}`, '', 'start'),
    );
  }
  if (v.rtoBoundSeconds <= hi) {
    markers.push(
      marker('rto-bound', v.rtoBoundSeconds, COLOR.bound, `RTO bound ${v.rtoBoundSeconds} s`, '2 3', 'start'),
    );
  }

  const title = `${v.scenario} on ${v.driver}: ${outcome(v)}`;
  const svg = {
    svg: {
      ...at({
        xmlns: 'http://www.w3.org/2000/svg',
        width: SIZE.width,
        height: SIZE.height,
        viewBox: `0 0 ${SIZE.width} ${SIZE.height}`,
        'font-family': 'DejaVu Sans, Arial, sans-serif',
        'font-size': 12,
      }),
      title,
      rect: at({ width: SIZE.width, height: SIZE.height, fill: '#ffffff' }),
      g: [
        {
          '@_id': 'heading',
          text: [
            text(PLOT.left, 24, title, {
              'font-size': 16,
              'font-weight': 'bold',
              fill: v.passed ? COLOR.ok : COLOR.failed,
            }),
            text(PLOT.left, 44, `Fault: ${v.fault.description}`),
            text(
              PLOT.left,
              62,
              `RTO ${rtoText(v)} · RPO ${v.counts.lost} of ${v.counts.acknowledged} acknowledged lost`,
            ),
          ],
        },
        { '@_id': 'acknowledged', '@_shape-rendering': 'crispEdges', rect: bars(tl.ok, COLOR.ok, true) },
        { '@_id': 'failed', '@_shape-rendering': 'crispEdges', rect: bars(tl.failed, COLOR.failed, false) },
        {
          '@_id': 'axes',
          '@_stroke': '#9e9e9e',
          line: [
            line(PLOT.left, zero, PLOT.right, zero, {}),
            line(PLOT.left, PLOT.top, PLOT.left, PLOT.bottom, {}),
            ...ticks.map((t) => line(x(t), PLOT.bottom, x(t), PLOT.bottom + 5, {})),
          ],
        },
        {
          '@_id': 'labels',
          '@_fill': '#424242',
          text: [
            ...ticks.map((t) =>
              text(x(t), PLOT.bottom + 18, `${String(t).replace('-', '−')} s`, { 'text-anchor': 'middle' }),
            ),
            text((PLOT.left + PLOT.right) / 2, PLOT.bottom + 38, 'seconds since the fault', {
              'text-anchor': 'middle',
            }),
            text(PLOT.left - 8, zero + 4, '0', { 'text-anchor': 'end' }),
            ...(maxOk > 0 ? [text(PLOT.left - 8, PLOT.top + 4, String(maxOk), { 'text-anchor': 'end' })] : []),
            ...(maxFailed > 0
              ? [text(PLOT.left - 8, PLOT.bottom + 4, String(maxFailed), { 'text-anchor': 'end' })]
              : []),
            text(20, (PLOT.top + PLOT.bottom) / 2, `operations per ${BUCKET_MS} ms`, {
              'text-anchor': 'middle',
              transform: `rotate(-90 20 ${(PLOT.top + PLOT.bottom) / 2})`,
            }),
          ],
        },
        ...markers,
        {
          '@_id': 'legend',
          g: [
            legendItem(0, COLOR.ok, 'acknowledged (up)'),
            legendItem(1, COLOR.failed, 'failed (down)'),
            legendItem(2, COLOR.fault, 'fault', '6 3'),
            legendItem(3, COLOR.recovery, 'first acknowledged after it', ''),
          ],
        },
      ],
    },
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    format: true,
    suppressEmptyNode: true,
  });
  return builder.build(svg) as string;
}

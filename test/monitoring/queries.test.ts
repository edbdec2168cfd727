import { readFileSync, readdirSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { CONNECT_JMX_RULES } from '../../constructs/cdc/cdc-monitoring';
import { KAFKA_JMX_RULES } from '../../constructs/kafka/kafka-monitoring';
import { JMX_AGENT_METRICS, type JmxRule } from '../../constructs/monitoring/jmx-exporter';
import { overviewDashboard } from '../../constructs/monitoring/overview-dashboard';
import type { ComponentMonitoring } from '../../constructs/platform/monitoring-registry';
import { allMonitoring } from './components';

const CATALOG_DIR = 'monitoring/catalog';

/** Metric names of a catalog file: one per line, `#` comments. */
function catalog(name: string): Set<string> {
  const text = readFileSync(`${CATALOG_DIR}/${name}.txt`, 'utf8');
  return new Set(text.split('\n').filter((l) => l && !l.startsWith('#')));
}

interface Query {
  readonly where: string;
  readonly expr: string;
}

/** Every PromQL expression of a component: rules, dashboard panels and annotations. */
function queries(c: ComponentMonitoring): Query[] {
  const fromDashboard = (value: unknown, where: string): Query[] => {
    if (Array.isArray(value)) return value.flatMap((v) => fromDashboard(v, where));
    if (!value || typeof value !== 'object') return [];
    const o = value as Record<string, unknown>;
    const here = typeof o.title === 'string' ? `${where} › ${o.title}` : where;
    const own = typeof o.expr === 'string' ? [{ where: here, expr: o.expr }] : [];
    return [...own, ...Object.values(o).flatMap((v) => fromDashboard(v, here))];
  };
  return [
    ...c.rules.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr })),
    ...fromDashboard(c.dashboard, `dashboard ${c.dashboard.title}`),
  ];
}

interface Parsed {
  readonly errors: string[];
  /** Metric names with the `job` each selector pins, if any. */
  readonly selectors: { readonly metric: string; readonly job?: string }[];
}

/** Parses with Prometheus' own lezer grammar; returns syntax errors and the selected metric names. */
function parse(expr: string): Parsed {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const selectors: Parsed['selectors'][number][] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError)
        errors.push(`syntax error at ${n.from}: '${expr.slice(Math.max(0, n.from - 10), n.to + 10)}'`);
      if (n.name !== 'VectorSelector') return;
      const id = n.node.getChild('Identifier');
      if (!id) return;
      const text = expr.slice(n.from, n.to);
      const job = text.match(/\bjob="([^"]+)"/)?.[1];
      selectors.push({ metric: expr.slice(id.from, id.to), ...(job ? { job } : {}) });
    },
  });
  return { errors, selectors };
}

const components = allMonitoring();
const synthetic = catalog('prometheus-synthetic');
const jobs = new Map(
  components.flatMap((c) => c.jobs.map((j) => [j.job, new Set([...catalog(j.exporter), ...synthetic])] as const)),
);
const everyName = new Set([...jobs.values()].flatMap((names) => [...names]));

/** Problems of one query: syntax errors, and metric names no registered exporter produces (for its job, if pinned). */
function problems(q: Query): string[] {
  const { errors, selectors } = parse(q.expr);
  const unknown = selectors
    .filter((s) => !(s.job ? jobs.get(s.job)?.has(s.metric) : everyName.has(s.metric)))
    .map((s) => `${s.metric}${s.job ? ` (job ${s.job})` : ''} is in no catalog of a registered exporter`);
  return [...errors, ...unknown].map((p) => `${q.where}: ${p}`);
}

describe('PromQL of rules and dashboards', () => {
  const all = [
    ...components.flatMap(queries),
    ...queries({ ...components[0]!, rules: [], dashboard: overviewDashboard(components) }),
  ];

  it('parses every query and finds each metric name in the catalog of an exporter that is scraped', () => {
    expect(all.length).toBeGreaterThan(150);
    expect(all.flatMap(problems)).toEqual([]);
  });

  it('rejects a misspelt metric name, a metric of another job and a syntax error', () => {
    expect(problems({ where: 'typo', expr: 'patroni_primmary{job="patroni"} == 1' })).toEqual([
      'typo: patroni_primmary (job patroni) is in no catalog of a registered exporter',
    ]);
    expect(problems({ where: 'job', expr: 'etcd_server_has_leader{job="patroni"}' })).toHaveLength(1);
    expect(problems({ where: 'syntax', expr: 'sum(rate(up[5m])' }).join()).toMatch(/syntax error/);
  });

  it('pins a job on every selector of a component query, except the platform-wide scrape health', () => {
    const unpinned = components
      .filter((c) => c.component !== 'monitoring')
      .flatMap(queries)
      .filter((q) => parse(q.expr).selectors.some((s) => !s.job && s.metric !== 'ALERTS'));
    // cAdvisor's series are selected by container label, not by job.
    expect(
      unpinned.filter((q) => !q.expr.includes('container_label_dataplatform_component')).map((q) => q.where),
    ).toEqual([]);
  });
});

describe('metric catalogs', () => {
  it('has a catalog file for every scraped exporter', () => {
    const files = new Set(
      readdirSync(CATALOG_DIR)
        .filter((f) => f.endsWith('.txt'))
        .map((f) => f.slice(0, -4)),
    );
    for (const c of components) for (const j of c.jobs) expect(files, `${j.job}`).toContain(j.exporter);
  });

  it.each([
    ['kafka-jmx-1.6', KAFKA_JMX_RULES],
    ['connect-jmx-1.6', CONNECT_JMX_RULES],
  ] as const)('keeps %s equal to its JMX rules', (name, rules: readonly JmxRule[]) => {
    expect([...catalog(name)].sort()).toEqual([...new Set([...rules.map((r) => r.name), ...JMX_AGENT_METRICS])].sort());
  });
});

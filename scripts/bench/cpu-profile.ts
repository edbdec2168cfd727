/**
 * Where a V8 CPU profile (`node --cpu-prof`) spends its time, by kind of work.
 * Each sample goes to the first rule that matches its frames, leaf first: the
 * code that was running, not whoever called it.
 */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** [substring of a frame's script URL, category], tried in order on each frame. */
const RULES: readonly (readonly [string, string])[] = [
  ['/cdktf/lib/tokens/private/stack-trace.js', 'cdktf: creation stack of each token'],
  ['node:internal/source_map', 'source maps (stack frames, module maps)'],
  ['cjs-module-lexer', 'loading: export scan of CommonJS modules imported from ESM'],
  ['node:internal/modules', 'loading: resolve, read, compile (node + tsx hooks)'],
  ['/tsx/dist/', 'loading: resolve, read, compile (node + tsx hooks)'],
  ['/@cdktf/provider-', 'provider classes'],
  ['/node_modules/cdktf/', 'cdktf: constructs, tokens, resolve, synth'],
  ['/node_modules/constructs/', 'cdktf: constructs, tokens, resolve, synth'],
  ['/node_modules/yaml/', 'yaml (renderers)'],
  ['/node_modules/@grafana/', 'grafana foundation sdk (dashboards)'],
  ['/node_modules/', 'other libraries'],
  ['/constructs/', 'this project: constructs and renderers'],
  ['/stacks/', 'this project: constructs and renderers'],
];

const SPECIAL = new Map([
  ['(idle)', 'idle: main thread waiting (tsx hooks worker, I/O)'],
  ['(garbage collector)', 'garbage collection'],
  ['(program)', 'V8 and native code'],
]);

/** Milliseconds per category, largest first. */
export function categorize(profile: CpuProfile): { category: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const leaf = byId.get(id)!;
    let category = SPECIAL.get(leaf.callFrame.functionName);
    for (let cur: number | undefined = id; !category && cur !== undefined; cur = parent.get(cur)) {
      const url = byId.get(cur)!.callFrame.url;
      category = RULES.find(([part]) => url.includes(part))?.[1];
    }
    category ??= 'other';
    totals.set(category, (totals.get(category) ?? 0) + profile.timeDeltas[i]! / 1000);
  });
  return [...totals].map(([category, ms]) => ({ category, ms })).sort((a, b) => b.ms - a.ms);
}

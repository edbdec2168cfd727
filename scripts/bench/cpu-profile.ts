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

/** Milliseconds per label that `label` gives each sample (by the sample's leaf node id), largest first. */
function tally(
  profile: CpuProfile,
  label: (leaf: ProfileNode, frames: () => Generator<ProfileNode>) => string,
): { category: string; ms: number }[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    function* frames(): Generator<ProfileNode> {
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) yield byId.get(cur)!;
    }
    const category = label(byId.get(id)!, frames);
    totals.set(category, (totals.get(category) ?? 0) + profile.timeDeltas[i]! / 1000);
  });
  return [...totals].map(([category, ms]) => ({ category, ms })).sort((a, b) => b.ms - a.ms);
}

/** Kind of work of one sample: the leaf's special name, else the first frame (leaf first) a rule knows. */
function kindOf(leaf: ProfileNode, frames: () => Generator<ProfileNode>): string {
  const special = SPECIAL.get(leaf.callFrame.functionName);
  if (special) return special;
  for (const f of frames()) {
    const category = RULES.find(([part]) => f.callFrame.url.includes(part))?.[1];
    if (category) return category;
  }
  return 'other';
}

/** Milliseconds per kind of work, largest first. */
export function categorize(profile: CpuProfile): { category: string; ms: number }[] {
  return tally(profile, kindOf);
}

/** [function name, substring of its script URL, phase]: a sample is in the first phase with a frame on its stack. */
const PHASES: readonly (readonly [string, string, string])[] = [
  ['runAllValidations', '/cdktf/lib/', 'app.synth(): validations (`terraform version` per terraform_data)'],
  ['invokeAspects', '/cdktf/lib/', 'app.synth(): aspects (the AWS guardrails resolve their stack once more)'],
  ['prepareStack', '/cdktf/lib/terraform-stack.js', 'app.synth(): preparing pass (every element resolved once before)'],
  ['toTerraform', '/cdktf/lib/terraform-stack.js', 'app.synth(): each stack to JSON (resolving tokens)'],
  ['synth', '/cdktf/lib/app.js', 'app.synth(): writing the files, the rest'],
  ['DataPlatform', '/constructs/data-platform.ts', 'constructing: DataPlatform (components, renderers)'],
  ['DockerTarget', '/constructs/targets/docker/', 'constructing: DockerTarget (local stack)'],
  ['AwsTarget', '/constructs/targets/aws/', 'constructing: AwsTarget (aws stack)'],
  ['LocalStack', '/stacks/', 'constructing: LocalStack, the rest'],
  ['AwsStack', '/stacks/', 'constructing: AwsStack, the rest'],
];
const LOADING = 'loading modules (and waiting on the tsx hooks worker)';

/**
 * Milliseconds per phase of the run, largest first: loading and garbage
 * collection wherever they happen, then the first phase (in PHASES' order) on each sample's stack.
 */
export function phases(profile: CpuProfile): { category: string; ms: number }[] {
  return tally(profile, (leaf, frames) => {
    const kind = kindOf(leaf, frames);
    if (kind.startsWith('loading') || kind.startsWith('idle') || kind.startsWith('source maps')) return LOADING;
    if (kind === 'garbage collection') return kind;
    const stack = [...frames()].map((f) => f.callFrame);
    const phase = PHASES.find(([name, url]) => stack.some((f) => f.functionName === name && f.url.includes(url)));
    return phase?.[2] ?? 'top level of modules (outside any phase above)';
  });
}

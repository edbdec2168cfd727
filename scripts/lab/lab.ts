/**
 * The loopback lab: the platform's real servers, on 127.0.0.1 only, running
 * the configs the renderers produce.
 *
 *   npm run lab -- up       start everything; prints the topology manifest path
 *   npm run lab -- status   each node, its pid, and whether it is ready (a job: done, with its exit code)
 *   npm run lab -- down     stop everything and remove the lab folder
 *
 * LAB_BASE_PORT (default 21000) is the first of the ports the lab takes.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { planLab } from './plan';
import { readState, startLab, stopLab } from './runtime';
import { formatStatus, labStatus } from './status';

const POINTER = resolve('.tmp/lab/current.json');
const basePort = Number(process.env.LAB_BASE_PORT ?? 21000);

function currentRoot(): string | undefined {
  return existsSync(POINTER) ? (JSON.parse(readFileSync(POINTER, 'utf8')) as { root: string }).root : undefined;
}

async function up(): Promise<void> {
  if (currentRoot()) throw new Error(`a lab is already up at ${currentRoot()}: 'npm run lab -- down' first`);
  const root = mkdtempSync('/tmp/dplab-');
  const started = Date.now();
  const lab = await startLab({ root, basePort, progress: (m) => console.log(`  ${m}`) }).catch((error) => {
    console.error(`lab: bring-up failed; logs kept in ${root}/logs`);
    throw error;
  });
  mkdirSync(resolve('.tmp/lab'), { recursive: true });
  writeFileSync(POINTER, JSON.stringify({ root }));
  console.log(`lab up in ${((Date.now() - started) / 1000).toFixed(1)} s: ${lab.plan.nodes.length} nodes`);
  if (lab.plan.notRun.length)
    console.log(`not run in the lab (no server packaged here): ${lab.plan.notRun.join(', ')}`);
  console.log(`topology manifest: ${lab.manifestPath}`);
}

async function down(): Promise<void> {
  const root = currentRoot();
  if (!root) return console.log('no lab is up');
  if (existsSync(root)) stopLab(readState(root), { keepRoot: false });
  rmSync(POINTER);
  console.log(`lab at ${root} stopped and removed`);
}

async function status(): Promise<void> {
  const root = currentRoot();
  if (!root) return console.log('no lab is up');
  const state = readState(root);
  console.log(
    formatStatus(
      await labStatus(planLab(root, state.basePort, { values: state.values, profile: state.profile }), state),
    ),
  );
}

const commands: Record<string, () => Promise<void>> = { up, down, status };
const command = commands[process.argv[2] ?? ''];
if (!command) {
  console.error('usage: npm run lab -- up|down|status');
  process.exit(2);
}
await command().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});

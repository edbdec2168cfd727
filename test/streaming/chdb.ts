import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { findTool } from '../real-tools/tools';

/**
 * ClickHouse for the tests: chDB, the ClickHouse engine embedded in a Python
 * package (chdb 4.4, ClickHouse 26.9), in the venv scripts/lab/setup.sh makes.
 * It runs DDL and queries like a server, Kafka engine tables included, but it
 * cannot load server config files or run Keeper (so no Replicated engines).
 */
const candidate = findTool(process.env.CHDB_PYTHON ?? '/opt/dataplatform/chdb-venv/bin/python');
export const chdbPython =
  candidate && spawnSync(candidate, ['-c', 'import chdb'], { timeout: 30_000 }).status === 0 ? candidate : undefined;

export interface ChdbRequest {
  readonly statements: readonly string[];
  readonly steps?: readonly (
    | { readonly insert: string; readonly rows: readonly object[] }
    | { readonly query: string; readonly until?: readonly object[]; readonly timeout?: number }
  )[];
}

export interface ChdbResult {
  readonly errors: readonly { readonly sql: string; readonly error: string }[];
  readonly results: readonly (readonly Record<string, unknown>[])[];
}

export function chdb(request: ChdbRequest, timeoutMs = 240_000): ChdbResult {
  const run = spawnSync(chdbPython!, [resolve('test/streaming/chdb_runner.py')], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`chdb runner failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ChdbResult;
}

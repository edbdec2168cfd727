import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { DataPlatform } from '../../constructs/data-platform';
import { PLATFORM_CA_PATH } from '../../constructs/platform/tls';
import type { ClientTls } from '../../scripts/lab/https';
import { issueLabTls } from '../../scripts/lab/tls';

/** First executable among `candidates` (absolute paths or names on PATH). */
export function findTool(...candidates: string[]): string | undefined {
  for (const c of candidates) {
    if (c.startsWith('/')) {
      try {
        accessSync(c, constants.X_OK);
        return c;
      } catch {
        continue;
      }
    }
    try {
      return execFileSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * Whether the tools are here. In CI a missing tool fails the run (it is an
 * install bug); on a developer machine the tests are skipped with a warning.
 */
export function haveTools(
  tools: Record<string, string | undefined>,
  hint = 'scripts/lab/setup.sh installs them',
): boolean {
  const missing = Object.entries(tools)
    .filter(([, path]) => !path)
    .map(([name]) => name);
  if (missing.length === 0) return true;
  const message = `${missing.join(', ')} not installed: ${hint}`;
  if (process.env.CI) throw new Error(`${message} (in CI a missing tool is a failure, not a skip)`);
  console.warn(`skipping real-tool checks: ${message}`);
  return false;
}

/** A fresh scratch folder under .tmp, readable by the postgres user. */
export function scratch(name: string): string {
  const dir = resolve('.tmp/real-tools', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return dir;
}

/** argv that runs `command` as the postgres OS user when we are root (servers refuse to run as root). */
export function asPostgres(command: string[]): string[] {
  if (process.getuid?.() !== 0) return command;
  return ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', ...command];
}

export function run(argv: string[], timeoutMs = 20_000): { code: number; output: string } {
  try {
    const output = execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, stdio: 'pipe' });
    return { code: 0, output };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

export function start(argv: string[]): ChildProcess {
  return spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * The lab's TLS for `platform`, as `npm run lab` places it: the CA and every declared certificate issued
 * under `<root>/tls`, the CA in each of `nodes`' folders, and their certificates and keys at the declared
 * paths. Returns the CA certificate and, per issued node, PEM files a client can present (every node
 * certificate is also a client certificate).
 */
export function placeTls(
  platform: DataPlatform,
  root: string,
  nodes: readonly string[],
): { caCert: string; clients: Record<string, Required<ClientTls>> } {
  const tls = issueLabTls(join(root, 'tls'), platform.certificates);
  const put = (node: string, path: string, content: string) => {
    const file = platform.placement.path(node, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  };
  for (const node of nodes) {
    put(node, PLATFORM_CA_PATH, tls.caCert);
    for (const c of tls.certificates.filter((i) => i.spec.node === node)) {
      put(node, c.spec.certPath, c.cert);
      put(node, c.spec.keyPath, c.key);
    }
  }
  const clients = Object.fromEntries(
    tls.certificates.map((c) => [c.spec.node, { ca: tls.caCert, cert: c.cert, key: c.key }]),
  );
  return { caCert: tls.caCert, clients };
}

/**
 * Network partitions between lab nodes, with nftables.
 *
 * Every lab node listens on ports of its own on loopback, but a node's
 * outgoing connections leave from 127.0.0.1 like any client's, so neither
 * addresses nor ports tell a peer from a client. The socket's cgroup does:
 * each node's server starts in a cgroup of its own (no controller is enabled,
 * so nothing else about it changes; a socket keeps the cgroup of the process
 * that made it, so moving a running server later would not do). During a cut,
 * every packet a socket of a cut node or of its peers sends is marked with
 * its node's number on output, and dropped on input when the receiving socket
 * is on the other side of the cut. Per packet, both directions, on open
 * connections and new ones; everyone else (HAProxy, PgBouncer, the workloads,
 * the operator) is untouched. Dropped, not rejected: a lost network answers
 * nothing. Levels are counted from the cgroup2 mount: not for use inside a
 * cgroup namespace.
 *
 * The lab owns one table, `inet dataplatform_lab_<basePort>`, rewritten whole
 * on each change from `<root>/partitions.json`. `healAll` deletes it (the lab
 * tests' restore); `clearPartitions` deletes it and the cgroups (`lab down`,
 * any lab stop).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A node cut off from some peers. */
export interface Partition {
  readonly node: string;
  readonly peers: readonly string[];
}

/** High bits of the packet marks, so a stray mark of someone else's is not read as a lab node. */
const MARK_BASE = 0x4c490000;
/** Bound on one nft or cgroup operation. */
const NFT_TIMEOUT_MS = 10_000;

const NAME = /^[a-z0-9][a-z0-9-]*$/;

export function labTableName(basePort: number): string {
  return `dataplatform_lab_${basePort}`;
}

/**
 * The nft script that makes the table hold exactly `partitions`: created if
 * missing, then deleted and rebuilt in one transaction (an empty list leaves
 * no table). Cgroup paths are relative to the cgroup2 root.
 */
export function partitionRuleset(table: string, partitions: readonly Partition[]): string {
  const names = [...new Set(partitions.flatMap((p) => [p.node, ...p.peers]))].sort();
  for (const n of names) if (!NAME.test(n)) throw new Error(`lab partition: bad node name '${n}'`);
  const lines = [`table inet ${table} {}`, `delete table inet ${table}`];
  if (partitions.length === 0) return `${lines.join('\n')}\n`;
  const mark = (n: string) => `0x${(MARK_BASE + names.indexOf(n) + 1).toString(16)}`;
  const cgroup = (n: string) => `socket cgroupv2 level 2 "${table}/${n}"`;
  const pairs = new Set<string>();
  for (const p of partitions) {
    for (const peer of p.peers) {
      if (peer === p.node) throw new Error(`lab partition: ${p.node} cannot be cut off from itself`);
      pairs.add(`${p.node} ${peer}`).add(`${peer} ${p.node}`);
    }
  }
  lines.push(
    `table inet ${table} {`,
    '  chain output {',
    '    type filter hook output priority 0; policy accept;',
    ...names.map((n) => `    ${cgroup(n)} meta mark set ${mark(n)}`),
    '  }',
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    ...[...pairs].sort().map((pair) => {
      const [from, to] = pair.split(' ') as [string, string];
      return `    meta mark ${mark(from)} ${cgroup(to)} drop`;
    }),
    '  }',
    '}',
  );
  return `${lines.join('\n')}\n`;
}

/** Where cgroup2 is mounted, from /proc/mounts (`/sys/fs/cgroup`, or `/sys/fs/cgroup/unified` on hybrid hosts). */
export function cgroup2Mount(mounts = readFileSync('/proc/mounts', 'utf8')): string | undefined {
  return mounts
    .split('\n')
    .map((l) => l.split(' '))
    .find((f) => f[2] === 'cgroup2')?.[1];
}

function nftPath(): string | undefined {
  return ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'].find((p) => existsSync(p));
}

/** Why partitions cannot be made here, or undefined when they can. */
export function partitionsUnsupported(): string | undefined {
  if (process.getuid?.() !== 0) return 'lab partitions need root (nftables and cgroups)';
  if (!nftPath()) return 'lab partitions need nftables (/usr/sbin/nft): run scripts/lab/setup.sh';
  if (!cgroup2Mount()) return 'lab partitions need a cgroup2 mount, and this host has none';
  return undefined;
}

/**
 * Runs an nft script. nft resolves `socket cgroupv2` paths under /sys/fs/cgroup
 * only; on a hybrid host it runs in a mount namespace of its own with the
 * cgroup2 mount bound there (the rule keeps the cgroup's id, not its path).
 */
function nft(script: string): void {
  const bin = nftPath()!;
  const mount = cgroup2Mount()!;
  const argv =
    mount === '/sys/fs/cgroup'
      ? [bin, '-f', '-']
      : ['unshare', '-m', 'sh', '-c', `mount --bind "$1" /sys/fs/cgroup && exec "$2" -f -`, 'nft', mount, bin];
  execFileSync(argv[0]!, argv.slice(1), { input: script, timeout: NFT_TIMEOUT_MS, stdio: ['pipe', 'pipe', 'pipe'] });
}

function cgroupDir(basePort: number, node?: string): string {
  const dir = join(cgroup2Mount()!, labTableName(basePort));
  return node ? join(dir, node) : dir;
}

/**
 * The argv that starts `argv` in the node's cgroup (made here), or `argv`
 * itself where partitions are unsupported: such a lab runs, and a cut fails
 * saying why. The shell joins the cgroup before exec, so no socket is ever
 * made outside it.
 */
export function inNodeCgroup(basePort: number, node: string, argv: readonly string[]): string[] {
  if (partitionsUnsupported()) return [...argv];
  const dir = cgroupDir(basePort, node);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (process.env.CI === 'true') throw new Error(`lab: cannot make cgroup ${dir}: ${(e as Error).message}`);
    return [...argv];
  }
  return ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, ...argv];
}

function statePath(root: string): string {
  return join(root, 'partitions.json');
}

export function readPartitions(root: string): Partition[] {
  return existsSync(statePath(root)) ? (JSON.parse(readFileSync(statePath(root), 'utf8')) as Partition[]) : [];
}

function cgroupProcs(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export interface PartitionRequest extends Partition {
  /** Live pids of a lab node (the driver's view of what the node holds). */
  readonly processesOf: (node: string) => number[];
}

function write(root: string, basePort: number, partitions: readonly Partition[]): void {
  nft(partitionRuleset(labTableName(basePort), partitions));
  if (partitions.length) writeFileSync(statePath(root), JSON.stringify(partitions));
  else rmSync(statePath(root), { force: true });
}

/** Cuts `node` off from `peers` (beside any cut already in force) and returns once the rules are in. */
export function cut(root: string, basePort: number, req: PartitionRequest): void {
  const problem = partitionsUnsupported();
  if (problem) throw new Error(problem);
  for (const n of [req.node, ...req.peers]) {
    const inside = new Set(cgroupProcs(cgroupDir(basePort, n)));
    const outside = req.processesOf(n).filter((p) => !inside.has(p));
    // A node with no process is down: nothing to cut, and a restart puts it in its cgroup.
    if (outside.length) {
      throw new Error(
        `lab partition: ${n}'s processes ${outside.join(', ')} are not in its cgroup ${cgroupDir(basePort, n)} ` +
          `(started by a lab from before partitions, or by hand): restart the lab`,
      );
    }
  }
  write(root, basePort, [
    ...readPartitions(root).filter((p) => p.node !== req.node),
    { node: req.node, peers: req.peers },
  ]);
}

/** Removes the cut of `node`. */
export function heal(root: string, basePort: number, node: string): void {
  write(
    root,
    basePort,
    readPartitions(root).filter((p) => p.node !== node),
  );
}

/**
 * Removes every cut, whatever state the last run left (the table is deleted
 * even with no state file); returns whether there was a cut in force.
 */
export function healAll(root: string, basePort: number): boolean {
  if (partitionsUnsupported()) return false;
  const had = readPartitions(root).length > 0;
  write(root, basePort, []);
  return had;
}

/** healAll, and the lab's cgroups removed: for a lab whose processes are gone. */
export function clearPartitions(root: string, basePort: number): void {
  if (partitionsUnsupported()) return;
  healAll(root, basePort);
  const dir = cgroupDir(basePort);
  if (!existsSync(dir)) return;
  for (const node of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    // An empty cgroup drops nothing: one a leftover process keeps busy is harmless, and reused by the next lab.
    try {
      rmdirSync(join(dir, node.name));
    } catch {
      /* still holds a process */
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    /* a node cgroup is left */
  }
}

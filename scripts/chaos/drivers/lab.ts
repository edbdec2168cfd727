/**
 * The loopback lab's driver: signals to the node's processes, which are every
 * process whose command line names the node's folder (`<root>/<node>/`) and
 * all their descendants (Postgres' workers rename themselves; Patroni starts
 * Postgres in a session of its own). Together they are what a container holds.
 *
 * - kill: SIGKILL to all of them and the process groups they lead, until none is left: a crash.
 * - stop: SIGTERM to the node's main process, then SIGKILL to whatever is left after 10 s (as `docker stop`).
 * - start: the node's launch command again, unless it runs; the new pid goes into the lab state and
 *   the manifest. Like `docker start` it does not wait for the node to be ready.
 * - restart: stop, then start.
 * - pause / resume: SIGSTOP / SIGCONT to all of them (as the freezer cgroup of `docker pause`).
 * - disconnect / connect: a partition (scripts/lab/partition.ts): packets between the node and its
 *   peers (scope.peers, by default every other lab node) are dropped by nftables, both ways; clients
 *   that are not lab nodes (the workloads, the operator's tools) still reach it. Needs root, nft and
 *   cgroup2; without them the action fails saying what is missing.
 *
 * Liveness is read from /proc/<pid>/stat, not `kill -0`: here processes reparented to PID 1 are
 * never reaped, and a zombie still answers signals.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestNode, TopologyManifest } from '../../../constructs/platform/topology';
import { planLab, type LabNode } from '../../lab/plan';
import { labAlive, procStat, processesMarked } from '../../lab/procs';
import { cut, heal } from '../../lab/partition';
import { readState, spawnNode, writeState } from '../../lab/runtime';
import type { Driver, FaultAction, PartitionScope } from '../types';

const STOP_GRACE_MS = 10_000;
/** Bound on signals taking effect (kill, pause, resume). */
const SIGNALLED_WITHIN_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function signal(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone meanwhile */
    }
  }
}

export class LabDriver implements Driver {
  readonly name = 'lab';
  private labNodes?: readonly LabNode[];

  /** @param root the lab's folder: the one holding lab-state.json and topology.json */
  constructor(private readonly root: string) {}

  async act(action: FaultAction, node: ManifestNode, scope: PartitionScope = {}): Promise<void> {
    switch (action) {
      case 'kill':
        return this.kill(node.name);
      case 'stop':
        return this.stop(node.name);
      case 'start':
        return this.start(node.name);
      case 'restart':
        await this.stop(node.name);
        return this.start(node.name);
      case 'pause':
        return this.freeze(node.name, true);
      case 'resume':
        return this.freeze(node.name, false);
      case 'disconnect':
        return this.disconnect(node.name, scope);
      case 'connect':
        return heal(this.root, readState(this.root).basePort, node.name);
    }
  }

  private disconnect(node: string, scope: PartitionScope): void {
    const state = readState(this.root);
    const peers = scope.peers?.map((p) => p.name) ?? Object.keys(state.pids).filter((n) => n !== node);
    cut(this.root, state.basePort, { node, peers, processesOf: (n) => this.processes(n) });
  }

  /** Every live process of the node. */
  processes(node: string): number[] {
    return processesMarked(`${this.root}/${node}/`);
  }

  /**
   * SIGKILL until nothing is left. A process may fork between the scan and the
   * signal, so the groups led by the node's processes are killed first; only
   * those: a group led by anyone else is not the node's to kill.
   */
  private async kill(node: string): Promise<void> {
    const deadline = Date.now() + SIGNALLED_WITHIN_MS;
    for (let left = this.processes(node); left.length > 0; left = this.processes(node)) {
      if (Date.now() > deadline) {
        throw new Error(`lab driver: ${node} still has processes ${left.join(', ')} after SIGKILL`);
      }
      const groups = left.filter((pid) => procStat(pid)?.pgrp === pid);
      signal([...groups.map((pid) => -pid), ...left], 'SIGKILL');
      await sleep(50);
    }
  }

  /** SIGSTOP or SIGCONT, returning once every process is (no longer) stopped, as `docker pause` does. */
  private async freeze(node: string, stop: boolean): Promise<void> {
    const pids = this.processes(node);
    signal(pids, stop ? 'SIGSTOP' : 'SIGCONT');
    const done = () => pids.every((pid) => (procStat(pid)?.state === 'T') === stop || !labAlive(pid));
    const deadline = Date.now() + SIGNALLED_WITHIN_MS;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`lab driver: ${node} did not ${stop ? 'pause' : 'resume'}`);
      await sleep(20);
    }
  }

  private async stop(node: string): Promise<void> {
    const pid = readState(this.root).pids[node];
    if (pid !== undefined) signal([pid], 'SIGTERM');
    const deadline = Date.now() + STOP_GRACE_MS;
    while (Date.now() < deadline && this.processes(node).length > 0) await sleep(100);
    await this.kill(node);
  }

  private async start(node: string): Promise<void> {
    const state = readState(this.root);
    const running = state.pids[node];
    if (running !== undefined && labAlive(running)) return;
    this.labNodes ??= planLab(this.root, state.basePort, { values: state.values, profile: state.profile }).nodes;
    const labNode = this.labNodes.find((n) => n.spec.name === node);
    if (!labNode) throw new Error(`lab driver: node ${node} is not part of the lab at ${this.root}`);
    const pid = spawnNode(this.root, state.basePort, labNode);
    writeState({ ...state, pids: { ...state.pids, [node]: pid } });
    this.recordPid(node, pid);
  }

  /** Puts the new pid into the manifest, so whoever reads it next acts on the running process. */
  private recordPid(node: string, pid: number): void {
    const path = join(this.root, 'topology.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as TopologyManifest;
    const nodes = manifest.nodes.map((n) => (n.name === node ? { ...n, handle: { pid } } : n));
    writeFileSync(path, JSON.stringify({ ...manifest, nodes }, null, 2));
  }
}

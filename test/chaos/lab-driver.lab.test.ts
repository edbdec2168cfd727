/** The lab driver on real servers: a Patroni member is a node of two sessions (Patroni and Postgres). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TopologyManifest } from '../../constructs/platform/topology';
import { LabDriver } from '../../scripts/chaos/drivers/lab';
import { patroniRest } from '../../scripts/chaos/patroni';
import { labTableName, partitionsUnsupported, readPartitions } from '../../scripts/lab/partition';
import { labAlive } from '../../scripts/lab/procs';
import { readState } from '../../scripts/lab/runtime';
import { labAvailable, restoreLab, useLab } from '../lab/lab-fixture';

/** /proc/<pid>/stat from the state on: state, ppid, pgrp, session, … */
const statFields = (pid: number) => {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
};

interface Member {
  name: string;
  role: string;
  state: string;
}

describe.runIf(labAvailable())('LabDriver on a real Patroni cluster', () => {
  const lab = useLab();
  const manifest = () => JSON.parse(readFileSync(join(lab().root, 'topology.json'), 'utf8')) as TopologyManifest;
  const node = (name: string) => manifest().nodes.find((n) => n.name === name)!;

  async function members(): Promise<Member[]> {
    for (const name of ['patroni-1', 'patroni-2', 'patroni-3']) {
      try {
        const res = await patroniRest(manifest(), node(name), '/cluster');
        return (JSON.parse(res.body) as { members: Member[] }).members;
      } catch {
        continue; // that member is down: ask another
      }
    }
    return [];
  }

  /** Waits until the member's own REST API says its Postgres runs: only a new process can answer. */
  async function up(name: string, seconds: number): Promise<void> {
    for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline;) {
      const res = await patroniRest(manifest(), node(name), '/health').catch(() => undefined);
      if (res?.status === 200) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${name} did not come up within ${seconds} s`);
  }

  /** Waits until a leader and both replicas stream; returns a replica's name. */
  async function healthy(seconds: number): Promise<string> {
    for (const deadline = Date.now() + seconds * 1000; Date.now() < deadline;) {
      const all = await members();
      const replicas = all.filter((m) => m.role !== 'leader' && m.state === 'streaming');
      if (all.some((m) => m.role === 'leader') && replicas.length === 2) return replicas[0]!.name;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`cluster not healthy after ${seconds} s: ${JSON.stringify(await members())}`);
  }

  it('kills Patroni and its Postgres, and starts the member again, which rejoins', async () => {
    const driver = new LabDriver(lab().root);
    const name = await healthy(90);
    const before = driver.processes(name);
    // Patroni starts Postgres in a session of its own: the node is more than one process group.
    expect(new Set(before.map((pid) => statFields(pid)[3])).size).toBeGreaterThan(1);

    await driver.act('kill', node(name));
    expect(before.filter(labAlive)).toEqual([]);

    await driver.act('start', node(name));
    const pid = readState(lab().root).pids[name]!;
    expect(before).not.toContain(pid);
    expect(node(name).handle).toEqual({ pid });
    // It streams again: the restart reused the lab's secrets (replication logs in with them).
    await up(name, 90);
    await healthy(90);
  }, 180_000);

  it('restarts a member gracefully', async () => {
    const driver = new LabDriver(lab().root);
    const name = await healthy(90);
    const before = driver.processes(name);
    await driver.act('restart', node(name));
    expect(before.filter(labAlive)).toEqual([]);
    await up(name, 90);
    await healthy(90);
  }, 180_000);

  it('pauses a member (every process stopped) and resumes it', async () => {
    const driver = new LabDriver(lab().root);
    const name = await healthy(90);
    await driver.act('pause', node(name));
    expect(new Set(driver.processes(name).map((pid) => statFields(pid)[0]))).toEqual(new Set(['T']));
    await driver.act('resume', node(name));
    await healthy(60);
  }, 120_000);

  it.skipIf(!!partitionsUnsupported() && process.env.CI !== 'true')(
    'a cut left in place (a run that died before connect) is healed by restoreLab, and its table deleted',
    async () => {
      const nft = (...args: string[]) =>
        spawnSync('nft', ['list', 'table', 'inet', labTableName(lab().basePort), ...args]);
      await new LabDriver(lab().root).act('disconnect', node('etcd-3'));
      expect(readPartitions(lab().root)).toEqual([
        { node: 'etcd-3', peers: expect.arrayContaining(['etcd-1', 'patroni-1']) },
      ]);
      expect(nft().status).toBe(0);
      expect(await restoreLab(lab())).toContain('healed partitions');
      expect(readPartitions(lab().root)).toEqual([]);
      expect(nft().status).not.toBe(0);
    },
    150_000,
  );
});

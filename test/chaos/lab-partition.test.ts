/**
 * Lab partitions: the ruleset, and real nft rules between dummy "nodes"
 * (a TCP server and clients, each process named after its node folder).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cgroup2Mount,
  clearPartitions,
  cut,
  heal,
  healAll,
  inNodeCgroup,
  labTableName,
  partitionRuleset,
  partitionsUnsupported,
  readPartitions,
} from '../../scripts/lab/partition';
import { processesMarked } from '../../scripts/lab/procs';

describe('partitionRuleset', () => {
  const table = labTableName(23000);

  it('marks each involved node and drops its packets to the other side of each cut, both ways', () => {
    const text = partitionRuleset(table, [{ node: 'patroni-1', peers: ['etcd-1', 'patroni-2'] }]);
    expect(text).toContain('table inet dataplatform_lab_23000 {}\ndelete table inet dataplatform_lab_23000\n');
    const marks = [...text.matchAll(/"dataplatform_lab_23000\/([a-z0-9-]+)" meta mark set (0x[0-9a-f]+)/g)];
    const mark = Object.fromEntries(marks.map((m) => [m[1], m[2]]));
    expect(Object.keys(mark).sort()).toEqual(['etcd-1', 'patroni-1', 'patroni-2']);
    expect(new Set(Object.values(mark)).size).toBe(3);
    const drops = [...text.matchAll(/meta mark (0x[0-9a-f]+) socket cgroupv2 level 2 "[^/]+\/([a-z0-9-]+)" drop/g)].map(
      (m) => `${Object.keys(mark).find((k) => mark[k] === m[1])}->${m[2]}`,
    );
    expect(drops.sort()).toEqual([
      'etcd-1->patroni-1',
      'patroni-1->etcd-1',
      'patroni-1->patroni-2',
      'patroni-2->patroni-1',
    ]);
  });

  it('leaves no table when no cut is in force', () => {
    expect(partitionRuleset(table, [])).toBe(`table inet ${table} {}\ndelete table inet ${table}\n`);
  });

  it('refuses names that would break the script, and a node cut from itself', () => {
    expect(() => partitionRuleset(table, [{ node: 'a"; flush ruleset', peers: ['b'] }])).toThrow(/bad node name/);
    expect(() => partitionRuleset(table, [{ node: 'a', peers: ['a'] }])).toThrow(/itself/);
  });
});

describe('cgroup2Mount', () => {
  it('finds the cgroup2 mount among v1 hierarchies, or none', () => {
    const hybrid =
      'tmpfs /sys/fs/cgroup tmpfs ro 0 0\ncgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n';
    expect(cgroup2Mount(hybrid)).toBe('/sys/fs/cgroup/unified');
    expect(cgroup2Mount('cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n')).toBeUndefined();
  });
});

// Real rules need root, nft and cgroup2: CI installs them (scripts/lab/setup.sh) and must not skip.
const unsupported = partitionsUnsupported();
if (unsupported && process.env.CI !== 'true') console.log(`lab partition tests skipped: ${unsupported}`);

describe.runIf(!unsupported || process.env.CI === 'true')('cut and heal with real nft rules', () => {
  // A base port and a port no lab uses.
  const basePort = 29900;
  const port = 29901;
  let root: string;
  const children: ChildProcess[] = [];
  const processesOf = (node: string) => processesMarked(`${root}/${node}/`);

  /** A process of `node`, started as the lab starts servers: in the node's cgroup, its folder in its command line. */
  function nodeProcess(node: string, script: string): ChildProcess {
    const [cmd, ...args] = inNodeCgroup(basePort, node, [process.execPath, '-e', script, `${root}/${node}/`]);
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    return child;
  }

  /**
   * A client node: it holds one connection open, counting what the server streams on it, and on each line of input
   * tries a new connection. It answers `<new connection ok|timeout|error> <data events since last asked>`.
   */
  async function client(node: string): Promise<() => Promise<[string, number]>> {
    const child = nodeProcess(
      node,
      `const net=require('net');let n=0;net.connect({host:'127.0.0.1',port:${port}}).on('data',()=>n++).on('error',()=>{});
       require('readline').createInterface({input:process.stdin}).on('line',()=>{
         const s=net.connect({host:'127.0.0.1',port:${port}});s.setTimeout(1500);
         const done=(r)=>{s.destroy();console.log(r+' '+n);n=0};
         s.once('data',()=>done('ok'));s.once('timeout',()=>done('timeout'));s.once('error',()=>done('error'))});
       console.log('up')`,
    );
    await once(child.stdout!, 'data');
    return async () => {
      child.stdin!.write('go\n');
      const [out] = (await once(child.stdout!, 'data')) as [Buffer];
      const [result, count] = out.toString().trim().split(' ');
      return [result!, Number(count)];
    };
  }

  beforeEach(async () => {
    mkdirSync(resolve('.tmp'), { recursive: true });
    root = mkdtempSync(resolve('.tmp/lab-partition-'));
    const server = nodeProcess(
      'server',
      `require('net').createServer(c=>{c.write('hi');const t=setInterval(()=>c.write('x'),50);c.on('error',()=>{});c.on('close',()=>clearInterval(t))}).listen(${port},'127.0.0.1',()=>console.log('up'))`,
    );
    await once(server.stdout!, 'data');
  });

  afterEach(() => {
    clearPartitions(root, basePort);
    for (const c of children) c.kill('SIGKILL');
    children.length = 0;
    rmSync(root, { recursive: true, force: true });
  });

  it("drops a peer's packets on its open connection and its new ones; other nodes still connect", async () => {
    const peer = await client('peer');
    const other = await client('other');
    expect((await peer())[0]).toBe('ok');
    cut(root, basePort, { node: 'server', peers: ['peer'], processesOf });
    expect(readPartitions(root)).toEqual([{ node: 'server', peers: ['peer'] }]);
    await peer(); // drains what arrived before the rules took hold
    expect(await peer()).toEqual(['timeout', 0]);
    const [otherResult, otherCount] = await other();
    expect(otherResult).toBe('ok');
    expect(otherCount).toBeGreaterThan(0);

    heal(root, basePort, 'server');
    expect((await peer())[0]).toBe('ok');
  }, 20_000);

  it('refuses to cut a node whose processes are outside its cgroup (a socket keeps the cgroup it was made in)', () => {
    const stray = spawn('sh', ['-c', 'sleep 30', `${root}/stray/`]);
    children.push(stray);
    const pids = processesOf('stray');
    expect(pids).toContain(stray.pid);
    expect(() => cut(root, basePort, { node: 'server', peers: ['stray'], processesOf })).toThrow(
      /stray's processes .* are not in its cgroup/,
    );
  });

  it('healAll removes every cut and says whether there was one; clearPartitions removes the cgroups', async () => {
    const peer = await client('peer');
    cut(root, basePort, { node: 'server', peers: ['peer'], processesOf });
    expect((await peer())[0]).toBe('timeout');
    expect(healAll(root, basePort)).toBe(true);
    expect(readPartitions(root)).toEqual([]);
    expect((await peer())[0]).toBe('ok');
    expect(healAll(root, basePort)).toBe(false);
    for (const c of children) c.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    clearPartitions(root, basePort);
    expect(existsSync(join(cgroup2Mount()!, labTableName(basePort)))).toBe(false);
  }, 20_000);
});

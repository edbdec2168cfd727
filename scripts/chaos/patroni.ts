/** Patroni's REST API as the scenarios see it: cluster state and live DCS settings. */
import type { ManifestNode, TopologyManifest } from '../../constructs/platform/topology';
import { endpointOf } from './target';

export interface PatroniMember {
  readonly name: string;
  readonly role: 'leader' | 'replica' | 'sync_standby' | string;
  readonly state: string;
  readonly host: string;
  readonly port: number;
  readonly lag?: number | string;
}

export interface PatroniTimings {
  readonly ttl: number;
  readonly loopWait: number;
  readonly retryTimeout: number;
}

export function patroniNodes(manifest: TopologyManifest): ManifestNode[] {
  const nodes = manifest.nodes.filter((n) => n.component === 'patroni');
  if (nodes.length === 0) throw new Error('the topology manifest has no patroni nodes');
  return nodes;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Asks each member in turn, so a dead member does not hide the cluster. */
async function fromAnyMember<T>(manifest: TopologyManifest, path: string): Promise<T> {
  const errors: string[] = [];
  for (const node of patroniNodes(manifest)) {
    try {
      return await getJson<T>(`http://${endpointOf(node, 'rest')}${path}`);
    } catch (e) {
      errors.push(`${node.name}: ${(e as Error).message}`);
    }
  }
  throw new Error(`no Patroni member answered ${path}: ${errors.join('; ')}`);
}

export async function clusterMembers(manifest: TopologyManifest): Promise<PatroniMember[]> {
  return (await fromAnyMember<{ members: PatroniMember[] }>(manifest, '/cluster')).members;
}

/** The DCS settings in force (they may differ from synth time after `patronictl edit-config`). */
export async function timings(manifest: TopologyManifest): Promise<PatroniTimings> {
  const c = await fromAnyMember<{ ttl: number; loop_wait: number; retry_timeout: number }>(manifest, '/config');
  return { ttl: c.ttl, loopWait: c.loop_wait, retryTimeout: c.retry_timeout };
}

export const leaderOf = (members: readonly PatroniMember[]) => members.find((m) => m.role === 'leader');

export function memberNode(manifest: TopologyManifest, member: string): ManifestNode {
  const node = patroniNodes(manifest).find((n) => n.name === member);
  if (!node) throw new Error(`Patroni member ${member} is not in the topology manifest`);
  return node;
}

/** Healthy: one running leader, every other member streaming, and a sync standby. */
export function steadyProblem(members: readonly PatroniMember[], expected: number): string | undefined {
  const leaders = members.filter((m) => m.role === 'leader');
  if (leaders.length !== 1) return `expected 1 leader, found ${leaders.length}`;
  if (leaders[0]!.state !== 'running') return `leader ${leaders[0]!.name} is ${leaders[0]!.state}`;
  const replicas = members.filter((m) => m.role !== 'leader');
  if (replicas.length !== expected - 1) return `expected ${expected - 1} replicas, found ${replicas.length}`;
  const notStreaming = replicas.filter((m) => m.state !== 'streaming');
  if (notStreaming.length) return `not streaming: ${notStreaming.map((m) => `${m.name} (${m.state})`).join(', ')}`;
  if (!replicas.some((m) => m.role === 'sync_standby')) return 'no sync standby';
  return undefined;
}

export async function switchover(manifest: TopologyManifest, leader: string, candidate: string): Promise<void> {
  const res = await fetch(`http://${endpointOf(memberNode(manifest, leader), 'rest')}/switchover`, {
    method: 'POST',
    body: JSON.stringify({ leader, candidate }),
    signal: AbortSignal.timeout(30_000),
  });
  if (res.status !== 200)
    throw new Error(`switchover ${leader} → ${candidate} refused: HTTP ${res.status} ${await res.text()}`);
}

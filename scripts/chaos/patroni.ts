/** Patroni's REST API as the scenarios see it: cluster state and live DCS settings. */
import { request } from 'node:https';
import type { ManifestNode, TopologyManifest } from '../../constructs/platform/topology';
import { PATRONI_REST_SECRET, PATRONI_REST_USER } from '../../constructs/postgres/patroni-cluster';
import { tlsEndpoint } from './target';

/** Basic auth for the REST API's unsafe methods (POST /switchover, PATCH /config, …). */
export interface RestCredentials {
  readonly username: string;
  readonly password: string;
}

export function restCredentials(secrets: Readonly<Record<string, string>>): RestCredentials {
  const password = secrets[PATRONI_REST_SECRET];
  if (!password) throw new Error(`no '${PATRONI_REST_SECRET}' secret: Patroni's unsafe REST methods need it`);
  return { username: PATRONI_REST_USER, password };
}

export interface RestOptions {
  /** @default 'GET' */
  readonly method?: string;
  readonly body?: string;
  /** @default none: GETs need none */
  readonly auth?: RestCredentials;
  /** @default 2000 */
  readonly timeoutMs?: number;
}

/**
 * One call to a member's REST API, which speaks HTTPS only: the certificate is checked
 * against the manifest's CA and the member's name. Resolves with any status; rejects when
 * no answer came (refused, TLS failure, timeout).
 */
export function patroniRest(
  manifest: TopologyManifest,
  node: ManifestNode,
  path: string,
  opts: RestOptions = {},
): Promise<{ status: number; body: string }> {
  const { host, port, ssl } = tlsEndpoint(manifest, node, 'rest');
  const timeout = opts.timeoutMs ?? 2000;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port,
        path,
        method: opts.method ?? 'GET',
        ...ssl,
        ...(opts.auth ? { auth: `${opts.auth.username}:${opts.auth.password}` } : {}),
        timeout,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error(`${node.name} ${path}: no answer within ${timeout} ms`)));
    req.once('error', reject);
    req.end(opts.body);
  });
}

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

async function getJson<T>(manifest: TopologyManifest, node: ManifestNode, path: string): Promise<T> {
  const res = await patroniRest(manifest, node, path);
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return JSON.parse(res.body) as T;
}

/** Asks each member in turn, so a dead member does not hide the cluster. */
async function fromAnyMember<T>(manifest: TopologyManifest, path: string): Promise<T> {
  const errors: string[] = [];
  for (const node of patroniNodes(manifest)) {
    try {
      return await getJson<T>(manifest, node, path);
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

export async function switchover(
  manifest: TopologyManifest,
  auth: RestCredentials,
  leader: string,
  candidate: string,
): Promise<void> {
  const res = await patroniRest(manifest, memberNode(manifest, leader), '/switchover', {
    method: 'POST',
    body: JSON.stringify({ leader, candidate }),
    auth,
    timeoutMs: 30_000,
  });
  if (res.status !== 200)
    throw new Error(`switchover ${leader} → ${candidate} refused: HTTP ${res.status} ${res.body}`);
}

/** Whether `node` answers /primary with 200 (false when it does not answer at all). */
export async function isPrimary(manifest: TopologyManifest, node: ManifestNode, timeoutMs = 2000): Promise<boolean> {
  const res = await patroniRest(manifest, node, '/primary', { timeoutMs }).catch(() => undefined);
  return res?.status === 200;
}

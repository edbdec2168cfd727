/**
 * The lab's plan: the platform's own NodeSpecs, placed on loopback, turned
 * into files on disk and native processes. Everything a server reads comes
 * from the renderers; the lab only adds addresses, paths and launch commands.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { RootConstruct } from 'constructs';
import { DataPlatform, type DataPlatformProps } from '../../constructs/platform/data-platform';
import type { NodeSpec } from '../../constructs/platform/node-spec';
import { LoopbackPlacement } from '../../constructs/platform/placement';
import { resolveSecrets } from '../../constructs/platform/secrets';
import { manifestNode, type TopologyManifest } from '../../constructs/platform/topology';
import { nativeLaunch, type Launch, type Probe } from './natives';
import { LAB_TOOLS } from './tools';

export interface LabNode {
  readonly spec: NodeSpec;
  readonly launch: Launch;
  /** Everything this node's processes have in their command lines: used to find and kill them. */
  readonly dir: string;
}

export interface LabPlan {
  readonly root: string;
  readonly platform: DataPlatform;
  readonly nodes: readonly LabNode[];
  /** Nodes of components the lab cannot run here (their servers are not packaged for this machine). */
  readonly notRun: readonly string[];
  readonly secrets: Readonly<Record<string, string>>;
  manifest(pids: Readonly<Record<string, number>>): TopologyManifest;
}

/** Lab-only settings: the Debian Postgres binaries instead of the image's PATH. */
export const LAB_SETTINGS: Omit<DataPlatformProps, 'placement'> = {
  postgres: { patroni: { binDir: LAB_TOOLS.pgBin } },
};

/** Alphanumeric, like the Docker target's random_password values. */
function generateSecret(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}

/**
 * @param secrets the values of an existing lab (to restart its nodes); omitted, new ones are generated
 */
export function planLab(root: string, basePort: number, secrets?: Readonly<Record<string, string>>): LabPlan {
  const placement = new LoopbackPlacement(root, basePort);
  const platform = new DataPlatform(new RootConstruct(), 'platform', { ...LAB_SETTINGS, placement });
  const values = secrets ?? Object.fromEntries(platform.secrets.map((s) => [s.name, generateSecret(s.length ?? 32)]));
  const resolve = (text: string) => resolveSecrets(text, (name) => values[name]!);
  const nodes: LabNode[] = [];
  const notRun: string[] = [];
  for (const spec of platform.nodes) {
    const launch = nativeLaunch(spec, {
      path: (p) => placement.path(spec.name, p),
      env: Object.fromEntries(Object.entries(spec.env).map(([k, v]) => [k, resolve(v)])),
      resolve,
    });
    if (launch) nodes.push({ spec, launch, dir: placement.path(spec.name, '') });
    else notRun.push(spec.name);
  }
  return {
    root,
    platform,
    nodes,
    notRun,
    secrets: values,
    manifest: (pids) => ({
      version: 1,
      target: 'lab',
      nodes: nodes
        .filter((n) => pids[n.spec.name])
        .map((n) => manifestNode(n.spec, placement, { pid: pids[n.spec.name]! })),
    }),
  };
}

/** Writes every node's files and creates its volumes, owned by `owner` so the servers can run unprivileged. */
export function materialize(plan: LabPlan, owner?: { uid: number; gid: number }): void {
  const own = (path: string) => owner && chownSync(path, owner.uid, owner.gid);
  mkdirSync(plan.root, { recursive: true, mode: 0o755 });
  own(plan.root);
  for (const { spec, dir } of plan.nodes) {
    const path = (p: string) => `${dir}${p}`;
    const dirs = [dir, ...spec.volumes.map((v) => path(v.path)), ...spec.files.map((f) => dirname(path(f.path)))];
    for (const d of dirs) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      // Own every level from the node folder down, so a server can create what it needs beside its files.
      for (let p = d; p.startsWith(dir); p = dirname(p)) own(p);
    }
    for (const f of spec.files) {
      writeFileSync(
        path(f.path),
        resolveSecrets(f.content, (name) => plan.secrets[name]!),
      );
      chmodSync(path(f.path), parseInt(f.mode ?? '0644', 8));
      own(path(f.path));
    }
  }
}

export type { Probe };

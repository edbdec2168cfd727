/**
 * The lab's plan: the platform's own NodeSpecs, placed on loopback, turned
 * into files on disk and native processes. Everything a server reads comes
 * from the renderers; the lab only adds addresses, paths and launch commands.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lchownSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RootConstruct } from 'constructs';
import { DataPlatform, type DataPlatformProps } from '../../constructs/data-platform';
import type { Profile } from '../../constructs/profiles';
import type { NodeSpec } from '../../constructs/platform/node-spec';
import { LoopbackPlacement } from '../../constructs/platform/placement';
import { DEMO_STREAMS } from '../../constructs/cdc/streams';
import { GENERATED_ID_BYTES, idFromBytes, resolveIds } from '../../constructs/platform/generated-ids';
import { resolveSecrets, secretFromBytes } from '../../constructs/platform/secrets';
import { manifestNode, type TopologyManifest } from '../../constructs/platform/topology';
import { nativeLaunch, type Launch } from './natives';
import { PLATFORM_CA_PATH } from '../../constructs/platform/tls';
import { stanzaJob } from './backup';
import { issueLabTls } from './tls';
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
  readonly values: LabValues;
  /** Swaps secret and generated-ID placeholders for this run's values. */
  resolve(text: string): string;
  manifest(pids: Readonly<Record<string, number>>): TopologyManifest;
}

/** What the Docker target keeps in Terraform state, the lab keeps per run: secrets and generated IDs. */
export interface LabValues {
  readonly secrets: Readonly<Record<string, string>>;
  readonly ids: Readonly<Record<string, string>>;
}

/**
 * Lab-only settings. Postgres runs from Debian's binaries instead of the image's
 * PATH. Components with no server packaged for this machine (MongoDB,
 * ClickHouse) are left out, and CDC captures the Postgres streams only, so
 * that every node the lab plans is a node it runs. Object storage is the
 * default, VersityGW, built from the Go module proxy.
 */
export const LAB_SETTINGS: LabSettings = {
  // archive_timeout at its floor: the whole-cluster-loss drill then shows the bound in seconds, not a minute.
  postgres: { patroni: { binDir: LAB_TOOLS.pgBin }, backup: { archiveTimeoutSeconds: 10 } },
  mongo: false,
  clickhouse: false,
  cdc: { streams: DEMO_STREAMS.filter((s) => s.source === 'postgres') },
  monitoring: { scrapeIntervalSeconds: 5 },
};

export type LabSettings = Omit<DataPlatformProps, 'placement'>;

export interface PlanOptions {
  /** Those of an existing lab (to restart its nodes). @default new ones are generated */
  readonly values?: LabValues;
  /** Generated IDs to use instead of random ones, e.g. to force a value in a test. @default none */
  readonly ids?: Readonly<Record<string, string>>;
  /**
   * @default LAB_SETTINGS. A lab up with other settings is re-planned by nothing
   * but its starter (`lab status` and the chaos driver assume LAB_SETTINGS).
   */
  readonly settings?: LabSettings;
  /** The platform profile the settings apply over; kept in the lab state. @default 'default' */
  readonly profile?: Profile;
}

/** The lab's CA certificate, issued per run by materialize. */
export function labCaPath(root: string): string {
  return join(root, 'tls', 'ca.crt');
}

export function planLab(root: string, basePort: number, opts: PlanOptions = {}): LabPlan {
  const placement = new LoopbackPlacement(root, basePort);
  const platform = new DataPlatform(new RootConstruct(), 'platform', {
    ...(opts.settings ?? LAB_SETTINGS),
    profile: opts.profile ?? 'default',
    placement,
  });
  const v: LabValues = opts.values ?? {
    secrets: Object.fromEntries(platform.secrets.map((s) => [s.name, secretFromBytes(randomBytes(s.length ?? 32))])),
    ids: Object.fromEntries(
      platform.generatedIds.map((g) => [g.name, opts.ids?.[g.name] ?? idFromBytes(randomBytes(GENERATED_ID_BYTES))]),
    ),
  };
  const resolve = (text: string) =>
    resolveIds(
      resolveSecrets(text, (name) => v.secrets[name]!),
      (name) => v.ids[name]!,
    );
  const nodes: LabNode[] = [];
  const notRun: string[] = [];
  for (const spec of platform.nodes) {
    const launch = nativeLaunch(spec, {
      path: (p) => placement.path(spec.name, p),
      env: Object.fromEntries(Object.entries(spec.env).map(([k, val]) => [k, resolve(val)])),
    });
    if (launch) nodes.push({ spec, launch, dir: placement.path(spec.name, '') });
    else notRun.push(spec.name);
  }
  const members = nodes.filter((n) => n.spec.component === 'patroni');
  nodes.push(stanzaJob(members, platform.postgres.patroni.settings.scope, placement));
  return {
    root,
    platform,
    nodes,
    notRun,
    values: v,
    resolve,
    manifest: (pids) => ({
      version: 1,
      target: 'lab',
      ...(existsSync(labCaPath(root)) ? { caCert: readFileSync(labCaPath(root), 'utf8') } : {}),
      nodes: nodes
        .filter((n) => pids[n.spec.name])
        .map((n) => manifestNode(n.spec, placement, { pid: pids[n.spec.name]! })),
    }),
  };
}

/** Writes every node's files and launch helpers and creates its volumes, owned by `owner` so the servers can run unprivileged. */
export function materialize(plan: LabPlan, owner?: { uid: number; gid: number }): void {
  const own = (path: string) => owner && lchownSync(path, owner.uid, owner.gid);
  const write = (path: string, content: string, mode: number) => {
    writeFileSync(path, content);
    chmodSync(path, mode);
    own(path);
  };
  mkdirSync(plan.root, { recursive: true, mode: 0o755 });
  own(plan.root);
  const tls = issueLabTls(dirname(labCaPath(plan.root)), plan.platform.certificates);
  for (const { spec, dir, launch } of plan.nodes) {
    const path = (p: string) => `${dir}${p}`;
    const issued = tls.certificates.filter((c) => c.spec.node === spec.name);
    const tlsFiles = [
      { path: PLATFORM_CA_PATH, content: tls.caCert, mode: 0o644 },
      ...issued.flatMap((c) => [
        { path: c.spec.certPath, content: c.cert, mode: 0o644 },
        { path: c.spec.keyPath, content: c.key, mode: 0o600 },
      ]),
    ];
    const created = [
      dir,
      ...tlsFiles.map((f) => dirname(path(f.path))),
      ...spec.volumes.map((v) => path(v.path)),
      ...spec.files.map((f) => dirname(path(f.path))),
      ...(launch.helpers ?? []).map((h) => dirname(h.path)),
      ...Object.keys(launch.links ?? {}).map((l) => dirname(l)),
    ];
    for (const d of created) {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      // Own every level from the node folder down, so a server can create what it needs beside its files.
      for (let p = d; p.startsWith(dir); p = dirname(p)) own(p);
    }
    for (const f of spec.files) write(path(f.path), plan.resolve(f.content), parseInt(f.mode ?? '0644', 8));
    for (const f of tlsFiles) write(path(f.path), f.content, f.mode);
    for (const h of launch.helpers ?? []) write(h.path, h.content, h.mode);
    for (const [link, target] of Object.entries(launch.links ?? {})) {
      symlinkSync(target, link);
      own(link);
    }
  }
}

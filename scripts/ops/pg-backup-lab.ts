/**
 * `npm run backup` and `npm run restore` on the lab: pgBackRest runs beside
 * the member it acts for, as the lab's service user, with that member's
 * rendered pgbackrest.conf and environment (the repository keys).
 *
 * A restore, in order: flush the archive from the leader if one still runs
 * (`pgbackrest check` switches WAL and waits until the segment is stored);
 * stop every member; remove the cluster from the DCS; empty every data
 * directory; start the first member with `postgres.restore` rendered (Patroni's
 * custom bootstrap `pgbackrest`); once it takes writes, put the usual
 * patroni.yml back and start the other members, which re-seed from it.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import type { TopologyManifest } from '../../constructs/platform/topology';
import { PATRONI_REST_SECRET, PGBACKREST_CONFIG_PATH } from '../../constructs/postgres/patroni-cluster';
import { PATRONI_PASSWORD_ENV } from '../../constructs/postgres/patroni-config';
import type { PostgresRestoreProps, RestoreTarget } from '../../constructs/postgres/pgbackrest-config';
import { LabDriver } from '../chaos/drivers/lab';
import { clusterMembers, leaderOf, patroniNodes, steadyProblem } from '../chaos/patroni';
import { endpointOf, labTarget, nodeNamed, tlsEndpoint } from '../chaos/target';
import { LAB_SETTINGS, planLab, type LabPlan } from '../lab/plan';
import { asServiceUser, readState } from '../lab/runtime';
import { LAB_TOOLS } from '../lab/tools';
import type { BackupType } from './backup-args';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const VOLUME = '/home/postgres/pgdata';
const PATRONI_YML = '/etc/patroni/patroni.yml';

export interface BackupInfo {
  readonly label: string;
  readonly type: string;
  /** Start and stop of the backup, ms since the epoch. */
  readonly start: number;
  readonly stop: number;
}

export class LabBackups {
  readonly plan: LabPlan;
  private readonly driver: LabDriver;

  constructor(
    readonly root: string,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    const state = readState(root);
    this.plan = planLab(root, state.basePort, { values: state.values, profile: state.profile });
    this.driver = new LabDriver(root);
  }

  get manifest(): TopologyManifest {
    return labTarget(this.root).manifest;
  }

  private get stanza(): string {
    return this.plan.platform.postgres.patroni.settings.scope;
  }

  private get members(): string[] {
    return patroniNodes(this.manifest).map((n) => n.name);
  }

  /** pgBackRest for `member`, as the service user with the member's environment. */
  async pgbackrest(member: string, args: readonly string[], timeoutSeconds = 600): Promise<string> {
    const node = this.plan.nodes.find((n) => n.spec.name === member)!;
    const config = this.plan.platform.placement.path(member, PGBACKREST_CONFIG_PATH);
    const [cmd, ...rest] = asServiceUser(['pgbackrest', `--config=${config}`, `--stanza=${this.stanza}`, ...args]);
    const { stdout } = await run(cmd!, rest, { env: node.launch.env, timeout: timeoutSeconds * 1000 });
    return stdout;
  }

  async leader(): Promise<string | undefined> {
    return leaderOf(await clusterMembers(this.manifest).catch(() => []))?.name;
  }

  async backupNow(type: BackupType): Promise<BackupInfo> {
    const leader = await this.leader();
    if (!leader) throw new Error('backup: no Patroni leader: nothing to back up from');
    this.log(`backup: ${type} backup from the leader ${leader}`);
    const ticker = this.ticker('backup running');
    try {
      await this.pgbackrest(leader, [`--type=${type}`, 'backup']);
    } finally {
      clearInterval(ticker);
    }
    return (await this.list()).at(-1)!;
  }

  /** The repository's backups, oldest first (from whichever member answers: they share it). */
  async list(): Promise<BackupInfo[]> {
    const member = (await this.leader()) ?? this.members[0]!;
    const [stanza] = JSON.parse(await this.pgbackrest(member, ['--output=json', 'info'], 60)) as {
      backup?: { label: string; type: string; timestamp: { start: number; stop: number } }[];
    }[];
    return (stanza?.backup ?? []).map((b) => ({
      label: b.label,
      type: b.type,
      start: b.timestamp.start * 1000,
      stop: b.timestamp.stop * 1000,
    }));
  }

  /** Restores the cluster to `target`; returns when it takes writes (`writableAt`) and is whole again. */
  async restore(target: RestoreTarget): Promise<{ startedAt: number; writableAt: number; steadyAt: number }> {
    const startedAt = Date.now();
    const members = this.members;
    const leader = await this.leader();
    if (leader) {
      this.log(`restore: flushing the WAL archive from the leader ${leader}`);
      await this.pgbackrest(leader, ['check'], 120);
    }
    this.log(`restore: stopping ${members.join(', ')}`);
    await Promise.all(members.map((m) => this.driver.act('stop', nodeNamed(this.manifest, m))));
    this.log('restore: removing the cluster from the DCS');
    await this.removeFromDcs(members[0]!);
    for (const m of members) {
      const volume = this.plan.platform.placement.path(m, VOLUME);
      rmSync(`${volume}/pgroot`, { recursive: true, force: true });
      rmSync(`${volume}/pgbackrest/spool`, { recursive: true, force: true });
    }
    const first = members[0]!;
    this.writePatroniYml(first, restoreProps(target));
    this.log(`restore: ${first} bootstraps from the backup (${describe(target)})`);
    await this.driver.act('start', nodeNamed(this.manifest, first));
    const writableAt = await this.until('the restored leader takes writes', 600, () => this.writable());
    this.log(`restore: writes accepted ${((writableAt - startedAt) / 1000).toFixed(1)} s after the start`);
    for (const m of members) this.writePatroniYml(m);
    for (const m of members.slice(1)) await this.driver.act('start', nodeNamed(this.manifest, m));
    const steadyAt = await this.until('the replicas re-seed and stream', 300, async () => {
      const problem = steadyProblem(await clusterMembers(this.manifest), members.length);
      if (problem) throw new Error(problem);
      return true;
    });
    this.log(`restore: cluster whole again ${((steadyAt - startedAt) / 1000).toFixed(1)} s after the start`);
    await this.resnapshotConnectors();
    return { startedAt, writableAt, steadyAt };
  }

  /**
   * A restored cluster never had the WAL the CDC connectors' offsets point at, so Debezium refuses to start
   * (seen in the lab's drills). Stop each connector, clear its offsets, resume it: it snapshots afresh.
   */
  private async resnapshotConnectors(): Promise<void> {
    const worker = this.manifest.nodes.find((n) => n.component === 'kafka-connect' && n.endpoints.rest);
    if (!worker) return;
    const rest = `http://${endpointOf(worker, 'rest')}`;
    const call = async (method: string, path: string) => {
      const res = await fetch(`${rest}${path}`, { method, signal: AbortSignal.timeout(30_000) });
      if (!res.ok) throw new Error(`Connect ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
      return res;
    };
    for (const name of (await (await call('GET', '/connectors')).json()) as string[]) {
      await call('PUT', `/connectors/${name}/stop`);
      await this.until(`connector ${name} stopped`, 60, async () => {
        const status = (await (await call('GET', `/connectors/${name}/status`)).json()) as {
          connector: { state: string };
        };
        return status.connector.state === 'STOPPED';
      });
      await call('DELETE', `/connectors/${name}/offsets`);
      await call('PUT', `/connectors/${name}/resume`);
      this.log(`restore: connector ${name}'s offsets cleared; it snapshots the restored database afresh`);
    }
  }

  /** patroni.yml as rendered with (or without) `postgres.restore`, secrets resolved. */
  private writePatroniYml(member: string, restore?: PostgresRestoreProps): void {
    const state = readState(this.root);
    const settings = restore ? { ...LAB_SETTINGS, postgres: { ...LAB_SETTINGS.postgres, restore } } : LAB_SETTINGS;
    const plan = planLab(this.root, state.basePort, { values: state.values, profile: state.profile, settings });
    const spec = plan.nodes.find((n) => n.spec.name === member)!.spec;
    const file = spec.files.find((f) => f.path === PATRONI_YML)!;
    writeFileSync(plan.platform.placement.path(member, PATRONI_YML), plan.resolve(file.content));
  }

  private async removeFromDcs(member: string): Promise<void> {
    const config = this.plan.platform.placement.path(member, PATRONI_YML);
    // patronictl reads the REST login from the same file, whose password comes from the member's env.
    const env = { ...process.env, [PATRONI_PASSWORD_ENV.rest]: this.plan.values.secrets[PATRONI_REST_SECRET] };
    // A leader key outlives a killed leader by up to ttl: patronictl then also asks for the leader's name.
    const { stdout } = await run(LAB_TOOLS.patronictl, ['-c', config, 'list', '-f', 'json'], { timeout: 30_000, env });
    const leader = (JSON.parse(stdout) as { Member: string; Role: string }[]).find((m) => m.Role === 'Leader');
    const child = execFile(LAB_TOOLS.patronictl, ['-c', config, 'remove', this.stanza], { timeout: 60_000, env });
    child.stdin!.end(`${this.stanza}\nYes I am aware\n${leader ? `${leader.Member}\n` : ''}`);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`restore: patronictl remove ${this.stanza} exited ${code}`);
  }

  /** The read-write path (HAProxy → leader) accepts a transaction that needs a transaction ID. */
  async writable(): Promise<boolean> {
    const c = new pg.Client({
      ...tlsEndpoint(this.manifest, nodeNamed(this.manifest, 'haproxy'), 'primary'),
      database: this.plan.platform.postgres.patroni.settings.database,
      user: this.plan.platform.postgres.patroni.settings.appUser,
      password: this.plan.values.secrets['postgres-app'],
      connectionTimeoutMillis: 2000,
      query_timeout: 2000,
    });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT txid_current()');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  }

  private async until(what: string, seconds: number, check: () => Promise<boolean>): Promise<number> {
    const started = Date.now();
    let lastLog = started;
    let problem = 'not checked';
    while (Date.now() - started < seconds * 1000) {
      if (await check().catch((e: Error) => ((problem = e.message), false))) return Date.now();
      if (Date.now() - lastLog > 5000) {
        lastLog = Date.now();
        this.log(`restore: waiting until ${what} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
      }
      await sleep(250);
    }
    throw new Error(`restore: not done within ${seconds} s: ${what} (${problem})`);
  }

  private ticker(what: string): NodeJS.Timeout {
    const started = Date.now();
    return setInterval(() => this.log(`${what} (${((Date.now() - started) / 1000).toFixed(0)} s)`), 5000);
  }
}

function restoreProps(target: RestoreTarget): PostgresRestoreProps {
  return target.kind === 'time'
    ? { time: target.time }
    : target.kind === 'name'
      ? { name: target.name }
      : { latest: true };
}

export function describe(target: RestoreTarget): string {
  return target.kind === 'time'
    ? `to ${target.time}`
    : target.kind === 'name'
      ? `to restore point ${target.name}`
      : 'to the latest archived WAL';
}

/**
 * The shape every chaos scenario shares (after chaostoolkit's steady state →
 * method → rollback, and Jepsen's habit of judging histories, not status pages):
 * steady state, a workload that records every acknowledged operation, the
 * fault, a bounded wait for recovery, verification, and a report.
 */
import type { ManifestNode, TopologyManifest } from '../../constructs/platform/topology';

/** One operation of a workload, as the client saw it. Times are ms since the epoch. */
export interface Op {
  /** Unique key of what was written (a row id, a message key). */
  readonly key: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** True when the server acknowledged the write. */
  readonly ok: boolean;
  readonly error?: string;
}

/** How a driver disrupts a node. Not every driver supports every action. */
export type FaultAction = 'kill' | 'stop' | 'start' | 'pause' | 'resume' | 'disconnect' | 'connect' | 'restart';

/** Which connections a `disconnect` cuts. */
export interface PartitionScope {
  /**
   * Cut the node off from these nodes only; it stays reachable by every other
   * node and by clients (a leader cut from its DCS and replicas, still behind
   * its load balancer). Only the lab driver can do this.
   * @default the node is cut off from everything
   */
  readonly peers?: readonly ManifestNode[];
}

export interface Driver {
  readonly name: 'docker' | 'aws' | 'lab';
  act(action: FaultAction, node: ManifestNode, scope?: PartitionScope): Promise<void>;
}

/** What is readable after recovery, to compare with what was acknowledged. */
export interface Readback {
  /** Every key present, with how many times it is present (duplicates > 1). */
  readonly present: ReadonlyMap<string, number>;
}

export interface ScenarioContext {
  readonly manifest: TopologyManifest;
  /** Secret values by platform secret name, for the workloads' logins. */
  readonly secrets: Readonly<Record<string, string>>;
  readonly driver: Driver;
  /** Progress line for people watching. */
  log(message: string): void;
}

export interface Workload {
  /** Starts issuing operations until stop() is called. */
  start(): void;
  /** Stops and returns every operation attempted. */
  stop(): Promise<Op[]>;
}

export interface Fault {
  readonly description: string;
  /** When the fault took effect (ms since epoch). */
  readonly at: number;
}

/** A scenario as listed by `--help`; `prepare` makes one run of it. */
export interface ScenarioDefinition {
  readonly name: string;
  readonly description: string;
  /** Drivers (targets) the scenario can run on. */
  readonly drivers: readonly Driver['name'][];
  prepare(ctx: ScenarioContext): Promise<ScenarioRun>;
}

/** One run: its state (what was killed, the bound in force) lives in the closure. */
export interface ScenarioRun {
  /** Recovery bound in seconds, derived from the settings in force. */
  readonly rtoBoundSeconds: number;
  /** Hold the fault this long before rolling it back (faults that only heal when undone). @default roll back after recovery */
  readonly holdSeconds?: number;
  /** Throws, saying why, unless the system is in its steady state. */
  steadyState(): Promise<void>;
  workload(): Workload;
  inject(): Promise<Fault>;
  /** Resolves true once the system serves again (polled until the bound runs out). */
  recovered(): Promise<boolean>;
  /** Undoes the fault (restart what was killed, resume what was paused). */
  rollback(): Promise<void>;
  /** Reads back what survived, after recovery. */
  readback(): Promise<Readback>;
  /** Invariants beyond the history check, checked after rollback; each broken one is a message. */
  invariants?(): Promise<string[]>;
}

/** The verdict on one run, derived from the history and the readback only. */
export interface Verdict {
  readonly scenario: string;
  readonly driver: Driver['name'];
  readonly passed: boolean;
  readonly failures: readonly string[];
  readonly fault: Fault;
  /**
   * Seconds from the fault to the first acknowledged op started after the first failure
   * the fault caused (or after the fault, if nothing failed). Undefined if none was acknowledged.
   */
  readonly rtoSeconds?: number;
  readonly rtoBoundSeconds: number;
  readonly counts: {
    readonly attempted: number;
    readonly acknowledged: number;
    /** Acknowledged but not readable after recovery: the RPO, which must be 0. */
    readonly lost: number;
    /** Readable more than once. */
    readonly duplicates: number;
    /** Failed or timed out for the client, yet readable: allowed, counted apart. */
    readonly unacknowledgedPresent: number;
  };
  readonly lostKeys: readonly string[];
  readonly startedAt: number;
  readonly endedAt: number;
}

import type { IConstruct } from 'constructs';
import type { GeneratedIdSpec } from './generated-ids';
import type { MonitoringRegistry } from './monitoring-registry';
import type { NodeSpec } from './node-spec';
import type { BucketSpec, ObjectStorageMode } from './object-storage';
import type { Placement } from './placement';
import type { SecretSpec } from './secrets';
import type { CertificateSpec } from './tls';

/**
 * What a target renders: the platform's description as plain data. Targets
 * take this, never the root construct, so no target knows a component.
 */
export interface PlatformModel {
  readonly placement: Placement;
  readonly objectStorage: ObjectStorageMode;
  readonly nodes: readonly NodeSpec[];
  readonly secrets: readonly SecretSpec[];
  readonly generatedIds: readonly GeneratedIdSpec[];
  readonly buckets: readonly BucketSpec[];
  /** Server certificates the target issues from the deployment's CA (see tls.ts). */
  readonly certificates: readonly CertificateSpec[];
}

/**
 * The narrow context a component works in: where nodes run, and the calls
 * that add nodes and declare secrets, IDs, buckets and monitoring. The
 * composition root implements it; components reach it with `platformOf`.
 */
export interface PlatformContext extends PlatformModel {
  /** The platform's construct ID, which names it in cluster tokens. */
  readonly platformId: string;
  /** Adds nodes, rejecting a name or published host port that is already taken. */
  addNodes(nodes: readonly NodeSpec[]): void;
  /** Declares a generated secret and returns its placeholder (same name, same placeholder). */
  secret(spec: SecretSpec): string;
  /** Declares a generated ID and returns its placeholder (same name, same placeholder). */
  generatedId(spec: GeneratedIdSpec): string;
  /** Declares a bucket and returns its name; declaring it again adds its users. */
  bucket(spec: BucketSpec): string;
  /** Declares a server certificate for the target to issue (one per node). */
  certificate(spec: CertificateSpec): void;
  readonly monitoringRegistry: MonitoringRegistry;
}

const contexts = new WeakMap<IConstruct, PlatformContext>();

/** Makes `context` the platform of every construct under `scope`. Called once by the composition root. */
export function providePlatform(scope: IConstruct, context: PlatformContext): void {
  contexts.set(scope, context);
}

/** The platform context a construct belongs to. */
export function platformOf(scope: IConstruct): PlatformContext {
  for (const s of [...scope.node.scopes].reverse()) {
    const found = contexts.get(s);
    if (found) return found;
  }
  throw new Error(`${scope.node.path} is not inside a DataPlatform`);
}

/** The monitoring registry of the platform a construct belongs to. */
export function monitoringOf(scope: IConstruct): MonitoringRegistry {
  return platformOf(scope).monitoringRegistry;
}

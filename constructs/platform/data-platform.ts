import { Construct, type IConstruct } from 'constructs';
import { EtcdCluster, type EtcdClusterProps } from '../postgres/etcd-cluster';
import { PostgresHa, type PostgresHaProps } from '../postgres/postgres-ha';
import type { NodeSpec } from './node-spec';
import type { Placement } from './placement';
import { secretPlaceholder, type SecretSpec } from './secrets';
import { ValidationError } from './validation';

/**
 * Settings of the whole platform. Every component's props live here under the
 * component's name, and every error message names a setting by its path in
 * this tree (e.g. `postgres.patroni.ttl`).
 */
export interface DataPlatformProps {
  /** Where nodes run: host names, ports and paths. Supplied by the stack or the lab, never by a component. */
  readonly placement: Placement;
  /** @default 3 members, see EtcdClusterProps */
  readonly etcd?: EtcdClusterProps;
  /** @default 3 Patroni members behind HAProxy and PgBouncer, see PostgresHaProps */
  readonly postgres?: PostgresHaProps;
}

/**
 * The root construct: creates every component and collects what they describe
 * (nodes and secrets). It creates no provider resources; a target renders
 * `nodes` and `secrets` for a place to run.
 */
export class DataPlatform extends Construct {
  /** The DataPlatform a construct belongs to. */
  static of(scope: IConstruct): DataPlatform {
    const found = scope.node.scopes.find((s): s is DataPlatform => s instanceof DataPlatform);
    if (!found) throw new Error(`${scope.node.path} is not inside a DataPlatform`);
    return found;
  }

  readonly placement: Placement;
  readonly etcd: EtcdCluster;
  readonly postgres: PostgresHa;
  private readonly nodeList: NodeSpec[] = [];
  private readonly secretList = new Map<string, SecretSpec>();

  constructor(scope: Construct, id: string, props: DataPlatformProps) {
    super(scope, id);
    this.placement = props.placement;
    this.etcd = new EtcdCluster(this, 'etcd', props.etcd);
    this.postgres = new PostgresHa(this, 'postgres', { ...props.postgres, etcd: this.etcd });
  }

  get nodes(): readonly NodeSpec[] {
    return this.nodeList;
  }

  get secrets(): readonly SecretSpec[] {
    return [...this.secretList.values()];
  }

  /** Adds nodes, rejecting a name or published host port that is already taken. */
  addNodes(nodes: readonly NodeSpec[]): void {
    for (const node of nodes) {
      if (this.nodeList.some((n) => n.name === node.name)) {
        throw new ValidationError(`node name '${node.name}' is used twice: node names must be unique in the platform`);
      }
      for (const dep of node.dependsOn) {
        if (!this.nodeList.some((n) => n.name === dep)) {
          throw new ValidationError(
            `node '${node.name}' depends on '${dep}', which is not in the platform (yet): add '${dep}' first`,
          );
        }
      }
      for (const port of node.ports) {
        if (port.hostPort === undefined) continue;
        const owner = this.nodeList.find((n) => n.ports.some((p) => p.hostPort === port.hostPort));
        if (owner) {
          throw new ValidationError(
            `host port ${port.hostPort} is published by both ${owner.name} and ${node.name} (${port.name}): ` +
              `every published host port must be unique, pick another`,
          );
        }
      }
      this.nodeList.push(node);
    }
  }

  /** Declares a generated secret and returns its placeholder. Declaring the same name twice returns the same placeholder. */
  secret(spec: SecretSpec): string {
    this.secretList.set(spec.name, this.secretList.get(spec.name) ?? spec);
    return secretPlaceholder(spec.name);
  }
}

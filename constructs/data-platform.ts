import { Construct } from 'constructs';
import { cdcTopics, postgresBootstrap, resolveCdc } from './cdc/cdc-settings';
import { DebeziumConnect } from './cdc/debezium-connect';
import { ClickHouseCluster } from './clickhouse/clickhouse-cluster';
import { KafkaCluster } from './kafka/kafka-cluster';
import { MongoReplicaSet } from './mongo/mongo-replica-set';
import { Monitoring } from './monitoring/monitoring';
import { providePlatform, type PlatformContext } from './platform/context';
import { idPlaceholder, type GeneratedIdSpec } from './platform/generated-ids';
import { MonitoringRegistry } from './platform/monitoring-registry';
import type { NodeSpec } from './platform/node-spec';
import { checkBucketName, mergeBucket, type BucketSpec, type ObjectStorageMode } from './platform/object-storage';
import type { Placement } from './platform/placement';
import { secretPlaceholder, type SecretSpec } from './platform/secrets';
import type { CertificateSpec } from './platform/tls';
import { ValidationError } from './platform/validation';
import { EtcdCluster } from './postgres/etcd-cluster';
import { checkProfile, overlay, PROFILES, type Profile, type ProfileSettings } from './profiles';
import { PostgresHa } from './postgres/postgres-ha';
import { ObjectStorage } from './storage/object-store';

/**
 * Settings of the whole platform. Every component's props live under the
 * component's name (ProfileSettings), and every error message names a setting
 * by its path in this tree (e.g. `postgres.patroni.ttl`).
 */
export interface DataPlatformProps extends ProfileSettings {
  /** Where nodes run: host names, ports and paths. Supplied by the stack or the lab, never by a component. */
  readonly placement: Placement;
  /**
   * A size of the whole platform (see profiles.ts): it fills in the component
   * settings that are not given, and sets the local stack's memory budget.
   * @default 'default': every component, every cluster HA, within 8 GiB
   */
  readonly profile?: Profile;
  /**
   * Where buckets live: a VersityGW node in the platform, or S3 provided by the AWS target.
   * Chosen by the stack (see object-storage.ts).
   * @default 'versitygw'
   */
  readonly objectStorage?: ObjectStorageMode;
}

/**
 * The composition root: creates every component, hands each the components it
 * needs, and collects what they describe (nodes, secrets, IDs, buckets,
 * monitoring). Components see it only as a PlatformContext; it creates no
 * provider resources, a target renders it as a PlatformModel.
 */
export class DataPlatform extends Construct implements PlatformContext {
  readonly placement: Placement;
  readonly profile: Profile;
  readonly etcd: EtcdCluster;
  readonly postgres: PostgresHa;
  readonly objectStorage: ObjectStorageMode;
  readonly kafka?: KafkaCluster;
  readonly mongo?: MongoReplicaSet;
  readonly cdc?: DebeziumConnect;
  readonly clickhouse?: ClickHouseCluster;
  readonly storage: ObjectStorage;
  readonly monitoring: Monitoring;
  readonly monitoringRegistry = new MonitoringRegistry(this);
  private readonly nodeList: NodeSpec[] = [];
  private readonly secretList = new Map<string, SecretSpec>();
  private readonly idList = new Map<string, GeneratedIdSpec>();
  private readonly bucketList = new Map<string, BucketSpec>();
  private readonly certificateList = new Map<string, CertificateSpec>();

  constructor(scope: Construct, id: string, given: DataPlatformProps) {
    super(scope, id);
    providePlatform(this, this);
    this.profile = checkProfile(given.profile ?? 'default');
    const props = overlay(PROFILES[this.profile].settings, given);
    this.placement = props.placement;
    this.objectStorage = props.objectStorage ?? 'versitygw';
    // First, so components can be handed its S3 access; it creates the buckets last (below).
    this.storage = new ObjectStorage(this, 'storage', props.storage);
    this.etcd = new EtcdCluster(this, 'etcd', props.etcd);
    // CDC settings come first: Postgres creates the capture role and tables at
    // bootstrap, Mongo the capture user, Kafka the change topics.
    const cdc = props.cdc === false ? undefined : resolveCdc(props.cdc ?? {});
    if (cdc && props.kafka === false) {
      throw new ValidationError('cdc needs kafka, which is disabled: enable kafka or set cdc: false');
    }
    const pgCdc = cdc && postgresBootstrap(cdc);
    this.postgres = new PostgresHa(this, 'postgres', {
      ...props.postgres,
      etcd: this.etcd,
      objectStore: this.storage.s3,
      ...(pgCdc ? { cdc: pgCdc } : {}),
    });
    const mongoCollections = cdc?.streams.filter((s) => s.source === 'mongo').map((s) => s.table) ?? [];
    if (props.mongo !== false) {
      this.mongo = new MongoReplicaSet(this, 'mongo', {
        ...props.mongo,
        ...(mongoCollections.length ? { cdc: { user: cdc!.mongo.user, collections: mongoCollections } } : {}),
      });
    }
    const mongoDatabase = this.mongo?.database ?? '';
    if (props.kafka !== false) {
      const derived = cdc ? cdcTopics(cdc, mongoDatabase) : [];
      const declared = props.kafka?.topics ?? [];
      const clash = declared.find((t) => derived.some((d) => d.name === t.name));
      if (clash) {
        throw new ValidationError(
          `kafka.topics[${clash.name}] is a CDC topic, which the cdc component declares itself: remove it from kafka.topics`,
        );
      }
      this.kafka = new KafkaCluster(this, 'kafka', { ...props.kafka, topics: [...declared, ...derived] });
    }
    if (cdc && this.kafka) {
      this.cdc = new DebeziumConnect(this, 'cdc', {
        props: props.cdc || {},
        settings: cdc,
        kafka: this.kafka,
        postgres: this.postgres,
        ...(this.mongo ? { mongo: this.mongo } : {}),
      });
    }
    if (props.clickhouse !== false) {
      this.clickhouse = new ClickHouseCluster(this, 'clickhouse', {
        ...props.clickhouse,
        objectStore: this.storage.s3,
        ...(this.cdc && this.kafka
          ? {
              cdc: {
                sinks: this.cdc.settings.streams.map((stream) => ({ stream, topic: this.cdc!.topics[stream.table]! })),
                brokers: this.kafka.bootstrapServers,
                dependsOn: [this.kafka.topicsJob.name],
              },
            }
          : {}),
      });
    }
    // Last: the job creates the buckets the components above declared.
    this.storage.addBucketJob();
    // After every component: it renders what they registered.
    this.monitoring = new Monitoring(this, 'monitoring', props.monitoring);
  }

  get platformId(): string {
    return this.node.id;
  }

  get nodes(): readonly NodeSpec[] {
    return this.nodeList;
  }

  get secrets(): readonly SecretSpec[] {
    return [...this.secretList.values()];
  }

  get generatedIds(): readonly GeneratedIdSpec[] {
    return [...this.idList.values()];
  }

  get buckets(): readonly BucketSpec[] {
    return [...this.bucketList.values()];
  }

  get certificates(): readonly CertificateSpec[] {
    return [...this.certificateList.values()];
  }

  /** Adds nodes, rejecting a name or published host port that is already taken. */
  addNodes(nodes: readonly NodeSpec[]): void {
    for (const node of nodes) {
      if (this.nodeList.some((n) => n.name === node.name)) {
        throw new ValidationError(`node name '${node.name}' is used twice: node names must be unique in the platform`);
      }
      if (!node.oneShot && !node.health) {
        throw new ValidationError(`node '${node.name}' is a service without a health check: give it one`);
      }
      if (node.oneShot && (node.health || node.initializedBy)) {
        throw new ValidationError(`node '${node.name}' is a one-shot job: it takes no health check or initializedBy`);
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

  /** Declares a generated ID (see generated-ids.ts) and returns its placeholder. Same name, same placeholder. */
  generatedId(spec: GeneratedIdSpec): string {
    this.idList.set(spec.name, this.idList.get(spec.name) ?? spec);
    return idPlaceholder(spec.name);
  }

  /** Declares a server certificate (see tls.ts); one per node. */
  certificate(spec: CertificateSpec): void {
    if (this.certificateList.has(spec.node)) {
      throw new ValidationError(`node '${spec.node}' declares a server certificate twice: declare one with every host`);
    }
    this.certificateList.set(spec.node, spec);
  }

  /** Declares a bucket (see object-storage.ts) and returns its name; declaring it again adds its users. */
  bucket(spec: BucketSpec): string {
    const known = this.bucketList.get(checkBucketName(`buckets[${spec.name}].name`, spec.name));
    this.bucketList.set(spec.name, mergeBucket(known, spec));
    return spec.name;
  }
}

import type { CdcProps } from './cdc/cdc-settings';
import { DEMO_STREAMS } from './cdc/streams';
import type { ClickHouseClusterProps } from './clickhouse/clickhouse-cluster';
import type { KafkaClusterProps } from './kafka/kafka-cluster';
import type { MongoReplicaSetProps } from './mongo/mongo-replica-set';
import type { MonitoringProps } from './monitoring/monitoring';
import { ValidationError } from './platform/validation';
import type { EtcdClusterProps } from './postgres/etcd-cluster';
import type { PostgresHaProps } from './postgres/postgres-ha';
import type { ObjectStorageProps } from './storage/object-store';

/**
 * Every component's settings, under the component's name: the part of DataPlatformProps a profile fills in
 * (the user's own settings win over the profile's).
 */
export interface ProfileSettings {
  /** @default 3 members, see EtcdClusterProps */
  readonly etcd?: EtcdClusterProps;
  /** @default 3 Patroni members behind HAProxy and PgBouncer, see PostgresHaProps */
  readonly postgres?: PostgresHaProps;
  /** `false` leaves Kafka out (and with it CDC). @default 3 combined KRaft nodes, see KafkaClusterProps */
  readonly kafka?: KafkaClusterProps | false;
  /** `false` leaves MongoDB out. @default a 3-member replica set, see MongoReplicaSetProps */
  readonly mongo?: MongoReplicaSetProps | false;
  /** `false` runs no Debezium. @default 2 Connect workers capturing DEMO_STREAMS, see CdcProps */
  readonly cdc?: CdcProps | false;
  /** `false` leaves ClickHouse out. @default 2 replicas on 3 Keeper nodes, see ClickHouseClusterProps */
  readonly clickhouse?: ClickHouseClusterProps | false;
  /** Buckets, and the VersityGW node holding them in `versitygw` mode. @default see ObjectStorageProps */
  readonly storage?: ObjectStorageProps;
  /** Prometheus, Alertmanager and Grafana over every component's registered monitoring. @default see MonitoringProps */
  readonly monitoring?: MonitoringProps;
}

export interface ProfileDefinition {
  /** What the services' memory limits may add up to on one host (jobs run once and exit), MiB. */
  readonly budgetMb: number;
  readonly settings: ProfileSettings;
}

/**
 * Sizes of the platform. `default`: every component, every cluster HA; the
 * components' own defaults (limits measured by `npm run bench:memory`).
 * `minimal`: the Postgres HA core, CDC into one Kafka broker and the
 * monitoring, with MongoDB and ClickHouse left out (README, "Profiles").
 */
export const PROFILES = {
  default: { budgetMb: 8192, settings: {} },
  minimal: {
    budgetMb: 3072,
    settings: {
      postgres: { patroni: { members: 2 } },
      kafka: { brokers: 1, replicationFactor: 1, minInsyncReplicas: 1 },
      cdc: { workers: 1, streams: DEMO_STREAMS.filter((s) => s.source === 'postgres') },
      mongo: false,
      clickhouse: false,
    },
  },
} as const satisfies Record<string, ProfileDefinition>;

export type Profile = keyof typeof PROFILES;

export function checkProfile(value: string): Profile {
  if (!Object.hasOwn(PROFILES, value)) {
    throw new ValidationError(
      `profile must be one of ${Object.keys(PROFILES)
        .map((p) => `'${p}'`)
        .join(', ')} (got '${value}')`,
    );
  }
  return value as Profile;
}

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * The user's settings over the profile's, key by key through nested settings
 * objects. Arrays, `false` and class instances (placement) are taken whole.
 */
export function overlay<T extends object>(base: object, over: T): T {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const under = out[key];
    out[key] = isPlain(under) && isPlain(value) ? overlay(under, value) : value;
  }
  return out as T;
}

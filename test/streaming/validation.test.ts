import { describe, expect, it } from 'vitest';
import { DEMO_STREAMS } from '../../constructs/cdc/streams';
import { ValidationError } from '../../constructs/platform/validation';
import { dockerPlatform, type Settings } from '../helpers';

function rejects(settings: Settings, message: RegExp): void {
  expect(() => dockerPlatform(settings)).toThrow(ValidationError);
  expect(() => dockerPlatform(settings)).toThrow(message);
}

const names = (settings: Settings, component: string) =>
  dockerPlatform(settings)
    .nodes.filter((n) => n.component === component)
    .map((n) => n.name);

describe('Kafka settings', () => {
  it('rejects a replication factor above the broker count, for the cluster and for a topic', () => {
    rejects(
      { kafka: { replicationFactor: 4 } },
      /^kafka\.replicationFactor is 4 but only 3 brokers are configured: lower it to ≤ 3 or add brokers$/,
    );
    rejects(
      { kafka: { topics: [{ name: 'events', replicationFactor: 5 }] } },
      /^kafka\.topics\[events\]\.replicationFactor is 5 but only 3 brokers are configured/,
    );
  });

  it('rejects min.insync.replicas ≥ RF, for the cluster and for a topic', () => {
    rejects({ kafka: { minInsyncReplicas: 3 } }, /kafka\.minInsyncReplicas is 3 but kafka\.replicationFactor is 3/);
    rejects(
      { kafka: { topics: [{ name: 'events', replicationFactor: 2 }] } },
      /kafka\.topics\[events\]\.replicationFactor is 2 but kafka\.minInsyncReplicas is 2/,
    );
  });

  it('rejects duplicate topics, and a declared topic the CDC component already declares', () => {
    rejects(
      { kafka: { topics: [{ name: 'events' }, { name: 'events' }] } },
      /kafka\.topics: topic 'events' is declared twice/,
    );
    rejects(
      { kafka: { topics: [{ name: 'pg.public.orders' }] } },
      /kafka\.topics\[pg\.public\.orders\] is a CDC topic/,
    );
  });

  it('rejects an even voter count with combined controllers, and accepts it with dedicated ones', () => {
    rejects(
      { kafka: { brokers: 4 } },
      /kafka\.brokers \(combined controllers: each broker is a voter\) must be an odd number/,
    );
    expect(names({ kafka: { brokers: 4, controllers: 'dedicated', hostPortBase: 29092 } }, 'kafka')).toEqual([
      'kafka-controller-1',
      'kafka-controller-2',
      'kafka-controller-3',
      'kafka-1',
      'kafka-2',
      'kafka-3',
      'kafka-4',
      'kafka-topics',
    ]);
    rejects(
      { kafka: { controllers: 'dedicated', controllerCount: 2 } },
      /kafka\.controllerCount must be an odd number/,
    );
  });

  it('rejects host listener ports that collide with the internal ones', () => {
    rejects({ kafka: { hostPortBase: 19091 } }, /kafka\.hostPortBase 19091 puts a host listener on port 19092/);
  });

  it('rejects a broker session timeout out of range, and a heartbeat above a third of it', () => {
    rejects(
      { kafka: { brokerSessionTimeoutMs: 2000 } },
      /kafka\.brokerSessionTimeoutMs must be an integer between 3000 and 60000 \(got 2000\)/,
    );
    rejects(
      { kafka: { brokerSessionTimeoutMs: 6000, brokerHeartbeatIntervalMs: 2500 } },
      /kafka\.brokerHeartbeatIntervalMs must be an integer between 250 and 2000 \(got 2500\)/,
    );
    expect(names({ kafka: { brokerSessionTimeoutMs: 6000, brokerHeartbeatIntervalMs: 2000 } }, 'kafka')).toContain(
      'kafka-1',
    );
  });

  it('rejects a heap above half the memory limit', () => {
    rejects({ kafka: { heapMb: 600, memoryMb: 1024 } }, /kafka\.heapMb is 600 but kafka\.memoryMb is 1024/);
  });
});

describe('CDC settings', () => {
  it('rejects a connector whose slot Patroni does not keep as a permanent slot', () => {
    rejects(
      { cdc: { postgres: { slot: 'adhoc' } } },
      /cdc\.postgres\.slot 'adhoc' is not a permanent pgoutput slot on database 'app': declare it in postgres\.patroni\.logicalSlots/,
    );
    rejects(
      { postgres: { patroni: { logicalSlots: [{ name: 'debezium', database: 'other' }] } } },
      /cdc\.postgres\.slot 'debezium' is not a permanent pgoutput slot on database 'app'/,
    );
  });

  it('rejects two connectors writing under one topic prefix', () => {
    rejects(
      { cdc: { mongo: { topicPrefix: 'pg' } } },
      /cdc\.mongo\.topicPrefix 'pg' is also cdc\.postgres\.topicPrefix/,
    );
  });

  it('rejects a connector pointing at a component that is absent', () => {
    rejects({ mongo: false }, /cdc\.streams\[customers\] captures MongoDB, but mongo is disabled/);
    rejects({ kafka: false }, /cdc needs kafka, which is disabled/);
    // Without the Mongo stream, no Mongo is needed.
    const pgOnly = { mongo: false as const, cdc: { streams: DEMO_STREAMS.filter((s) => s.source === 'postgres') } };
    expect(names(pgOnly, 'kafka-connect')).toEqual(['connect-1', 'connect-2', 'connect-register']);
  });

  it('rejects malformed streams', () => {
    const orders = DEMO_STREAMS[0]!;
    rejects({ cdc: { streams: [orders, orders] } }, /cdc\.streams: table 'orders' is captured twice/);
    rejects(
      { cdc: { streams: [{ ...orders, key: 'uuid' }] } },
      /cdc\.streams\[orders\]\.key 'uuid' is not one of its columns/,
    );
    rejects(
      {
        cdc: {
          streams: [{ ...DEMO_STREAMS[1]!, columns: [...DEMO_STREAMS[1]!.columns, { name: 'paid', type: 'decimal' }] }],
        },
      },
      /cdc\.streams\[customers\]\.columns\[paid\] is decimal: MongoDB streams carry int64 and text only/,
    );
  });
});

describe('MongoDB settings', () => {
  it('rejects an even member count without an arbiter, and an arbiter that makes the voters even', () => {
    rejects({ mongo: { members: 2 } }, /mongo\.members is 2 without an arbiter: an even number of voters can tie/);
    rejects({ mongo: { members: 3, arbiter: true } }, /mongo\.arbiter with 3 members makes 4 voters/);
    expect(names({ mongo: { members: 2, arbiter: true } }, 'mongo')).toEqual([
      'mongo-1',
      'mongo-2',
      'mongo-arbiter',
      'mongo-init',
    ]);
  });

  it('rejects a WiredTiger cache that does not fit the memory limit', () => {
    rejects({ mongo: { cacheSizeGb: 1 } }, /mongo\.cacheSizeGb is 1 but mongo\.memoryMb is 512/);
  });
});

describe('ClickHouse settings', () => {
  it.each([2, 4])('rejects %s Keeper nodes', (nodes) => {
    rejects({ clickhouse: { keeper: { nodes } } }, /clickhouse\.keeper\.nodes must be an odd number ≥ 1/);
  });
});

describe('storage settings', () => {
  it('rejects malformed and duplicate bucket names', () => {
    rejects(
      { storage: { buckets: [{ name: 'Backups', description: '' }] } },
      /storage\.buckets\[Backups\]\.name 'Backups' is not a bucket name S3 accepts: use 3–42 lower-case/,
    );
    rejects(
      {
        storage: {
          buckets: [
            { name: 'backups', description: '' },
            { name: 'backups', description: '' },
          ],
        },
      },
      /storage\.buckets: 'backups' is listed twice/,
    );
  });

  it('runs no VersityGW where the target provides S3, and still declares the buckets', () => {
    const platform = dockerPlatform({ objectStorage: 's3' });
    expect(platform.nodes.filter((n) => n.component === 'versitygw')).toEqual([]);
    expect(platform.buckets.map((b) => b.name)).toEqual(
      expect.arrayContaining(['cdc-archive', 'postgres-backups', 'clickhouse']),
    );
  });
});

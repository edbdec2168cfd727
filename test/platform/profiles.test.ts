import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { serviceMemoryMb } from '../../constructs/platform/memory-budget';
import { overlay, PROFILES } from '../../constructs/profiles';
import { LocalStack, type LocalStackProps } from '../../stacks/local-stack';
import { dockerPlatform } from '../helpers';

const localStack = (props: LocalStackProps = {}) => new LocalStack(Testing.app(), 'local', props);
const count = (stack: LocalStack, component: string) =>
  stack.platform.nodes.filter((n) => n.component === component && !n.oneShot).length;

describe('profiles', () => {
  it('runs every component with HA intact within 8 GiB by default', () => {
    const stack = localStack();
    expect(stack.platform.profile).toBe('default');
    expect({
      etcd: count(stack, 'etcd'),
      patroni: count(stack, 'patroni'),
      kafka: count(stack, 'kafka'),
      connect: count(stack, 'kafka-connect'),
      mongo: count(stack, 'mongo'),
      keeper: count(stack, 'clickhouse-keeper'),
      clickhouse: count(stack, 'clickhouse'),
    }).toEqual({ etcd: 3, patroni: 3, kafka: 3, connect: 2, mongo: 3, keeper: 3, clickhouse: 2 });
    expect(serviceMemoryMb(stack.platform.nodes)).toBeLessThanOrEqual(8192);
  });

  it('keeps Postgres HA in minimal, within 3 GiB', () => {
    const stack = localStack({ settings: { profile: 'minimal' } });
    expect(count(stack, 'etcd')).toBe(3);
    expect(count(stack, 'patroni')).toBe(2);
    expect(stack.platform.postgres.patroni.settings.synchronousMode).toBe(true);
    expect(count(stack, 'kafka')).toBe(1);
    expect(count(stack, 'kafka-connect')).toBe(1);
    expect(stack.platform.mongo).toBeUndefined();
    expect(stack.platform.clickhouse).toBeUndefined();
    expect(serviceMemoryMb(stack.platform.nodes)).toBeLessThanOrEqual(3072);
    // A single broker cannot take RF 3 or min ISR 2: the profile sets both to 1.
    expect(stack.platform.kafka!.replicationFactor).toBe(1);
    expect(stack.platform.kafka!.minInsyncReplicas).toBe(1);
  });

  it("lets the user's settings win over the profile's, key by key", () => {
    const platform = dockerPlatform({ profile: 'minimal', postgres: { patroni: { members: 3 } } });
    expect(platform.nodes.filter((n) => n.component === 'patroni')).toHaveLength(3);
    // The profile's other settings stay.
    expect(platform.kafka!.brokers).toHaveLength(1);
    expect(overlay({ a: { b: 1, c: 2 }, d: false }, { a: { b: 3 }, d: { e: 1 } })).toEqual({
      a: { b: 3, c: 2 },
      d: { e: 1 },
    });
  });

  it('rejects an unknown profile', () => {
    expect(() => dockerPlatform({ profile: 'tiny' as never })).toThrow(
      /profile must be one of 'default', 'minimal' \(got 'tiny'\)/,
    );
  });
});

describe('memory budget, checked at synth', () => {
  it('fails a local stack whose services could not all reach their limits, naming the setting, total and budget', () => {
    expect(() => localStack({ settings: { postgres: { patroni: { memoryMb: 4096 } } } })).toThrow(
      /the services' memory limits add up to \d+ MiB, over the 8192 MiB of memoryBudgetMb \(profile 'default'; largest: patroni 12288/,
    );
    expect(() =>
      localStack({
        settings: { profile: 'minimal', kafka: { brokers: 3, replicationFactor: 3, minInsyncReplicas: 2 } },
      }),
    ).toThrow(/over the 3072 MiB of memoryBudgetMb \(profile 'minimal'/);
  });

  it('takes a larger budget when the host has one', () => {
    const settings = { postgres: { patroni: { memoryMb: 4096 } } };
    expect(() => localStack({ settings, memoryBudgetMb: 24 * 1024 })).not.toThrow();
  });

  it('rejects a budget below 512 MiB', () => {
    expect(() => localStack({ memoryBudgetMb: 100 })).toThrow(/memoryBudgetMb must be an integer ≥ 512 \(got 100\)/);
  });

  it('is the budget of each profile', () => {
    expect(PROFILES.default.budgetMb).toBe(8192);
    expect(PROFILES.minimal.budgetMb).toBe(3072);
  });
});

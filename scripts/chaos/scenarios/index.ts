import type { ScenarioDefinition } from '../types';
import { CDC_FAILOVER } from './cdc';
import { CLICKHOUSE_RESTART } from './clickhouse';
import { KAFKA_SCENARIOS } from './kafka';
import { MAINTENANCE_SCENARIOS } from './maintenance';
import { MONGO_SCENARIOS } from './mongo';
import { PARTITION_SCENARIOS } from './partitions';
import { PATRONI_SCENARIOS } from './patroni';
import { ROUTING_SCENARIOS } from './routing';

export const SCENARIOS: readonly ScenarioDefinition[] = [
  ...PATRONI_SCENARIOS,
  ...PARTITION_SCENARIOS,
  ...ROUTING_SCENARIOS,
  ...MAINTENANCE_SCENARIOS,
  ...KAFKA_SCENARIOS,
  CDC_FAILOVER,
  ...MONGO_SCENARIOS,
  CLICKHOUSE_RESTART,
];

/** The scenarios CI runs on the lab on every change. */
export const CI_SCENARIOS = [
  'patroni-leader-crash',
  'patroni-switchover',
  'patroni-leader-freeze',
  'patroni-replica-crash',
  'kafka-broker-crash',
  'cdc-patroni-failover',
  'etcd-minority-partition',
  'rolling-restart-etcd',
  'rolling-restart-patroni',
  'rolling-restart-connect',
  // Not yet (see the README's chaos section): patroni-leader-isolated (its check reads Patroni's /primary, which
  // answered 200 for ~20 s after the cut while Postgres, shutting down, took no writes), kafka-leader-isolated
  // (too few acks=all sends for the CI floor of 100), connect-worker-isolated (UNASSIGNED after the heal) and
  // rolling-restart-kafka (passed once; in the fresh-clone run a restarted broker had not re-registered in 180 s).
];

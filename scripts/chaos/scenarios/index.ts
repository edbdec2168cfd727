import type { ScenarioDefinition } from '../types';
import { PATRONI_SCENARIOS } from './patroni';
import { ROUTING_SCENARIOS } from './routing';

export const SCENARIOS: readonly ScenarioDefinition[] = [...PATRONI_SCENARIOS, ...ROUTING_SCENARIOS];

/** The scenarios CI runs on the lab on every change. */
export const CI_SCENARIOS = [
  'patroni-leader-crash',
  'patroni-switchover',
  'patroni-leader-freeze',
  'patroni-replica-crash',
];

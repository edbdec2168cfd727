import { type ComponentMonitoring } from '../../constructs/platform/monitoring-registry';
import { monitoringOf } from '../../constructs/platform/context';
import type { DataPlatform } from '../../constructs/data-platform';
import { dockerPlatform } from '../helpers';

/** The default platform as on Docker, with container metrics on, as the local stack runs it. */
export function fullPlatform(): DataPlatform {
  return dockerPlatform({ monitoring: { containerMetrics: true } });
}

/** Every component's monitoring, as the platform's components registered it. */
export function allMonitoring(platform: DataPlatform = fullPlatform()): readonly ComponentMonitoring[] {
  return monitoringOf(platform).components;
}

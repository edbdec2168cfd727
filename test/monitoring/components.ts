import { MonitoringRegistry, type ComponentMonitoring } from '../../constructs/monitoring/registry';
import type { DataPlatform } from '../../constructs/platform/data-platform';
import { dockerPlatform } from '../helpers';

/** The default platform as on Docker, with container metrics on, as the local stack runs it. */
export function fullPlatform(): DataPlatform {
  return dockerPlatform({ monitoring: { containerMetrics: true } });
}

/** Every component's monitoring, as the platform's components registered it. */
export function allMonitoring(platform: DataPlatform = fullPlatform()): readonly ComponentMonitoring[] {
  return MonitoringRegistry.of(platform).components;
}

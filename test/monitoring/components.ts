import { cdcMonitoring } from '../../constructs/cdc/cdc-monitoring';
import { clickhouseMonitoring } from '../../constructs/clickhouse/clickhouse-monitoring';
import { kafkaMonitoring } from '../../constructs/kafka/kafka-monitoring';
import { mongoMonitoring } from '../../constructs/mongo/mongo-monitoring';
import { MonitoringRegistry, type ComponentMonitoring } from '../../constructs/monitoring/registry';
import type { DataPlatform } from '../../constructs/platform/data-platform';
import { IMAGES } from '../../constructs/platform/images';
import { storageMonitoring } from '../../constructs/storage/storage-monitoring';
import { dockerPlatform } from '../helpers';

/** The default platform as on Docker, with container metrics on, as the local stack runs it. */
export function fullPlatform(): DataPlatform {
  return dockerPlatform({ monitoring: { containerMetrics: true } });
}

const services = (platform: DataPlatform, component: string) =>
  platform.nodes.filter((n) => n.component === component && !n.oneShot);

/**
 * Every component's monitoring: what the platform registered, plus, for a
 * component whose construct does not register yet, its monitoring built from
 * its nodes, so its rules and queries are checked all the same.
 */
export function allMonitoring(platform: DataPlatform = fullPlatform()): ComponentMonitoring[] {
  const registered = MonitoringRegistry.of(platform).components;
  const p = platform.placement;
  const built: Record<string, () => ComponentMonitoring> = {
    kafka: () =>
      kafkaMonitoring({
        nodes: services(platform, 'kafka'),
        bootstrap: platform.kafka!.bootstrapServers.split(','),
        placement: p,
        exporterImage: IMAGES.kafkaExporter,
      }),
    cdc: () => cdcMonitoring(platform.cdc!.workers),
    mongo: () =>
      mongoMonitoring({
        members: services(platform, 'mongo'),
        password: 'x',
        image: IMAGES.mongodbExporter,
        placement: p,
      }),
    clickhouse: () => clickhouseMonitoring(platform.clickhouse!.servers, services(platform, 'clickhouse-keeper')),
    storage: () => storageMonitoring(services(platform, 'minio')),
  };
  const missing = Object.entries(built)
    .filter(([component]) => !registered.some((c) => c.component === component))
    .map(([, build]) => build());
  return [...registered, ...missing];
}

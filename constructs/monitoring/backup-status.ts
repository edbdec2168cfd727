import { BACKUP_METRIC, PUSHGATEWAY_NODE, PUSHGATEWAY_PORT } from '../platform/backup-status';
import { OPS_HOST } from '../platform/hosts';
import type { ComponentMonitoring } from '../platform/monitoring-registry';
import type { ImageRef, NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';
import { httpsWgetHealth } from '../platform/web-tls';
import { buildDashboard, stat, timeseries } from './dashboard-kit';

const DATA_DIR = '/data';

/**
 * The Pushgateway the backup jobs report to (platform/backup-status.ts), and the
 * Backups dashboard. Its store is persisted, so a restart does not forget when
 * each backup last succeeded. The overdue alerts belong to the components.
 */
export function backupStatusMonitoring(p: Placement, image: ImageRef): ComponentMonitoring {
  const port = p.port(PUSHGATEWAY_NODE, 'http', PUSHGATEWAY_PORT);
  const node: NodeSpec = {
    name: PUSHGATEWAY_NODE,
    component: 'pushgateway',
    role: 'server',
    image,
    command: [
      `--web.listen-address=${p.bindHost}:${port}`,
      `--persistence.file=${p.path(PUSHGATEWAY_NODE, DATA_DIR)}/metrics`,
      '--persistence.interval=1m',
    ],
    env: {},
    files: [],
    ports: [{ name: 'http', port }],
    volumes: [{ name: 'data', path: DATA_DIR }],
    stateful: true,
    // Busybox base: wget is there. HTTPS: the registry adds the web config (the job's `tls`).
    health: { test: httpsWgetHealth(PUSHGATEWAY_PORT, '/-/healthy') },
    memoryMb: 32,
    dependsOn: [],
    host: OPS_HOST,
  };
  const age = `time() - max by (backup, type) (${BACKUP_METRIC}{job="pushgateway"})`;
  return {
    component: 'backups',
    jobs: [
      {
        job: 'pushgateway',
        exporter: 'pushgateway-1.11',
        targets: [{ node: PUSHGATEWAY_NODE, port: 'http' }],
        tls: {},
      },
    ],
    exporters: [node],
    rules: [],
    dashboard: buildDashboard({
      uid: 'dp-backups',
      title: 'Backups',
      rows: [
        {
          title: 'Last successful backup',
          panels: [
            stat(
              'Oldest latest backup',
              's',
              { expr: `max(${age})`, legend: 'age' },
              { warn: 86400, critical: 172800 },
            ),
            timeseries('Age of the last successful backup', 's', [{ expr: age, legend: '{{backup}} {{type}}' }], {
              min: 0,
            }),
          ],
        },
      ],
    }),
    overview: {
      title: 'Backups',
      stat: { title: 'Oldest latest backup', expr: `max(${age})`, unit: 's' },
    },
  };
}

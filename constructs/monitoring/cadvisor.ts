import type { ImageRef, NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';
import { buildDashboard, timeseries } from './dashboard-kit';
import type { ComponentMonitoring } from '../platform/monitoring-registry';

const CADVISOR_PORT = 8080;
/** Container labels the Docker target sets (docker-target.ts), kept as `container_label_*` on every series. */
const LABELS = 'dataplatform.component,dataplatform.role';

/**
 * cAdvisor: CPU, memory and network of every container on the Docker host. It
 * reads the host's cgroups and the engine's state, hence the host access.
 */
export function cadvisorMonitoring(p: Placement, image: ImageRef): ComponentMonitoring {
  const port = p.port('cadvisor', 'metrics', CADVISOR_PORT);
  const node: NodeSpec = {
    name: 'cadvisor',
    component: 'cadvisor',
    role: 'exporter',
    image,
    command: [
      `-listen_ip=${p.bindHost}`,
      `-port=${port}`,
      '-docker_only=true',
      '-housekeeping_interval=10s',
      // Only our own labels: every environment variable and label would otherwise become a series label.
      '-store_container_labels=false',
      `-whitelisted_container_labels=${LABELS}`,
    ],
    env: {},
    files: [],
    ports: [{ name: 'metrics', port, plaintext: 'cAdvisor serves HTTP only (read-only metrics)' }],
    volumes: [],
    stateful: false,
    hostAccess: {
      privileged: true,
      mounts: [
        { hostPath: '/', path: '/rootfs' },
        { hostPath: '/var/run', path: '/var/run' },
        { hostPath: '/sys', path: '/sys' },
        { hostPath: '/var/lib/docker', path: '/var/lib/docker' },
        { hostPath: '/dev/disk', path: '/dev/disk' },
      ],
    },
    // The image's own check script (deploy/healthcheck.sh at v0.60.5).
    health: { test: ['CMD', '/usr/bin/healthcheck.sh'] },
    memoryMb: 128,
    dependsOn: [],
  };
  const containers = 'container_label_dataplatform_component!=""';
  const memoryUse = `container_memory_working_set_bytes{${containers}} / (container_spec_memory_limit_bytes{${containers}} > 0)`;
  return {
    component: 'containers',
    jobs: [{ job: 'cadvisor', exporter: 'cadvisor-0.60', targets: [{ node: 'cadvisor', port: 'metrics' }] }],
    exporters: [node],
    rules: [
      {
        alert: 'ContainerMemoryNearLimit',
        expr: `${memoryUse} > 0.9`,
        for: '5m',
        severity: 'warning',
        summary: 'Container {{ $labels.name }} uses {{ $value | humanizePercentage }} of its memory limit',
        description: "At the limit the kernel kills the container. Raise the component's memoryMb, or find what grows.",
      },
    ],
    dashboard: buildDashboard({
      uid: 'dp-containers',
      title: 'Containers',
      rows: [
        {
          title: 'Resources',
          panels: [
            timeseries(
              'CPU',
              'percentunit',
              [
                {
                  expr: `sum by (name) (rate(container_cpu_usage_seconds_total{${containers}}[5m]))`,
                  legend: '{{name}}',
                },
              ],
              { min: 0 },
            ),
            timeseries('Memory used of limit', 'percentunit', [{ expr: memoryUse, legend: '{{name}}' }], {
              min: 0,
              thresholds: { warn: 0.8, critical: 0.9 },
            }),
            timeseries(
              'Network received',
              'Bps',
              [
                {
                  expr: `sum by (name) (rate(container_network_receive_bytes_total{${containers}}[5m]))`,
                  legend: '{{name}}',
                },
              ],
              { min: 0 },
            ),
            timeseries(
              'Network sent',
              'Bps',
              [
                {
                  expr: `sum by (name) (rate(container_network_transmit_bytes_total{${containers}}[5m]))`,
                  legend: '{{name}}',
                },
              ],
              { min: 0 },
            ),
          ],
        },
      ],
    }),
    overview: {
      title: 'Containers',
      stat: { title: 'Containers running', expr: `count(container_last_seen{${containers}})`, unit: 'none' },
    },
  };
}

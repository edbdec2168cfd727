import type { IConstruct } from 'constructs';
import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import { MonitoringRegistry, type ComponentMonitoring } from '../monitoring/registry';
import { DataPlatform } from '../platform/data-platform';
import { findPort, type ImageRef, type NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';

const JOB = 'mongo';
const MONGODB_EXPORTER_PORT = 9216;
/** User the exporters log in as: clusterMonitor on admin, read on local (the oplog). */
export const MONGO_EXPORTER_USER = 'exporter';
/** Env var through which the init job receives the exporter user's password. */
export const MONGO_EXPORTER_PASSWORD_ENV = 'MONGO_EXPORTER_PASSWORD';

/**
 * mongosh lines for the replica set's init job: create the exporter user once
 * (idempotent, like the rest of the init script). Run them against the primary
 * as root, with MONGO_EXPORTER_PASSWORD_ENV set.
 */
export function renderMongoExporterUser(): string {
  return [
    `const admin = db.getSiblingDB('admin');`,
    `if (!admin.getUser('${MONGO_EXPORTER_USER}')) {`,
    `  admin.createUser({ user: '${MONGO_EXPORTER_USER}', pwd: process.env.${MONGO_EXPORTER_PASSWORD_ENV},`,
    `    roles: [{ role: 'clusterMonitor', db: 'admin' }, { role: 'read', db: 'local' }] });`,
    '}',
    '',
  ].join('\n');
}

export interface MongoMonitoringInput {
  /** Data-bearing members, each with its `mongo` port (arbiters hold no users to log in with). */
  readonly members: readonly NodeSpec[];
  readonly password: string;
  readonly image: ImageRef;
  readonly placement: Placement;
}

/**
 * One call for the Mongo construct: registers an exporter per member and
 * returns what its init job must add: `env` and the `script` lines above.
 */
export function monitorMongo(
  scope: IConstruct,
  members: readonly NodeSpec[],
  image: ImageRef,
): { readonly env: Record<string, string>; readonly script: string } {
  const platform = DataPlatform.of(scope);
  const password = platform.secret({
    name: 'mongo-exporter',
    description: `MongoDB exporter user (${MONGO_EXPORTER_USER})`,
  });
  MonitoringRegistry.of(scope).register(mongoMonitoring({ members, password, image, placement: platform.placement }));
  return { env: { [MONGO_EXPORTER_PASSWORD_ENV]: password }, script: renderMongoExporterUser() };
}

/** Percona's mongodb_exporter in compatible mode: the replica-set state as plain mongodb_mongod_replset_* gauges. */
export function mongoMonitoring(input: MongoMonitoringInput): ComponentMonitoring {
  const p = input.placement;
  const exporters: NodeSpec[] = input.members.map((m, i) => {
    const name = `mongodb-exporter-${i + 1}`;
    const port = p.port(name, 'metrics', MONGODB_EXPORTER_PORT);
    return {
      name,
      component: 'mongodb-exporter',
      role: 'exporter',
      image: input.image,
      command: [
        `--mongodb.uri=mongodb://${p.host(m.name)}:${findPort(m, 'mongo').port}/admin?directConnection=true`,
        '--collector.diagnosticdata',
        '--compatible-mode',
        `--web.listen-address=${p.bindHost}:${port}`,
      ],
      env: { MONGODB_USER: MONGO_EXPORTER_USER, MONGODB_PASSWORD: input.password },
      files: [],
      ports: [{ name: 'metrics', port }],
      volumes: [],
      stateful: false,
      // The image is FROM scratch: no shell or HTTP client, so this only proves the binary runs;
      // Prometheus' `up` is the real liveness signal.
      health: { test: ['CMD', '/mongodb_exporter', '--version'] },
      memoryMb: 64,
      dependsOn: [m.name],
    };
  });
  const sel = `job="${JOB}"`;
  const lag = `max by (set, name) (mongodb_mongod_replset_member_replication_lag{${sel}})`;
  return {
    component: 'mongo',
    jobs: [
      {
        job: JOB,
        exporter: 'mongodb-exporter-0.53',
        targets: exporters.map((e, i) => ({ node: e.name, port: 'metrics', instance: input.members[i]!.name })),
      },
    ],
    exporters,
    rules: [
      {
        alert: 'MongoMemberDown',
        // States other than PRIMARY (1), SECONDARY (2) and ARBITER (7): recovering, rollback, down, unknown…
        expr: `mongodb_up{${sel}} == 0 or mongodb_mongod_replset_my_state{${sel}} != 1 != 2 != 7`,
        for: '1m',
        severity: 'critical',
        summary: 'MongoDB member {{ $labels.instance }} is unreachable or neither primary nor secondary',
        description:
          'The member is unreachable or neither primary nor secondary. With 3 members the set keeps a majority, but one more loss stops writes.',
      },
      {
        alert: 'MongoNoPrimary',
        expr: `absent(mongodb_mongod_replset_my_state{${sel}} == 1)`,
        for: '1m',
        severity: 'critical',
        summary: 'The MongoDB replica set has no primary',
        description:
          'No member reports PRIMARY for a minute: writes and change streams (Debezium) stop. An election normally takes about 10 seconds.',
      },
      {
        alert: 'MongoReplicationLag',
        expr: `${lag} > 10`,
        for: '2m',
        severity: 'warning',
        summary: 'MongoDB member {{ $labels.name }} is {{ $value }}s behind the primary',
        description:
          'A lagging secondary serves stale reads and, if the lag outgrows the oplog window, needs a full resync.',
      },
    ],
    dashboard: buildDashboard({
      uid: 'dp-mongo',
      title: 'MongoDB',
      rows: [
        {
          title: 'Replica set',
          panels: [
            stat(
              'Members up',
              'none',
              { expr: `sum(mongodb_up{${sel}})`, legend: 'up' },
              { warn: input.members.length, critical: 2, lowIsBad: true },
            ),
            stat(
              'Primaries',
              'none',
              { expr: `count(mongodb_mongod_replset_my_state{${sel}} == 1) or vector(0)`, legend: 'primary' },
              { warn: 1, critical: 1, lowIsBad: true },
            ),
            timeseries(
              'Member state',
              'none',
              [{ expr: `mongodb_mongod_replset_my_state{${sel}}`, legend: '{{instance}}' }],
              { min: 0 },
            ),
            timeseries('Replication lag', 's', [{ expr: lag, legend: '{{name}}' }], {
              min: 0,
              thresholds: { warn: 5, critical: 10 },
            }),
            timeseries(
              'Oplog window',
              's',
              [
                {
                  expr: `max by (instance) (mongodb_mongod_replset_oplog_head_timestamp{${sel}} - mongodb_mongod_replset_oplog_tail_timestamp{${sel}})`,
                  legend: '{{instance}}',
                },
              ],
              { min: 0 },
            ),
          ],
        },
      ],
    }),
    overview: {
      title: 'MongoDB',
      stat: {
        title: 'MongoDB primaries',
        expr: `count(mongodb_mongod_replset_my_state{${sel}} == 1) or vector(0)`,
        unit: 'none',
      },
      annotations: [
        {
          name: 'MongoDB primary change',
          expr: `mongodb_mongod_replset_my_state{${sel}} == 1 and changes(mongodb_mongod_replset_my_state{${sel}}[2m]) > 0`,
          title: 'MongoDB primary: {{instance}}',
        },
      ],
    },
  };
}

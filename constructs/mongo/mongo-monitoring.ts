import type { IConstruct } from 'constructs';
import { buildDashboard, stat, timeseries } from '../monitoring/dashboard-kit';
import { backupOverdueRule } from '../platform/backup-status';
import { type ComponentMonitoring } from '../platform/monitoring-registry';
import type { WeeklySchedule } from '../platform/schedule';
import { platformOf, monitoringOf } from '../platform/context';
import { findPort, type ImageRef, type NodeSpec } from '../platform/node-spec';
import type { Placement } from '../platform/placement';
import { PLATFORM_CA_PATH } from '../platform/tls';
import type { MongoAdminUser } from './mongo-config';

const JOB = 'mongo';
const MONGODB_EXPORTER_PORT = 9216;

export interface MongoMonitoringInput {
  /** Data-bearing members, each with its `mongo` port (arbiters hold no users to log in with). */
  readonly members: readonly NodeSpec[];
  readonly user: string;
  readonly password: string;
  readonly image: ImageRef;
  readonly placement: Placement;
  /** Scheduled dumps, for the overdue alert. @default none: no backup alert */
  readonly backups?: readonly { readonly type: string; readonly schedule: WeeklySchedule }[];
}

/**
 * One call for the Mongo construct: registers an exporter per member and
 * returns the exporters' login, which its init job must create, with the env
 * that carries the login's generated password.
 */
export function monitorMongo(
  scope: IConstruct,
  members: readonly NodeSpec[],
  image: ImageRef,
  backups: MongoMonitoringInput['backups'] = [],
): { readonly env: Record<string, string>; readonly user: MongoAdminUser } {
  const platform = platformOf(scope);
  const user = 'exporter';
  const passwordEnv = 'MONGO_EXPORTER_PASSWORD';
  const password = platform.secret({ name: 'mongo-exporter', description: `MongoDB exporter user (${user})` });
  monitoringOf(scope).register(
    mongoMonitoring({ members, user, password, image, placement: platform.placement, backups }),
  );
  return {
    env: { [passwordEnv]: password },
    // The replica set's state, and the oplog window from `local`.
    user: {
      user,
      passwordEnv,
      roles: [
        { role: 'clusterMonitor', db: 'admin' },
        { role: 'read', db: 'local' },
      ],
    },
  };
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
        // TLS: the member requires it; the driver checks its certificate and host name against the CA.
        `--mongodb.uri=mongodb://${p.host(m.name)}:${findPort(m, 'mongo').port}/admin?directConnection=true&tls=true&tlsCAFile=${p.path(name, PLATFORM_CA_PATH)}`,
        '--collector.diagnosticdata',
        '--compatible-mode',
        `--web.listen-address=${p.bindHost}:${port}`,
      ],
      env: { MONGODB_USER: input.user, MONGODB_PASSWORD: input.password },
      files: [],
      ports: [
        { name: 'metrics', port, plaintext: 'its image has no client for an HTTPS health check (read-only metrics)' },
      ],
      volumes: [],
      stateful: false,
      // The image is FROM scratch: no shell or HTTP client, so this only proves the binary runs;
      // Prometheus' `up` is the real liveness signal.
      health: { test: ['CMD', '/mongodb_exporter', '--version'] },
      memoryMb: 24,
      dependsOn: [m.name],
      host: m.name,
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
      ...(input.backups?.length ? [backupOverdueRule('Mongo', 'mongo', input.backups)] : []),
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

/**
 * The lab's one Postgres backup step no NodeSpec describes: `stanza-create`,
 * which pgBackRest runs beside the leader's data directory, so it cannot be a
 * job of its own node. A lab one-shot job, done once the stanza exists and
 * `check` has seen a WAL segment reach the repository.
 */
import { findPort, type NodeSpec } from '../../constructs/platform/node-spec';
import type { Placement } from '../../constructs/platform/placement';
import { shellLine } from '../../constructs/platform/shell-words';
import { PLATFORM_CA_PATH } from '../../constructs/platform/tls';
import { PGBACKREST_CONFIG_PATH } from '../../constructs/postgres/patroni-cluster';
import type { Launch } from './natives';

/** A lab node as plan.ts holds it (declared here: plan.ts imports this file). */
interface LabNode {
  readonly spec: NodeSpec;
  readonly launch: Launch;
  readonly dir: string;
}

export const STANZA_JOB = 'pgbackrest-stanza';

export function stanzaJob(members: readonly LabNode[], stanza: string, placement: Placement): LabNode {
  const dir = placement.path(STANZA_JOB, '');
  const script = `${dir}/stanza.sh`;
  const tries = members.map((m) => {
    const pgbackrest = ['pgbackrest', `--config=${placement.path(m.spec.name, PGBACKREST_CONFIG_PATH)}`];
    return [
      `  if curl -fsS -o /dev/null --cacert ${placement.path(m.spec.name, PLATFORM_CA_PATH)} https://127.0.0.1:${findPort(m.spec, 'rest').port}/primary; then`,
      // Its own lock folder: until the stanza exists the async archiver retries its first push
      // without pause, holding the member's archive lock, and it cannot push anything meanwhile.
      `    if ${shellLine([...pgbackrest, `--stanza=${stanza}`, `--lock-path=${dir}/lock`, 'stanza-create'])}; then`,
      `      exec ${shellLine([...pgbackrest, `--stanza=${stanza}`, '--log-level-console=info', 'check'])}`,
      '    fi',
      '  fi',
    ];
  });
  const spec: NodeSpec = {
    name: STANZA_JOB,
    component: 'pgbackrest',
    role: 'init',
    image: members[0]!.spec.image,
    env: {},
    files: [],
    ports: [],
    volumes: [],
    stateful: false,
    oneShot: true,
    memoryMb: 64,
    dependsOn: members.map((m) => m.spec.name),
  };
  return {
    spec,
    dir,
    launch: {
      argv: ['bash', script],
      // A member's environment: PATH and the repository keys.
      env: members[0]!.launch.env,
      job: true,
      ready: async () => false,
      readyWithinSeconds: 120,
      probeDescription: 'exit 0',
      helpers: [
        {
          path: script,
          content: [
            '#!/bin/bash',
            'set -euo pipefail',
            'for attempt in $(seq 1 60); do',
            ...tries.flat(),
            '  sleep 1',
            'done',
            "echo 'no stanza: no Patroni leader, or stanza-create failed, for 60 s' >&2",
            'exit 1',
            '',
          ].join('\n'),
          mode: 0o755,
        },
      ],
    },
  };
}

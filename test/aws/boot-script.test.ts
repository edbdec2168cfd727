import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTool, haveTools, scratch } from '../real-tools/tools';
import { BOOT, boot as bootMachine } from './boot-harness';

const shellcheck = findTool('shellcheck');

let dependency: Server;
let dependencyPort = 0;

beforeAll(async () => {
  dependency = createServer((socket) => socket.on('error', () => undefined).end());
  await new Promise<void>((resolve) => dependency.listen(0, '127.0.0.1', resolve));
  dependencyPort = (dependency.address() as { port: number }).port;
});
afterAll(() => dependency.close());

const boot = (options: Parameters<typeof bootMachine>[0] = {}) =>
  bootMachine({ waitFor: `127.0.0.1:${dependencyPort}`, ...options });

describe('boot.sh (stubbed AWS CLI and Docker)', () => {
  it('renders secrets and IDs fetched at boot, then creates and starts the container', () => {
    const run = boot();
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(run.root, 'rendered/pgbouncer/files/etc/pgbouncer/userlist.txt'), 'utf8')).toBe(
      '"app" "AppPassw0rdFromSecretsManager"\n',
    );
    expect(run.created).toEqual({
      pgbouncer: { Image: 'edoburu/pgbouncer:v1.25.2-p0', Env: ['ID=Zx_9-clusterIdAbCdEfGh'] },
    });
    // Templates keep their placeholders, so a re-run renders afresh.
    expect(readFileSync(join(run.root, 'templates/pgbouncer/files/etc/pgbouncer/userlist.txt'), 'utf8')).toContain(
      '{{secret:postgres-app}}',
    );
    expect(run.log).toEqual([
      'systemctl enable --now docker',
      'aws secretsmanager get-secret-value --region eu-west-1 --secret-id dp/postgres-app --query SecretString --output text',
      'aws ssm get-parameter --region eu-west-1 --name /dp/ids/kafka-cluster-id --query Parameter.Value --output text',
      'docker pull -q edoburu/pgbouncer:v1.25.2-p0',
      'docker volume inspect pgbouncer-data',
      expect.stringMatching(
        /^docker volume create --driver local --opt type=none --opt o=bind --opt device=.*\/data\/pgbouncer\/data pgbouncer-data$/,
      ),
      'docker rm -f pgbouncer',
      expect.stringMatching(/^curl .* http:\/\/localhost\/v1\.41\/containers\/create\?name=pgbouncer$/),
      'docker start pgbouncer',
    ]);
    expect(run.stderr).toContain(`127.0.0.1:${dependencyPort} is up`);
  });

  it('renders generated IDs that begin with "-" or "_" as they are', () => {
    for (const clusterId of ['-fX0uk1PAQTOsccHQ2WRmg', '_-_-_-_-_-_-_-_-_-_-_w']) {
      const run = boot({ clusterId });
      expect(run.code, run.stderr).toBe(0);
      expect(run.created.pgbouncer?.Env).toEqual([`ID=${clusterId}`]);
    }
  });

  it('refuses a secret value that is unsafe to substitute', () => {
    const run = boot({ appPassword: 'with/slash&amp' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/secret 'postgres-app' has characters outside \[A-Za-z0-9_-\]/);
    expect(run.created).toEqual({});
  });

  it('refuses to start with a placeholder left unresolved', () => {
    const run = boot({ template: '{{secret:never-declared}}\n' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/a placeholder was left unresolved/);
    expect(run.created).toEqual({});
  });

  it('runs a one-shot job to completion and retries a failing one', () => {
    const ok = boot({ oneShot: true });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.log.slice(-2)).toEqual(['docker start pgbouncer', 'docker wait pgbouncer']);
    const failing = boot({ oneShot: true, jobExit: 3 });
    expect(failing.code).not.toBe(0);
    expect(failing.log.filter((l) => l === 'docker wait pgbouncer')).toHaveLength(10);
    expect(failing.stderr).toMatch(/job failed 10 times/);
    expect(failing.stderr).toMatch(/these nodes did not start: pgbouncer$/m);
  });

  it('runs every node of a machine in the order given, each with its own volume folder and container', () => {
    const run = boot({
      nodes: [
        { name: 'etcd-1', image: 'etcd:v3.6.15', volumes: 'data' },
        { name: 'patroni-1', image: 'spilo:4.0-p3', volumes: 'pgdata', waitFor: `127.0.0.1:${dependencyPort}` },
        { name: 'postgres-exporter-1', image: 'exporter:v0.20.1' },
        { name: 'init', image: 'job:1', oneShot: true },
      ],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(Object.keys(run.created).sort()).toEqual(['etcd-1', 'init', 'patroni-1', 'postgres-exporter-1']);
    expect(run.created['patroni-1'].Image).toBe('spilo:4.0-p3');
    const starts = run.log.filter((l) => /^docker (start|wait) /.test(l));
    expect(starts).toEqual([
      'docker start etcd-1',
      'docker start patroni-1',
      'docker start postgres-exporter-1',
      'docker start init',
      'docker wait init',
    ]);
    expect(
      run.log.filter((l) => l.startsWith('docker volume create')).map((l) => l.split(' ').slice(-2).join(' ')),
    ).toEqual([
      expect.stringMatching(/\/data\/etcd-1\/data etcd-1-data$/),
      expect.stringMatching(/\/data\/patroni-1\/pgdata patroni-1-pgdata$/),
    ]);
    // Secrets are fetched once for the whole machine.
    expect(run.log.filter((l) => l.startsWith('aws secretsmanager'))).toHaveLength(1);
  });

  it('starts the other nodes of a machine when one fails, then exits non-zero naming it', () => {
    const run = boot({
      nodes: [
        { name: 'haproxy', image: 'broken/haproxy:3.2.25' },
        { name: 'pgbouncer', image: 'edoburu/pgbouncer:v1.25.2-p0' },
      ],
    });
    expect(run.code).not.toBe(0);
    expect(run.log).not.toContain('docker start haproxy');
    expect(run.log).toContain('docker start pgbouncer');
    expect(run.stderr).toMatch(/these nodes did not start: haproxy$/m);
  });
});

describe.runIf(haveTools({ shellcheck }))('boot.sh lint', () => {
  it('passes shellcheck, which does flag a broken script (negative control)', () => {
    expect(spawnSync(shellcheck!, [BOOT], { encoding: 'utf8' }).stdout).toBe('');
    const bad = join(scratch('shellcheck'), 'bad.sh');
    writeFileSync(bad, '#!/bin/bash\nrm -rf $1/*\n');
    expect(spawnSync(shellcheck!, [bad]).status).not.toBe(0);
  });
});

import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { RootConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataPlatform } from '../../constructs/data-platform';
import { LoopbackPlacement } from '../../constructs/platform/placement';
import { PLATFORM_CA_PATH } from '../../constructs/platform/tls';
import { issueLabTls } from '../../scripts/lab/tls';
import { dockerPlatform, file, node } from '../helpers';
import { asPostgres, findTool, haveTools, placeTls, run, scratch, start } from './tools';

const tools = {
  haproxy: findTool('haproxy', '/usr/sbin/haproxy'),
  patroni: findTool(process.env.PATRONI_BIN ?? '/opt/dataplatform/patroni-venv/bin/patroni'),
  pgbouncer: findTool('pgbouncer', '/usr/sbin/pgbouncer'),
  pg_isready: findTool('pg_isready', '/usr/lib/postgresql/15/bin/pg_isready'),
  psql: findTool('psql'),
  unshare: findTool('unshare'),
};
const platform = dockerPlatform();

describe.runIf(haveTools(tools))('real tools accept the rendered Postgres HA configs', () => {
  describe('haproxy -c', () => {
    const dir = scratch('haproxy');
    // haproxy -c loads the CA file the HTTPS checks name, so one must be where the copy points.
    const ca = join(dir, 'ca.crt');
    writeFileSync(ca, issueLabTls(join(dir, 'tls'), []).caCert);
    const cfg = file(node(platform, 'haproxy'), '/usr/local/etc/haproxy/haproxy.cfg').replaceAll(PLATFORM_CA_PATH, ca);

    it('accepts the Docker-rendered haproxy.cfg', () => {
      writeFileSync(join(dir, 'haproxy.cfg'), cfg);
      const result = run([tools.haproxy!, '-c', '-f', join(dir, 'haproxy.cfg')]);
      expect(result.output).toContain('Configuration file is valid');
      expect(result.code).toBe(0);
      expect(cfg).toContain(`check-ssl verify required ca-file ${ca}`);
    });

    it('rejects a broken copy, so the check is not a no-op', () => {
      writeFileSync(
        join(dir, 'broken.cfg'),
        cfg.replace('http-check expect status 200', 'http-check expect bogus 200'),
      );
      expect(run([tools.haproxy!, '-c', '-f', join(dir, 'broken.cfg')]).code).not.toBe(0);
    });
  });

  describe('patroni --validate-config', () => {
    // Patroni's validator resolves every host and connects to the etcd hosts, so run it in a private
    // mount namespace whose /etc/hosts points the Docker names at loopback addresses, with etcd stand-ins listening.
    const dir = scratch('patroni');
    const etcd = ['etcd-1', 'etcd-2', 'etcd-3'].map((name, i) => ({ name, address: `127.0.1.${i + 1}` }));
    const listeners: Server[] = [];

    beforeAll(async () => {
      writeFileSync(
        join(dir, 'hosts'),
        ['127.0.0.1 localhost', ...etcd.map((e) => `${e.address} ${e.name}`), ''].join('\n'),
      );
      for (const e of etcd) {
        const server = createServer((socket) => socket.destroy());
        await new Promise<void>((ok, fail) => server.once('error', fail).listen(2379, e.address, ok));
        listeners.push(server);
      }
    });
    afterAll(() => listeners.forEach((l) => l.close()));

    const validate = (path: string) => {
      const unshare = process.getuid?.() === 0 ? ['unshare', '--mount'] : ['unshare', '--map-root-user', '--mount'];
      return run([
        ...unshare,
        'sh',
        '-c',
        // The REST password comes from the environment, as in the members.
        `mount --bind "${join(dir, 'hosts')}" /etc/hosts && PATRONI_RESTAPI_PASSWORD=x PATH=/usr/lib/postgresql/15/bin:$PATH exec "${tools.patroni}" --validate-config "${path}"`,
      ]);
    };
    // The validator wants bin_dir to exist: the image's Postgres 17 is here as Debian's 15.
    const here = (yml: string) => yml.replaceAll('/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/15/bin');

    it.each(['patroni-1', 'patroni-2', 'patroni-3'])('accepts the Docker-rendered patroni.yml of %s', (member) => {
      const path = join(dir, `${member}.yml`);
      writeFileSync(path, here(file(node(platform, member), '/etc/patroni/patroni.yml')));
      const result = validate(path);
      expect(result.output).toBe('');
      expect(result.code).toBe(0);
    });

    it('accepts patroni.yml rendered with postgres.restore (the custom bootstrap method pgbackrest)', () => {
      const restoring = dockerPlatform({ postgres: { restore: { time: '2026-01-02T03:04:05Z' } } });
      const path = join(dir, 'restore.yml');
      writeFileSync(path, here(file(node(restoring, 'patroni-1'), '/etc/patroni/patroni.yml')));
      const result = validate(path);
      expect(result.output).toBe('');
      expect(result.code).toBe(0);
    });

    it('rejects a copy whose etcd host cannot be reached, so the check is not a no-op', () => {
      const path = join(dir, 'broken.yml');
      writeFileSync(
        path,
        here(file(node(platform, 'patroni-1'), '/etc/patroni/patroni.yml')).replace('etcd-3:2379', 'etcd-3:2999'),
      );
      const result = validate(path);
      expect(result.output).toMatch(/etcd3\.hosts\.2 etcd-3:2999 didn't pass validation/);
      expect(result.code).not.toBe(0);
    });
  });

  describe('pgbouncer', () => {
    const dir = scratch('pgbouncer');
    // The lab's placement: the same renderer, loopback addresses and a folder of its own.
    const lab = new DataPlatform(new RootConstruct(), 'platform', { placement: new LoopbackPlacement(dir, 26400) });
    const pooler = node(lab, 'pgbouncer');
    const port = pooler.ports[0]!.port;
    let server: ReturnType<typeof start> | undefined;
    let log = '';

    beforeAll(async () => {
      placeTls(lab, dir, ['pgbouncer']);
      for (const f of pooler.files) {
        const path = lab.placement.path('pgbouncer', f.path);
        run(['mkdir', '-p', path.replace(/\/[^/]+$/, '')]);
        writeFileSync(path, f.content.replace('{{secret:postgres-app}}', 'test-password'));
      }
      run(['chmod', '-R', 'a+rX', dir]);
      server = start(asPostgres([tools.pgbouncer!, lab.placement.path('pgbouncer', '/etc/pgbouncer/pgbouncer.ini')]));
      server.stderr!.on('data', (d) => (log += d));
      server.stdout!.on('data', (d) => (log += d));
      // Bounded wait for the start-up log line (5 s).
      for (let i = 0; i < 50 && !log.includes('process up'); i++) await new Promise((r) => setTimeout(r, 100));
    });
    afterAll(() => server?.kill('SIGTERM'));

    it('starts on the rendered ini and listens on 127.0.0.1 only', () => {
      expect(run([tools.pg_isready!, '-h', '127.0.0.1', '-p', String(port)]).code, log).toBe(0);
      expect(log).toContain(`listening on 127.0.0.1:${port}`);
      expect(log).not.toMatch(/listening on (0\.0\.0\.0|\[::\]|unix:)/);
    });

    it('rejects a wrong password with a SCRAM failure, over TLS', () => {
      const url = `postgresql://app:wrong@127.0.0.1:${port}/app_rw?connect_timeout=5&sslmode=require`;
      const result = run([tools.psql!, url, '-c', 'select 1'], 10_000);
      expect(result.output).toMatch(/FATAL: +SASL authentication failed/);
    });

    it('refuses a client without TLS before asking for a password', () => {
      const url = `postgresql://app:wrong@127.0.0.1:${port}/app_rw?connect_timeout=5&sslmode=disable`;
      const result = run([tools.psql!, url, '-c', 'select 1'], 10_000);
      expect(result.output).toMatch(/SSL required/);
      expect(result.output).not.toMatch(/SASL/);
    });
  });
});

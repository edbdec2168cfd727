import { parse as parseIni } from 'ini';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { LoopbackPlacement, NetworkPlacement } from '../../constructs/platform/placement';
import { renderEtcdConfig } from '../../constructs/postgres/etcd-config';
import { renderHaproxyCfg } from '../../constructs/postgres/haproxy-config';
import {
  renderPatroniYaml,
  renderPostBootstrap,
  type PatroniConfigInput,
} from '../../constructs/postgres/patroni-config';
import { renderPgbouncerIni, renderPgbouncerUserlist } from '../../constructs/postgres/pgbouncer-config';

const docker = new NetworkPlacement('127.0.0.11:53');

describe('renderEtcdConfig', () => {
  const members = ['etcd-1', 'etcd-2', 'etcd-3'];

  it('lists every member as a peer and advertises the member by name on Docker', () => {
    const cfg = parseYaml(
      renderEtcdConfig({ members, member: 'etcd-2', clusterToken: 't', dataDir: '/var/lib/etcd', placement: docker }),
    );
    expect(cfg.name).toBe('etcd-2');
    expect(cfg['initial-cluster']).toBe(
      'etcd-1=http://etcd-1:2380,etcd-2=http://etcd-2:2380,etcd-3=http://etcd-3:2380',
    );
    expect(cfg['advertise-client-urls']).toBe('http://etcd-2:2379');
    expect(cfg['listen-client-urls']).toBe('http://0.0.0.0:2379');
  });

  it('gives every member its own loopback ports in the lab', () => {
    const lab = new LoopbackPlacement('/lab', 30000);
    const cfgs = members.map((member) =>
      parseYaml(renderEtcdConfig({ members, member, clusterToken: 't', dataDir: '/d', placement: lab })),
    );
    const clientUrls = cfgs.map((c) => c['listen-client-urls']);
    expect(new Set(clientUrls).size).toBe(3);
    for (const c of cfgs) expect(c['listen-peer-urls']).toMatch(/^http:\/\/127\.0\.0\.1:3\d{4}$/);
    // Every member agrees on the peer list.
    expect(new Set(cfgs.map((c) => c['initial-cluster'])).size).toBe(1);
  });
});

describe('renderPatroniYaml', () => {
  const input: PatroniConfigInput = {
    scope: 'pg-ha',
    member: 'patroni-1',
    etcd: [
      { host: 'etcd-1', port: 2379 },
      { host: 'etcd-2', port: 2379 },
    ],
    dcs: {
      ttl: 20,
      loopWait: 2,
      retryTimeout: 5,
      synchronousMode: true,
      synchronousModeStrict: false,
      maximumLagOnFailoverBytes: 1048576,
      maxConnections: 200,
      logicalSlots: [{ name: 'debezium', database: 'app' }],
    },
    users: { superuser: 'postgres', replication: 'replicator', rewind: 'rewind_user' },
    volumePath: '/home/postgres/pgdata',
    postBootstrapPath: '/etc/patroni/post-bootstrap.sh',
    memoryMb: 512,
    placement: docker,
    tls: { certPath: '/tls/server.crt', keyPath: '/tls/server.key', caPath: '/tls/ca.crt' },
    restUser: 'patroni',
  };
  const cfg = parseYaml(renderPatroniYaml(input));

  it('serves Postgres over TLS and refuses TCP without it before any password is asked for', () => {
    expect(cfg.postgresql.parameters).toMatchObject({
      ssl: 'on',
      ssl_cert_file: '/tls/server.crt',
      ssl_key_file: '/tls/server.key',
    });
    const hba = cfg.postgresql.pg_hba as string[];
    const tcp = hba.filter((l) => !l.startsWith('local '));
    // pg_hba's first match wins: every rejection precedes every password line.
    const firstPassword = tcp.findIndex((l) => l.startsWith('hostssl'));
    expect(tcp.slice(0, firstPassword).every((l) => /^hostnossl .* reject$/.test(l))).toBe(true);
    expect(tcp.slice(0, firstPassword)).toEqual(
      expect.arrayContaining(['hostnossl all all 0.0.0.0/0 reject', 'hostnossl replication all 0.0.0.0/0 reject']),
    );
    expect(tcp.slice(firstPassword).every((l) => /^hostssl .* scram-sha-256$/.test(l))).toBe(true);
    expect(tcp).toContain('hostssl replication replicator 0.0.0.0/0 scram-sha-256');
  });

  it("checks the server's certificate and name on Patroni's own connections; its local one takes the socket", () => {
    expect(cfg.postgresql.use_unix_socket).toBe(true);
    for (const user of Object.values(cfg.postgresql.authentication)) {
      expect(user).toMatchObject({ sslmode: 'verify-full', sslrootcert: '/tls/ca.crt' });
    }
  });

  it('serves the REST API over HTTPS, with a user for unsafe methods and ctl settings for patronictl', () => {
    expect(cfg.restapi).toMatchObject({
      certfile: '/tls/server.crt',
      keyfile: '/tls/server.key',
      authentication: { username: 'patroni' },
    });
    expect(cfg.restapi.authentication).not.toHaveProperty('password');
    expect(cfg.ctl).toMatchObject({ cacert: '/tls/ca.crt' });
  });

  it('sizes the shared buffers from the memory limit, per member', () => {
    expect(cfg.postgresql.parameters).toMatchObject({ shared_buffers: '128MB', effective_cache_size: '256MB' });
    const big = parseYaml(renderPatroniYaml({ ...input, memoryMb: 2048 }));
    expect(big.postgresql.parameters.shared_buffers).toBe('512MB');
  });

  it('uses the etcd v3 API with every member', () => {
    expect(cfg.etcd3.hosts).toEqual(['etcd-1:2379', 'etcd-2:2379']);
    expect(cfg.etcd).toBeUndefined();
  });

  it('bootstraps synchronous mode, logical WAL and pg_rewind into the DCS', () => {
    const dcs = cfg.bootstrap.dcs;
    expect(dcs).toMatchObject({ ttl: 20, loop_wait: 2, retry_timeout: 5, synchronous_mode: true });
    expect(dcs.postgresql.use_pg_rewind).toBe(true);
    expect(dcs.postgresql.parameters.wal_level).toBe('logical');
  });

  it('declares the CDC slot as a permanent logical slot', () => {
    expect(cfg.bootstrap.dcs.slots).toEqual({ debezium: { type: 'logical', database: 'app', plugin: 'pgoutput' } });
  });

  it('advertises the member by name and keeps passwords out of the file', () => {
    expect(cfg.postgresql.connect_address).toBe('patroni-1:5432');
    expect(cfg.restapi.connect_address).toBe('patroni-1:8008');
    for (const user of Object.values(cfg.postgresql.authentication) as Record<string, unknown>[]) {
      expect(user).not.toHaveProperty('password');
    }
  });

  it('sets bin_dir only when asked to', () => {
    expect(cfg.postgresql.bin_dir).toBeUndefined();
    expect(parseYaml(renderPatroniYaml({ ...input, binDir: '/usr/lib/postgresql/15/bin' })).postgresql.bin_dir).toBe(
      '/usr/lib/postgresql/15/bin',
    );
  });
});

describe('renderPostBootstrap', () => {
  it('reads the password from the environment, never from the file', () => {
    const script = renderPostBootstrap({ database: 'app', appUser: 'app' });
    expect(script).toMatch(/^#!\/bin\/sh\n/);
    expect(script).toContain(`app_password="$APP_DB_PASSWORD"`);
    expect(script).toContain("CREATE ROLE app LOGIN PASSWORD :'app_password';");
    expect(script).toContain('CREATE DATABASE app OWNER app;');
  });
});

describe('renderHaproxyCfg', () => {
  const members = [1, 2].map((i) => ({
    name: `patroni-${i}`,
    postgres: { host: `patroni-${i}`, port: 5432 },
    restPort: 8008,
  }));
  const cfg = renderHaproxyCfg({
    members,
    bindHost: '0.0.0.0',
    ports: { primary: 5000, replicas: 5001, metrics: 8404 },
    dnsResolver: '127.0.0.11:53',
    checkIntervalSeconds: 1,
    caFile: '/tls/ca.crt',
  });
  const section = (name: string) => cfg.split('\n\n').find((s) => s.startsWith(`listen ${name}`))!;

  it('routes read-write to /primary and read-only to /replica', () => {
    expect(section('primary')).toContain('http-check send meth GET uri /primary');
    expect(section('primary')).toContain('bind 0.0.0.0:5000');
    expect(section('replicas')).toContain('http-check send meth GET uri /replica');
    expect(section('replicas')).toContain('bind 0.0.0.0:5001');
  });

  it('checks each member on its Patroni REST port and re-resolves names through the resolver', () => {
    expect(section('primary')).toContain(
      'server patroni-2 patroni-2:5432 check port 8008 check-ssl verify required ca-file /tls/ca.crt ' +
        'check-sni patroni-2 verifyhost patroni-2 resolvers platformdns resolve-prefer ipv4',
    );
    expect(cfg).toContain('nameserver dns1 127.0.0.11:53');
  });

  it('keeps a re-resolving server out of traffic until its checks pass (HAProxy 3.1+ init-state)', () => {
    for (const name of ['primary', 'replicas']) {
      const lines = section(name).split('\n');
      const block = lines.indexOf('.if version_atleast(3.1)');
      expect(lines.slice(block, block + 3), name).toEqual([
        '.if version_atleast(3.1)',
        '    default-server init-state fully-down',
        '.endif',
      ]);
      // default-server applies only to the servers after it.
      expect(block, name).toBeLessThan(lines.findIndex((l) => l.startsWith('    server ')));
    }
  });

  it('bounds DNS lookups and keeps the last address of a name that stops resolving', () => {
    const dns = cfg.split('\n\n').find((s) => s.startsWith('resolvers platformdns'))!;
    expect(dns.split('\n').slice(2)).toEqual([
      '    resolve_retries 2',
      '    timeout resolve 1s',
      '    timeout retry 1s',
      '    hold valid 5s',
      '    hold nx 3600s',
      '    hold timeout 3600s',
      '    hold refused 3600s',
      '    hold other 3600s',
    ]);
    expect(section('primary')).toContain('resolvers platformdns resolve-prefer ipv4');
  });

  it('has no resolvers section when the placement has no DNS server', () => {
    const lab = renderHaproxyCfg({
      members,
      bindHost: '127.0.0.1',
      ports: { primary: 1, replicas: 2, metrics: 3 },
      checkIntervalSeconds: 1,
      caFile: '/ca',
    });
    expect(lab).not.toContain('resolvers');
  });

  it('re-checks servers in transition and down servers faster than up ones', () => {
    expect(section('primary')).toContain('default-server inter 1s fastinter 250ms downinter 500ms fall 2 rise 2');
  });

  it('names the leader on /leader only while it is the one server up in primary', () => {
    const metrics = cfg.split('\n\n').find((s) => s.startsWith('frontend metrics'))!;
    expect(metrics).toContain(
      'http-request return status 200 content-type text/plain string patroni-2 if { path /leader } { nbsrv(primary) eq 1 } { srv_is_up(primary/patroni-2) }',
    );
    // The fallback comes after every member's rule, or it would answer first.
    const lines = metrics.split('\n');
    const fallback = lines.findIndex((l) => l.includes('status 503'));
    expect(fallback).toBeGreaterThan(lines.map((l) => l.includes('srv_is_up')).lastIndexOf(true));
  });
});

describe('renderPgbouncerIni', () => {
  const ini = parseIni(
    renderPgbouncerIni({
      bindHost: '0.0.0.0',
      port: 6432,
      database: 'app',
      readWrite: { host: 'haproxy', port: 5000 },
      readOnly: { host: 'haproxy', port: 5001 },
      authFile: '/etc/pgbouncer/userlist.txt',
      maxClientConnections: 1000,
      poolSize: 20,
      adminUsers: ['pgbouncer_admin'],
      tls: { certFile: '/tls/server.crt', keyFile: '/tls/server.key', caFile: '/tls/ca.crt' },
    }),
  );

  it('requires TLS from clients and checks the servers it reaches through HAProxy', () => {
    expect(ini.pgbouncer).toMatchObject({
      client_tls_sslmode: 'require',
      client_tls_cert_file: '/tls/server.crt',
      client_tls_key_file: '/tls/server.key',
      server_tls_sslmode: 'verify-full',
      server_tls_ca_file: '/tls/ca.crt',
    });
  });

  it('exposes a read-write and a read-only database routed through HAProxy', () => {
    expect(ini.databases).toEqual({
      app_rw: 'host=haproxy port=5000 dbname=app',
      app_ro: 'host=haproxy port=5001 dbname=app',
    });
  });

  it('pools by transaction and authenticates clients with SCRAM', () => {
    expect(ini.pgbouncer).toMatchObject({ pool_mode: 'transaction', auth_type: 'scram-sha-256', listen_port: '6432' });
  });

  it('lets the admin user PAUSE and RESUME, and no one else by default', () => {
    expect(ini.pgbouncer!.admin_users).toBe('pgbouncer_admin');
    const plain = parseIni(
      renderPgbouncerIni({
        bindHost: '0.0.0.0',
        port: 6432,
        database: 'app',
        readWrite: { host: 'haproxy', port: 5000 },
        readOnly: { host: 'haproxy', port: 5001 },
        authFile: '/etc/pgbouncer/userlist.txt',
        maxClientConnections: 1000,
        poolSize: 20,
        tls: { certFile: '/c', keyFile: '/k', caFile: '/ca' },
      }),
    );
    expect(plain.pgbouncer).not.toHaveProperty('admin_users');
  });

  it('quotes names and passwords in the userlist', () => {
    expect(renderPgbouncerUserlist([{ name: 'app', password: 'p4ss' }])).toBe('"app" "p4ss"\n');
  });
});

import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { NodeSpec } from '../../constructs/platform/node-spec';
import { connectionsOf, machineGrants } from '../../constructs/targets/aws/connectivity';
import { containerSpec, encodeUserData, renderCloudConfig, startOrder } from '../../constructs/targets/aws/user-data';

const image = { repository: 'example/server', tag: '1.0.0' };
const service = (name: string, component: string, extra: Partial<NodeSpec> = {}): NodeSpec => ({
  name,
  component,
  role: 'member',
  image,
  env: {},
  files: [],
  ports: [],
  volumes: [],
  stateful: false,
  health: { test: ['CMD', '/bin/check'] },
  memoryMb: 128,
  dependsOn: [],
  ...extra,
});
const host = (n: string) => `${n}.dp.internal`;

describe('machine grants', () => {
  const db = (n: number, extra: Partial<NodeSpec> = {}) =>
    service(`db-${n}`, 'db', {
      ports: [
        { name: 'sql', port: 5432 },
        { name: 'admin', port: 8008 },
      ],
      ...extra,
    });
  const nodes = [db(1), db(2), service('router', 'router', { dependsOn: ['db-1'] })];
  const own = (n: string) => n;

  it('opens every port of what a node depends on, and peer ports between members of a component', () => {
    expect(machineGrants(nodes, host, own)).toEqual([
      { provider: 'db-1', consumer: 'db-2', port: 5432, protocol: 'tcp' },
      { provider: 'db-1', consumer: 'router', port: 5432, protocol: 'tcp' },
      { provider: 'db-1', consumer: 'db-2', port: 8008, protocol: 'tcp' },
      { provider: 'db-1', consumer: 'router', port: 8008, protocol: 'tcp' },
      { provider: 'db-2', consumer: 'db-1', port: 5432, protocol: 'tcp' },
      { provider: 'db-2', consumer: 'db-1', port: 8008, protocol: 'tcp' },
    ]);
  });

  it('needs no rule inside a machine, and names machines, not nodes', () => {
    const exporter = service('exporter-1', 'exporter', {
      dependsOn: ['db-1'],
      ports: [{ name: 'metrics', port: 9187 }],
    });
    const scraper = service('scraper', 'scraper', {
      files: [{ path: '/p.yml', content: 'exporter-1.dp.internal:9187' }],
    });
    const machine = (n: string) => (n === 'exporter-1' ? 'db-1' : n === 'router' ? 'ops' : n);
    const grants = machineGrants([...nodes, exporter, scraper], host, machine);
    expect(grants.filter((g) => g.consumer === g.provider)).toEqual([]);
    expect(grants).toContainEqual({ provider: 'db-1', consumer: 'scraper', port: 9187, protocol: 'tcp' });
    expect(grants).toContainEqual({ provider: 'db-1', consumer: 'ops', port: 5432, protocol: 'tcp' });
    expect(grants.some((g) => g.consumer === 'router' || g.provider === 'exporter-1')).toBe(false);
  });

  it('gives a one-shot job no peer access to the members of its component', () => {
    const job = service('db-init', 'db', { oneShot: true, dependsOn: ['db-1'] });
    const grants = machineGrants([db(1), db(2), job], host, (n) => (n === 'db-init' ? 'ops' : n));
    expect(grants.filter((g) => g.consumer === 'ops').map((g) => `${g.provider}:${g.port}`)).toEqual([
      'db-1:5432',
      'db-1:8008',
    ]);
  });

  it('opens the endpoints a config names, escaped Java-properties colons included, but not look-alike hosts', () => {
    const client = service('client', 'client', {
      files: [{ path: '/etc/c.properties', content: 'servers = db-2.dp.internal\\:5432,xdb-1.dp.internal:8008\n' }],
    });
    expect(connectionsOf(client, [...nodes, client], host)).toEqual([{ node: 'db-2', port: 'sql' }]);
  });

  it('takes connectsTo as the exact list when a node declares it', () => {
    const narrow = service('router', 'router', { dependsOn: ['db-1'], connectsTo: [{ node: 'db-1', port: 'sql' }] });
    expect(machineGrants([db(1), narrow], host, own).filter((g) => g.consumer === 'router')).toEqual([
      { provider: 'db-1', consumer: 'router', port: 5432, protocol: 'tcp' },
    ]);
  });

  it('rejects a connectsTo naming a port that does not exist', () => {
    const wrong = service('router', 'router', { connectsTo: [{ node: 'db-1', port: 'metrics' }] });
    expect(() => machineGrants([db(1), wrong], host, own)).toThrow(
      "node 'router' connectsTo db-1:metrics, which does not exist (its ports are sql, admin): fix the component's connectsTo",
    );
  });
});

describe('container spec and cloud-config', () => {
  const node = service('etcd-1', 'etcd', {
    command: ['/usr/local/bin/etcd', '--config-file=/etc/etcd/etcd.yml'],
    env: { TOKEN: '{{secret:etcd-token}}' },
    files: [
      { path: '/etc/etcd/etcd.yml', content: 'name: etcd-1\n' },
      { path: '/etc/etcd/init.sh', content: '#!/bin/sh\n', mode: '0755' },
    ],
    volumes: [{ name: 'data', path: '/var/lib/etcd' }],
    health: { test: ['CMD', '/usr/local/bin/etcdctl', 'endpoint', 'health'], startPeriodSeconds: 20 },
    memoryMb: 256,
  });

  it('keeps the exec-form health check a distroless image needs, on the host network', () => {
    expect(containerSpec(node)).toEqual({
      Image: 'example/server:1.0.0',
      Cmd: ['/usr/local/bin/etcd', '--config-file=/etc/etcd/etcd.yml'],
      Env: ['TOKEN={{secret:etcd-token}}'],
      Labels: { 'dataplatform.component': 'etcd', 'dataplatform.role': 'member' },
      Healthcheck: {
        Test: ['CMD', '/usr/local/bin/etcdctl', 'endpoint', 'health'],
        Interval: 5e9,
        Timeout: 3e9,
        Retries: 10,
        StartPeriod: 20e9,
      },
      HostConfig: {
        NetworkMode: 'host',
        RestartPolicy: { Name: 'unless-stopped' },
        Memory: 256 * 1024 * 1024,
        Binds: [
          '/opt/dataplatform/rendered/etcd-1/files/etc/etcd/etcd.yml:/etc/etcd/etcd.yml:ro',
          '/opt/dataplatform/rendered/etcd-1/files/etc/etcd/init.sh:/etc/etcd/init.sh:ro',
        ],
        Mounts: [{ Type: 'volume', Source: 'etcd-1-data', Target: '/var/lib/etcd' }],
        LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
      },
    });
  });

  it('grants host access where a node asks for it: privileged, host paths read-only', () => {
    const agent = service('agent', 'agent', {
      hostAccess: { privileged: true, mounts: [{ hostPath: '/sys', path: '/sys' }] },
    });
    const spec = containerSpec(agent) as any;
    expect(spec.HostConfig.Privileged).toBe(true);
    expect(spec.HostConfig.Binds).toEqual(['/sys:/sys:ro']);
    expect((containerSpec(service('plain', 'plain')) as any).HostConfig.Privileged).toBeUndefined();
  });

  it('runs a one-shot job once, without a health check', () => {
    const job = service('init', 'etcd', { oneShot: true });
    delete (job as { health?: unknown }).health;
    const spec = containerSpec(job) as any;
    expect(spec.HostConfig.RestartPolicy).toEqual({ Name: 'no' });
    expect(spec.Healthcheck).toBeUndefined();
  });

  it('writes per node its templates with their modes and its env, the machine env and the boot script, zipped for EC2', () => {
    const exporter = service('exporter-1', 'exporter', { env: { PASS: '{{secret:exporter}}' }, host: 'etcd-1' });
    const job = service('etcd-init', 'etcd', { oneShot: true });
    delete (job as { health?: unknown }).health;
    const text = renderCloudConfig({
      machine: 'etcd-1',
      fqdn: 'etcd-1.dp.internal',
      region: 'eu-west-1',
      nodes: [
        { node: job, waitFor: ['etcd-1.dp.internal:2379'] },
        { node, waitFor: ['etcd-2.dp.internal:2380'] },
        { node: exporter, waitFor: [] },
      ],
      secretIds: new Map([
        ['etcd-token', 'dp/etcd-token'],
        ['exporter', 'dp/exporter'],
      ]),
      idParameters: new Map(),
    });
    const config = parse(gunzipSync(Buffer.from(encodeUserData(text), 'base64')).toString());
    expect(config).toMatchObject({ hostname: 'etcd-1', fqdn: 'etcd-1.dp.internal' });
    const files = Object.fromEntries(config.write_files.map((f: any) => [f.path, f]));
    expect(files['/opt/dataplatform/templates/etcd-1/files/etc/etcd/init.sh'].permissions).toBe('0755');
    expect(files['/opt/dataplatform/templates/etcd-1/files/etc/etcd/etcd.yml'].permissions).toBe('0644');
    expect(files['/opt/dataplatform/templates/exporter-1/container.json'].content).toContain('{{secret:exporter}}');
    expect(files['/opt/dataplatform/bin/boot.sh'].content).toMatch(/^#!\/bin\/bash\n/);
    const machineEnv = files['/etc/dataplatform/machine.env'];
    expect(machineEnv).toMatchObject({ permissions: '0600' });
    // The union of the nodes' secrets; services first, then jobs.
    expect(machineEnv.content).toContain("SECRETS='etcd-token=dp/etcd-token exporter=dp/exporter'\n");
    expect(machineEnv.content).toContain("DATA_DEVICE='/dev/sdf'\n");
    expect(machineEnv.content).toContain("NODES='etcd-1 exporter-1 etcd-init'\n");
    expect(files['/etc/dataplatform/nodes/etcd-1.env'].content).toContain("WAIT_FOR='etcd-2.dp.internal:2380'\n");
    expect(files['/etc/dataplatform/nodes/etcd-init.env'].content).toContain("ONE_SHOT='1'\n");
    expect(files['/etc/dataplatform/nodes/exporter-1.env'].content).toContain("VOLUMES=''\n");
    expect(config.runcmd).toEqual([['/opt/dataplatform/bin/boot.sh']]);
  });

  it('hands the boot script the CA and each node its certificate: paths, SANs, and read-only binds', () => {
    const plain = service('exporter-1', 'exporter', { host: 'etcd-1' });
    const cert = {
      node: 'etcd-1',
      hosts: ['etcd-1.dp.internal', '10.0.0.5'],
      certPath: '/etc/etcd/tls/node.crt',
      keyPath: '/etc/etcd/tls/node.key',
    };
    const text = renderCloudConfig({
      machine: 'etcd-1',
      region: 'eu-west-1',
      nodes: [
        { node, waitFor: [] },
        { node: plain, waitFor: [] },
      ],
      secretIds: new Map(),
      idParameters: new Map(),
      tls: { caParameter: '/dp/tls/ca-arn', validityDays: 90, certificates: new Map([['etcd-1', cert]]) },
    });
    const files = Object.fromEntries(parse(text).write_files.map((f: any) => [f.path, f.content as string]));
    expect(files['/etc/dataplatform/machine.env']).toContain(
      "CA_PARAMETER='/dp/tls/ca-arn'\nCA_PATH='/etc/dataplatform/tls/ca.crt'\nCERT_DAYS='90'\n",
    );
    expect(files['/etc/dataplatform/nodes/etcd-1.env']).toContain(
      "CERT_PATH='/etc/etcd/tls/node.crt'\nKEY_PATH='/etc/etcd/tls/node.key'\n" +
        "CERT_SAN='DNS:etcd-1.dp.internal,IP:10.0.0.5,DNS:10.0.0.5'\n",
    );
    expect(files['/etc/dataplatform/nodes/exporter-1.env']).toContain("CERT_PATH=''\n");
    const binds = (name: string) =>
      JSON.parse(files[`/opt/dataplatform/templates/${name}/container.json`]!).HostConfig.Binds;
    expect(binds('etcd-1')).toEqual(
      expect.arrayContaining([
        '/opt/dataplatform/rendered/etcd-1/files/etc/dataplatform/tls/ca.crt:/etc/dataplatform/tls/ca.crt:ro',
        '/opt/dataplatform/rendered/etcd-1/files/etc/etcd/tls/node.crt:/etc/etcd/tls/node.crt:ro',
        '/opt/dataplatform/rendered/etcd-1/files/etc/etcd/tls/node.key:/etc/etcd/tls/node.key:ro',
      ]),
    );
    expect(binds('exporter-1')).toContain(
      '/opt/dataplatform/rendered/exporter-1/files/etc/dataplatform/tls/ca.crt:/etc/dataplatform/tls/ca.crt:ro',
    );
    expect(binds('exporter-1').join()).not.toContain('node.key');
  });

  it('starts services before jobs, each in platform order', () => {
    const job = service('init', 'etcd', { oneShot: true });
    expect(startOrder([job, node, service('b', 'b')]).map((n) => n.name)).toEqual(['etcd-1', 'b', 'init']);
  });
});

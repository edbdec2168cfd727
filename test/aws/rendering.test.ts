import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { NodeSpec } from '../../constructs/platform/node-spec';
import { connectionsOf, portGrants } from '../../constructs/targets/aws/connectivity';
import { containerSpec, encodeUserData, renderCloudConfig } from '../../constructs/targets/aws/user-data';

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

describe('port grants', () => {
  const db = (n: number) =>
    service(`db-${n}`, 'db', {
      ports: [
        { name: 'sql', port: 5432 },
        { name: 'admin', port: 8008 },
      ],
    });
  const nodes = [db(1), db(2), service('router', 'router', { dependsOn: ['db-1'] })];

  it('opens every port of what a node depends on, and peer ports between members of a component', () => {
    expect(portGrants(nodes, host)).toEqual([
      { provider: 'db', consumer: 'db', port: 5432, protocol: 'tcp' },
      { provider: 'db', consumer: 'router', port: 5432, protocol: 'tcp' },
      { provider: 'db', consumer: 'db', port: 8008, protocol: 'tcp' },
      { provider: 'db', consumer: 'router', port: 8008, protocol: 'tcp' },
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
    expect(portGrants([db(1), narrow], host).filter((g) => g.consumer === 'router')).toEqual([
      { provider: 'db', consumer: 'router', port: 5432, protocol: 'tcp' },
    ]);
  });

  it('rejects a connectsTo naming a port that does not exist', () => {
    const wrong = service('router', 'router', { connectsTo: [{ node: 'db-1', port: 'metrics' }] });
    expect(() => portGrants([db(1), wrong], host)).toThrow(
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
          '/opt/dataplatform/rendered/files/etc/etcd/etcd.yml:/etc/etcd/etcd.yml:ro',
          '/opt/dataplatform/rendered/files/etc/etcd/init.sh:/etc/etcd/init.sh:ro',
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

  it('writes templates with their modes, node.env and the boot script, and zips them for EC2', () => {
    const text = renderCloudConfig({
      node,
      fqdn: 'etcd-1.dp.internal',
      region: 'eu-west-1',
      secretIds: new Map([['etcd-token', 'dp/etcd-token']]),
      idParameters: new Map(),
      waitFor: ['etcd-2.dp.internal:2380'],
    });
    const config = parse(gunzipSync(Buffer.from(encodeUserData(text), 'base64')).toString());
    expect(config).toMatchObject({ hostname: 'etcd-1', fqdn: 'etcd-1.dp.internal' });
    const files = Object.fromEntries(config.write_files.map((f: any) => [f.path, f]));
    expect(files['/opt/dataplatform/templates/files/etc/etcd/init.sh'].permissions).toBe('0755');
    expect(files['/opt/dataplatform/templates/files/etc/etcd/etcd.yml'].permissions).toBe('0644');
    expect(files['/opt/dataplatform/bin/boot.sh'].content).toMatch(/^#!\/bin\/bash\n/);
    expect(files['/etc/dataplatform/node.env']).toMatchObject({ permissions: '0600' });
    expect(files['/etc/dataplatform/node.env'].content).toContain("SECRETS='etcd-token=dp/etcd-token'\n");
    expect(files['/etc/dataplatform/node.env'].content).toContain("DATA_DEVICE='/dev/sdf'\n");
    expect(files['/etc/dataplatform/node.env'].content).toContain("WAIT_FOR='etcd-2.dp.internal:2380'\n");
    expect(config.runcmd).toEqual([['/opt/dataplatform/bin/boot.sh']]);
  });
});

import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { LocalStack } from '../stacks/local-stack';
import { resources, type TfJson } from './helpers';

const stack = new LocalStack(Testing.app(), 'local');
const tf = JSON.parse(Testing.synth(stack)) as TfJson;
const containers = resources(tf, 'docker_container');
const byName = (name: string) => containers.find((c) => c.name === `dp-${name}`)!;
// The NodeSpecs behind the containers: what each one is meant to be.
const specs = stack.platform.nodes;
const services = containers.filter((c) => !specs.find((n) => `dp-${n.name}` === c.name)!.oneShot);
const jobs = containers.filter((c) => specs.find((n) => `dp-${n.name}` === c.name)!.oneShot);

/** Every string anywhere in a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

describe('local stack', () => {
  it('matches the snapshot', () => {
    expect(Testing.synth(new LocalStack(Testing.app(), 'local'))).toMatchSnapshot();
  });

  it('runs 3 etcd, 3 Patroni, HAProxy and PgBouncer containers on one network', () => {
    expect(containers.map((c) => c.name).sort()).toEqual(
      expect.arrayContaining([
        'dp-etcd-1',
        'dp-etcd-2',
        'dp-etcd-3',
        'dp-haproxy',
        'dp-patroni-1',
        'dp-patroni-2',
        'dp-patroni-3',
        'dp-pgbouncer',
      ]),
    );
    const networks = Object.keys(tf.resource.docker_network!);
    expect(networks).toHaveLength(1);
    for (const c of containers) {
      expect(c.networks_advanced).toEqual([{ name: `\${docker_network.${networks[0]}.name}`, aliases: [c.hostname] }]);
    }
  });

  it('starts each tier only after the tier below is healthy', () => {
    const nameOf = new Map(
      Object.entries(tf.resource.docker_container!).map(([id, c]) => [`docker_container.${id}`, c.name]),
    );
    const deps = (name: string) => (byName(name).depends_on as string[]).map((d) => nameOf.get(d));
    expect(deps('patroni-1')).toEqual(['dp-etcd-1', 'dp-etcd-2', 'dp-etcd-3']);
    expect(deps('haproxy')).toEqual(['dp-patroni-1', 'dp-patroni-2', 'dp-patroni-3']);
    expect(deps('pgbouncer')).toEqual(['dp-haproxy']);
    // Services are created once healthy, unless an init job is what makes them healthy.
    for (const c of services) {
      expect(c.wait).toBe(!specs.find((n) => `dp-${n.name}` === c.name)!.initializedBy);
    }
  });

  it('runs Patroni on the rendered patroni.yml, not the image launcher', () => {
    const patroni = byName('patroni-1');
    expect(patroni.command.at(-1)).toMatch(/exec setpriv --reuid=postgres .* patroni \/etc\/patroni\/patroni\.yml$/);
    expect(patroni.upload.map((u: { file: string }) => u.file)).toEqual([
      '/etc/patroni/patroni.yml',
      '/etc/patroni/post-bootstrap.sh',
    ]);
  });

  it('exports the generated passwords only as a sensitive output, by secret name', () => {
    const secrets = tf.output!.secrets as unknown as { value: Record<string, string>; sensitive: boolean };
    expect(secrets.sensitive).toBe(true);
    expect(secrets.value['postgres-app']).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
  });

  it('exports a topology manifest naming every container and its endpoints', () => {
    const nodes: any[] = tf.output!.topology!.value.nodes;
    expect(nodes.map((n) => n.handle.container).sort()).toEqual(containers.map((c) => c.name).sort());
    expect(nodes.find((n) => n.name === 'pgbouncer')).toEqual({
      name: 'pgbouncer',
      component: 'pgbouncer',
      role: 'pooler',
      handle: { container: 'dp-pgbouncer' },
      endpoints: { pgbouncer: { internal: 'pgbouncer:6432', published: '127.0.0.1:6432' } },
    });
    expect(nodes.find((n) => n.name === 'patroni-2').endpoints.rest).toEqual({
      internal: 'patroni-2:8008',
      published: '127.0.0.1:8009',
    });
  });
});

describe('local stack invariants', () => {
  it('pins every image to a release tag', () => {
    for (const image of resources(tf, 'docker_image')) {
      expect(image.name).toMatch(/^[\w./-]+:[\w.-]*\d[\w.-]*$/);
      expect(image.name).not.toMatch(/:latest$/);
    }
  });

  it('publishes ports on 127.0.0.1 only', () => {
    const ports = containers.flatMap((c) => c.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(p.ip).toBe('127.0.0.1');
  });

  it('gives every stateful node a named volume', () => {
    const stateful = specs.filter((n) => n.stateful);
    expect(stateful.length).toBeGreaterThan(6);
    for (const n of stateful) {
      const volumes = byName(n.name).volumes as { volume_name: string }[];
      expect(volumes.length).toBeGreaterThan(0);
      for (const v of volumes) expect(v.volume_name).toMatch(/^\$\{docker_volume\.[\w-]+\.name\}$/);
    }
    const declared = specs.reduce((sum, n) => sum + n.volumes.length, 0);
    expect(new Set(resources(tf, 'docker_volume').map((v) => v.name)).size).toBe(declared);
  });

  it('gives every service a healthcheck, a memory limit and a restart policy', () => {
    for (const c of services) {
      expect(c.healthcheck.test.length).toBeGreaterThan(1);
      expect(c.memory).toBeGreaterThanOrEqual(64);
      expect(c.restart).toBe('unless-stopped');
    }
  });

  it('runs every init job once to completion and fails the apply when it fails', () => {
    expect(jobs.length).toBeGreaterThan(0);
    for (const c of jobs) {
      expect(c).toMatchObject({ restart: 'no', must_run: false, attach: true, wait: false });
      expect(c.healthcheck).toBeUndefined();
      expect(c.memory).toBeGreaterThanOrEqual(64);
      expect(c.lifecycle.postcondition).toEqual([expect.objectContaining({ condition: '${self.exit_code == 0}' })]);
    }
  });

  it('holds no literal password: every secret is a generated random_password', () => {
    const passwordIds = Object.keys(tf.resource.random_password!);
    expect(passwordIds).toHaveLength(stack.platform.secrets.length);
    for (const p of resources(tf, 'random_password')) expect(p).toMatchObject({ length: 32, special: false });
    const ref = /\$\{random_password\.[\w-]+\.result\}/;
    for (const c of containers) {
      for (const e of c.env as string[]) {
        const [key, value] = [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)];
        if (/PASSWORD|SECRET|TOKEN/.test(key)) expect(value).toMatch(new RegExp(`^${ref.source}$`));
      }
    }
    const userlist = byName('pgbouncer').upload.find((u: { file: string }) => u.file.endsWith('userlist.txt')).content;
    expect(userlist).toMatch(new RegExp(`^"app" "${ref.source}"\\n"pgbouncer_exporter" "${ref.source}"\\n"pgbouncer_admin" "${ref.source}"\\n$`));
    // No placeholder escaped resolution, and no file carries a password key with a literal value.
    const all = strings(tf as TfJson);
    expect(all.filter((s) => s.includes('{{secret:') || s.includes('{{id:'))).toEqual([]);
    // A `password:` key may only introduce a nested reference (e.g. ClickHouse's from_env), never a value on its line.
    expect(all.filter((s) => /password:[ \t]*[^\s]/i.test(s))).toEqual([]);
  });
});

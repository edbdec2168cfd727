import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { goDuration } from '../constructs/targets/docker/docker-target';
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

/** Go's `time.Duration.String` for whole seconds: "59s", "1m0s", "1h0m5s"; never "60s", "05s" or "1m". */
const GO_DURATION = /^(?:[1-9]\d*h[1-5]?\dm|(?:[1-9]|[1-5]\d)m)?[1-5]?\ds$/;
const LOOKS_LIKE_DURATION = /^\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)/;
/** Container fields whose strings are free text (commands, env, files, labels, log sizes such as "10m"). */
const FREE_TEXT = new Set(['command', 'entrypoint', 'env', 'upload', 'labels', 'log_opts', 'test', '//']);

/** Strings of a resource that look like durations, with their paths, skipping free-text fields. */
function durations(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return LOOKS_LIKE_DURATION.test(value) ? [[path, value]] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => durations(v, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .filter(([k]) => !FREE_TEXT.has(k))
      .flatMap(([k, v]) => durations(v, path ? `${path}.${k}` : k));
  }
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
      '/etc/pgbackrest/pgbackrest.conf',
      '/etc/dataplatform/backup-scheduler.sh',
      '/etc/patroni/post-bootstrap.sh',
      '/etc/dataplatform/tls/ca.crt',
      '/etc/patroni/tls/server.crt',
      '/etc/patroni/tls/server.key',
    ]);
    // Postgres refuses a key others can read; the upload is root-owned 0644, so the start makes it postgres' 0600.
    expect(patroni.command.at(-1)).toMatch(
      /chown postgres:postgres \S+ \/etc\/patroni\/tls\/server\.key && .*chmod 0600 \/etc\/patroni\/tls\/server\.key/,
    );
  });

  it("issues the platform CA and each declared server certificate with Terraform's tls provider", () => {
    const ref = (type: string, attribute: string) => new RegExp(String.raw`^\$\{${type}\.[\w-]+\.${attribute}\}$`);
    for (const c of containers) {
      const ca = c.upload.find((u: { file: string }) => u.file === '/etc/dataplatform/tls/ca.crt');
      expect(ca?.content, c.name).toMatch(ref('tls_self_signed_cert', 'cert_pem'));
    }
    expect(resources(tf, 'tls_self_signed_cert')).toEqual([
      expect.objectContaining({ is_ca_certificate: true, allowed_uses: ['cert_signing', 'crl_signing'] }),
    ]);
    expect(stack.platform.certificates.map((c) => c.node)).toContain('versitygw');
    for (const spec of stack.platform.certificates) {
      const uploads = byName(spec.node).upload as { file: string; content: string }[];
      expect(uploads.find((u) => u.file === spec.certPath)?.content).toMatch(
        ref('tls_locally_signed_cert', 'cert_pem'),
      );
      expect(uploads.find((u) => u.file === spec.keyPath)?.content).toMatch(
        ref('tls_private_key', 'private_key_pem_pkcs8'),
      );
    }
    // Terraform's JSON lists resources by name, not in declaration order.
    const sorted = (names: unknown[][]) => names.map((n) => JSON.stringify(n)).sort();
    expect(sorted(resources(tf, 'tls_cert_request').map((r) => r.dns_names as unknown[]))).toEqual(
      sorted(stack.platform.certificates.map((c) => [...c.hosts])),
    );
    expect(resources(tf, 'tls_locally_signed_cert').map((r) => [r.validity_period_hours, r.allowed_uses])).toEqual(
      stack.platform.certificates.map(() => [
        365 * 24,
        ['digital_signature', 'key_encipherment', 'server_auth', 'client_auth'],
      ]),
    );
    // A member's certificate also names HAProxy, which passes Postgres' TLS through to it.
    expect(stack.platform.certificates.find((c) => c.node === 'patroni-1')?.hosts).toEqual(['patroni-1', 'haproxy', 'localhost']);
  });

  it.each([3, 1000])('rejects docker.certificateValidityDays %i, naming the range', (days) => {
    expect(() => new LocalStack(Testing.app(), 'local', { docker: { certificateValidityDays: days } })).toThrow(
      `docker.certificateValidityDays must be an integer between 7 and 825 (got ${days})`,
    );
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
      expect(c.memory).toBeGreaterThanOrEqual(24);
      expect(c.restart).toBe('unless-stopped');
    }
  });

  // Docker reports durations as Go formats them and fills in memory_swap (2 × memory) when it is
  // unset; anything else makes the plan after an apply update every container in place.
  it('writes what Docker reads back: durations in Go form, swap set explicitly', () => {
    const found = containers.flatMap((c) => durations(c, c.name as string));
    expect(found.length).toBeGreaterThanOrEqual(3 * services.length);
    expect(found.filter(([, d]) => !GO_DURATION.test(d))).toEqual([]);
    for (const c of containers) {
      expect(c.memory_swap, c.name).toBeGreaterThanOrEqual(c.memory);
    }
  });

  // A lookup of a dead member's name must not stall failover where the upstream resolver never answers.
  it("bounds every container's DNS lookups to one try of one second", () => {
    for (const c of containers) expect(c.dns_opts, c.name).toEqual(['timeout:1', 'attempts:1']);
  });

  it('checks durations for the form Go prints (negative control)', () => {
    for (const good of ['0s', '5s', '59s', '1m0s', '1m30s', '10m0s', '1h0m0s', '2h5m9s']) {
      expect(good).toMatch(GO_DURATION);
    }
    for (const bad of ['60s', '90s', '05s', '1m', '1h', '1h5s', '0m5s', '1m60s', '61m0s']) {
      expect(bad).not.toMatch(GO_DURATION);
    }
    expect(durations({ healthcheck: [{ start_period: '60s', test: ['CMD', 'sleep', '5s'] }] })).toEqual([
      ['healthcheck[0].start_period', '60s'],
    ]);
    expect([0, 5, 59, 60, 90, 600, 3600, 3665].map(goDuration)).toEqual([
      '0s',
      '5s',
      '59s',
      '1m0s',
      '1m30s',
      '10m0s',
      '1h0m0s',
      '1h1m5s',
    ]);
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
    expect(userlist).toMatch(
      new RegExp(
        `^"app" "${ref.source}"\\n"pgbouncer_exporter" "${ref.source}"\\n"pgbouncer_admin" "${ref.source}"\\n$`,
      ),
    );
    // No placeholder escaped resolution, and no file carries a password key with a literal value.
    const all = strings(tf as TfJson);
    expect(all.filter((s) => s.includes('{{secret:') || s.includes('{{id:'))).toEqual([]);
    // A `password:` key may only introduce a nested reference (e.g. ClickHouse's from_env), never a value on its line.
    expect(all.filter((s) => /password:[ \t]*[^\s]/i.test(s))).toEqual([]);
  });
});

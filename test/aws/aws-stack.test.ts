import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { imageName } from '../../constructs/platform/images';
import { secretsIn } from '../../constructs/platform/secrets';
import { portGrants } from '../../constructs/targets/aws/connectivity';
import { LocalStack } from '../../stacks/local-stack';
import { resources } from '../helpers';
import { awsStack, cloudConfig, nodeEnv, ref, synthAws, writtenFile } from './helpers';

// One synth serves most tests: the platform is large, and each synth takes a second or two.
const state = { bucket: 'acme-tfstate', key: 'dp/aws.tfstate', region: 'eu-central-1' };
const stack = awsStack({ state });
const tf = JSON.parse(Testing.synth(stack));
const nodes = stack.platform.nodes;
const instances = tf.resource.aws_instance as Record<string, any>;
const instanceOf = (node: string) => Object.values(instances).find((i) => i.tags['dataplatform:node'] === node)!;
const sgName = (id: string) => tf.resource.aws_security_group[ref(id).name].tags['dataplatform:component'];

describe('aws stack', () => {
  it('matches the snapshot (user data shown unzipped)', () => {
    const readable = structuredClone(tf);
    for (const instance of Object.values(readable.resource.aws_instance) as any[]) {
      instance.user_data_base64 = cloudConfig(instance);
    }
    expect(readable).toMatchSnapshot();
  });

  it('runs the NodeSpecs of the local stack: same images, commands, env, files and health checks', () => {
    // The settings the aws stack runs with (S3 instead of MinIO; no cAdvisor, a one-Docker-host agent), placed on Docker.
    const local = new LocalStack(Testing.app(), 'local', {
      settings: { objectStorage: 's3', monitoring: { containerMetrics: false } },
    }).platform.nodes;
    const unqualified = (text: string) =>
      text.replaceAll('.dp.internal', '').replaceAll('169.254.169.253:53', '127.0.0.11:53');
    expect(nodes.map((n) => n.name)).toEqual(local.map((n) => n.name));
    for (const node of nodes) {
      const twin = local.find((n) => n.name === node.name)!;
      expect(unqualified(JSON.stringify(node))).toEqual(JSON.stringify(twin));
      const config = cloudConfig(instanceOf(node.name));
      expect(nodeEnv(config).IMAGE).toBe(imageName(node.image));
      for (const file of node.files) {
        expect(writtenFile(config, `/opt/dataplatform/templates/files${file.path}`)).toBe(file.content);
      }
    }
  });

  it('gives every node an instance and a private DNS name, and every node with volumes an encrypted gp3 data volume', () => {
    expect(Object.keys(instances)).toHaveLength(nodes.length);
    const records = resources(tf, 'aws_route53_record');
    for (const node of nodes) {
      const record = records.find((r) => r.name === `${node.name}.dp.internal`)!;
      expect(record).toMatchObject({ type: 'A', ttl: 30 });
      expect(ref(record.records[0]).attr).toBe('private_ip');
    }
    const withVolumes = nodes.filter((n) => n.volumes.length > 0);
    expect(resources(tf, 'aws_ebs_volume')).toHaveLength(withVolumes.length);
    for (const v of resources(tf, 'aws_ebs_volume')) {
      expect(v).toMatchObject({ type: 'gp3', encrypted: true, final_snapshot: true });
    }
    for (const a of resources(tf, 'aws_volume_attachment')) {
      expect(a).toMatchObject({ device_name: '/dev/sdf', stop_instance_before_detaching: true });
    }
    expect(tf.resource.aws_route53_zone).toBeDefined();
  });

  it('puts every instance in a private subnet with no public IP, IMDSv2 required', () => {
    for (const i of Object.values(instances)) {
      const subnet = tf.resource.aws_subnet[ref(i.subnet_id).name];
      expect(subnet.tags['dataplatform:tier']).toBe('private');
      expect(subnet.map_public_ip_on_launch).toBe(false);
      expect(i.associate_public_ip_address).toBe(false);
      expect(i.metadata_options.http_tokens).toBe('required');
      expect(i.root_block_device).toMatchObject({ encrypted: true, volume_type: 'gp3' });
      expect(i.lifecycle.ignore_changes).toEqual(['ami', 'user_data_base64']);
    }
    const nat = resources(tf, 'aws_nat_gateway');
    expect(nat).toHaveLength(1);
    expect(tf.resource.aws_subnet[ref(nat[0]!.subnet_id).name].tags['dataplatform:tier']).toBe('public');
  });

  it('spreads the members of every cluster over the 3 AZs', () => {
    const azOf = (node: string) => tf.resource.aws_subnet[ref(instanceOf(node).subnet_id).name].availability_zone;
    const clusters = new Set(nodes.filter((n) => !n.oneShot).map((n) => n.component));
    for (const component of clusters) {
      const members = nodes.filter((n) => n.component === component && !n.oneShot).map((n) => azOf(n.name));
      expect(new Set(members).size, component).toBe(Math.min(members.length, 3));
    }
    expect(new Set(['etcd-1', 'etcd-2', 'etcd-3'].map(azOf))).toEqual(
      new Set(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']),
    );
  });

  it('opens each port only to the components that use it (Postgres HA spelled out)', () => {
    const ingress = resources(tf, 'aws_vpc_security_group_ingress_rule').filter(
      (r) => !r.description.startsWith('HTTPS to VPC endpoints'),
    );
    const consumers = (provider: string, port: number) =>
      ingress
        .filter((r) => sgName(r.security_group_id) === provider && r.from_port === port)
        .map((r) => sgName(r.referenced_security_group_id))
        .sort();
    // Prometheus, where present, scrapes the ports its prometheus.yml names.
    const scraper = nodes.some((n) => n.component === 'prometheus') ? ['prometheus'] : [];
    expect(consumers('etcd', 2379)).toEqual(['etcd', 'patroni', ...scraper]);
    expect(consumers('etcd', 2380)).toEqual(['etcd']); // Patroni declares connectsTo: client port only
    expect(consumers('patroni', 5432)).toEqual(expect.arrayContaining(['haproxy', 'patroni']));
    expect(consumers('patroni', 5432)).not.toContain('pgbouncer');
    expect(consumers('haproxy', 5000)).toContain('pgbouncer');
    expect(consumers('haproxy', 5000)).not.toContain('etcd');
    expect(consumers('haproxy', 8404)).not.toContain('pgbouncer'); // PgBouncer uses primary and replicas only
    expect(consumers('pgbouncer', 6432)).not.toContain('haproxy');
    for (const r of ingress) {
      expect(r.cidr_ipv4).toBeUndefined();
      expect(r.from_port).toBe(r.to_port);
    }
  });

  it('renders exactly the derived grants, each as ingress on the provider and egress on the consumer', () => {
    const grants = portGrants(nodes, (n) => stack.platform.placement.host(n));
    const key = (p: string, port: number, c: string) => `${c}->${p}:${port}`;
    const expected = grants.map((g) => key(g.provider, g.port, g.consumer)).sort();
    const rendered = (type: string, provider: 'security_group_id' | 'referenced_security_group_id') =>
      resources(tf, type)
        .filter((r) => r.referenced_security_group_id)
        .filter((r) => !r.description.startsWith('HTTPS to VPC endpoints'))
        .map((r) =>
          key(
            sgName(r[provider]),
            r.from_port,
            sgName(provider === 'security_group_id' ? r.referenced_security_group_id : r.security_group_id),
          ),
        )
        .sort();
    expect(rendered('aws_vpc_security_group_ingress_rule', 'security_group_id')).toEqual(expected);
    expect(rendered('aws_vpc_security_group_egress_rule', 'referenced_security_group_id')).toEqual(expected);
    const open = resources(tf, 'aws_vpc_security_group_egress_rule').filter((r) => r.cidr_ipv4);
    for (const r of open) expect(r).toMatchObject({ cidr_ipv4: '0.0.0.0/0', from_port: 443, to_port: 443 });
  });

  it('allows every endpoint a node config names (host:port of another node)', () => {
    const grants = portGrants(nodes, (n) => stack.platform.placement.host(n));
    for (const node of nodes) {
      const text = [...Object.values(node.env), ...(node.command ?? []), ...node.files.map((f) => f.content)]
        .join('\n')
        .replaceAll('\\:', ':');
      for (const other of nodes.filter((o) => o.name !== node.name)) {
        for (const port of other.ports) {
          if (!text.includes(`${other.name}.dp.internal:${port.port}`)) continue;
          const allowed = grants.some(
            (g) => g.provider === other.component && g.port === port.port && g.consumer === node.component,
          );
          expect(allowed, `${node.name} -> ${other.name}:${port.name}`).toBe(true);
        }
      }
    }
  });

  it('lets each node read its own secrets and nothing else', () => {
    const policies = tf.resource.aws_iam_role_policy as Record<string, any>;
    const secretArn = (name: string) =>
      Object.entries(tf.resource.aws_secretsmanager_secret as Record<string, any>).find(
        ([, s]) => s.name === `dp/${name}`,
      )![0];
    for (const node of nodes) {
      const text = [JSON.stringify(node.env), ...node.files.map((f) => f.content)].join('\n');
      const expected = secretsIn(text)
        .map((s) => `\${aws_secretsmanager_secret.${secretArn(s)}.arn}`)
        .sort();
      const role = Object.entries(tf.resource.aws_iam_role as Record<string, any>).find(
        ([, r]) => r.name === `dp-${node.name}`,
      )![0];
      const policy = Object.values(policies).find((p) => p.role === `\${aws_iam_role.${role}.id}`);
      const statements: any[] = policy ? JSON.parse(policy.policy).Statement : [];
      const granted = statements.filter((s) => s.Action === 'secretsmanager:GetSecretValue').flatMap((s) => s.Resource);
      expect(granted.sort(), node.name).toEqual(expected);
    }
    expect(nodes.find((n) => n.name === 'pgbouncer')).toBeDefined();
  });

  it('keeps secret values out of user data: placeholders, fetched at boot by name', () => {
    for (const node of nodes) {
      const config = cloudConfig(instanceOf(node.name));
      const env = nodeEnv(config);
      const container = writtenFile(config, '/opt/dataplatform/templates/container.json');
      const used = secretsIn([container, ...node.files.map((f) => f.content)].join('\n'));
      expect(env.SECRETS!.split(' ').filter(Boolean).sort()).toEqual(used.map((s) => `${s}=dp/${s}`).sort());
      for (const [key, value] of Object.entries(JSON.parse(container).Env as string[]).map(([, e]) => e.split('='))) {
        if (/PASSWORD|SECRET/.test(key!)) expect(value).toMatch(/^\{\{secret:[a-z0-9-]+\}\}$/);
      }
    }
    const versions = resources(tf, 'aws_secretsmanager_secret_version');
    for (const v of versions) expect(ref(v.secret_string).type).toBe('random_password');
    for (const p of resources(tf, 'random_password')) expect(p.special).toBe(false);
  });

  it('exports the topology manifest in the local shape, with instance IDs and private DNS names', () => {
    const manifest = tf.output.topology.value;
    expect(manifest).toMatchObject({ version: 1, target: 'aws' });
    expect(manifest.nodes.map((n: any) => n.name)).toEqual(nodes.map((n) => n.name));
    const pgbouncer = manifest.nodes.find((n: any) => n.name === 'pgbouncer');
    expect(pgbouncer).toEqual({
      name: 'pgbouncer',
      component: 'pgbouncer',
      role: 'pooler',
      handle: { instanceId: expect.stringMatching(/^\$\{aws_instance\.[\w-]+\.id\}$/) },
      endpoints: { pgbouncer: { internal: 'pgbouncer.dp.internal:6432' } },
    });
  });

  it('keeps its state in S3 with a lock file, from settings', () => {
    expect(tf.terraform.backend.s3).toEqual({ ...state, encrypt: true, use_lockfile: true });
  });

  it('renders VersityGW nodes instead of S3 buckets when objectStorage is versitygw', () => {
    const s3 = tf;
    const vgw = synthAws({ settings: { objectStorage: 'versitygw' } });
    expect(resources(s3, 'aws_s3_bucket').length).toBe(stack.platform.buckets.length);
    expect(resources(vgw, 'aws_s3_bucket')).toHaveLength(0);
    const tags = (t: any) => resources(t, 'aws_instance').map((i) => i.tags['dataplatform:component']);
    expect(tags(vgw)).toContain('versitygw');
    expect(tags(s3)).not.toContain('versitygw');
    for (const b of resources(s3, 'aws_s3_bucket_versioning'))
      expect(b.versioning_configuration.status).toBe('Enabled');
  });
});

describe('aws settings validation', () => {
  it.each([
    [{ aws: { prefix: 'Data_Platform' } }, /aws.prefix 'Data_Platform' must be 1 to 20 lower-case/],
    [{ aws: { cidr: '10.0.0.0/8' } }, /aws.cidr '10.0.0.0\/8' must be an IPv4 block from \/16 to \/20/],
    [
      { aws: { availabilityZones: ['eu-west-1a', 'eu-west-1a', 'eu-west-1b'] } },
      /aws.availabilityZones .* 3 distinct zones of eu-west-1/,
    ],
    [{ aws: { flowLogRetentionDays: 100 } }, /aws.flowLogRetentionDays is 100: CloudWatch Logs accepts .*90, 120/],
    [
      { aws: { sizing: { patroni: { instanceType: 'large' } } } },
      /aws.sizing.patroni.instanceType 'large' is not an EC2 instance type/,
    ],
    [
      { aws: { sizing: { etcd: { dataVolumeGb: 0 } } } },
      /aws.sizing.etcd.dataVolumeGb must be an integer between 1 and 16384 \(got 0\)/,
    ],
    [{ aws: { rootVolumeGb: 4 } }, /aws.rootVolumeGb must be an integer between 8 and 16384 \(got 4\)/],
  ])('rejects %j', (props, message) => {
    expect(() => awsStack(props as any)).toThrow(message);
  });

  it('rejects a node too big for any default instance type, naming the setting to use', () => {
    expect(() => awsStack({ settings: { postgres: { pgbouncer: { memoryMb: 40000 } } } })).toThrow(
      /node pgbouncer asks for 40000 MiB.*set aws.sizing.pgbouncer.instanceType/,
    );
  });

  it('sizes nodes by memory unless the component is sized explicitly', () => {
    const type = (node: string) => instanceOf(node).instance_type;
    expect(type('etcd-1')).toBe('t3.micro'); // 256 MiB + 512 MiB for the host
    expect(type('patroni-1')).toBe('m6i.large'); // the stack's default sizing
  });
});

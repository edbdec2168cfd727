import { Testing, TerraformStack } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { imageName } from '../../constructs/platform/images';
import type { NodeSpec } from '../../constructs/platform/node-spec';
import { NetworkPlacement } from '../../constructs/platform/placement';
import { secretsIn } from '../../constructs/platform/secrets';
import { AwsTarget } from '../../constructs/targets/aws/aws-target';
import { machinesOf, OPS_HOST } from '../../constructs/platform/hosts';
import { machineGrants } from '../../constructs/targets/aws/connectivity';
import { PLAINTEXT_UNTIL_TLS, VPC_DNS } from '../../stacks/aws-stack';
import { LocalStack } from '../../stacks/local-stack';
import { resources } from '../helpers';
import { awsStack, cloudConfig, nodeEnv, ref, synthAws, writtenFile } from './helpers';

// One synth serves most tests: the platform is large, and each synth takes a second or two.
const state = { bucket: 'acme-tfstate', key: 'dp/aws.tfstate', region: 'eu-central-1' };
const stack = awsStack({ state });
const tf = JSON.parse(Testing.synth(stack));
const nodes = stack.platform.nodes;
const instances = tf.resource.aws_instance as Record<string, any>;
const machines = machinesOf(nodes);
const machineOf = (node: string) => machines.find((m) => m.nodes.some((n) => n.name === node))!.name;
const instanceOf = (node: string) =>
  Object.values(instances).find((i) => i.tags['dataplatform:machine'] === machineOf(node))!;
const sgName = (id: string) => tf.resource.aws_security_group[ref(id).name].tags['dataplatform:machine'];
const fqdn = (n: string) => stack.platform.placement.host(n);

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
      expect(nodeEnv(config, node.name).IMAGE).toBe(imageName(node.image));
      for (const file of node.files) {
        expect(writtenFile(config, `/opt/dataplatform/templates/${node.name}/files${file.path}`)).toBe(file.content);
      }
    }
  });

  it('runs the default platform on at most 16 instances, each node on exactly one', () => {
    expect(Object.keys(instances).length).toBeLessThanOrEqual(16);
    expect(Object.keys(instances)).toHaveLength(machines.length);
    const listed = Object.values(instances).flatMap((i) => i.tags['dataplatform:nodes'].split(' '));
    expect(listed.sort()).toEqual(nodes.map((n) => n.name).sort());
    // Exporters beside their servers, jobs and small services on the ops machine.
    expect(machineOf('postgres-exporter-2')).toBe(machineOf('patroni-2'));
    expect(machineOf('mongodb-exporter-3')).toBe(machineOf('mongo-3'));
    expect(machineOf('pgbouncer-exporter')).toBe(machineOf('pgbouncer'));
    for (const job of nodes.filter((n) => n.oneShot)) expect(machineOf(job.name), job.name).toBe(OPS_HOST);
    for (const small of ['haproxy', 'pgbouncer', 'alertmanager', 'kafka-exporter'])
      expect(machineOf(small)).toBe(OPS_HOST);
  });

  it('gives every node a private DNS name on its machine, and every machine with volumes one encrypted gp3 data volume', () => {
    const records = resources(tf, 'aws_route53_record');
    expect(records).toHaveLength(nodes.length);
    for (const node of nodes) {
      const record = records.find((r) => r.name === `${node.name}.dp.internal`)!;
      expect(record).toMatchObject({ type: 'A', ttl: 30 });
      const target = ref(record.records[0]);
      expect(target.attr).toBe('private_ip');
      expect(instances[target.name]).toBe(instanceOf(node.name));
    }
    const withVolumes = machines.filter((m) => m.nodes.some((n) => n.volumes.length > 0));
    expect(resources(tf, 'aws_ebs_volume')).toHaveLength(withVolumes.length);
    for (const v of resources(tf, 'aws_ebs_volume')) {
      expect(v).toMatchObject({ type: 'gp3', encrypted: true, final_snapshot: true });
    }
    for (const a of resources(tf, 'aws_volume_attachment')) {
      expect(a).toMatchObject({ device_name: '/dev/sdf', stop_instance_before_detaching: true });
    }
    expect(tf.resource.aws_route53_zone).toBeDefined();
  });

  it('recovers every instance onto new hardware when the system status check fails', () => {
    const alarms = resources(tf, 'aws_cloudwatch_metric_alarm');
    expect(alarms).toHaveLength(Object.keys(instances).length);
    for (const [name, instance] of Object.entries(instances)) {
      expect(instance.maintenance_options).toEqual({ auto_recovery: 'default' });
      const alarm = alarms.find((a) => a.dimensions.InstanceId === `\${aws_instance.${name}.id}`)!;
      expect(alarm, name).toMatchObject({
        namespace: 'AWS/EC2',
        metric_name: 'StatusCheckFailed_System',
        statistic: 'Maximum',
        period: 60,
        evaluation_periods: 2,
        comparison_operator: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
        alarm_actions: [
          expect.stringMatching(/^arn:\$\{data\.aws_partition\.[\w-]+\.partition\}:automate:eu-west-1:ec2:recover$/),
        ],
      });
    }
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

  it('spreads the members of every cluster over the 3 AZs, whatever machine they share', () => {
    const azOf = (node: string) => tf.resource.aws_subnet[ref(instanceOf(node).subnet_id).name].availability_zone;
    const clusters = new Set(nodes.filter((n) => !n.oneShot).map((n) => n.component));
    for (const component of clusters) {
      const members = nodes.filter((n) => n.component === component && !n.oneShot).map((n) => azOf(n.name));
      expect(new Set(members).size, component).toBe(Math.min(members.length, 3));
    }
    const zones = new Set(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    for (const cluster of [
      ['etcd-1', 'etcd-2', 'etcd-3'],
      ['patroni-1', 'patroni-2', 'patroni-3'],
      ['keeper-1', 'keeper-2', 'keeper-3'],
    ]) {
      expect(new Set(cluster.map(azOf))).toEqual(zones);
    }
  });

  it('opens each port only to the machines whose nodes use it (Postgres HA spelled out)', () => {
    const ingress = resources(tf, 'aws_vpc_security_group_ingress_rule').filter(
      (r) => !r.description.startsWith('HTTPS to VPC endpoints'),
    );
    const consumers = (node: string, port: number) =>
      ingress
        .filter((r) => sgName(r.security_group_id) === machineOf(node) && r.from_port === port)
        .map((r) => sgName(r.referenced_security_group_id))
        .sort();
    // etcd-1's machine also runs patroni-1: its peers reach it, and Prometheus scrapes etcd's client port.
    expect(consumers('etcd-1', 2379)).toEqual(['etcd-2', 'etcd-3', 'prometheus']);
    expect(consumers('etcd-1', 2380)).toEqual(['etcd-2', 'etcd-3']);
    // HAProxy (ops) and the other members reach Postgres; PgBouncer only through HAProxy, beside it.
    expect(consumers('patroni-1', 5432)).toEqual(['etcd-2', 'etcd-3', OPS_HOST]);
    // The exporter beside patroni-1 needs no rule from there; Prometheus scrapes it (and, as for
    // every component with several nodes, its peers may reach it).
    expect(consumers('postgres-exporter-1', 9187)).toEqual(['etcd-2', 'etcd-3', 'prometheus']);
    // HAProxy's primary port: Connect (beside the brokers) uses it, PgBouncer is on the same machine.
    expect(consumers('haproxy', 5000)).toEqual(['kafka-1', 'kafka-2']);
    expect(consumers('pgbouncer', 6432)).toEqual([]);
    for (const r of ingress) {
      expect(r.cidr_ipv4).toBeUndefined();
      expect(r.from_port).toBe(r.to_port);
      expect(sgName(r.security_group_id)).not.toBe(sgName(r.referenced_security_group_id));
    }
  });

  it('renders exactly the derived machine grants, each as ingress on the provider and egress on the consumer', () => {
    const grants = machineGrants(nodes, fqdn, machineOf);
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
    // One group per instance, within EC2's default quota of 60 rules per direction.
    for (const i of Object.values(instances)) expect(i.vpc_security_group_ids).toHaveLength(1);
    for (const type of ['aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule']) {
      const perGroup = new Map<string, number>();
      for (const r of resources(tf, type))
        perGroup.set(r.security_group_id, (perGroup.get(r.security_group_id) ?? 0) + 1);
      expect(Math.max(...perGroup.values()), type).toBeLessThanOrEqual(60);
    }
  });

  it('allows every endpoint a node config names (host:port of another node) from its machine', () => {
    const grants = machineGrants(nodes, fqdn, machineOf);
    for (const node of nodes) {
      const text = [...Object.values(node.env), ...(node.command ?? []), ...node.files.map((f) => f.content)]
        .join('\n')
        .replaceAll('\\:', ':');
      for (const other of nodes.filter((o) => o.name !== node.name)) {
        if (machineOf(other.name) === machineOf(node.name)) continue;
        for (const port of other.ports) {
          if (!text.includes(`${other.name}.dp.internal:${port.port}`)) continue;
          const allowed = grants.some(
            (g) => g.provider === machineOf(other.name) && g.port === port.port && g.consumer === machineOf(node.name),
          );
          expect(allowed, `${node.name} -> ${other.name}:${port.name}`).toBe(true);
        }
      }
    }
  });

  it("lets each machine read its own nodes' secrets and nothing else", () => {
    const policies = tf.resource.aws_iam_role_policy as Record<string, any>;
    const secretArn = (name: string) =>
      Object.entries(tf.resource.aws_secretsmanager_secret as Record<string, any>).find(
        ([, s]) => s.name === `dp/${name}`,
      )![0];
    for (const machine of machines) {
      const text = machine.nodes.flatMap((n) => [JSON.stringify(n.env), ...n.files.map((f) => f.content)]).join('\n');
      const expected = secretsIn(text)
        .map((s) => `\${aws_secretsmanager_secret.${secretArn(s)}.arn}`)
        .sort();
      const role = Object.entries(tf.resource.aws_iam_role as Record<string, any>).find(
        ([, r]) => r.name === `dp-${machine.name}`,
      )![0];
      const policy = Object.values(policies).find((p) => p.role === `\${aws_iam_role.${role}.id}`);
      const statements: any[] = policy ? JSON.parse(policy.policy).Statement : [];
      const granted = statements.filter((s) => s.Action === 'secretsmanager:GetSecretValue').flatMap((s) => s.Resource);
      expect(granted.sort(), machine.name).toEqual(expected);
    }
    // Negative control: the etcd-1 machine runs Patroni, so it reads the Postgres secrets; prometheus reads none of them.
    const names = (m: string) =>
      secretsIn(
        machines
          .find((x) => x.name === m)!
          .nodes.map((n) => JSON.stringify(n.env))
          .join(),
      );
    expect(names('etcd-1')).toContain('postgres-app');
    expect(names('prometheus')).not.toContain('postgres-app');
  });

  it('issues node certificates from one private CA: end-entity only, to the machines whose nodes declare one', () => {
    expect(resources(tf, 'aws_acmpca_certificate_authority')).toEqual([
      expect.objectContaining({
        type: 'ROOT',
        usage_mode: 'GENERAL_PURPOSE',
        certificate_authority_configuration: expect.objectContaining({ key_algorithm: 'EC_prime256v1' }),
      }),
    ]);
    const certified = new Set(stack.platform.certificates.map((c) => c.node));
    const policies = Object.values(tf.resource.aws_iam_role_policy as Record<string, any>);
    let issuing = 0;
    for (const machine of machines) {
      const role = Object.entries(tf.resource.aws_iam_role as Record<string, any>).find(
        ([, r]) => r.name === `dp-${machine.name}`,
      )![0];
      const policy = policies.find((p) => p.role === `\${aws_iam_role.${role}.id}`);
      const statements: any[] = policy ? JSON.parse(policy.policy).Statement : [];
      const issue = statements.find((st) => st.Action === 'acm-pca:IssueCertificate');
      const declares = machine.nodes.some((n) => certified.has(n.name));
      expect(Boolean(issue), machine.name).toBe(declares);
      if (issue) {
        issuing++;
        expect(issue.Condition.StringEquals['acm-pca:TemplateArn']).toMatch(
          /:acm-pca:::template\/EndEntityCertificate\/V1$/,
        );
      }
      const env = nodeEnv(cloudConfig(instanceOf(machine.nodes[0]!.name)));
      expect(env.CA_PARAMETER).toBe('/dp/tls/ca-arn');
    }
    expect(issuing).toBeGreaterThan(0);
    expect(tf.output.topology.value.caCert).toMatch(/^\$\{aws_acmpca_certificate\.[\w-]+\.certificate\}$/);
  });

  it('allows by default only the plaintext ports whose TLS is not built yet, and refuses any other', () => {
    const plaintext = new Set(
      nodes.flatMap((n) => n.ports.filter((p) => p.plaintext).map((p) => `${n.component}:${p.name}`)),
    );
    expect([...plaintext].sort()).toEqual(PLAINTEXT_UNTIL_TLS.filter((p) => plaintext.has(p)).sort());
    expect(() => awsStack({ aws: { allowPlaintext: ['etcd:client'] } })).toThrow(
      /plaintext listeners on AWS: etcd:peer on etcd-1, etcd-2, etcd-3 \(etcd's client and peer TLS is not built yet/,
    );
  });

  it('keeps secret values out of user data: placeholders, fetched at boot by name', () => {
    for (const machine of machines) {
      const config = cloudConfig(instanceOf(machine.nodes[0]!.name));
      const env = nodeEnv(config);
      const containers = machine.nodes.map((n) =>
        writtenFile(config, `/opt/dataplatform/templates/${n.name}/container.json`),
      );
      const used = secretsIn(
        [...containers, ...machine.nodes.flatMap((n) => n.files.map((f) => f.content))].join('\n'),
      );
      expect(env.SECRETS!.split(' ').filter(Boolean).sort()).toEqual(used.map((s) => `${s}=dp/${s}`).sort());
      for (const container of containers) {
        for (const [key, value] of Object.entries(JSON.parse(container).Env as string[]).map(([, e]) => e.split('='))) {
          if (/PASSWORD|SECRET/.test(key!)) expect(value).toMatch(/^\{\{secret:[a-z0-9-]+\}\}$/);
        }
      }
    }
  });

  it('keeps secret values out of the state: generated during apply, written write-only', () => {
    const ephemeral = (tf.ephemeral as any).aws_secretsmanager_random_password as Record<string, any>;
    const versions = resources(tf, 'aws_secretsmanager_secret_version');
    expect(versions).toHaveLength(Object.keys(ephemeral).length);
    for (const v of versions) {
      expect(v.secret_string).toBeUndefined();
      expect(v.secret_string_wo_version).toBe(1);
      const m = /^\$\{ephemeral\.aws_secretsmanager_random_password\.([\w-]+)\.random_password\}$/.exec(
        v.secret_string_wo,
      );
      const secretName = tf.resource.aws_secretsmanager_secret[ref(v.secret_id).name].name.replace(/^dp\//, '');
      const spec = stack.platform.secrets.find((s) => s.name === secretName)!;
      expect(ephemeral[m![1]!]).toEqual({
        exclude_punctuation: true,
        include_space: false,
        password_length: spec.length ?? 32,
      });
    }
    // Nothing from the random provider, which no Terraform state on AWS then needs.
    expect(Object.keys((tf.terraform as any).required_providers)).toEqual(['aws']);
    expect(Object.keys(tf.resource).filter((t) => t.startsWith('random_'))).toEqual([]);
  });

  it('exports the topology manifest in the local shape: every node with its instance ID and container', () => {
    const manifest = tf.output.topology.value;
    expect(manifest).toMatchObject({ version: 1, target: 'aws' });
    expect(manifest.nodes.map((n: any) => n.name)).toEqual(nodes.map((n) => n.name));
    for (const entry of manifest.nodes) {
      const instance = ref(entry.handle.instanceId);
      expect(instance).toMatchObject({ type: 'aws_instance', attr: 'id' });
      expect(instances[instance.name]).toBe(instanceOf(entry.name));
      expect(entry.handle.container).toBe(entry.name);
    }
    const pgbouncer = manifest.nodes.find((n: any) => n.name === 'pgbouncer');
    expect(pgbouncer).toEqual({
      name: 'pgbouncer',
      component: 'pgbouncer',
      role: 'pooler',
      handle: { instanceId: expect.stringMatching(/^\$\{aws_instance\.[\w-]+\.id\}$/), container: 'pgbouncer' },
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
    const tags = (t: any) => resources(t, 'aws_instance').flatMap((i) => i.tags['dataplatform:components'].split(' '));
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
    [
      { aws: { certificateValidityDays: 3 } },
      /aws.certificateValidityDays must be an integer between 7 and 825 \(got 3\)/,
    ],
    [
      { aws: { certificateValidityDays: 900 } },
      /aws.certificateValidityDays must be an integer between 7 and 825 \(got 900\)/,
    ],
  ])('rejects %j', (props, message) => {
    expect(() => awsStack(props as any)).toThrow(message);
  });

  it('rejects a machine too big for any default instance type, naming the settings to use', () => {
    expect(() => awsStack({ settings: { postgres: { pgbouncer: { memoryMb: 40000 } } } })).toThrow(
      /machine ops \(haproxy, pgbouncer, .*\) asks for 4\d+ MiB.*: set aws.sizing.haproxy or aws.sizing.pgbouncer or .*\.instanceType$/,
    );
  });

  it('rejects two instance types for components that share a machine', () => {
    const sizing = { etcd: { instanceType: 't3.small' }, patroni: { instanceType: 'm6i.large' } };
    expect(() => awsStack({ aws: { sizing } })).toThrow(
      'aws.sizing.etcd, aws.sizing.patroni set different instance types, but these components share machine etcd-1: set the same type, or only one',
    );
  });

  it('rejects two nodes listening on one port of a shared machine', () => {
    const node = (name: string, extra: Partial<NodeSpec> = {}): NodeSpec => ({
      name,
      component: name,
      role: 'server',
      image: { repository: 'example/server', tag: '1.0.0' },
      env: {},
      files: [],
      ports: [{ name: 'metrics', port: 9363 }],
      volumes: [],
      stateful: false,
      health: { test: ['CMD', 'true'] },
      memoryMb: 128,
      dependsOn: [],
      ...extra,
    });
    const platform = {
      placement: new NetworkPlacement(VPC_DNS, 'dp.internal'),
      objectStorage: 's3' as const,
      nodes: [node('server'), node('keeper', { host: 'server' })],
      secrets: [],
      generatedIds: [],
      buckets: [],
      certificates: [],
    };
    const target = (nodes: NodeSpec[]) => () =>
      new AwsTarget(new TerraformStack(Testing.app(), 'ports'), 'target', {
        platform: { ...platform, nodes },
        region: 'eu-west-1',
        domain: 'dp.internal',
      });
    expect(target(platform.nodes)).toThrow(
      'nodes server and keeper share machine server and both listen on tcp/9363: give one another port, or its own machine (NodeSpec.host)',
    );
    expect(target([node('server'), node('keeper')])).not.toThrow(); // apart, the same port is fine
  });

  it('sizes machines by the memory of their nodes unless a component is sized explicitly', () => {
    const type = (node: string) => instanceOf(node).instance_type;
    expect(type('keeper-3')).toBe('t3.micro'); // 256 MiB + 512 MiB for the host
    expect(type('clickhouse-1')).toBe('t3.small'); // ClickHouse 1024 + Keeper 256 + 512 MiB
    expect(type('patroni-1')).toBe('m6i.large'); // the stack's default sizing, also for etcd-1 beside it
    // Jobs run one at a time: services 512 MiB + the largest job 512 MiB + 512 MiB for the host.
    expect(type('kafka-topics')).toBe('t3.small');
  });
});

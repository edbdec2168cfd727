import { SSMClient } from '@aws-sdk/client-ssm';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { terraformTarget } from '../../scripts/chaos/target';
import { findTool, haveTools, scratch } from '../real-tools/tools';
import { fullSynthAws } from './helpers';
import { motoServer, startMoto, type Moto } from './moto';

/**
 * Terraform itself on the synthesized aws stack: init from a local plugin mirror,
 * validate, plan, apply against moto on 127.0.0.1, a second plan that must be empty
 * but for moto's known differences (MOTO_DIFFERENCES), then destroy. Nearly all of its
 * time is spent waiting on moto.
 */

const terraform = findTool('terraform');
/** A filesystem mirror holding registry.terraform.io/hashicorp/aws/<version> (terraform init -plugin-dir). */
const PLUGIN_DIR = process.env.DP_TF_PLUGIN_DIR ?? '/opt/tf-plugins';

const { json: stackJson } = fullSynthAws({ state: { bucket: 'not-used-by-this-test' } });
const awsVersion = (stackJson.terraform as any).required_providers.aws.version as string;
const mirror = existsSync(join(PLUGIN_DIR, 'registry.terraform.io/hashicorp/aws', awsVersion)) ? PLUGIN_DIR : undefined;

/**
 * Where moto 5.2.1 answers differently from AWS, so a second plan on moto is not empty.
 * The only allowed changes: each names the resource type, how it changes and which
 * attributes, and why. An entry that no change needs fails the test too.
 */
const MOTO_DIFFERENCES: { type: RegExp; action: 'update' | 'replace'; attributes: string[]; reason: string }[] = [
  {
    type: /^aws_vpc_security_group_(ingress|egress)_rule$/,
    action: 'update',
    attributes: ['description', 'referenced_security_group_id'],
    reason: 'moto returns no rule description, and the referenced group as "<account>/sg-…"',
  },
  {
    type: /^aws_acmpca_certificate_authority$/,
    action: 'update',
    attributes: ['usage_mode'],
    reason: 'moto creates every CA in SHORT_LIVED_CERTIFICATE mode, whatever was asked',
  },
  {
    type: /^aws_route53_zone$/,
    action: 'update',
    attributes: ['vpc'],
    reason: 'moto returns no VPC association for a private zone',
  },
  {
    type: /^aws_instance$/,
    action: 'replace',
    attributes: ['associate_public_ip_address'],
    reason: 'moto reports a public IP association on instances in a subnet that maps none (forces replacement)',
  },
  {
    type: /^aws_volume_attachment$/,
    action: 'replace',
    attributes: ['instance_id'],
    reason: 'follows from the instance replacement above',
  },
  {
    type: /^aws_route53_record$/,
    action: 'update',
    attributes: ['records'],
    reason: 'follows from the instance replacement above (its private IP is unknown until then)',
  },
  {
    type: /^aws_cloudwatch_metric_alarm$/,
    action: 'update',
    attributes: ['dimensions'],
    reason: "follows from the instance replacement above (the recovery alarm's InstanceId is unknown until then)",
  },
];

interface ResourceChange {
  address: string;
  type: string;
  change: {
    actions: string[];
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
    after_unknown?: Record<string, unknown>;
    replace_paths?: (string | number)[][];
  };
}

/** What a planned change does and to which attributes: for a replacement, those that force it. */
function describeChange(rc: ResourceChange): { action: string; attributes: string[] } {
  const { actions, before, after, after_unknown: unknown = {}, replace_paths: paths } = rc.change;
  if (actions.includes('delete') && actions.includes('create')) {
    return { action: 'replace', attributes: [...new Set((paths ?? []).map((p) => String(p[0])))].sort() };
  }
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const changed = [...keys].filter(
    (k) => unknown[k] === true || JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]),
  );
  return { action: actions.join('+'), attributes: changed.sort() };
}

describe.runIf(
  haveTools(
    { terraform, moto_server: motoServer, [`hashicorp/aws ${awsVersion} in ${PLUGIN_DIR}`]: mirror },
    'scripts/lab/setup.sh installs moto; Terraform and the provider mirror come with the machine ' +
      '(DP_TF_PLUGIN_DIR names another mirror; see README, "AWS")',
  ),
)('Terraform on the synthesized aws stack, applied on moto', () => {
  const dir = scratch('terraform-aws');
  let moto: Moto | undefined;
  let endpoint = '';
  const env = {
    ...process.env,
    TF_IN_AUTOMATION: '1',
    TF_CLI_CONFIG_FILE: '/dev/null',
    CHECKPOINT_DISABLE: '1',
    AWS_ACCESS_KEY_ID: 'moto',
    AWS_SECRET_ACCESS_KEY: 'moto',
    AWS_EC2_METADATA_DISABLED: 'true',
  };

  function tf(args: string[], cwd = dir, timeoutMs = 600_000): { code: number; out: string } {
    const r = spawnSync(terraform!, [...args, '-no-color'], {
      cwd,
      // Every AWS API the provider calls goes to moto, whichever services the stack uses.
      env: { ...env, AWS_ENDPOINT_URL: endpoint },
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 512 * 1024 * 1024,
    });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  }
  function ok(args: string[], cwd = dir): string {
    const started = Date.now();
    const { code, out } = tf(args, cwd);
    console.info(`terraform ${args[0]}: exit ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (code !== 0) throw new Error(`terraform ${args.join(' ')} exited ${code}:\n${out.slice(-4000)}`);
    return out;
  }
  /** Synthesized JSON plus what moto needs: local state, no credential or account lookups, path-style S3. */
  function writeStack(to: string, stack: unknown): void {
    writeFileSync(join(to, 'cdk.tf.json'), JSON.stringify(stack));
    writeFileSync(
      join(to, 'moto_override.tf.json'),
      JSON.stringify({
        terraform: { backend: { local: { path: 'terraform.tfstate' } } },
        provider: {
          aws: {
            skip_credentials_validation: true,
            skip_metadata_api_check: true,
            skip_requesting_account_id: true,
            s3_use_path_style: true,
          },
        },
      }),
    );
  }

  /**
   * The platform's secrets and generated IDs as the AWS APIs return them, read with boto3 from
   * moto's own environment (moto's data.json dump takes minutes once IAM and EC2 are loaded).
   */
  function readBack(): { secrets: Record<string, string>; ids: Record<string, string> } {
    const script = [
      'import boto3, json, sys',
      "kw = dict(endpoint_url=sys.argv[1], region_name='eu-west-1')",
      "sm, ssm = boto3.client('secretsmanager', **kw), boto3.client('ssm', **kw)",
      "listed = [s for p in sm.get_paginator('list_secrets').paginate() for s in p['SecretList']]",
      "secrets = {s['Name']: sm.get_secret_value(SecretId=s['ARN'])['SecretString'] for s in listed}",
      "pages = ssm.get_paginator('get_parameters_by_path').paginate(Path='/dp/ids', Recursive=True)",
      "ids = {p['Name']: p['Value'] for page in pages for p in page['Parameters']}",
      "print(json.dumps({'secrets': secrets, 'ids': ids}))",
    ].join('\n');
    const r = spawnSync(join(dirname(motoServer!), 'python3'), ['-c', script, endpoint], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`reading secrets back from moto failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  beforeAll(async () => {
    moto = await startMoto(dir, env);
    endpoint = moto.endpoint;
    writeStack(dir, stackJson);
    ok(['init', '-input=false', `-plugin-dir=${mirror}`]);
  }, 120_000);

  afterAll(() => {
    moto?.stop();
  });

  it('validates, and a broken reference fails validation (negative control)', () => {
    expect(ok(['validate'])).toContain('The configuration is valid.');

    const broken = scratch('terraform-aws-broken');
    const copy = structuredClone(stackJson) as any;
    const [name, instance] = Object.entries(copy.resource.aws_instance as Record<string, any>)[0]!;
    instance.subnet_id = '${aws_subnet.no_such_subnet.id}';
    writeStack(broken, copy);
    ok(['init', '-input=false', '-backend=false', `-plugin-dir=${mirror}`], broken);
    const { code, out } = tf(['validate'], broken);
    expect(code, out).toBe(1);
    expect(out).toContain('Reference to undeclared resource');
    expect(out).toContain(name);
  }, 180_000);

  it('applies on moto, plans nothing more but moto differences, keeps secrets out of state, and destroys', async () => {
    const parallelism = '-parallelism=32'; // moto answers in parallel; Terraform's default is 10
    ok(['plan', '-input=false', parallelism, '-out=plan.bin']);
    ok(['apply', '-input=false', parallelism, 'plan.bin']);

    ok(['plan', '-input=false', parallelism, '-out=replan.bin']);
    const replan = JSON.parse(ok(['show', '-json', 'replan.bin'])) as { resource_changes?: ResourceChange[] };
    const changes = (replan.resource_changes ?? []).filter((rc) => !rc.change.actions.includes('no-op'));
    const used = new Map<string, number>();
    const unexplained = changes.flatMap((rc) => {
      const { action, attributes } = describeChange(rc);
      const known = MOTO_DIFFERENCES.find(
        (d) => d.type.test(rc.type) && d.action === action && attributes.every((a) => d.attributes.includes(a)),
      );
      if (!known) return [`${rc.address}: ${action} ${attributes.join(', ')}`];
      used.set(known.reason, (used.get(known.reason) ?? 0) + 1);
      return [];
    });
    for (const [reason, count] of used) console.info(`re-plan: ${count} × moto difference: ${reason}`);
    expect(unexplained).toEqual([]);
    expect(MOTO_DIFFERENCES.filter((d) => !used.has(d.reason)).map((d) => d.reason)).toEqual([]);

    // Secrets: generated by Secrets Manager during apply, stored there, and nowhere in the state.
    const state = ok(['state', 'pull']);
    const { secrets, ids } = readBack();
    expect(Object.keys(secrets)).toHaveLength(
      Object.keys((stackJson as any).ephemeral.aws_secretsmanager_random_password).length,
    );
    for (const [name, value] of Object.entries(secrets)) {
      expect(value, name).toMatch(/^[A-Za-z0-9]{16,}$/);
      expect(state.includes(value), `${name} is in the state`).toBe(false);
    }
    // Generated IDs: 16 bytes in canonical unpadded base64url, as Kafka's storage tool requires.
    expect(Object.keys(ids).length).toBeGreaterThan(0);
    for (const value of Object.values(ids)) {
      expect(Buffer.from(value, 'base64url')).toHaveLength(16);
      expect(Buffer.from(value, 'base64url').toString('base64url')).toBe(value);
    }

    // What `npm run ops|chaos -- --target aws` logs in with: the same values, through SSM's reference path.
    const ssm = new SSMClient({
      endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'moto', secretAccessKey: 'moto' },
    });
    const target = await terraformTarget('aws', { dir, ssm });
    const names = JSON.parse(ok(['output', '-json', 'secret_names'])) as Record<string, string>;
    expect(Object.keys(target.secrets).sort()).toEqual(Object.keys(names).sort());
    for (const [name, secretId] of Object.entries(names)) expect(target.secrets[name], name).toBe(secrets[secretId]);
    expect(target.manifest.nodes.length).toBeGreaterThan(0);

    // Every resource read back on the re-plan, so the destroy need not refresh them again.
    ok(['destroy', '-input=false', '-auto-approve', '-refresh=false', parallelism]);
    expect(tf(['state', 'list']).out.trim()).toBe('');
  }, 1_800_000);
});

/** The expression that turns hex into a generated ID, evaluated by Terraform itself. */
describe.runIf(haveTools({ terraform }, 'Terraform comes with the machine (see README, "AWS")'))(
  'generated IDs on AWS',
  () => {
    it('are the hex digits in unpadded base64url, as Node encodes them', async () => {
      const { base64UrlOfHex } = await import('../../constructs/targets/aws/secret-store');
      for (const hex of ['00112233445566778899aabbccddeeff', 'ffffffffffffffffffffffffffffffff', '0'.repeat(32)]) {
        const r = spawnSync(terraform!, ['console'], {
          cwd: scratch('terraform-console'),
          input: `${base64UrlOfHex(`"${hex}"`)}\n`,
          env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1' },
          encoding: 'utf8',
          timeout: 30_000,
        });
        expect(r.stdout.trim()).toBe(JSON.stringify(Buffer.from(hex, 'hex').toString('base64url')));
      }
    });
  },
);

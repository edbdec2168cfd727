import { TerraformStack, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';

/**
 * Guardrails: policies every AWS stack must meet, checked on the synthesized
 * Terraform JSON as a cdktf Aspect, so that a violation fails `cdktf synth`
 * whoever wrote the offending construct. Each rule reads resources the way
 * Terraform will see them, overrides included.
 */
export const GUARDRAIL_RULES = {
  'no-open-ingress': 'no security group ingress from 0.0.0.0/0 or ::/0',
  'no-ssh-ingress': 'no ingress that includes port 22: operators reach nodes through SSM Session Manager',
  'encrypted-storage': 'every EBS volume (root and data) and every S3 bucket is encrypted',
  'imdsv2-required': 'instances require IMDSv2 (metadata_options.http_tokens = "required")',
  'no-public-ip': 'no instance has a public IP: none associated, none from its subnet, no Elastic IP',
  's3-public-access-blocked': 'every S3 bucket has a public access block with all four settings on',
} as const;

export type GuardrailRule = keyof typeof GUARDRAIL_RULES;

export interface Violation {
  readonly rule: GuardrailRule;
  /** `type.name` as in Terraform. */
  readonly address: string;
  /** Construct path, the name to look for in the code. */
  readonly path: string;
  readonly detail: string;
}

export class GuardrailError extends Error {
  override readonly name = 'GuardrailError';
}

/** Fails synth of the stack it is added to when any guardrail is violated. */
export class AwsGuardrails implements IAspect {
  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    const violations = checkGuardrails(node.toTerraform());
    if (violations.length === 0) return;
    throw new GuardrailError(
      `${violations.length} guardrail violation(s) in stack '${node.node.id}':\n` +
        violations
          .map((v) => `  [${v.rule}] ${v.address} (${v.path}): ${v.detail}. Rule: ${GUARDRAIL_RULES[v.rule]}`)
          .join('\n'),
    );
  }
}

type Json = Record<string, any>;
type Resources = Record<string, Record<string, Json>>;

const OPEN = new Set(['0.0.0.0/0', '::/0']);

/** Every violation in a synthesized stack (`TerraformStack.toTerraform()` or cdk.tf.json). */
export function checkGuardrails(tf: Json): Violation[] {
  const resources: Resources = tf.resource ?? {};
  const found: Violation[] = [];
  const flag = (rule: GuardrailRule, type: string, name: string, detail: string) =>
    found.push({
      rule,
      address: `${type}.${name}`,
      path: resources[type]?.[name]?.['//']?.metadata?.path ?? '?',
      detail,
    });
  const each = (type: string, check: (r: Json, name: string) => void) =>
    Object.entries(resources[type] ?? {}).forEach(([name, r]) => check(r, name));

  for (const { type, name, cidrs, ports } of ingressRules(resources)) {
    const open = cidrs.filter((c) => OPEN.has(c));
    if (open.length > 0) flag('no-open-ingress', type, name, `ingress from ${open.join(', ')}`);
    if (ports === 'all' || (ports[0] <= 22 && 22 <= ports[1])) {
      flag('no-ssh-ingress', type, name, `ingress on ${ports === 'all' ? 'all ports' : `ports ${ports.join('-')}`}`);
    }
  }

  each('aws_ebs_volume', (r, name) => {
    if (r.encrypted !== true) flag('encrypted-storage', 'aws_ebs_volume', name, 'encrypted is not true');
  });
  each('aws_instance', (r, name) => {
    const blocks = [...list(r.root_block_device), ...list(r.ebs_block_device)];
    if (list(r.root_block_device).length === 0) {
      flag('encrypted-storage', 'aws_instance', name, 'no root_block_device with encrypted = true');
    }
    for (const b of blocks) {
      if (b.encrypted !== true) flag('encrypted-storage', 'aws_instance', name, 'a block device is not encrypted');
    }
    const tokens = list(r.metadata_options)[0]?.http_tokens;
    if (tokens !== 'required') {
      flag('imdsv2-required', 'aws_instance', name, `metadata_options.http_tokens is ${tokens ?? 'unset'}`);
    }
    if (r.associate_public_ip_address !== false) {
      flag('no-public-ip', 'aws_instance', name, 'associate_public_ip_address is not false');
    }
    const subnet = referenced(r.subnet_id, 'aws_subnet');
    if (subnet && resources.aws_subnet?.[subnet]?.map_public_ip_on_launch === true) {
      flag('no-public-ip', 'aws_instance', name, `its subnet aws_subnet.${subnet} maps public IPs on launch`);
    }
  });
  each('aws_launch_template', (r, name) => {
    if (list(r.metadata_options)[0]?.http_tokens !== 'required') {
      flag('imdsv2-required', 'aws_launch_template', name, 'metadata_options.http_tokens is not required');
    }
  });
  each('aws_eip', (r, name) => {
    if (r.instance !== undefined) flag('no-public-ip', 'aws_eip', name, 'an Elastic IP is attached to an instance');
  });

  const blocking = (type: string, ok: (r: Json) => boolean) =>
    new Set(
      Object.values(resources[type] ?? {})
        .filter(ok)
        .map((r) => referenced(r.bucket, 'aws_s3_bucket')),
    );
  const encryptedBuckets = blocking('aws_s3_bucket_server_side_encryption_configuration', (r) =>
    list(r.rule).some((rule) => list(rule.apply_server_side_encryption_by_default)[0]?.sse_algorithm),
  );
  const blockedBuckets = blocking(
    'aws_s3_bucket_public_access_block',
    (r) =>
      r.block_public_acls === true &&
      r.block_public_policy === true &&
      r.ignore_public_acls === true &&
      r.restrict_public_buckets === true,
  );
  each('aws_s3_bucket', (_, name) => {
    if (!encryptedBuckets.has(name)) {
      flag('encrypted-storage', 'aws_s3_bucket', name, 'no server-side encryption configuration refers to it');
    }
    if (!blockedBuckets.has(name)) {
      flag('s3-public-access-blocked', 'aws_s3_bucket', name, 'no public access block with all four settings on');
    }
  });
  return found;
}

interface IngressRule {
  readonly type: string;
  readonly name: string;
  readonly cidrs: readonly string[];
  readonly ports: readonly [number, number] | 'all';
}

/** Ingress in all three forms the provider has: inline blocks, aws_security_group_rule, aws_vpc_security_group_ingress_rule. */
function ingressRules(resources: Resources): IngressRule[] {
  const ports = (r: Json): IngressRule['ports'] =>
    ['-1', 'all'].includes(String(r.protocol ?? r.ip_protocol)) || r.from_port === undefined
      ? 'all'
      : [Number(r.from_port), Number(r.to_port ?? r.from_port)];
  const cidrs = (r: Json) => [...list(r.cidr_blocks), ...list(r.ipv6_cidr_blocks), r.cidr_ipv4, r.cidr_ipv6];
  const rules: IngressRule[] = [];
  for (const type of ['aws_security_group', 'aws_default_security_group']) {
    for (const [name, sg] of Object.entries(resources[type] ?? {})) {
      for (const r of list(sg.ingress)) rules.push({ type, name, cidrs: cidrs(r).filter(Boolean), ports: ports(r) });
    }
  }
  for (const [name, r] of Object.entries(resources.aws_security_group_rule ?? {})) {
    if (r.type === 'ingress') {
      rules.push({ type: 'aws_security_group_rule', name, cidrs: cidrs(r).filter(Boolean), ports: ports(r) });
    }
  }
  for (const [name, r] of Object.entries(resources.aws_vpc_security_group_ingress_rule ?? {})) {
    rules.push({
      type: 'aws_vpc_security_group_ingress_rule',
      name,
      cidrs: cidrs(r).filter(Boolean),
      ports: ports(r),
    });
  }
  return rules;
}

function list(value: unknown): Json[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value as Json];
}

/** The resource name in `${type.name.attr}`, when `value` is exactly such a reference. */
function referenced(value: unknown, type: string): string | undefined {
  const match = typeof value === 'string' ? new RegExp(`^\\$\\{${type}\\.([\\w-]+)\\.\\w+\\}$`).exec(value) : null;
  return match?.[1];
}

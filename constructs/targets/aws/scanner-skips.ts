import type { TerraformResource } from 'cdktf';

const skips = new WeakMap<TerraformResource, string[]>();

/**
 * Records, on the resource itself, why a policy-scanner check does not apply
 * to it: a `checkov:skip=<id>:<reason>` line in the resource's Terraform JSON
 * comment (`"//"`), which Terraform ignores. checkov 3.3 does not read
 * suppressions in its terraform_json framework, so test/aws/checkov.integration.test.ts
 * applies them: a finding passes only if its resource carries a skip with a reason.
 */
export function skipCheck(resource: TerraformResource, checkId: string, reason: string): void {
  const list = skips.get(resource) ?? [];
  list.push(`checkov:skip=${checkId}:${reason}`);
  skips.set(resource, list);
  resource.addOverride('//.checkov', list);
}

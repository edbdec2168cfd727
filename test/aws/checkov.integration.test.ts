import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findTool, haveTools, scratch } from '../real-tools/tools';
import { fullSynthAws } from './helpers';

const checkov = findTool('/opt/dataplatform/checkov-venv/bin/checkov', 'checkov');

interface Finding {
  check_id: string;
  check_name: string;
  resource: string;
}

/** checkov's findings on a Terraform JSON file (OSS checkov reports no severities, so every failure counts). */
function scan(file: string): { passed: number; failed: Finding[] } {
  const out = scratch('checkov-report');
  const args = [
    '--framework',
    'terraform_json',
    '-o',
    'json',
    '--output-file-path',
    out,
    '--compact',
    '--skip-download',
  ];
  // The report goes to the file; stdout (the same JSON, megabytes of it) is dropped.
  const { status, stderr } = spawnSync(checkov!, ['-f', file, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 120_000,
    encoding: 'utf8',
  });
  if (status !== 0 && status !== 1) throw new Error(`checkov exited with ${status}: ${stderr}`);
  const report = JSON.parse(readFileSync(join(out, 'results_json.json'), 'utf8'));
  return { passed: report.summary.passed, failed: report.results?.failed_checks ?? [] };
}

/**
 * The resource a finding names. checkov's resource checks name it `resource.<name>`,
 * its graph checks `<type>.<name>`; cdktf names are unique across types.
 */
function resourceOf(tf: any, address: string): { type: string; name: string } {
  const name = address.slice(address.indexOf('.') + 1);
  const type = Object.keys(tf.resource).find((t) => name in tf.resource[t]);
  if (!type) throw new Error(`checkov names ${address}, which is not a resource of the stack`);
  return { type, name };
}

/** `checkov:skip=<id>:<reason>` lines on a resource (see constructs/targets/aws/scanner-skips.ts). */
function skipsOn(tf: any, type: string, name: string): Map<string, string> {
  const lines: string[] = tf.resource[type][name]['//']?.checkov ?? [];
  return new Map(lines.map((l) => /^checkov:skip=([\w-]+):(.*)$/.exec(l)!).map((m) => [m[1]!, m[2]!.trim()]));
}

describe.runIf(haveTools({ checkov }))('checkov on the synthesized aws stack', () => {
  it('finds nothing that is not fixed or skipped on the resource with a written reason', () => {
    const { json, file } = fullSynthAws();
    const { passed, failed } = scan(file);
    const at = (f: Finding) => resourceOf(json, f.resource);
    const unjustified = failed.filter((f) => !skipsOn(json, at(f).type, at(f).name).get(f.check_id));
    const skipped = failed.length - unjustified.length;
    console.info(`checkov: ${passed} passed, ${unjustified.length} failed, ${skipped} skipped inline with a reason`);
    expect(passed).toBeGreaterThan(100);
    expect(unjustified.map((f) => `${f.check_id} ${f.resource}: ${f.check_name}`)).toEqual([]);

    // Every inline skip still answers a finding: none is left behind when its cause is fixed.
    const found = new Set(failed.map((f) => `${at(f).name} ${f.check_id}`));
    for (const [type, byName] of Object.entries(json.resource)) {
      for (const name of Object.keys(byName)) {
        for (const id of skipsOn(json, type, name).keys()) expect(found).toContain(`${name} ${id}`);
      }
    }
  });

  it('fails a violating configuration (negative control)', () => {
    const file = join(scratch('checkov'), 'violating.tf.json');
    writeFileSync(
      file,
      JSON.stringify({
        resource: {
          aws_ebs_volume: { plain: { availability_zone: 'eu-west-1a', size: 10 } },
          aws_security_group: {
            ssh: {
              name: 'ssh',
              ingress: [{ from_port: 22, to_port: 22, protocol: 'tcp', cidr_blocks: ['0.0.0.0/0'] }],
            },
          },
        },
      }),
    );
    const ids = scan(file).failed.map((f) => `${f.check_id} ${f.resource.split('.').at(-1)}`);
    expect(ids).toContain('CKV_AWS_3 plain'); // EBS volume not encrypted
    expect(ids).toContain('CKV_AWS_24 ssh'); // SSH open to the world
  });
});

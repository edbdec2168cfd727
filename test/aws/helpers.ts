import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { AwsStack, type AwsStackProps } from '../../stacks/aws-stack';
import type { TfJson } from '../helpers';

export function awsStack(props: AwsStackProps = {}): AwsStack {
  return new AwsStack(Testing.app(), 'aws', props);
}

/** The stack as `Testing.synth` renders it (no "//" comments). */
export function synthAws(props: AwsStackProps = {}): TfJson {
  return JSON.parse(Testing.synth(awsStack(props))) as TfJson;
}

/** The stack as `cdktf synth` writes cdk.tf.json, "//" comments (construct paths, scanner skips) included. */
export function fullSynthAws(props: AwsStackProps = {}): { json: TfJson; file: string } {
  const dir = Testing.fullSynth(awsStack(props));
  const file = join(dir, 'stacks', 'aws', 'cdk.tf.json');
  return { json: JSON.parse(readFileSync(file, 'utf8')) as TfJson, file };
}

export interface CloudConfig {
  hostname: string;
  fqdn: string;
  write_files: { path: string; permissions: string; content: string }[];
  runcmd: string[][];
}

/** An instance's user data, unzipped and parsed. */
export function cloudConfig(instance: Record<string, any>): CloudConfig {
  const text = gunzipSync(Buffer.from(instance.user_data_base64 as string, 'base64')).toString('utf8');
  if (!text.startsWith('#cloud-config\n')) throw new Error('user data is not a cloud-config');
  return parse(text) as CloudConfig;
}

export function writtenFile(config: CloudConfig, path: string): string {
  const found = config.write_files.find((f) => f.path === path);
  if (!found) throw new Error(`user data of ${config.hostname} writes no ${path}`);
  return found.content;
}

/** A node's env file as a map, or the machine's (machine.env) without `node`. */
export function nodeEnv(config: CloudConfig, node?: string): Record<string, string> {
  return Object.fromEntries(
    writtenFile(config, node ? `/etc/dataplatform/nodes/${node}.env` : '/etc/dataplatform/machine.env')
      .trim()
      .split('\n')
      .map((line) => {
        const [, key, value] = /^(\w+)='(.*)'$/.exec(line)!;
        return [key!, value!];
      }),
  );
}

/** `${type.name.attr}` → name. */
export function ref(value: string): { type: string; name: string; attr: string } {
  const m = /^\$\{([\w]+)\.([\w-]+)\.(\w+)\}$/.exec(value);
  if (!m) throw new Error(`not a plain reference: ${value}`);
  return { type: m[1]!, name: m[2]!, attr: m[3]! };
}

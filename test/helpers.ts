import { RootConstruct } from 'constructs';
import { Testing } from 'cdktf';
import { DataPlatform, type DataPlatformProps } from '../constructs/data-platform';
import type { NodeSpec } from '../constructs/platform/node-spec';
import { DOCKER_DNS, NetworkPlacement } from '../constructs/platform/placement';
import { LocalStack, type LocalStackProps } from '../stacks/local-stack';

export type Settings = Omit<DataPlatformProps, 'placement'>;

/** A platform placed as on Docker, with no target: for validation and NodeSpec tests. */
export function dockerPlatform(settings: Settings = {}): DataPlatform {
  return new DataPlatform(new RootConstruct(), 'platform', {
    ...settings,
    placement: new NetworkPlacement(DOCKER_DNS),
  });
}

export function node(platform: DataPlatform, name: string): NodeSpec {
  const found = platform.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`no node ${name}`);
  return found;
}

export function file(n: NodeSpec, path: string): string {
  const found = n.files.find((f) => f.path === path);
  if (!found) throw new Error(`node ${n.name} has no file ${path}`);
  return found.content;
}

export interface TfJson {
  resource: Record<string, Record<string, Record<string, any>>>;
  output?: Record<string, { value: any }>;
  [key: string]: unknown;
}

export function synthLocalStack(props: LocalStackProps = {}): TfJson {
  const stack = new LocalStack(Testing.app(), 'local', props);
  return JSON.parse(Testing.synth(stack)) as TfJson;
}

/** Every resource of `type` in a synthesized stack. */
export function resources(tf: TfJson, type: string): Record<string, any>[] {
  return Object.values(tf.resource[type] ?? {});
}

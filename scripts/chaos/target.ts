/**
 * What a chaos run acts on: the topology manifest, a driver for its target and
 * the credentials the workloads log in with. Chaos scripts know nodes only
 * through the manifest.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import type { ManifestNode, TopologyManifest } from '../../constructs/platform/topology';
import type { LabState } from '../lab/runtime';
import { AwsDriver } from './drivers/aws';
import { DockerDriver } from './drivers/docker';
import { LabDriver } from './drivers/lab';
import type { Driver } from './types';

export interface Target {
  readonly manifest: TopologyManifest;
  /** Secret values by platform secret name (e.g. `postgres-app`). */
  readonly secrets: Readonly<Record<string, string>>;
  /** Where the manifest came from, for reports. */
  readonly source: string;
}

/** The address the operator's machine reaches a node's port at: the published one if any. */
export function endpointOf(node: ManifestNode, port: string): string {
  const e = node.endpoints[port];
  if (!e) throw new Error(`node ${node.name} has no endpoint '${port}' in the manifest`);
  return e.published ?? e.internal;
}

export function hostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: Number(address.slice(i + 1)) };
}

/** TLS options that check a server against the manifest's CA and the name `node`'s certificate carries. */
export interface VerifiedTls {
  readonly ca: string;
  /** Set when the address reached differs from the certificate's name (a published port on 127.0.0.1). */
  readonly servername?: string;
}

/**
 * Where a client reaches `node`'s `port`, and how it checks the server: every
 * Postgres-protocol server in the platform refuses plaintext, and the client
 * verifies the certificate and name (libpq's verify-full), as node-postgres'
 * `ssl` option. Use it for every pg connection, so none is made another way.
 */
export function tlsEndpoint(
  manifest: TopologyManifest,
  node: ManifestNode,
  port: string,
): { host: string; port: number; ssl: VerifiedTls } {
  if (!manifest.caCert)
    throw new Error(`the topology manifest (${manifest.target}) has no caCert: cannot verify ${node.name}`);
  const address = hostPort(endpointOf(node, port));
  const named = hostPort(node.endpoints[port]!.internal).host;
  return { ...address, ssl: { ca: manifest.caCert, ...(isIP(named) ? {} : { servername: named }) } };
}

export function nodeNamed(manifest: TopologyManifest, name: string): ManifestNode {
  const node = manifest.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`node ${name} is not in the topology manifest`);
  return node;
}

export function nodesOf(manifest: TopologyManifest, component: string): ManifestNode[] {
  return manifest.nodes.filter((n) => n.component === component);
}

/** The running lab's folder, from `npm run lab -- up`'s pointer. */
export function currentLabRoot(): string {
  const pointer = resolve('.tmp/lab/current.json');
  if (!existsSync(pointer)) throw new Error("no lab is up: start one with 'npm run lab -- up'");
  return (JSON.parse(readFileSync(pointer, 'utf8')) as { root: string }).root;
}

/** A lab: manifest and secrets from its folder. */
export function labTarget(root: string): Target {
  const manifestPath = join(root, 'topology.json');
  const state = JSON.parse(readFileSync(join(root, 'lab-state.json'), 'utf8')) as LabState;
  return {
    manifest: JSON.parse(readFileSync(manifestPath, 'utf8')) as TopologyManifest,
    secrets: state.values.secrets,
    source: manifestPath,
  };
}

/**
 * A deployed stack: `terraform output` of cdktf.out/stacks/<stack>, read with -json
 * (sensitive values included, never printed). The local stack outputs its secrets; the aws
 * stack outputs only their Secrets Manager names, since the values never enter the state,
 * so they are read from Secrets Manager through SSM's reference path (the SSM client the aws
 * driver uses already).
 */
export async function terraformTarget(
  stack: string,
  opts: {
    /** @default cdktf.out/stacks/<stack> */
    readonly dir?: string;
    /** @default a client from the SDK's default region and credential chain */
    readonly ssm?: SSMClient;
  } = {},
): Promise<Target> {
  const dir = opts.dir ?? resolve('cdktf.out/stacks', stack);
  const outputs = JSON.parse(
    execFileSync('terraform', [`-chdir=${dir}`, 'output', '-json'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }),
  ) as Record<string, { value: unknown }>;
  const output = (name: string) => {
    const o = outputs[name];
    if (!o) throw new Error(`${dir} has no '${name}' output: deploy the stack first (cdktf deploy ${stack})`);
    return o.value;
  };
  const secrets = outputs.secrets
    ? (output('secrets') as Record<string, string>)
    : await secretsManagerValues(output('secret_names') as Record<string, string>, opts.ssm ?? new SSMClient({}));
  return { manifest: output('topology') as TopologyManifest, secrets, source: `terraform output (${dir})` };
}

/** Each platform secret's value, by its Secrets Manager name. */
export async function secretsManagerValues(
  names: Readonly<Record<string, string>>,
  ssm: SSMClient,
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(names).map(async ([name, secretId]) => {
      const { Parameter } = await ssm.send(
        new GetParameterCommand({ Name: `/aws/reference/secretsmanager/${secretId}`, WithDecryption: true }),
      );
      if (Parameter?.Value === undefined) throw new Error(`secret ${secretId} (${name}) has no value`);
      return [name, Parameter.Value] as const;
    }),
  );
  return Object.fromEntries(entries);
}

export function driverNameOf(manifest: TopologyManifest): Driver['name'] {
  return manifest.target === 'lab' ? 'lab' : manifest.target;
}

/** `--target lab|local|aws` (and `--lab-root`), as the chaos and ops commands take them. */
export async function loadTarget(which: string, labRoot?: string): Promise<{ target: Target; driver: Driver }> {
  if (which === 'lab') {
    const root = resolve(labRoot ?? currentLabRoot());
    return { target: labTarget(root), driver: new LabDriver(root) };
  }
  if (which === 'local') return { target: await terraformTarget('local'), driver: new DockerDriver() };
  if (which === 'aws') return { target: await terraformTarget('aws'), driver: new AwsDriver() };
  throw new Error(`--target must be lab, local or aws (got ${which})`);
}

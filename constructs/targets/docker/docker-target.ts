import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { Network } from '@cdktf/provider-docker/lib/network';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { Password } from '@cdktf/provider-random/lib/password';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { DataPlatform } from '../../platform/data-platform';
import { imageName } from '../../platform/images';
import type { NodeSpec } from '../../platform/node-spec';
import { resolveSecrets } from '../../platform/secrets';
import { manifestNode, type TopologyManifest } from '../../platform/topology';
import { checkInt } from '../../platform/validation';

export interface DockerTargetProps {
  readonly platform: DataPlatform;
  /** Prefix of every container, volume and network name, so several platforms can share a Docker host. @default 'dp' */
  readonly prefix?: string;
  /** Seconds Terraform waits for a container to report healthy. @default 300 */
  readonly waitTimeoutSeconds?: number;
}

/** Address every published port binds to: nothing is reachable from outside the Docker host. */
export const PUBLISH_HOST = '127.0.0.1';

/**
 * Renders a platform's NodeSpecs onto one Docker host: a user-defined network,
 * a named volume per stateful path, and a container per node that starts only
 * once the nodes it depends on are healthy.
 */
export class DockerTarget extends Construct {
  readonly manifest: TopologyManifest;
  readonly containers: ReadonlyMap<string, Container>;

  constructor(scope: Construct, id: string, props: DockerTargetProps) {
    super(scope, id);
    const { platform } = props;
    const prefix = props.prefix ?? 'dp';
    const waitTimeout = checkInt('docker.waitTimeoutSeconds', props.waitTimeoutSeconds ?? 300, { min: 10 });

    new DockerProvider(this, 'docker');
    new RandomProvider(this, 'random');
    // Alphanumeric only: values land in YAML, ini, userlists and URLs unquoted (see secrets.ts).
    const passwords = new Map(
      platform.secrets.map((s) => [
        s.name,
        new Password(this, `secret-${s.name}`, { length: s.length ?? 32, special: false }),
      ]),
    );
    const render = (text: string) => resolveSecrets(escapeInterpolation(text), (name) => passwords.get(name)!.result);

    const network = new Network(this, 'network', { name: `${prefix}-net`, driver: 'bridge' });
    const images = new Map<string, Image>();
    const containers = new Map<string, Container>();

    for (const node of platform.nodes) {
      const ref = imageName(node.image);
      if (!images.has(ref)) {
        images.set(
          ref,
          new Image(this, `image-${ref.replace(/[^a-zA-Z0-9]+/g, '-')}`, { name: ref, keepLocally: true }),
        );
      }
      containers.set(
        node.name,
        this.container(node, {
          name: `${prefix}-${node.name}`,
          image: images.get(ref)!,
          network,
          volumeName: (v) => new Volume(this, `volume-${node.name}-${v}`, { name: `${prefix}-${node.name}-${v}` }).name,
          render,
          dependsOn: node.dependsOn.map((d) => containers.get(d)!),
          waitTimeout,
        }),
      );
    }
    this.containers = containers;

    this.manifest = {
      version: 1,
      target: 'docker',
      nodes: platform.nodes.map((n) =>
        manifestNode(n, platform.placement, { container: `${prefix}-${n.name}` }, PUBLISH_HOST),
      ),
    };
    new TerraformOutput(this, 'topology', {
      value: this.manifest,
      description: 'Topology manifest: every node, its endpoints and its container (read by scripts/chaos).',
    });
  }

  private container(
    node: NodeSpec,
    ctx: {
      name: string;
      image: Image;
      network: Network;
      volumeName: (volume: string) => string;
      render: (text: string) => string;
      dependsOn: Container[];
      waitTimeout: number;
    },
  ): Container {
    const h = node.health;
    return new Container(this, `node-${node.name}`, {
      name: ctx.name,
      image: ctx.image.imageId,
      hostname: node.name,
      ...(node.command ? { command: [...node.command] } : {}),
      env: Object.entries(node.env).map(([k, v]) => `${k}=${ctx.render(v)}`),
      upload: node.files.map((f) => ({ file: f.path, content: ctx.render(f.content), permissions: f.mode ?? '0644' })),
      networksAdvanced: [{ name: ctx.network.name, aliases: [node.name] }],
      ports: node.ports
        .filter((p) => p.hostPort !== undefined)
        .map((p) => ({ internal: p.port, external: p.hostPort!, ip: PUBLISH_HOST, protocol: p.protocol ?? 'tcp' })),
      volumes: node.volumes.map((v) => ({ volumeName: ctx.volumeName(v.name), containerPath: v.path })),
      healthcheck: {
        test: [...h.test],
        interval: `${h.intervalSeconds ?? 5}s`,
        timeout: `${h.timeoutSeconds ?? 3}s`,
        retries: h.retries ?? 10,
        startPeriod: `${h.startPeriodSeconds ?? 10}s`,
      },
      memory: node.memoryMb,
      restart: 'unless-stopped',
      wait: true,
      waitTimeout: ctx.waitTimeout,
      mustRun: true,
      logDriver: 'json-file',
      logOpts: { 'max-size': '10m', 'max-file': '3' },
      labels: [
        { label: 'dataplatform.component', value: node.component },
        { label: 'dataplatform.role', value: node.role },
      ],
      dependsOn: ctx.dependsOn,
    });
  }
}

/** Terraform would read `${…}` and `%{…}` in file text as its own template syntax; `$${` and `%%{` are literal. */
export function escapeInterpolation(text: string): string {
  return text.replace(/([$%])\{/g, (_, sigil: string) => `${sigil}${sigil}{`);
}

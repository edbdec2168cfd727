import { Container, type ContainerConfig } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import { Network } from '@cdktf/provider-docker/lib/network';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { Id } from '@cdktf/provider-random/lib/id';
import { Password } from '@cdktf/provider-random/lib/password';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssetType, TerraformAsset, TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import type { PlatformModel } from '../../platform/context';
import { GENERATED_ID_BYTES, resolveIds } from '../../platform/generated-ids';
import { imageName } from '../../platform/images';
import type { NodeSpec } from '../../platform/node-spec';
import { resolveSecrets } from '../../platform/secrets';
import { manifestNode, type TopologyManifest } from '../../platform/topology';
import { checkCertificateValidity } from '../../platform/tls';
import { checkInt } from '../../platform/validation';
import { DockerTls } from './docker-tls';

export interface DockerTargetProps {
  readonly platform: PlatformModel;
  /** Prefix of every container, volume and network name, so several platforms can share a Docker host. @default 'dp' */
  readonly prefix?: string;
  /** Seconds Terraform waits for a container to report healthy. @default 300 */
  readonly waitTimeoutSeconds?: number;
  /** Days each node certificate is valid (see platform/tls.ts). @default 365 */
  readonly certificateValidityDays?: number;
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
    // Generated IDs are random_id values, kept in the state like the passwords (see generated-ids.ts).
    const ids = new Map(
      platform.generatedIds.map((g) => [g.name, new Id(this, `id-${g.name}`, { byteLength: GENERATED_ID_BYTES })]),
    );
    const render = (text: string) =>
      resolveIds(
        resolveSecrets(escapeInterpolation(text), (name) => passwords.get(name)!.result),
        (name) => ids.get(name)!.b64Url,
      );

    const tls = new DockerTls(this, 'tls', {
      prefix,
      certificates: platform.certificates,
      validityDays: checkCertificateValidity('docker.certificateValidityDays', props.certificateValidityDays),
    });
    const network = new Network(this, 'network', { name: `${prefix}-net`, driver: 'bridge' });
    const images = new Map<string, Image>();
    const containers = new Map<string, Container>();

    for (const node of platform.nodes) {
      const ref = imageName(node.image);
      if (!images.has(ref)) {
        const id = `image-${ref.replace(/[^a-zA-Z0-9]+/g, '-')}`;
        images.set(
          ref,
          new Image(this, id, {
            name: ref,
            keepLocally: true,
            ...(node.image.build
              ? { buildAttribute: { context: this.buildContext(id, node.image.build.dockerfile) } }
              : {}),
          }),
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
          tls,
          dependsOn: dependencies(platform.nodes, node).map((d) => containers.get(d)!),
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
      caCert: tls.caPem,
    };
    // Fixed output names: `terraform output -json topology` is what users and scripts/chaos type.
    new TerraformOutput(this, 'topology', {
      value: this.manifest,
      description: 'Topology manifest: every node, its endpoints and its container (read by scripts/chaos).',
    }).overrideLogicalId('topology');
    new TerraformOutput(this, 'secrets', {
      value: Object.fromEntries([...passwords].map(([name, password]) => [name, password.result])),
      sensitive: true,
      description:
        'Generated passwords by secret name, for operators and the chaos workloads (terraform output -json secrets).',
    }).overrideLogicalId('secrets');
  }

  /**
   * A build context holding only the Dockerfile, as a Terraform asset (copied
   * under cdktf.out, named by its content's hash, so synth stays reproducible).
   */
  private buildContext(id: string, dockerfile: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'dp-image-'));
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    return new TerraformAsset(this, `${id}-context`, { path: dir, type: AssetType.DIRECTORY }).path;
  }

  private container(
    node: NodeSpec,
    ctx: {
      name: string;
      image: Image;
      network: Network;
      volumeName: (volume: string) => string;
      render: (text: string) => string;
      tls: DockerTls;
      dependsOn: Container[];
      waitTimeout: number;
    },
  ): Container {
    return new Container(this, `node-${node.name}`, {
      name: ctx.name,
      image: ctx.image.imageId,
      hostname: node.name,
      ...(node.entrypoint ? { entrypoint: [...node.entrypoint] } : {}),
      ...(node.command ? { command: [...node.command] } : {}),
      env: Object.entries(node.env).map(([k, v]) => `${k}=${ctx.render(v)}`),
      upload: [
        ...node.files.map((f) => ({ file: f.path, content: ctx.render(f.content), permissions: f.mode ?? '0644' })),
        ...ctx.tls.filesFor(node.name),
      ],
      networksAdvanced: [{ name: ctx.network.name, aliases: [node.name] }],
      // Docker's embedded DNS forwards an unknown name upstream; where the upstream never answers (offline,
      // broken resolvers) a lookup of a dead member took 20 s and stalled Patroni's failover past its bound.
      // Bounded to about 2 s; see the README's "Failover and DNS on Docker".
      dnsOpts: [...DNS_OPTIONS],
      ports: node.ports
        .filter((p) => p.hostPort !== undefined)
        .map((p) => ({ internal: p.port, external: p.hostPort!, ip: PUBLISH_HOST, protocol: p.protocol ?? 'tcp' })),
      volumes: [
        ...node.volumes.map((v) => ({ volumeName: ctx.volumeName(v.name), containerPath: v.path })),
        ...(node.hostAccess?.mounts ?? []).map((m) => ({
          hostPath: m.hostPath,
          containerPath: m.path,
          readOnly: true,
        })),
      ],
      ...(node.hostAccess?.privileged ? { privileged: true } : {}),
      ...(node.oneShot ? oneShot(ctx.name) : service(node, ctx.waitTimeout)),
      memory: node.memoryMb,
      // Unset, Docker stores twice the memory and the next plan wants it back to null.
      // Equal to the limit: no swap, so a node over its limit is killed, not slowed down.
      memorySwap: node.memoryMb,
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

/** resolv.conf options of every container: one try of one second per server. */
export const DNS_OPTIONS = ['timeout:1', 'attempts:1'] as const;

/**
 * A service: restarted unless stopped, and (unless an init job gates its
 * health) created only once healthy, so dependants start on a ready node.
 */
function service(node: NodeSpec, waitTimeout: number): Partial<ContainerConfig> {
  const h = node.health!;
  return {
    healthcheck: {
      test: [...h.test],
      interval: goDuration(h.intervalSeconds ?? 5),
      timeout: goDuration(h.timeoutSeconds ?? 3),
      retries: h.retries ?? 10,
      startPeriod: goDuration(h.startPeriodSeconds ?? 10),
    },
    restart: 'unless-stopped',
    wait: !node.initializedBy,
    waitTimeout,
    mustRun: true,
  };
}

/**
 * Whole seconds in Go's canonical duration form (`time.Duration.String`: 60 → "1m0s"), the
 * form Docker reports back; any other spelling makes every plan after apply show a change.
 */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/**
 * A one-shot job (kreuzwerker/docker 3.x): `attach` makes Terraform wait for
 * the exit and keep the logs, `must_run = false` accepts a stopped container,
 * and the postcondition turns a non-zero exit code into a failed apply, so
 * nothing that depends on the job is created after it failed.
 */
function oneShot(name: string): Partial<ContainerConfig> {
  return {
    restart: 'no',
    mustRun: false,
    attach: true,
    logs: true,
    wait: false,
    lifecycle: {
      postcondition: [
        {
          condition: '${self.exit_code == 0}',
          errorMessage: `init job ${name} failed: see its output above, or docker logs ${name}`,
        },
      ],
    },
  };
}

/**
 * What a node waits for: its own dependencies, plus the init job of any of them
 * whose health that job gates (the dependency is only ready once the job ran).
 */
function dependencies(nodes: readonly NodeSpec[], node: NodeSpec): string[] {
  const gates = node.dependsOn.flatMap((d) => {
    const job = nodes.find((n) => n.name === d)?.initializedBy;
    return job && job !== node.name ? [job] : [];
  });
  return [...new Set([...node.dependsOn, ...gates])];
}

/** Terraform would read `${…}` and `%{…}` in file text as its own template syntax; `$${` and `%%{` are literal. */
export function escapeInterpolation(text: string): string {
  return text.replace(/([$%])\{/g, (_, sigil: string) => `${sigil}${sigil}{`);
}

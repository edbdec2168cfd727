/**
 * The Docker target's driver: the Docker CLI, against the container the
 * manifest names (handle.container), on whichever engine the CLI is pointed
 * at (DOCKER_HOST, the current context). It supports every action:
 *
 * - kill: `docker kill`, SIGKILL to every process of the container, no grace: a crash.
 * - stop / start / restart: `docker stop -t 10`, `docker start`, `docker restart -t 10`: an orderly
 *   shutdown with Docker's usual 10 s before SIGKILL, and the way back.
 * - pause / resume: `docker pause` / `unpause` freeze the container's cgroup: a hung node whose TCP
 *   connections stay open, which is what timeouts (not connection errors) are made of.
 * - disconnect / connect: `docker network disconnect` / `connect`: a partition, the node keeps running
 *   but nobody reaches it. Docker forgets a container's aliases on disconnect, so connect puts back
 *   the networks and aliases read before the disconnect; both must be done by the same driver.
 *   A cut from some peers only (scope.peers) is refused: a network is left whole or not at all.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ManifestNode } from '../../../constructs/platform/topology';
import type { Driver, FaultAction, PartitionScope } from '../types';

/** A network a container is attached to, with the names it is reachable by there. */
export interface NetworkAttachment {
  readonly network: string;
  readonly aliases: readonly string[];
}

/** Seconds `docker stop` and `docker restart` wait for a graceful exit before SIGKILL (Docker's default). */
export const STOP_GRACE_SECONDS = 10;

/** The Docker CLI argv that performs `action` on `container`; disconnect/connect need the network. */
export function dockerCommand(action: FaultAction, container: string, attachment?: NetworkAttachment): string[] {
  const grace = ['-t', String(STOP_GRACE_SECONDS)];
  switch (action) {
    case 'kill':
      return ['docker', 'kill', container];
    case 'stop':
      return ['docker', 'stop', ...grace, container];
    case 'start':
      return ['docker', 'start', container];
    case 'restart':
      return ['docker', 'restart', ...grace, container];
    case 'pause':
      return ['docker', 'pause', container];
    case 'resume':
      return ['docker', 'unpause', container];
    case 'disconnect':
    case 'connect': {
      if (!attachment) throw new Error(`docker ${action} of ${container} needs the network to ${action}`);
      const aliases = action === 'connect' ? attachment.aliases.flatMap((a) => ['--alias', a]) : [];
      return ['docker', 'network', action, ...aliases, attachment.network, container];
    }
  }
}

/**
 * The networks of a container, from `docker container inspect` output. Docker
 * adds the short container ID as an alias of its own; that one is left out.
 */
export function networkAttachments(inspectJson: string): NetworkAttachment[] {
  const [info] = JSON.parse(inspectJson) as {
    Id: string;
    NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
  }[];
  if (!info) throw new Error('docker container inspect returned no container');
  return Object.entries(info.NetworkSettings.Networks).map(([network, settings]) => ({
    network,
    aliases: (settings.Aliases ?? []).filter((a) => !info.Id.startsWith(a)),
  }));
}

/** Runs the Docker CLI; rejects with its stderr. */
export type DockerCli = (argv: readonly string[]) => Promise<string>;

const run = promisify(execFile);

/** Bounded: a docker call that hangs (an engine in trouble) must not hang the scenario. */
export const dockerCli: DockerCli = async ([command, ...args]) => {
  try {
    return (await run(command!, args, { timeout: (STOP_GRACE_SECONDS + 50) * 1000 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${[command, ...args].join(' ')} failed: ${err.stderr?.trim() || err.message}`);
  }
};

export class DockerDriver implements Driver {
  readonly name = 'docker';
  /** Per container: the networks it was disconnected from, to connect it back the same way. */
  private readonly detached = new Map<string, NetworkAttachment[]>();

  constructor(private readonly docker: DockerCli = dockerCli) {}

  async act(action: FaultAction, node: ManifestNode, scope: PartitionScope = {}): Promise<void> {
    const container = node.handle.container;
    if (!container) throw new Error(`docker driver: node ${node.name} has no container in the manifest`);
    if (scope.peers) {
      throw new Error(
        `docker driver: cannot cut ${node.name} off from some peers only: 'docker network disconnect' ` +
          `cuts it off from everyone, clients included (the lab driver can)`,
      );
    }
    if (action === 'disconnect') return this.disconnect(container);
    if (action === 'connect') return this.connect(container);
    await this.docker(dockerCommand(action, container));
  }

  private async disconnect(container: string): Promise<void> {
    const attachments = networkAttachments(await this.docker(['docker', 'container', 'inspect', container]));
    if (attachments.length === 0) throw new Error(`docker driver: ${container} is on no network to disconnect from`);
    this.detached.set(container, attachments);
    for (const a of attachments) await this.docker(dockerCommand('disconnect', container, a));
  }

  private async connect(container: string): Promise<void> {
    const attachments = this.detached.get(container);
    if (!attachments) {
      throw new Error(
        `docker driver: ${container} was not disconnected by this run, so its networks and aliases are unknown: ` +
          `reconnect it by hand with 'docker network connect --alias <node> <network> ${container}'`,
      );
    }
    for (const a of attachments) await this.docker(dockerCommand('connect', container, a));
    this.detached.delete(container);
  }
}

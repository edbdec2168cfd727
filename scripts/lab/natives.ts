/**
 * How the lab starts each component natively: the container images' commands
 * do not apply outside the image, so this maps a NodeSpec to the installed
 * binary, pointed at the NodeSpec's own files. Nothing here writes config.
 */
import type { NodeSpec } from '../../constructs/platform/node-spec';
import { findPort } from '../../constructs/platform/node-spec';
import { LAB_TOOLS } from './tools';

/** A readiness check: resolves true once the server serves. */
export type Probe = () => Promise<boolean>;

export interface Launch {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly ready: Probe;
  /** Seconds the node may take to become ready. */
  readonly readyWithinSeconds: number;
  /** What the probe checks, for error messages. */
  readonly probeDescription: string;
}

export interface LaunchContext {
  /** Lab path of a path inside the node. */
  path(containerPath: string): string;
  /** The node's env with secrets resolved. */
  readonly env: Readonly<Record<string, string>>;
  resolve(text: string): string;
}

export function httpProbe(url: string): Probe {
  return async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      return res.ok;
    } catch {
      return false;
    }
  };
}

export function tcpProbe(port: number): Probe {
  return async () => {
    const { connect } = await import('node:net');
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, timeout: 1000 });
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => (socket.destroy(), resolve(false)));
    });
  };
}

/** The node's file whose path ends with `name`. */
function fileNamed(node: NodeSpec, name: string): string {
  const file = node.files.find((f) => f.path.endsWith(`/${name}`));
  if (!file) throw new Error(`lab: node ${node.name} has no file named ${name}`);
  return file.path;
}

const PATH = `${LAB_TOOLS.pgBin}:/usr/local/bin:/usr/bin:/bin`;

/** How to run `node` natively, or undefined for components the lab does not run (no package to be had here). */
export function nativeLaunch(node: NodeSpec, ctx: LaunchContext): Launch | undefined {
  const port = (name: string) => findPort(node, name).port;
  const env = { ...ctx.env, PATH, LANG: 'C.UTF-8' };
  switch (node.component) {
    case 'etcd': {
      const url = `http://127.0.0.1:${port('client')}/health`;
      return {
        argv: [LAB_TOOLS.etcd, `--config-file=${ctx.path(fileNamed(node, 'etcd.yml'))}`],
        env,
        ready: httpProbe(url),
        readyWithinSeconds: 30,
        probeDescription: `GET ${url}`,
      };
    }
    case 'patroni': {
      const url = `http://127.0.0.1:${port('rest')}/health`;
      return {
        argv: [LAB_TOOLS.patroni, ctx.path(fileNamed(node, 'patroni.yml'))],
        env,
        ready: httpProbe(url),
        readyWithinSeconds: 90,
        probeDescription: `GET ${url}`,
      };
    }
    case 'haproxy': {
      const url = `http://127.0.0.1:${port('metrics')}/health`;
      return {
        argv: [LAB_TOOLS.haproxy, '-db', '-f', ctx.path(fileNamed(node, 'haproxy.cfg'))],
        env,
        ready: httpProbe(url),
        readyWithinSeconds: 15,
        probeDescription: `GET ${url}`,
      };
    }
    case 'pgbouncer':
      return {
        argv: [LAB_TOOLS.pgbouncer, ctx.path(fileNamed(node, 'pgbouncer.ini'))],
        env,
        ready: tcpProbe(port('pgbouncer')),
        readyWithinSeconds: 15,
        probeDescription: `TCP 127.0.0.1:${port('pgbouncer')}`,
      };
    default:
      return undefined;
  }
}

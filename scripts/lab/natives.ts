/**
 * How the lab starts each component natively: the container images' commands
 * do not apply outside the image, so this maps a NodeSpec to the installed
 * binary, pointed at the NodeSpec's own files, args and env. Nothing here
 * writes config: what the lab adds are launch helpers (a plugin link, wrappers
 * for the image's Kafka tool scripts) at the paths the renderers chose.
 */
import { storageFormatArgs } from '../../constructs/kafka/storage-format';
import type { NodeSpec } from '../../constructs/platform/node-spec';
import { findPort } from '../../constructs/platform/node-spec';
import { PLATFORM_CA_PATH } from '../../constructs/platform/tls';
import { WEB_CONFIG_PATH, WEB_TLS_CERT, WEB_TLS_KEY } from '../../constructs/platform/web-tls';
import { LAB_TOOLS } from './tools';

/** A readiness check: resolves true once the server serves. */
export type Probe = () => Promise<boolean>;

export interface HelperFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
}

export interface Launch {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** A one-shot job: done when it exits 0, within readyWithinSeconds. @default a service, ready when `ready` holds */
  readonly job?: boolean;
  readonly ready: Probe;
  /** Seconds the node may take to become ready (a job: to finish). */
  readonly readyWithinSeconds: number;
  /** What the probe checks, for error messages. */
  readonly probeDescription: string;
  /** Commands run to completion, in order, before the start (e.g. formatting Kafka's log dir). */
  readonly prepare?: readonly (readonly string[])[];
  /** Launch helpers written before the start. */
  readonly helpers?: readonly HelperFile[];
  /** Symlinks (path → target) created before the start. */
  readonly links?: Readonly<Record<string, string>>;
}

export interface LaunchContext {
  /** Lab path of a path inside the node. */
  path(containerPath: string): string;
  /** The node's env with secrets and generated IDs resolved. */
  readonly env: Readonly<Record<string, string>>;
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

/**
 * GET over HTTPS, checking the server's certificate against the CA in `caFile`
 * and presenting the client certificate in `client` if given (files read when probed).
 */
export function httpsProbe(url: string, caFile: string, client?: { cert: string; key: string }): Probe {
  return async () => {
    const { get } = await import('node:https');
    const { readFileSync } = await import('node:fs');
    let tls: { ca: string; cert?: string; key?: string };
    try {
      tls = {
        ca: readFileSync(caFile, 'utf8'),
        ...(client ? { cert: readFileSync(client.cert, 'utf8'), key: readFileSync(client.key, 'utf8') } : {}),
      };
    } catch {
      return false;
    }
    return new Promise((resolve) => {
      const req = get(url, { ...tls, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.once('error', () => resolve(false));
      req.once('timeout', () => (req.destroy(), resolve(false)));
    });
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
const KAFKA_CP = `${LAB_TOOLS.kafkaLibs}/*`;
const java = (heapMb: number, main: string, ...args: string[]) => [
  LAB_TOOLS.java,
  `-Xms${heapMb}m`,
  `-Xmx${heapMb}m`,
  '-cp',
  KAFKA_CP,
  main,
  ...args,
];
/**
 * A short-lived Kafka tool (storage format, topic and config commands): the quick
 * JIT tier and the serial collector take about a third less CPU to start, and a
 * tool exits before the optimizing tier would pay off.
 */
const javaTool = (main: string, ...args: string[]) => {
  const [bin, ...rest] = java(128, main, ...args);
  return [bin!, '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', ...rest];
};

/**
 * A Kafka or Connect server JVM, with the JMX exporter agent on the node's
 * `metrics` port and its rendered rules (the containers fetch the same agent
 * at start; here it comes from Maven). Only servers get it: a second JVM on
 * the same port would make the agent exit.
 */
function javaServer(node: NodeSpec, ctx: LaunchContext, heapMb: number, main: string, config: string): string[] {
  const [bin, ...rest] = java(heapMb, main, config);
  const rules = ctx.path(fileNamed(node, 'jmx-exporter.yml'));
  return [
    bin!,
    `-javaagent:${LAB_TOOLS.jmxAgent}=127.0.0.1:${findPort(node, 'metrics').port}:${rules}`,
    `-Dlog4j2.configurationFile=${log4jConfig(ctx).path}`,
    ...rest,
  ];
}

/**
 * The image's log4j config is not in the Maven jars, and log4j's default logs
 * errors only: this one logs INFO to stdout, which is the node's log, so a
 * failed or slow start shows what the server was doing.
 */
function log4jConfig(ctx: LaunchContext): HelperFile {
  return {
    path: ctx.path('/lab/log4j2.properties'),
    content: [
      'appender.out.type = Console',
      'appender.out.name = out',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.out.ref = out',
      '',
    ].join('\n'),
    mode: 0o644,
  };
}

/**
 * The server heap the NodeSpec renders (`-Xmx…m` in its command or
 * KAFKA_HEAP_OPTS), so the lab runs the JVM the containers would.
 */
function renderedHeapMb(node: NodeSpec): number {
  const text = [...(node.command ?? []), node.env.KAFKA_HEAP_OPTS ?? ''].join(' ');
  const heap = /-Xmx(\d+)m/.exec(text)?.[1];
  if (!heap) throw new Error(`lab: node ${node.name} renders no -Xmx heap`);
  return Number(heap);
}

/** Stand-ins for the image's Kafka tool scripts, for jobs whose scripts call them. */
const KAFKA_TOOL_MAINS: Record<string, string> = {
  'kafka-topics.sh': 'org.apache.kafka.tools.TopicCommand',
  'kafka-configs.sh': 'kafka.admin.ConfigCommand',
};

function httpService(node: NodeSpec, argv: string[], env: Record<string, string>, port: string, path: string): Launch {
  const url = `http://127.0.0.1:${findPort(node, port).port}${path}`;
  return { argv, env, ready: httpProbe(url), readyWithinSeconds: 60, probeDescription: `GET ${url}` };
}

/** Prometheus or Alertmanager: ready when /-/ready answers the node's own client certificate (they want one). */
function mutualTlsService(node: NodeSpec, ctx: LaunchContext, argv: string[], env: Record<string, string>): Launch {
  const url = `https://127.0.0.1:${findPort(node, 'web').port}/-/ready`;
  const client = { cert: ctx.path(WEB_TLS_CERT), key: ctx.path(WEB_TLS_KEY) };
  return {
    argv,
    env,
    ready: httpsProbe(url, ctx.path(PLATFORM_CA_PATH), client),
    readyWithinSeconds: 60,
    probeDescription: `GET ${url} (mutual TLS)`,
  };
}

/** An exporter: over HTTPS (CA-checked) when monitoring gave it a web config, else plain HTTP. */
function exporterService(node: NodeSpec, ctx: LaunchContext, argv: string[], env: Record<string, string>): Launch {
  if (!node.files.some((f) => f.path === WEB_CONFIG_PATH)) return httpService(node, argv, env, 'metrics', '/metrics');
  const url = `https://127.0.0.1:${findPort(node, 'metrics').port}/metrics`;
  return {
    argv,
    env,
    ready: httpsProbe(url, ctx.path(PLATFORM_CA_PATH)),
    readyWithinSeconds: 60,
    probeDescription: `GET ${url} (CA-checked)`,
  };
}

const never: Probe = async () => false;

/** How to run `node` natively, or undefined for components the lab does not run (no package to be had here). */
export function nativeLaunch(node: NodeSpec, ctx: LaunchContext): Launch | undefined {
  const port = (name: string) => findPort(node, name).port;
  const env = { ...ctx.env, PATH, LANG: 'C.UTF-8' };
  const args = [...(node.command ?? [])];
  switch (node.component) {
    case 'etcd':
      return {
        ...httpService(
          node,
          [LAB_TOOLS.etcd, `--config-file=${ctx.path(fileNamed(node, 'etcd.yml'))}`],
          env,
          'client',
          '/health',
        ),
        readyWithinSeconds: 30,
      };
    case 'patroni': {
      const url = `https://127.0.0.1:${port('rest')}/health`;
      return {
        argv: [LAB_TOOLS.patroni, ctx.path(fileNamed(node, 'patroni.yml'))],
        env,
        ready: httpsProbe(url, ctx.path(PLATFORM_CA_PATH)),
        readyWithinSeconds: 90,
        probeDescription: `GET ${url} (CA-checked)`,
      };
    }
    case 'haproxy':
      return httpService(
        node,
        [LAB_TOOLS.haproxy, '-db', '-f', ctx.path(fileNamed(node, 'haproxy.cfg'))],
        env,
        'metrics',
        '/health',
      );
    case 'pgbouncer':
      return {
        argv: [LAB_TOOLS.pgbouncer, ctx.path(fileNamed(node, 'pgbouncer.ini'))],
        env,
        ready: tcpProbe(port('pgbouncer')),
        readyWithinSeconds: 15,
        probeDescription: `TCP 127.0.0.1:${port('pgbouncer')}`,
      };
    case 'kafka': {
      if (node.oneShot) {
        // The topics job's script calls the image's tool scripts where the renderer placed them.
        const bin = ctx.path('/opt/kafka/bin');
        return {
          argv: ['bash', ctx.path(fileNamed(node, 'create-topics.sh'))],
          env,
          job: true,
          ready: never,
          readyWithinSeconds: 180,
          probeDescription: 'exit 0',
          helpers: Object.entries(KAFKA_TOOL_MAINS).map(([script, main]) => ({
            path: `${bin}/${script}`,
            content: `#!/bin/sh\nexec ${javaTool(main)
              .map((a) => `'${a}'`)
              .join(' ')} "$@"\n`,
            mode: 0o755,
          })),
        };
      }
      const config = ctx.path(fileNamed(node, 'server.properties'));
      const listener = node.ports.find((p) => p.name === 'host') ?? findPort(node, 'controller');
      return {
        argv: javaServer(node, ctx, renderedHeapMb(node), 'kafka.Kafka', config),
        env,
        helpers: [log4jConfig(ctx)],
        prepare: [javaTool('kafka.tools.StorageTool', ...storageFormatArgs(ctx.env.CLUSTER_ID!, config))],
        ready: tcpProbe(listener.port),
        readyWithinSeconds: 60,
        probeDescription: `TCP 127.0.0.1:${listener.port}`,
      };
    }
    case 'kafka-connect': {
      if (node.oneShot) {
        // The registration script speaks to Connect's REST API with curl, as in the container.
        return {
          argv: ['bash', ctx.path(fileNamed(node, 'register.sh'))],
          env,
          job: true,
          ready: never,
          readyWithinSeconds: 300,
          probeDescription: 'exit 0',
        };
      }
      return {
        ...httpService(
          node,
          javaServer(
            node,
            ctx,
            renderedHeapMb(node),
            'org.apache.kafka.connect.cli.ConnectDistributed',
            ctx.path(fileNamed(node, 'connect-distributed.properties')),
          ),
          env,
          'rest',
          '/connectors',
        ),
        readyWithinSeconds: 120,
        helpers: [log4jConfig(ctx)],
        // The renderer points plugin.path at the image's plugin folder; the lab's Debezium jars go there.
        links: { [ctx.path('/kafka/connect')]: LAB_TOOLS.connectPlugins },
      };
    }
    case 'versitygw': {
      if (node.oneShot) {
        return {
          argv: ['bash', ctx.path(fileNamed(node, 'create-buckets.sh'))],
          env,
          job: true,
          ready: never,
          readyWithinSeconds: 120,
          probeDescription: 'exit 0',
        };
      }
      // The image's entrypoint passes the command to the binary; here the binary takes it.
      const url = `https://127.0.0.1:${port('s3')}${args[args.indexOf('--health') + 1]!}`;
      return {
        argv: [LAB_TOOLS.versitygw, ...args],
        env,
        ready: httpsProbe(url, ctx.path(PLATFORM_CA_PATH)),
        readyWithinSeconds: 60,
        probeDescription: `GET ${url} (CA-checked)`,
      };
    }
    case 'prometheus':
      return mutualTlsService(node, ctx, [LAB_TOOLS.prometheus, ...args], env);
    case 'alertmanager':
      return mutualTlsService(node, ctx, [LAB_TOOLS.alertmanager, ...args], env);
    case 'postgres-exporter':
      return exporterService(node, ctx, [LAB_TOOLS.postgresExporter, ...args], env);
    case 'pgbouncer-exporter':
      return exporterService(node, ctx, [LAB_TOOLS.pgbouncerExporter, ...args], env);
    default:
      return undefined;
  }
}

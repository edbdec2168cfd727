import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAgentPrelude } from '../../constructs/monitoring/jmx-exporter';
import { withMetrics } from '../../constructs/platform/monitoring-registry';
import { dockerPlatform, node } from '../helpers';
import { findTool, haveTools, scratch } from '../real-tools/tools';
import { fullPlatform } from './components';

const JAR = Buffer.from('a stand-in for the agent jar\n');
const SHA256 = createHash('sha256').update(JAR).digest('hex');
const tools = { bash: findTool('bash'), curl: findTool('curl'), busybox: findTool('busybox') };

describe('the JMX agent on the JVM nodes', () => {
  const platform = fullPlatform();

  // Connect's agent is on 9405, so a worker can share a machine with a broker (AWS).
  it.each([
    ['kafka-1', 9404],
    ['connect-1', 9405],
  ])('%s fetches the agent before its own command, for the server alone', (name, port) => {
    const n = node(platform, name);
    expect(n.command!.slice(0, 2)).toEqual(['bash', '-c']);
    expect(n.command![2]).toMatch(/^agent=\/tmp\/jmx-exporter\/jmx_prometheus_javaagent-1\.6\.0\.jar /);
    expect(n.command![2]).toMatch(/export KAFKA_OPTS="\$KAFKA_OPTS -javaagent:\$agent=\$args"\n.*\nexec "\$@"$/s);
    expect(n.command![3]).toBe(name);
    // Only the server's process gets the agent: the container env, which health checks inherit, does not.
    expect(Object.keys(n.env)).not.toContain('KAFKA_OPTS');
    expect(n.ports.find((p) => p.name === 'metrics')).toMatchObject({ name: 'metrics', port });
    expect(n.command![2]).toContain(`args=0.0.0.0:${port}:`);
  });

  it("keeps the agent away from Kafka's storage format tool, which runs before the server", () => {
    expect(node(platform, 'kafka-1').command!.at(-1)).toMatch(
      /KAFKA_OPTS= \/opt\/kafka\/bin\/kafka-storage\.sh format/,
    );
  });

  it('leaves the agent port out of what Kafka nodes and the topics job connect to, so none waits on it', () => {
    const dedicated = dockerPlatform({ kafka: { controllers: 'dedicated' } });
    expect(node(dedicated, 'kafka-1').connectsTo).toEqual(
      [1, 2, 3].map((i) => ({ node: `kafka-controller-${i}`, port: 'controller' })),
    );
    expect(node(platform, 'kafka-topics').connectsTo).toEqual(
      [1, 2, 3].map((i) => ({ node: `kafka-${i}`, port: 'internal' })),
    );
  });

  it('rejects a checksum or a variable name that the script would have to quote', () => {
    const input = { url: 'http://x/a.jar', sha256: SHA256, jar: '/tmp/a.jar', optsVar: 'KAFKA_OPTS', agentArgs: '1:c' };
    expect(() => renderAgentPrelude({ ...input, sha256: 'abc' })).toThrow("agent sha256 'abc' is not 64 hex digits");
    expect(() => renderAgentPrelude({ ...input, optsVar: 'A B' })).toThrow("'A B' is not an environment variable name");
  });
});

/** Serves the stand-in jar on 127.0.0.1 and counts the requests. */
const server = { url: '', requests: 0, close: () => {} };
beforeAll(async () => {
  const http: Server = createServer((req, res) => {
    server.requests++;
    if (req.url === '/agent.jar') res.end(JAR);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  server.close = () => http.close();
});
afterAll(() => server.close());

const root = scratch('jmx-agent');

/** A PATH like an Alpine image's: bash, and busybox for the rest (wget and sha256sum included), no curl. */
function alpinePath(): string {
  const dir = join(root, 'alpine-bin');
  if (existsSync(dir)) return dir;
  mkdirSync(dir);
  symlinkSync(tools.bash!, join(dir, 'bash'));
  for (const applet of ['sh', 'wget', 'timeout', 'sha256sum', 'mkdir', 'mv', 'rm'])
    symlinkSync(tools.busybox!, join(dir, applet));
  return dir;
}

/** Runs a node whose command prints its KAFKA_OPTS, wrapped by the prelude; returns what it printed. */
async function start(dir: string, path: string, opts: { url?: string; sha256?: string } = {}) {
  const jvm = withMetrics(
    {
      name: 'jvm',
      component: 'test',
      role: 'server',
      image: { repository: 'x', tag: '1' },
      command: ['sh', '-c', 'echo "started with KAFKA_OPTS=$KAFKA_OPTS"'],
      env: {},
      files: [],
      ports: [],
      volumes: [],
      stateful: false,
      health: { test: ['CMD', 'true'] },
      memoryMb: 64,
      dependsOn: [],
    },
    {
      port: { name: 'metrics', port: 9404 },
      prelude: renderAgentPrelude({
        url: opts.url ?? `${server.url}/agent.jar`,
        sha256: opts.sha256 ?? SHA256,
        jar: join(root, dir, 'agent.jar'),
        optsVar: 'KAFKA_OPTS',
        agentArgs: '127.0.0.1:9404:/etc/jmx.yml',
      }),
    },
  );
  const [cmd, ...args] = jvm.command!;
  const { stdout, stderr } = await promisify(execFile)(cmd!, args, { env: { PATH: path, KAFKA_OPTS: '-Dkept=1' } });
  return { stdout, stderr, files: readdirSync(join(root, dir)) };
}

describe.each([
  { fetcher: 'curl', needs: { bash: tools.bash, curl: tools.curl }, path: () => process.env.PATH! },
  {
    fetcher: 'busybox wget, with no curl as in the Alpine-based Kafka image',
    needs: { bash: tools.bash, busybox: tools.busybox },
    path: alpinePath,
  },
])('the agent prelude, run by bash with $fetcher', ({ fetcher, needs, path }) => {
  const dir = (name: string) => `${fetcher.split(' ')[0]}-${name}`;

  it.runIf(haveTools(needs))('fetches the agent, checks its checksum and adds it to the JVM options', async () => {
    const run = await start(dir('ok'), path());
    expect(run.stdout).toBe(
      `started with KAFKA_OPTS=-Dkept=1 -javaagent:${join(root, dir('ok'), 'agent.jar')}=127.0.0.1:9404:/etc/jmx.yml\n`,
    );
    expect(run.files).toEqual(['agent.jar']);
  });

  it.runIf(haveTools(needs))('fetches once per container: a restart finds the jar and asks for nothing', async () => {
    await start(dir('restart'), path());
    const before = server.requests;
    const run = await start(dir('restart'), path(), { url: `${server.url}/gone.jar` });
    expect(server.requests).toBe(before);
    expect(run.stdout).toContain('-javaagent:');
  });

  it.runIf(haveTools(needs)).each([
    ['its checksum differs', 'checksum', () => ({ sha256: '0'.repeat(64) })],
    ['the download fails', 'missing', () => ({ url: `${server.url}/missing.jar` })],
    ['no host answers', 'refused', () => ({ url: 'http://127.0.0.1:1/agent.jar' })],
  ])('starts the JVM without the agent, and says so, when %s', async (_, name, opts) => {
    const run = await start(dir(name), path(), opts());
    expect(run.stdout).toBe('started with KAFKA_OPTS=-Dkept=1\n');
    expect(run.stderr).toContain('JMX exporter agent unavailable');
    expect(run.files).toEqual([]);
  });
});

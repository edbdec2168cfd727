import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { renderFlowDiagram } from '../../constructs/flow-diagram';
import { LocalStack } from '../../stacks/local-stack';
import { readFileSync } from 'node:fs';
import type { TfJson } from '../helpers';

const stack = new LocalStack(Testing.app(), 'local');
const tf = JSON.parse(Testing.synth(stack)) as TfJson;
const specs = stack.platform.nodes;
const ids = new Map(Object.entries(tf.resource.docker_container!).map(([id, c]) => [`docker_container.${id}`, c]));
const container = (name: string) => [...ids.values()].find((c) => c.name === `dp-${name}`)!;
const dependsOn = (name: string) => (container(name).depends_on as string[]).map((d) => ids.get(d)!.name.slice(3));
const upload = (name: string, path: string): string =>
  container(name).upload.find((u: { file: string }) => u.file === path).content;
const env = (name: string) =>
  Object.fromEntries(
    (container(name).env as string[]).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );

describe('local stack: streaming and CDC', () => {
  it('synthesizes the whole topology: Postgres HA core, Kafka, Connect, Mongo, ClickHouse and VersityGW', () => {
    const names = [...ids.values()].map((c) => c.name as string);
    for (const expected of [
      'patroni-1',
      'haproxy',
      'pgbouncer',
      'kafka-1',
      'kafka-2',
      'kafka-3',
      'kafka-topics',
      'connect-1',
      'connect-2',
      'connect-register',
      'mongo-1',
      'mongo-2',
      'mongo-3',
      'mongo-init',
      'keeper-1',
      'keeper-2',
      'keeper-3',
      'clickhouse-1',
      'clickhouse-2',
      'clickhouse-ddl',
      'versitygw',
      'create-buckets',
    ]) {
      expect(names).toContain(`dp-${expected}`);
    }
  });

  it('starts every init job after everything it initializes', () => {
    const initializes: Record<string, string[]> = {
      'kafka-topics': ['kafka-1', 'kafka-2', 'kafka-3'],
      'mongo-init': ['mongo-1', 'mongo-2', 'mongo-3'],
      'connect-register': ['connect-1', 'connect-2'],
      'clickhouse-ddl': ['clickhouse-1', 'clickhouse-2', 'kafka-topics'],
      'create-buckets': ['versitygw'],
    };
    const jobs = specs.filter((n) => n.oneShot).map((n) => n.name);
    expect(jobs).toEqual(expect.arrayContaining(Object.keys(initializes)));
    for (const [job, targets] of Object.entries(initializes))
      expect(dependsOn(job)).toEqual(expect.arrayContaining(targets));
  });

  it('gates what depends on Mongo on its init job, since members are healthy only once initiated', () => {
    for (const m of ['mongo-1', 'mongo-2', 'mongo-3']) expect(container(m).wait).toBe(false);
    expect(dependsOn('connect-register')).toEqual(expect.arrayContaining(['mongo-init', 'kafka-topics', 'haproxy']));
    // The workers need only the brokers, so they start while the topics job and Mongo's init run.
    expect(dependsOn('connect-1').sort()).toEqual(['kafka-1', 'kafka-2', 'kafka-3']);
  });

  it('gives no node two listeners on one port', () => {
    for (const n of specs) expect(new Set(n.ports.map((p) => p.port)).size, n.name).toBe(n.ports.length);
  });

  it('keeps every stateful streaming node on a named volume', () => {
    for (const n of specs.filter(
      (s) => s.stateful && ['kafka', 'mongo', 'clickhouse', 'clickhouse-keeper', 'versitygw'].includes(s.component),
    )) {
      expect(container(n.name).volumes.length, n.name).toBeGreaterThan(0);
    }
  });

  it('generates the Kafka cluster ID per deployment, as a random_id', () => {
    expect(env('kafka-1').CLUSTER_ID).toMatch(/^\$\{random_id\.[\w-]+\.b64_url\}$/);
    expect(env('kafka-2').CLUSTER_ID).toBe(env('kafka-1').CLUSTER_ID);
    expect(Object.values(tf.resource.random_id!)).toEqual([{ byte_length: 16 }]);
  });

  it('keeps connector passwords out of the connector JSON: workers resolve ${env:…} at run time', () => {
    const json = upload('connect-register', '/etc/kafka-connect/connectors/postgres-cdc.json');
    // Terraform reads `$${` as a literal `${`.
    expect(JSON.parse(json)['database.password']).toBe('$${env:CDC_POSTGRES_PASSWORD}');
    expect(json).not.toMatch(/random_password/);
    expect(env('connect-1').CDC_POSTGRES_PASSWORD).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    expect(env('patroni-1').DEBEZIUM_DB_PASSWORD).toBe(env('connect-1').CDC_POSTGRES_PASSWORD);
    expect(env('mongo-init').MONGO_CDC_PASSWORD).toBe(env('connect-1').CDC_MONGO_PASSWORD);
  });

  it('hands mongod a keyfile it owns with mode 0400', () => {
    const keyfile = container('mongo-1').upload.find((u: { file: string }) => u.file === '/etc/mongo/keyfile.source');
    expect(keyfile).toMatchObject({ permissions: '0400' });
    expect(keyfile.content).toMatch(/^\$\{random_password\.[\w-]+\.result\}$/);
    expect(container('mongo-1').command.at(-1)).toMatch(/^install -o mongodb -g mongodb -m 0400 /);
  });

  it('requires TLS on every member: its certificate and key joined for mongod, the CA for every client', () => {
    const member = specs.find((n) => n.name === 'mongo-1')!;
    const conf = member.files.find((f) => f.path === '/etc/mongo/mongod.conf')!.content;
    expect(conf).toContain('mode: requireTLS');
    expect(conf).toContain('certificateKeyFile: /etc/mongo/member.pem');
    expect(container('mongo-1').command.at(-1)).toContain(
      'cat /etc/mongo/tls/tls.crt /etc/mongo/tls/tls.key > /etc/mongo/member.pem',
    );
    expect(stack.platform.certificates.find((c) => c.node === 'mongo-1')).toMatchObject({
      hosts: ['mongo-1'],
      certPath: '/etc/mongo/tls/tls.crt',
    });
    const exporter = specs.find((n) => n.name === 'mongodb-exporter-1')!;
    expect(exporter.command![0]).toMatch(/tls=true&tlsCAFile=\/etc\/dataplatform\/tls\/ca\.crt$/);
    expect(stack.platform.mongo!.connectionString).toMatch(/&tls=true$/);
  });

  it('runs the mongosh health check over TLS with HOME out of the data volume', () => {
    const test = container('mongo-1').healthcheck.test as string[];
    expect(test.slice(0, 4)).toEqual(['CMD', 'env', 'HOME=/tmp', 'mongosh']);
    expect(test).toEqual(expect.arrayContaining(['--tls', '--tlsCAFile', '/etc/dataplatform/tls/ca.crt']));
  });

  it("keeps the memory limits of every service within the default profile's 8 GiB", () => {
    const total = specs.filter((n) => !n.oneShot).reduce((sum, n) => sum + n.memoryMb, 0);
    expect(total).toBeLessThanOrEqual(8 * 1024);
  });

  it('shows the data flow in the README exactly as the code defines it', () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = readme.match(/<!-- cdc-flow -->\n```mermaid\n([\s\S]*?)```\n/)?.[1];
    expect(block, 'README.md has no <!-- cdc-flow --> mermaid block').toBeDefined();
    expect(block).toBe(renderFlowDiagram(stack.platform));
  });
});

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RootConstruct } from 'constructs';
import { DataPlatform } from '../../constructs/data-platform';
import { storageFormatArgs } from '../../constructs/kafka/storage-format';
import { LoopbackPlacement } from '../../constructs/platform/placement';
import { file } from '../helpers';
import { asPostgres, findTool, run, start } from '../real-tools/tools';

/**
 * Real servers for the streaming tests, started on 127.0.0.1 from the files the
 * platform renders with the loopback placement: Kafka and Kafka Connect from the
 * Maven jars the lab installs, PostgreSQL from Debian's packages. Every process
 * is started here and killed by stop().
 */
export const libs = process.env.KAFKA_LIBS ?? '/opt/dataplatform/kafka-libs';
export const plugins = process.env.CONNECT_PLUGINS ?? '/opt/dataplatform/connect-plugins';
const pgBin = '/usr/lib/postgresql/15/bin';
export const tools = {
  java: findTool('java'),
  'Kafka 4.3.1 jars': existsSync(`${libs}/kafka_2.13-4.3.1.jar`) ? libs : undefined,
};
export const postgresTools = {
  initdb: findTool(`${pgBin}/initdb`),
  pg_ctl: findTool(`${pgBin}/pg_ctl`),
  psql: findTool('psql'),
  'Debezium Postgres plugin': existsSync(`${plugins}/debezium-connector-postgres`) ? plugins : undefined,
};

export class StreamingLab {
  readonly platform: DataPlatform;
  private readonly processes: ChildProcess[] = [];
  private readonly bin: string;

  constructor(
    private readonly dir: string,
    basePort: number,
  ) {
    this.platform = new DataPlatform(new RootConstruct(), 'platform', {
      placement: new LoopbackPlacement(dir, basePort),
    });
    this.bin = join(dir, 'bin');
  }

  get kafka() {
    return this.platform.kafka!;
  }

  /** Port of a node's named port. */
  port(node: string, name: string): number {
    return this.platform.nodes.find((n) => n.name === node)!.ports.find((p) => p.name === name)!.port;
  }

  java(main: string, args: readonly string[], heap = '128m'): string[] {
    return [tools.java!, `-Xmx${heap}`, '-cp', `${libs}/*`, main, ...args];
  }

  /** Formats and starts every broker on its rendered server.properties; puts kafka-topics.sh and kafka-configs.sh in `bin`. */
  startKafka(): void {
    // Kafka's cluster ID format, as the Docker target's random_id (16 bytes, b64url) makes it.
    const clusterId = randomBytes(16).toString('base64url');
    for (const broker of this.kafka.brokers) {
      const path = join(this.dir, `${broker.name}.properties`);
      writeFileSync(path, file(broker, '/etc/kafka/server.properties'));
      const format = run(this.java('kafka.tools.StorageTool', storageFormatArgs(clusterId, path)), 60_000);
      if (format.code !== 0) throw new Error(`kafka-storage format failed: ${format.output}`);
      this.processes.push(start([tools.java!, '-Xms256m', '-Xmx256m', '-cp', `${libs}/*`, 'kafka.Kafka', path]));
    }
    mkdirSync(this.bin, { recursive: true });
    for (const [script, main] of [
      ['kafka-topics.sh', 'org.apache.kafka.tools.TopicCommand'],
      ['kafka-configs.sh', 'kafka.admin.ConfigCommand'],
    ] as const) {
      writeFileSync(
        join(this.bin, script),
        `#!/bin/sh\nexec ${this.java(main, [])
          .map((a) => `'${a}'`)
          .join(' ')} "$@"\n`,
      );
      chmodSync(join(this.bin, script), 0o755);
    }
  }

  get binDir(): string {
    return this.bin;
  }

  /** One record per line, through broker 1's host listener (a client on the operator's machine). */
  produce(topic: string, records: readonly string[]): ReturnType<typeof spawnSync> {
    const [cmd, ...args] = this.java('org.apache.kafka.tools.ConsoleProducer', [
      ...['--bootstrap-server', `127.0.0.1:${this.port('kafka-1', 'host')}`, '--topic', topic],
      ...['--command-property', 'acks=all'],
    ]);
    return spawnSync(cmd!, args, { input: `${records.join('\n')}\n`, encoding: 'utf8', timeout: 60_000 });
  }

  /** Starts Connect worker 1 on its rendered properties, with the plugins where the placement puts them. */
  async startConnect(env: Record<string, string>): Promise<string> {
    const worker = this.platform.cdc!.workers[0]!;
    mkdirSync(join(this.dir, worker.name, 'kafka'), { recursive: true });
    symlinkSync(plugins, join(this.dir, worker.name, 'kafka/connect'));
    const config = join(this.dir, 'connect-distributed.properties');
    writeFileSync(config, file(worker, '/etc/kafka-connect/connect-distributed.properties'));
    const [cmd, ...args] = this.java('org.apache.kafka.connect.cli.ConnectDistributed', [config], '384m');
    this.processes.push(spawn(cmd!, args, { env: { ...process.env, ...env }, stdio: 'ignore' }));
    const rest = `http://127.0.0.1:${this.port(worker.name, 'rest')}`;
    for (let i = 0; i < 90; i++) {
      if (
        await fetch(`${rest}/connectors`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return rest;
      await new Promise((r) => setTimeout(r, 2000));
    }
    throw new Error(`Connect REST API at ${rest} never answered`);
  }

  /**
   * PostgreSQL on the port the placement gives HAProxy's read-write endpoint (so the
   * rendered connector reaches it unchanged), bootstrapped by the rendered post-bootstrap
   * script, with the permanent slot created as Patroni creates it.
   */
  startPostgres(passwords: Record<string, string>): void {
    const data = join(this.dir, 'pg');
    mkdirSync(data, { recursive: true });
    run(['chown', '-R', 'postgres:postgres', this.dir]);
    const asPg = (argv: string[], env: Record<string, string> = {}) => {
      const [cmd, ...args] = asPostgres(argv);
      const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
      if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stdout}${r.stderr}`);
    };
    asPg([
      postgresTools.initdb!,
      '-D',
      `${data}/data`,
      '-U',
      'postgres',
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
    ]);
    const port = this.platform.postgres.readWrite.port;
    const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${data} -c wal_level=logical`;
    asPg([postgresTools.pg_ctl!, '-D', `${data}/data`, '-l', `${data}/log`, '-o', options, '-w', 'start']);
    this.stopPostgres = () => asPg([postgresTools.pg_ctl!, '-D', `${data}/data`, '-m', 'immediate', 'stop']);
    const patroni = this.platform.nodes.find((n) => n.name === 'patroni-1')!;
    const script = join(this.dir, 'post-bootstrap.sh');
    writeFileSync(script, file(patroni, '/etc/patroni/post-bootstrap.sh'));
    const superuser = `postgresql://postgres@/postgres?host=${data}&port=${port}`;
    // Passwords the script reads from its environment: ours, and a stand-in for any other component's.
    const wanted = [...file(patroni, '/etc/patroni/post-bootstrap.sh').matchAll(/\$([A-Z_]+_PASSWORD)/g)].map(
      (m) => m[1]!,
    );
    asPg(['sh', script, superuser], Object.fromEntries(wanted.map((n) => [n, passwords[n] ?? 'stand-in-password'])));
    const slot = this.platform.postgres.patroni.settings.logicalSlots[0]!;
    asPg([
      postgresTools.psql!,
      `postgresql://postgres@/${slot.database}?host=${data}&port=${port}`,
      '-c',
      `SELECT pg_create_logical_replication_slot('${slot.name}', '${slot.plugin ?? 'pgoutput'}')`,
    ]);
  }

  private stopPostgres = () => {};

  stop(): void {
    this.processes.forEach((p) => p.kill('SIGKILL'));
    this.stopPostgres();
  }
}

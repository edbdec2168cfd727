/**
 * The rendered haproxy.cfg on a real HAProxy, with member names served by a real resolver (dnsmasq) on
 * loopback: a member whose name stops resolving, then resolves again to a node that is not the leader,
 * must get no read-write traffic before its checks pass. Both ways a lookup can fail are run: no answer
 * at all (dnsmasq forwards to an upstream that never replies, like Docker's embedded DNS offline) and a
 * prompt NXDOMAIN. The control strips the fix and must see traffic reach the non-leader.
 */
import { writeFileSync } from 'node:fs';
import { createServer as httpsServer, type Server as HttpsServer } from 'node:https';
import { createConnection, createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { renderHaproxyCfg } from '../../constructs/postgres/haproxy-config';
import { issueLabTls, type LabTls } from '../../scripts/lab/tls';
import { findTool, haveTools, run, scratch, start } from './tools';

const tools = {
  haproxy: findTool(process.env.HAPROXY_BIN ?? 'haproxy', '/usr/sbin/haproxy'),
  dnsmasq: findTool('dnsmasq', '/usr/sbin/dnsmasq'),
};
const BASE = 26900;
const PORTS = { dns: BASE, silentUpstream: BASE + 1, pg: BASE + 2, rest: BASE + 3, primary: BASE + 4 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tlsDir = scratch('haproxy-dns-tls');
/** The members' REST certificates (HAProxy checks them against the CA, as rendered). */
const tls: LabTls = issueLabTls(
  tlsDir,
  ['m1', 'm2'].map((m) => ({ node: m, hosts: [`${m}.test`], certPath: '', keyPath: '' })),
);
writeFileSync(join(tlsDir, 'ca.crt'), tls.caCert);

/** A fake Patroni member at `address`: REST (HTTPS) answers /primary and /replica by role; "Postgres" says its name. */
class FakeMember {
  role: 'primary' | 'replica';
  private rest: HttpsServer;
  private pg: Server;
  constructor(
    readonly name: string,
    readonly address: string,
    role: 'primary' | 'replica',
  ) {
    this.role = role;
    const issued = tls.certificates.find((c) => c.spec.node === name)!;
    this.rest = httpsServer({ cert: issued.cert, key: issued.key }, (req, res) =>
      res.writeHead(req.url === `/${this.role}` ? 200 : 503).end(),
    );
    this.rest.on('tlsClientError', () => undefined);
    // HAProxy's checks close their connection at once, so a write may hit a closed socket (EPIPE).
    this.pg = createServer((socket) => socket.on('error', () => undefined).end(this.name));
  }
  async listen() {
    await new Promise<void>((ok) => this.rest.listen(PORTS.rest, this.address, ok));
    await new Promise<void>((ok) => this.pg.listen(PORTS.pg, this.address, ok));
  }
  close() {
    this.rest.closeAllConnections();
    this.rest.close();
    this.pg.close();
  }
}

/** Who answers one connection to HAProxy's read-write port ('' when HAProxy has no server for it). */
function whoServesPrimary(): Promise<string> {
  return new Promise((ok) => {
    let data = '';
    const c = createConnection({ host: '127.0.0.1', port: PORTS.primary });
    c.setTimeout(2000, () => c.destroy());
    c.on('data', (d) => (data += d));
    c.on('close', () => ok(data));
    c.on('error', () => undefined);
  });
}

/** Polls the read-write port for `ms`, every 100 ms: the set of answers seen. */
async function primaryAnswers(ms: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) seen.add(await whoServesPrimary());
  return seen;
}

/** Bounded wait (15 s) until the read-write port is served by `name` alone for 1 s. */
async function untilPrimaryIs(name: string): Promise<void> {
  for (let i = 0; i < 15; i++) {
    const seen = await primaryAnswers(1000);
    if (seen.size === 1 && seen.has(name)) return;
  }
  throw new Error(`the read-write port never settled on ${name}`);
}

type Lookup = 'no-answer' | 'nxdomain';

function haproxyAtLeast(major: number, minor: number): boolean {
  const m = /version (\d+)\.(\d+)/.exec(tools.haproxy ? run([tools.haproxy, '-v']).output : '');
  return !!m && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor));
}

describe.runIf(haveTools(tools))('HAProxy follows checks, not DNS, when a member re-resolves', () => {
  const dir = scratch('haproxy-dns');
  const hosts = join(dir, 'hosts');
  let procs: ChildProcess[] = [];
  let members: FakeMember[] = [];
  let silent: Socket | undefined;
  let log = '';

  afterEach(() => {
    procs.forEach((p) => p.kill('SIGKILL'));
    members.forEach((m) => m.close());
    silent?.close();
    procs = [];
    members = [];
    silent = undefined;
  });

  const setHosts = (entries: Record<string, string>, dnsmasq: ChildProcess) => {
    writeFileSync(
      hosts,
      Object.entries(entries)
        .map(([name, ip]) => `${ip} ${name}\n`)
        .join(''),
    );
    dnsmasq.kill('SIGHUP'); // dnsmasq re-reads its hosts file and clears its cache
  };

  async function scenario(lookup: Lookup, cfg: string): Promise<{ afterReturn: Set<string>; log: string }> {
    log = '';
    // An upstream that takes queries and never answers.
    silent = createSocket('udp4');
    await new Promise<void>((ok) => silent!.bind(PORTS.silentUpstream, '127.0.0.1', ok));
    writeFileSync(hosts, '127.0.0.2 m1.test\n127.0.0.3 m2.test\n');
    const dnsmasq = start([
      tools.dnsmasq!,
      '--keep-in-foreground',
      '--no-daemon',
      '--user=root',
      '--no-resolv',
      '--no-hosts',
      '--bind-interfaces',
      '--listen-address=127.0.0.1',
      `--port=${PORTS.dns}`,
      `--addn-hosts=${hosts}`,
      '--no-negcache',
      lookup === 'nxdomain' ? '--local=/test/' : `--server=127.0.0.1#${PORTS.silentUpstream}`,
    ]);
    procs.push(dnsmasq);
    members = [new FakeMember('m1', '127.0.0.2', 'primary'), new FakeMember('m2', '127.0.0.3', 'replica')];
    for (const m of members) await m.listen();
    writeFileSync(join(dir, 'haproxy.cfg'), cfg);
    const haproxy = start([tools.haproxy!, '-db', '-f', join(dir, 'haproxy.cfg')]);
    haproxy.stdout!.on('data', (d) => (log += d));
    haproxy.stderr!.on('data', (d) => (log += d));
    procs.push(haproxy);
    await untilPrimaryIs('m1');

    // m1 dies and its name stops resolving; m2 is promoted.
    members[0]!.close();
    setHosts({ 'm2.test': '127.0.0.3' }, dnsmasq);
    members[1]!.role = 'primary';
    await untilPrimaryIs('m2');
    await sleep(6000); // past the control's 1 s hold and several failed lookups

    // m1 comes back at a new address, as a replica, and its name resolves again.
    const back = new FakeMember('m1', '127.0.0.4', 'replica');
    members.push(back);
    await back.listen();
    setHosts({ 'm1.test': '127.0.0.4', 'm2.test': '127.0.0.3' }, dnsmasq);
    // hold valid (5 s) bounds when HAProxy asks again; poll past it and a few checks.
    const afterReturn = await primaryAnswers(9000);
    return { afterReturn, log };
  }

  const rendered = renderHaproxyCfg({
    members: ['m1', 'm2'].map((name) => ({
      name,
      postgres: { host: `${name}.test`, port: PORTS.pg },
      restPort: PORTS.rest,
    })),
    bindHost: '127.0.0.1',
    ports: { primary: PORTS.primary, replicas: PORTS.primary + 1, metrics: PORTS.primary + 2 },
    dnsResolver: `127.0.0.1:${PORTS.dns}`,
    checkIntervalSeconds: 1,
    caFile: join(tlsDir, 'ca.crt'),
  });

  it.each<Lookup>(['no-answer', 'nxdomain'])(
    'with %s for the dead member, read-write traffic never reaches it',
    async (lookup) => {
      const { afterReturn, log } = await scenario(lookup, rendered);
      expect([...afterReturn], log).toEqual(['m2']);
      expect(log).toMatch(/m1 .*changed its IP from 127\.0\.0\.2 to 127\.0\.0\.4|m1.*127\.0\.0\.4/);
    },
    70_000,
  );

  // Debian's 2.6 (CI, the lab) skips the init-state block; there the long hold alone does the work.
  it.runIf(haproxyAtLeast(3, 1))(
    'init-state alone keeps it out when the hold has run out (HAProxy 3.1+)',
    async () => {
      const shortHold = rendered.replace(/hold (nx|timeout|refused|other) \d+s/g, 'hold $1 1s');
      const { afterReturn, log } = await scenario('no-answer', shortHold);
      expect(log).toContain('(resolves again)');
      expect([...afterReturn], log).toEqual(['m2']);
    },
    70_000,
  );

  it('control: without the fix (short hold, no init-state) the returning member is UP before any check', async () => {
    const broken = rendered
      .replace(/hold (nx|timeout|refused|other) \d+s/g, 'hold $1 1s')
      .replace(/\.if version_atleast\(3\.1\)\n.*\n\.endif\n/g, '');
    expect(broken).not.toContain('init-state');
    const { afterReturn, log } = await scenario('no-answer', broken);
    expect(log).toContain('(resolves again)');
    expect([...afterReturn]).toContain('m1');
  }, 70_000);
});

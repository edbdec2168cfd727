import { describe, expect, it } from 'vitest';
import type { ManifestNode } from '../../constructs/platform/topology';
import { DockerDriver, dockerCommand, networkAttachments } from '../../scripts/chaos/drivers/docker';

const node = (container?: string): ManifestNode => ({
  name: 'patroni-1',
  component: 'patroni',
  role: 'member',
  handle: container ? { container } : { pid: 1 },
  endpoints: {},
});

/** `docker container inspect` of a container on one user network (Docker 20.10 output, trimmed). */
const INSPECT = JSON.stringify([
  {
    Id: '16ca3248b1227cf128e288c18ca5abf638712cbbcdcc98adc5559d5d397e28c1',
    NetworkSettings: {
      Networks: { 'dp-net': { Aliases: ['patroni-1', '16ca3248b122'], IPAddress: '172.18.0.2' } },
    },
  },
]);

describe('dockerCommand', () => {
  it.each([
    ['kill', ['docker', 'kill', 'dp-patroni-1']],
    ['stop', ['docker', 'stop', '-t', '10', 'dp-patroni-1']],
    ['start', ['docker', 'start', 'dp-patroni-1']],
    ['restart', ['docker', 'restart', '-t', '10', 'dp-patroni-1']],
    ['pause', ['docker', 'pause', 'dp-patroni-1']],
    ['resume', ['docker', 'unpause', 'dp-patroni-1']],
  ] as const)('%s runs %j', (action, argv) => {
    expect(dockerCommand(action, 'dp-patroni-1')).toEqual(argv);
  });

  it('disconnects from the network and connects back with the aliases', () => {
    const attachment = { network: 'dp-net', aliases: ['patroni-1'] };
    expect(dockerCommand('disconnect', 'dp-patroni-1', attachment)).toEqual([
      'docker',
      'network',
      'disconnect',
      'dp-net',
      'dp-patroni-1',
    ]);
    expect(dockerCommand('connect', 'dp-patroni-1', attachment)).toEqual([
      'docker',
      'network',
      'connect',
      '--alias',
      'patroni-1',
      'dp-net',
      'dp-patroni-1',
    ]);
  });

  it('needs the network for a partition', () => {
    expect(() => dockerCommand('disconnect', 'dp-patroni-1')).toThrow(/needs the network/);
  });
});

describe('networkAttachments', () => {
  it('reads networks and aliases, without the short container ID Docker adds', () => {
    expect(networkAttachments(INSPECT)).toEqual([{ network: 'dp-net', aliases: ['patroni-1'] }]);
  });
});

describe('DockerDriver', () => {
  function recording(): { calls: string[][]; driver: DockerDriver } {
    const calls: string[][] = [];
    const driver = new DockerDriver(async (argv) => {
      calls.push([...argv]);
      return argv[1] === 'container' ? INSPECT : '';
    });
    return { calls, driver };
  }

  it('acts on the container the manifest names', async () => {
    const { calls, driver } = recording();
    await driver.act('kill', node('dp-patroni-1'));
    expect(calls).toEqual([['docker', 'kill', 'dp-patroni-1']]);
  });

  it('reconnects a partitioned container to the networks and aliases it had', async () => {
    const { calls, driver } = recording();
    await driver.act('disconnect', node('dp-patroni-1'));
    await driver.act('connect', node('dp-patroni-1'));
    expect(calls.slice(1)).toEqual([
      ['docker', 'network', 'disconnect', 'dp-net', 'dp-patroni-1'],
      ['docker', 'network', 'connect', '--alias', 'patroni-1', 'dp-net', 'dp-patroni-1'],
    ]);
  });

  it('refuses to connect what it did not disconnect, saying how to do it by hand', async () => {
    const { driver } = recording();
    await expect(driver.act('connect', node('dp-patroni-1'))).rejects.toThrow(/was not disconnected by this run/);
  });

  it('refuses a cut from some peers only, and runs no docker command for it', async () => {
    const { calls, driver } = recording();
    await expect(driver.act('disconnect', node('dp-patroni-1'), { peers: [node('dp-patroni-2')] })).rejects.toThrow(
      /cannot cut patroni-1 off from some peers only/,
    );
    expect(calls).toEqual([]);
  });

  it('rejects a node without a container', async () => {
    const { driver } = recording();
    await expect(driver.act('kill', node())).rejects.toThrow(/node patroni-1 has no container/);
  });
});

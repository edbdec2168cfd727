/**
 * The Docker driver against a real Docker engine. CI has no engine (and none
 * can pull images), so this runs only where `docker version` reaches one and
 * skips otherwise, in CI too. The image is built here from the static busybox
 * binary of Debian's busybox-static package, so nothing is pulled.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestNode } from '../../constructs/platform/topology';
import { DockerDriver } from '../../scripts/chaos/drivers/docker';

const BUSYBOX = '/bin/busybox';
const NAME = `dp-chaos-test-${process.pid}`;
const IMAGE = `${NAME}:busybox`;

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8', timeout: 30_000 }).trim();

function engineReachable(): boolean {
  try {
    docker('version', '--format', '{{.Server.Version}}');
  } catch {
    console.warn('skipping Docker engine checks: no Docker engine reachable (none in CI)');
    return false;
  }
  if (existsSync(BUSYBOX)) return true;
  console.warn(`skipping Docker engine checks: ${BUSYBOX} missing (apt-get install busybox-static)`);
  return false;
}

interface State {
  Status: string;
  ExitCode: number;
  StartedAt: string;
  networks: Record<string, { Aliases: string[] | null }>;
}

function state(): State {
  const info = JSON.parse(docker('container', 'inspect', NAME))[0];
  return { ...info.State, networks: info.NetworkSettings.Networks };
}

describe.runIf(engineReachable())('DockerDriver on a real engine', () => {
  const driver = new DockerDriver();
  const node: ManifestNode = {
    name: 'node-a',
    component: 'test',
    role: 'test',
    handle: { container: NAME },
    endpoints: {},
  };

  beforeAll(() => {
    mkdirSync(resolve('.tmp'), { recursive: true });
    const dir = mkdtempSync(resolve('.tmp/busybox-'));
    mkdirSync(join(dir, 'rootfs/bin'), { recursive: true });
    copyFileSync(BUSYBOX, join(dir, 'rootfs/bin/busybox'));
    for (const applet of ['sh', 'sleep']) symlinkSync('busybox', join(dir, 'rootfs/bin', applet));
    execFileSync('tar', ['-C', join(dir, 'rootfs'), '-cf', join(dir, 'rootfs.tar'), '.']);
    // A main process that exits on SIGTERM, so `docker stop` is a graceful stop, not the 10 s SIGKILL fallback.
    const cmd = JSON.stringify(['/bin/sh', '-c', "trap 'exit 0' TERM; while :; do sleep 1; done"]);
    docker('import', '--change', `CMD ${cmd}`, join(dir, 'rootfs.tar'), IMAGE);
    rmSync(dir, { recursive: true });
    docker('network', 'create', `${NAME}-net`);
    docker('run', '-d', '--name', NAME, '--network', `${NAME}-net`, '--network-alias', 'node-a', IMAGE);
  }, 60_000);

  afterAll(() => {
    for (const args of [
      ['rm', '-f', NAME],
      ['network', 'rm', `${NAME}-net`],
      ['image', 'rm', IMAGE],
    ]) {
      try {
        docker(...args);
      } catch {
        /* never created */
      }
    }
  }, 60_000);

  it('pauses and resumes', async () => {
    await driver.act('pause', node);
    expect(state().Status).toBe('paused');
    await driver.act('resume', node);
    expect(state().Status).toBe('running');
  });

  it('partitions the container and connects it back under its alias', async () => {
    await driver.act('disconnect', node);
    expect(state().networks).toEqual({});
    await driver.act('connect', node);
    expect(state().networks[`${NAME}-net`]?.Aliases).toContain('node-a');
  });

  it('kills (exit 137) and starts again', async () => {
    await driver.act('kill', node);
    expect(state()).toMatchObject({ Status: 'exited', ExitCode: 137 });
    await driver.act('start', node);
    expect(state().Status).toBe('running');
  });

  it('stops gracefully (exit 0) and restarts', async () => {
    await driver.act('stop', node);
    expect(state()).toMatchObject({ Status: 'exited', ExitCode: 0 });
    await driver.act('start', node);
    const before = state().StartedAt;
    await driver.act('restart', node);
    expect(state().Status).toBe('running');
    expect(state().StartedAt).not.toBe(before);
  });
});

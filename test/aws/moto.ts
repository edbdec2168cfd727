/** moto_server on a free port of 127.0.0.1, standing in for AWS in integration tests. */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { findTool } from '../real-tools/tools';

export const motoServer = findTool('/opt/dataplatform/moto-venv/bin/moto_server', 'moto_server');

export interface Moto {
  readonly endpoint: string;
  /** moto keeps everything in memory: stopping it leaves nothing behind. */
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts moto, logging into `<dir>/moto.log`, and waits (30 s at most) until it answers. */
export async function startMoto(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // Its request log goes to a file: a pipe nobody reads while a client runs would stall moto.
  const log = openSync(join(dir, 'moto.log'), 'w');
  const moto = spawn(motoServer!, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' }, // AmazonSSMManagedInstanceCore exists
    stdio: ['ignore', log, log],
  });
  for (let i = 0; i < 60; i++) {
    const up = await fetch(`${endpoint}/moto-api/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { endpoint, stop: () => moto.kill() };
    await new Promise((r) => setTimeout(r, 500));
  }
  moto.kill();
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s`);
}

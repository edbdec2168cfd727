import { existsSync, mkdtempSync } from 'node:fs';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { LabNode } from '../../scripts/lab/plan';
import { startLab, stopLab, type RunningLab } from '../../scripts/lab/runtime';
import { LAB_TOOLS } from '../../scripts/lab/tools';
import { findTool, haveTools } from '../real-tools/tools';

/** Whether the lab's servers are installed (in CI, missing ones fail the run). */
export function labInstalled(): boolean {
  const dir = (path: string) => (existsSync(path) ? path : undefined);
  return haveTools({
    etcd: findTool(LAB_TOOLS.etcd),
    patroni: findTool(LAB_TOOLS.patroni),
    haproxy: findTool(LAB_TOOLS.haproxy),
    pgbouncer: findTool(LAB_TOOLS.pgbouncer),
    postgres: findTool(`${LAB_TOOLS.pgBin}/postgres`),
    java: findTool(LAB_TOOLS.java),
    'Kafka jars': dir(LAB_TOOLS.kafkaLibs),
    'Debezium plugin': dir(LAB_TOOLS.connectPlugins),
    'JMX exporter agent': dir(LAB_TOOLS.jmxAgent),
    prometheus: findTool(LAB_TOOLS.prometheus),
    alertmanager: findTool(LAB_TOOLS.alertmanager),
    postgres_exporter: findTool(LAB_TOOLS.postgresExporter),
    pgbouncer_exporter: findTool(LAB_TOOLS.pgbouncerExporter),
    versitygw: findTool(LAB_TOOLS.versitygw),
    'aws (CLI)': findTool(LAB_TOOLS.aws),
    curl: findTool('curl'),
  });
}

/**
 * Starts a lab for one test file and tears it down after, also on failure and
 * on process exit. Its folder is removed on success and kept (with logs) when
 * a test failed.
 */
export function useLab(opts: { basePort: number; include?: (node: LabNode) => boolean }): () => RunningLab {
  let lab: RunningLab | undefined;
  let failed = false;
  const killOnExit = () => lab && stopLab(lab, { keepRoot: true });
  beforeAll(async () => {
    process.once('exit', killOnExit);
    lab = await startLab({ root: mkdtempSync('/tmp/dplab-test-'), basePort: opts.basePort, include: opts.include });
  }, 180_000);
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(() => {
    process.off('exit', killOnExit);
    if (!lab) return;
    stopLab(lab, { keepRoot: failed });
    if (failed) console.error(`lab logs kept in ${lab.root}/logs`);
  }, 60_000);
  return () => {
    if (!lab) throw new Error('lab not started');
    return lab;
  };
}

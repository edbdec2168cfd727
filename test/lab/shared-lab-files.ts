/** What the shared lab's setup (main process) and the lab files (test workers) agree on. */
import { existsSync } from 'node:fs';
import { LAB_TOOLS } from '../../scripts/lab/tools';
import { findTool, haveTools } from '../real-tools/tools';

/** First port of the shared lab; the lab takes about 40 from here. */
export const LAB_BASE_PORT = 23000;
/**
 * The shared lab's Kafka cluster ID. It begins with '-', as 1 generated ID in 64 does: forced, so every run
 * formats and serves on such an ID rather than by luck (test/lab/kafka-cluster-id.lab.test.ts).
 */
export const LAB_KAFKA_CLUSTER_ID = '-fX0uk1PAQTOsccHQ2WRmg';
/** In the lab root: the bring-up's outcome, written once. */
export const BRING_UP_FILE = 'bring-up.json';
/** In the lab root: present when bring-up or a lab test failed, so the folder and its logs are kept. */
export const FAILED_FILE = 'failed';
/** Set in vitest's main process for the timing reporter. */
export const LAB_ROOT_ENV = 'DP_TEST_LAB_ROOT';

export type BringUp =
  | { readonly ok: true; readonly seconds: number; readonly nodes: number }
  | { readonly ok: false; readonly seconds: number; readonly error: string };

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

/** Where scripts/lab/setup.sh installs the lab's servers and tools. */
const home = process.env.LAB_HOME ?? '/opt/dataplatform';

export const LAB_TOOLS = {
  home,
  pgBin: process.env.LAB_PG_BIN ?? '/usr/lib/postgresql/15/bin',
  patroni: `${home}/patroni-venv/bin/patroni`,
  patronictl: `${home}/patroni-venv/bin/patronictl`,
  etcd: '/usr/bin/etcd',
  haproxy: '/usr/sbin/haproxy',
  pgbouncer: '/usr/sbin/pgbouncer',
  prometheus: '/usr/bin/prometheus',
  alertmanager: '/usr/bin/prometheus-alertmanager',
  postgresExporter: `${home}/bin/postgres_exporter`,
  pgbouncerExporter: `${home}/bin/pgbouncer_exporter`,
  versitygw: `${home}/bin/versitygw`,
  /** Debian's AWS CLI v2, the bucket job's S3 client. */
  aws: '/usr/bin/aws',
  java: process.env.JAVA ?? 'java',
  kafkaLibs: `${home}/kafka-libs`,
  connectPlugins: `${home}/connect-plugins`,
  jmxAgent: `${home}/jmx-exporter/jmx_prometheus_javaagent.jar`,
} as const;

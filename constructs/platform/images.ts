import type { ImageRef } from './node-spec';

/**
 * Every image the platform runs, pinned. No image can be pulled where this
 * project is built, so each pin records where its existence was seen
 * (shared/IMAGES.md, verified November 2026). Re-check before bumping.
 */
export const IMAGES = {
  /** Upstream etcd release images; distroless, no shell. Same tag on quay.io/coreos/etcd. */
  etcd: { repository: 'gcr.io/etcd-development/etcd', tag: 'v3.6.15' },
  /**
   * Zalando Spilo: Patroni 4.0.4 on PostgreSQL 17, maintained by the team behind
   * Patroni and the Zalando operator (spilo git tag 4.0-p3, Dockerfile PATRONIVERSION=4.0.4).
   * We run Patroni directly on our own patroni.yml instead of Spilo's launcher.
   */
  patroni: { repository: 'ghcr.io/zalando/spilo-17', tag: '4.0-p3' },
  /** Official image, 3.2 LTS line; Debian based, so bash is there for the healthcheck. */
  haproxy: { repository: 'haproxy', tag: '3.2.25' },
  /** Alpine, uid 70, ships pg_isready; only writes its own ini when none is mounted. */
  pgbouncer: { repository: 'edoburu/pgbouncer', tag: 'v1.25.2-p0' },
  /** Official Apache image (4.4.0 exists, but only its docs were seen); appuser, /opt/kafka, no curl or wget. */
  kafka: { repository: 'apache/kafka', tag: '4.3.1' },
  /**
   * Debezium's Kafka Connect image, on quay (Docker Hub's debezium/connect stopped at
   * 3.0.0.Final; fallback pin 3.6.3.Final). User kafka, KAFKA_HOME=/kafka, curl included.
   */
  debeziumConnect: { repository: 'quay.io/debezium/connect', tag: '3.7.0.Final' },
  /** Official image, 8.0 line; mongod runs as uid 999; the entrypoint does not chown the keyfile. */
  mongo: { repository: 'mongo', tag: '8.0.32-noble' },
  /** Official image, 26.8 LTS line; uid 101, wget included (health on /ping). */
  clickhouse: { repository: 'clickhouse/clickhouse-server', tag: '26.8.19.9' },
  /** Standalone Keeper, same release as the server. */
  clickhouseKeeper: { repository: 'clickhouse/clickhouse-keeper', tag: '26.8.19.9' },
  /**
   * VersityGW, the S3 server over a POSIX directory (Apache-2.0). Tag v1.8.0 is pinned by public
   * projects, also by ghcr digest sha256:30292fc2eeacc67a36993b01f7a7a5e3361a19cced0e80c1d71cfa2a4b0a2499
   * (shared/IMAGES.md, seen 2026-12). Dockerfile at v1.8.0: Alpine base (busybox wget), runs as root,
   * entrypoint passes its arguments to `versitygw`.
   */
  versitygw: { repository: 'docker.io/versity/versitygw', tag: 'v1.8.0' },
  /**
   * AWS CLI v2 for the bucket job. Entrypoint /usr/local/bin/aws on Amazon Linux 2 (images derived
   * from it use yum and shell entrypoints), so the job overrides the entrypoint with bash. 2.17.36 is
   * pinned beside versitygw:v1.8.0 in a public repository's S3 test harness (seen 2026-12).
   */
  awsCli: { repository: 'amazon/aws-cli', tag: '2.17.36' },
  /** Busybox base, runs as nobody; entrypoint is the binary, so a command is its flags. */
  prometheus: { repository: 'prom/prometheus', tag: 'v3.15.0' },
  /** Busybox base; entrypoint is the binary. */
  alertmanager: { repository: 'prom/alertmanager', tag: 'v0.34.1' },
  /** grafana/grafana (grafana-oss is deprecated); Alpine with curl. */
  grafana: { repository: 'grafana/grafana', tag: '13.2.3' },
  /** prometheus-community's exporter; 0.20 renamed the replication slot metrics to pg_replication_slots_*. */
  postgresExporter: { repository: 'quay.io/prometheuscommunity/postgres-exporter', tag: 'v0.20.1' },
  /** prometheus-community's exporter (Dockerfile at v0.12.1: busybox base, entrypoint the binary). */
  pgbouncerExporter: { repository: 'prometheuscommunity/pgbouncer-exporter', tag: 'v0.12.1' },
  /** Percona's exporter; tags have no `v`. FROM scratch (Dockerfile at v0.53.0): no shell. */
  mongodbExporter: { repository: 'percona/mongodb_exporter', tag: '0.53.0' },
  /** Consumer lag and partition state; busybox base (Dockerfile at v1.9.0). */
  kafkaExporter: { repository: 'danielqsj/kafka-exporter', tag: 'v1.9.0' },
  /**
   * Where backup jobs record their last success (platform/backup-status.ts). v1.11.3 is pinned by
   * several public stacks beside prom/prometheus v3 (seen 2026-12); prom images are busybox-based.
   */
  pushgateway: { repository: 'prom/pushgateway', tag: 'v1.11.3' },
  /** Probes the object store's /health (VersityGW has no metrics endpoint); pinned by public stacks (seen 2026-12). */
  blackboxExporter: { repository: 'prom/blackbox-exporter', tag: 'v0.28.0' },
  /** Container metrics for the Docker target (deploy/Dockerfile at v0.60.5: Alpine, healthcheck.sh). */
  cadvisor: { repository: 'ghcr.io/google/cadvisor', tag: 'v0.60.5' },
} as const satisfies Record<string, ImageRef>;

export function imageName(image: ImageRef): string {
  return `${image.repository}:${image.tag}`;
}

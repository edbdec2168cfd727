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
} as const satisfies Record<string, ImageRef>;

export function imageName(image: ImageRef): string {
  return `${image.repository}:${image.tag}`;
}

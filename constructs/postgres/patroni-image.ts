import type { ImageRef } from '../platform/node-spec';

/**
 * The Patroni image with pgBackRest. Spilo 4.0-p3 ships WAL-G only, and the
 * images that ship Patroni with pgBackRest bring another distribution and
 * extension set, so the targets build this small layer on the pinned Spilo.
 * Spilo's own Dockerfile leaves the PGDG apt repository configured, which has
 * pgBackRest. Not built here (no image can be pulled or built on this machine):
 * the rendered text is tested, the build is not.
 */
export function renderPatroniDockerfile(base: ImageRef): string {
  return [
    `FROM ${base.repository}:${base.tag}`,
    // The newest pgBackRest of PGDG's repository; repository format 5 as Debian's 2.45 in the lab.
    'RUN apt-get update \\',
    ' && apt-get install -y --no-install-recommends pgbackrest \\',
    ' && rm -rf /var/lib/apt/lists/* \\',
    ' && pgbackrest version',
    '',
  ].join('\n');
}

/** The derived image as nodes name it: tagged after its base, built by the target. */
export function patroniImage(base: ImageRef): ImageRef {
  return {
    repository: 'dataplatform/patroni-pgbackrest',
    tag: `${base.tag}-pgbackrest`,
    build: { dockerfile: renderPatroniDockerfile(base) },
  };
}

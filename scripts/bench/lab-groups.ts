/**
 * The lab nodes a Postgres benchmark starts. The object store and the stanza job belong with Patroni: every
 * member archives WAL (archive_mode on), and without them each archive_command fails and the bench found no
 * steady state after its first switchover.
 */
export const POSTGRES_CORE: readonly string[] = ['etcd', 'patroni', 'haproxy', 'pgbouncer', 'versitygw', 'pgbackrest'];

import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../constructs/platform/validation';
import { dockerPlatform } from '../helpers';

/** Each rule: the setting it names, the range it states, and that it throws a ValidationError at construction. */
function rejects(settings: Parameters<typeof dockerPlatform>[0], message: RegExp): void {
  expect(() => dockerPlatform(settings)).toThrow(ValidationError);
  expect(() => dockerPlatform(settings)).toThrow(message);
}

describe('settings validation', () => {
  it('accepts the defaults', () => {
    expect(
      dockerPlatform()
        .nodes.map((n) => n.name)
        .slice(0, 9),
    ).toEqual([
      'versitygw',
      'etcd-1',
      'etcd-2',
      'etcd-3',
      'patroni-1',
      'patroni-2',
      'patroni-3',
      'haproxy',
      'pgbouncer',
    ]);
  });

  it.each([0, 2, 4, -1, 1.5])('rejects an etcd member count of %s', (members) => {
    rejects(
      { etcd: { members } },
      /^etcd\.members must be an odd number ≥ 1 \(got .+\): an even count adds no fault tolerance$/,
    );
  });

  it('accepts 1 and 5 etcd members', () => {
    expect(dockerPlatform({ etcd: { members: 1 } }).nodes.filter((n) => n.component === 'etcd')).toHaveLength(1);
    expect(dockerPlatform({ etcd: { members: 5 } }).nodes.filter((n) => n.component === 'etcd')).toHaveLength(5);
  });

  it('rejects fewer than 2 Patroni members in synchronous mode, and allows 1 without it', () => {
    rejects(
      { postgres: { patroni: { members: 1 } } },
      /postgres\.patroni\.members must be ≥ 2 when synchronousMode is on \(got 1\)/,
    );
    expect(
      dockerPlatform({ postgres: { patroni: { members: 1, synchronousMode: false } } }).nodes.filter(
        (n) => n.component === 'patroni',
      ),
    ).toHaveLength(1);
  });

  it('rejects loop_wait + 2 × retry_timeout > ttl', () => {
    rejects(
      { postgres: { patroni: { ttl: 20, loopWait: 5, retryTimeout: 8 } } },
      /postgres\.patroni: loopWait \+ 2 × retryTimeout must be ≤ ttl \(got 5 \+ 2 × 8 = 21 > 20\)/,
    );
    // The boundary itself is allowed.
    expect(() => dockerPlatform({ postgres: { patroni: { ttl: 20, loopWait: 4, retryTimeout: 8 } } })).not.toThrow();
  });

  it('rejects a ttl Patroni would silently raise', () => {
    rejects(
      { postgres: { patroni: { ttl: 10, loopWait: 2, retryTimeout: 4 } } },
      /postgres\.patroni\.ttl must be an integer ≥ 20 \(got 10\)/,
    );
  });

  it('rejects a retry_timeout below Patroni’s minimum', () => {
    rejects(
      { postgres: { patroni: { retryTimeout: 2 } } },
      /postgres\.patroni\.retryTimeout must be an integer ≥ 3 \(got 2\)/,
    );
  });

  it('rejects two nodes publishing the same host port', () => {
    rejects(
      { postgres: { pgbouncer: { hostPort: 5000 } } },
      /host port 5000 is published by both haproxy and pgbouncer \(pgbouncer\): every published host port must be unique/,
    );
    rejects(
      { postgres: { patroni: { restHostPortBase: 4999 } } },
      /host port 5000 is published by both patroni-2 and haproxy/,
    );
  });

  it.each(['latest', '', 'stable'])('rejects the unpinned image tag %j', (tag) => {
    rejects(
      { etcd: { image: { repository: 'quay.io/coreos/etcd', tag } } },
      /etcd\.image 'quay\.io\/coreos\/etcd:.*' is not pinned: use a release tag/,
    );
    rejects(
      { postgres: { haproxy: { image: { repository: 'haproxy', tag } } } },
      /postgres\.haproxy\.image .* is not pinned/,
    );
  });

  it('rejects duplicate and malformed slot names', () => {
    rejects(
      {
        postgres: {
          patroni: {
            logicalSlots: [
              { name: 'cdc', database: 'app' },
              { name: 'cdc', database: 'app' },
            ],
          },
        },
      },
      /slot name 'cdc' is declared twice/,
    );
    rejects(
      { postgres: { patroni: { logicalSlots: [{ name: 'Bad-Name', database: 'app' }] } } },
      /logicalSlots\[Bad-Name\]\.name 'Bad-Name' must be a lower-case SQL identifier/,
    );
  });

  it('rejects a PgBouncer pool larger than Postgres max_connections', () => {
    rejects(
      { postgres: { pgbouncer: { poolSize: 500 } } },
      /postgres\.pgbouncer\.poolSize must be an integer between 1 and 200 \(got 500\)/,
    );
  });
});

import { Construct } from 'constructs';
import { platformOf, monitoringOf } from '../platform/context';
import { IMAGES } from '../platform/images';
import type { Endpoint, ImageRef, NodeSpec } from '../platform/node-spec';
import { checkInt, checkOddCount, checkPinned } from '../platform/validation';
import { ETCD_CLIENT_PORT, ETCD_PEER_PORT, renderEtcdConfig } from './etcd-config';

const ETCD_PLAINTEXT = "etcd's client and peer TLS is not built yet (issue 11)";
import { etcdMonitoring } from './etcd-monitoring';

export interface EtcdClusterProps {
  /**
   * Number of members. Must be odd: an even count adds no fault tolerance
   * and makes quorum loss more likely.
   * @default 3
   */
  readonly members?: number;
  /** @default IMAGES.etcd */
  readonly image?: ImageRef;
  /** Memory limit per member. @default 64 */
  readonly memoryMb?: number;
}

const CONFIG_PATH = '/etc/etcd/etcd.yml';
const DATA_DIR = '/var/lib/etcd';

/** The DCS Patroni elects its leader through. */
export class EtcdCluster extends Construct {
  readonly nodes: readonly NodeSpec[];
  /** Client endpoints, as Patroni members reach them. */
  readonly clientEndpoints: readonly Endpoint[];

  constructor(scope: Construct, id: string, props: EtcdClusterProps = {}) {
    super(scope, id);
    const platform = platformOf(this);
    const p = platform.placement;
    const count = checkOddCount('etcd.members', props.members ?? 3);
    const image = checkPinned('etcd.image', props.image ?? IMAGES.etcd);
    const memoryMb = checkInt('etcd.memoryMb', props.memoryMb ?? 64, { min: 64 });
    const members = Array.from({ length: count }, (_, i) => `etcd-${i + 1}`);

    this.nodes = members.map((member) => ({
      name: member,
      component: 'etcd',
      role: 'member',
      image,
      command: ['/usr/local/bin/etcd', `--config-file=${CONFIG_PATH}`],
      env: {},
      files: [
        {
          path: CONFIG_PATH,
          content: renderEtcdConfig({
            members,
            member,
            clusterToken: `${platform.platformId}-etcd`,
            dataDir: p.path(member, DATA_DIR),
            placement: p,
          }),
        },
      ],
      ports: [
        { name: 'client', port: p.port(member, 'client', ETCD_CLIENT_PORT), plaintext: ETCD_PLAINTEXT },
        { name: 'peer', port: p.port(member, 'peer', ETCD_PEER_PORT), plaintext: ETCD_PLAINTEXT },
      ],
      volumes: [{ name: 'data', path: DATA_DIR }],
      stateful: true,
      // Distroless image: no shell, so the check is etcdctl itself. It passes once the member serves a quorum read.
      health: {
        test: [
          'CMD',
          '/usr/local/bin/etcdctl',
          `--endpoints=http://127.0.0.1:${ETCD_CLIENT_PORT}`,
          'endpoint',
          'health',
        ],
        startPeriodSeconds: 20,
      },
      memoryMb,
      dependsOn: [],
    }));
    this.clientEndpoints = members.map((m) => ({ host: p.host(m), port: p.port(m, 'client', ETCD_CLIENT_PORT) }));
    platform.addNodes(this.nodes);
    monitoringOf(this).register(etcdMonitoring(this.nodes));
  }
}

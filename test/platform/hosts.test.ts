import { describe, expect, it } from 'vitest';
import { machinesOf, OPS_HOST } from '../../constructs/platform/hosts';
import type { NodeSpec } from '../../constructs/platform/node-spec';

const node = (name: string, extra: Partial<NodeSpec> = {}): NodeSpec => ({
  name,
  component: name.replace(/-\d+$/, ''),
  role: 'member',
  image: { repository: 'example/server', tag: '1.0.0' },
  env: {},
  files: [],
  ports: [],
  volumes: [],
  stateful: false,
  health: { test: ['CMD', 'true'] },
  memoryMb: 64,
  dependsOn: [],
  ...extra,
});
const job = (name: string, extra: Partial<NodeSpec> = {}) => {
  const n = { ...node(name, { oneShot: true, ...extra }) };
  delete (n as { health?: unknown }).health;
  return n;
};
const layout = (nodes: NodeSpec[]) => machinesOf(nodes).map((m) => [m.name, m.nodes.map((n) => n.name)]);

describe('machines (NodeSpec.host)', () => {
  it('gives each node a machine of its own by default, and jobs the ops machine', () => {
    expect(layout([node('db-1'), node('db-2'), job('db-init')])).toEqual([
      ['db-1', ['db-1']],
      ['db-2', ['db-2']],
      [OPS_HOST, ['db-init']],
    ]);
  });

  it('follows chains to the anchor, forward references included, keeping platform order', () => {
    const nodes = [
      node('exporter', { host: 'pooler' }),
      node('router', { host: OPS_HOST }),
      node('pooler', { host: 'router' }),
      node('etcd-1'),
      node('db-1', { host: 'etcd-1' }),
    ];
    expect(layout(nodes)).toEqual([
      [OPS_HOST, ['exporter', 'router', 'pooler']],
      ['etcd-1', ['etcd-1', 'db-1']],
    ]);
    expect(machinesOf(nodes)[1]!.anchor?.name).toBe('etcd-1');
    expect(machinesOf(nodes)[0]!.anchor).toBeUndefined();
  });

  it('rejects a host that names no node', () => {
    expect(() => machinesOf([node('exporter', { host: 'db-9' })])).toThrow(
      "node 'exporter' has host 'db-9', which is neither a node nor 'ops': name the node whose machine it shares",
    );
  });

  it('rejects a loop', () => {
    expect(() => machinesOf([node('a', { host: 'b' }), node('b', { host: 'a' })])).toThrow(
      'nodes a → b → a name each other as host: break the loop',
    );
  });

  it('rejects a job as the machine to share', () => {
    expect(() => machinesOf([job('init'), node('exporter', { host: 'init' })])).toThrow(
      "node 'exporter' has host 'init', a one-shot job: a job has no machine to share, name a service or 'ops'",
    );
  });

  it('reserves the name of the ops machine', () => {
    expect(() => machinesOf([node(OPS_HOST)])).toThrow(/node name 'ops' is reserved/);
  });
});

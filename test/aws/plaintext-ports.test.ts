import { describe, expect, it } from 'vitest';
import type { NodeSpec } from '../../constructs/platform/node-spec';
import { checkPlaintextPorts } from '../../constructs/targets/aws/plaintext-ports';

const node = (name: string, component: string, ports: NodeSpec['ports']): NodeSpec => ({
  name,
  component,
  role: 'member',
  image: { repository: 'example/server', tag: '1.0.0' },
  env: {},
  files: [],
  ports,
  volumes: [],
  stateful: false,
  memoryMb: 128,
  dependsOn: [],
});
const nodes = [
  node('kafka-1', 'kafka', [
    { name: 'client', port: 9092 },
    { name: 'jmx', port: 9404, plaintext: 'the JMX agent serves HTTP' },
  ]),
  node('kafka-2', 'kafka', [{ name: 'jmx', port: 9404, plaintext: 'the JMX agent serves HTTP' }]),
];

describe('AWS guardrail on plaintext ports', () => {
  it('refuses a plaintext port, with its reason and the setting that allows it', () => {
    expect(() => checkPlaintextPorts(nodes, [])).toThrow(
      'plaintext listeners on AWS: kafka:jmx on kafka-1, kafka-2 (the JMX agent serves HTTP). ' +
        "Allow each by adding '<component>:<port>' (or '<node>:<port>') to aws.allowPlaintext, e.g. 'kafka:jmx'",
    );
  });

  it('takes an allowance by component or by node', () => {
    expect(() => checkPlaintextPorts(nodes, ['kafka:jmx'])).not.toThrow();
    expect(() => checkPlaintextPorts(nodes, ['kafka-1:jmx'])).toThrow(/kafka:jmx on kafka-2 /);
    expect(() => checkPlaintextPorts(nodes, ['kafka-1:jmx', 'kafka-2:jmx'])).not.toThrow();
  });

  it('refuses an allowance that names no plaintext port', () => {
    expect(() => checkPlaintextPorts(nodes, ['kafka:jmx', 'kafka:client', 'mongo:jmx'])).toThrow(
      'aws.allowPlaintext names kafka:client, mongo:jmx, which is no plaintext port of the platform: remove them',
    );
  });
});

/** The AWS driver, with the SDK clients' send() stubbed: no request leaves the machine. */
import { DescribeInstancesCommand, EC2Client, StartInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { describe, expect, it, vi } from 'vitest';
import type { ManifestNode } from '../../constructs/platform/topology';
import { AwsDriver, sendCommandInput } from '../../scripts/chaos/drivers/aws';

const node = (handle: ManifestNode['handle'] = { instanceId: 'i-0abc' }): ManifestNode => ({
  name: 'patroni-1',
  component: 'patroni',
  role: 'member',
  handle,
  endpoints: {},
});

const offline = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

/** Clients whose send() answers from `reply` and records each command's class name and input. */
function stubbed(reply: (command: object) => unknown): { driver: AwsDriver; sent: [string, unknown][] } {
  const sent: [string, unknown][] = [];
  const ssm = new SSMClient(offline);
  const ec2 = new EC2Client(offline);
  for (const client of [ssm, ec2]) {
    vi.spyOn(client, 'send').mockImplementation((async (command: { input: unknown }) => {
      sent.push([command.constructor.name, command.input]);
      const answer = reply(command);
      if (answer instanceof Error) throw answer;
      return answer;
    }) as never);
  }
  return { driver: new AwsDriver({ ssm, ec2 }), sent };
}

/** An account where every command succeeds and instances reach the state asked for. */
function succeeding(): (command: object) => unknown {
  let state = 'running';
  return (command) => {
    if (command instanceof SendCommandCommand) return { Command: { CommandId: 'cmd-1' } };
    if (command instanceof GetCommandInvocationCommand) return { Status: 'Success', ResponseCode: 0 };
    if (command instanceof StopInstancesCommand) state = 'stopped';
    if (command instanceof StartInstancesCommand) state = 'running';
    if (command instanceof DescribeInstancesCommand) {
      return { Reservations: [{ Instances: [{ InstanceId: 'i-0abc', State: { Name: state } }] }] };
    }
    return {};
  };
}

describe('sendCommandInput', () => {
  it('runs the Docker command on the instance with AWS-RunShellScript, bounded', () => {
    expect(sendCommandInput('kill', 'i-0abc', 'patroni-1')).toEqual({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: ['i-0abc'],
      Parameters: { commands: ['docker kill patroni-1'], executionTimeout: ['60'] },
      TimeoutSeconds: 300,
      Comment: 'chaos: kill patroni-1',
    });
  });

  it('quotes the container name for the shell', () => {
    expect(sendCommandInput('pause', 'i-0abc', 'a b;rm')).toMatchObject({
      Parameters: { commands: ["docker pause 'a b;rm'"] },
    });
  });
});

describe('AwsDriver', () => {
  it('kills the container named after the node, and waits for the command to finish', async () => {
    const { driver, sent } = stubbed(succeeding());
    await driver.act('kill', node());
    expect(sent).toEqual([
      ['SendCommandCommand', sendCommandInput('kill', 'i-0abc', 'patroni-1')],
      ['GetCommandInvocationCommand', { CommandId: 'cmd-1', InstanceId: 'i-0abc' }],
    ]);
  });

  it('uses the container the manifest names, if any', async () => {
    const { driver, sent } = stubbed(succeeding());
    await driver.act('resume', node({ instanceId: 'i-0abc', container: 'pg' }));
    expect(sent[0]![1]).toMatchObject({ Parameters: { commands: ['docker unpause pg'] } });
  });

  it('stops the instance and waits until it is stopped', async () => {
    const { driver, sent } = stubbed(succeeding());
    await driver.act('stop', node());
    expect(sent.map(([name]) => name)).toEqual(['StopInstancesCommand', 'DescribeInstancesCommand']);
    expect(sent[0]![1]).toEqual({ InstanceIds: ['i-0abc'] });
  });

  it('starts the instance, then the container', async () => {
    const { driver, sent } = stubbed(succeeding());
    await driver.act('start', node());
    expect(sent.map(([name]) => name)).toEqual([
      'StartInstancesCommand',
      'DescribeInstancesCommand',
      'SendCommandCommand',
      'GetCommandInvocationCommand',
    ]);
    expect(sent[2]![1]).toMatchObject({ Parameters: { commands: ['docker start patroni-1'] } });
  });

  it('reports a failed command with its exit code and stderr', async () => {
    const account = succeeding();
    const { driver } = stubbed((command) =>
      command instanceof GetCommandInvocationCommand
        ? { Status: 'Failed', ResponseCode: 1, StandardErrorContent: 'Error: No such container: patroni-1\n' }
        : account(command),
    );
    await expect(driver.act('kill', node())).rejects.toThrow(
      "'docker kill patroni-1' on i-0abc (SSM command cmd-1) ended Failed with exit code 1: Error: No such container: patroni-1",
    );
  });

  it('rejects a partition, saying why', async () => {
    const { driver, sent } = stubbed(succeeding());
    await expect(driver.act('disconnect', node())).rejects.toThrow(/'disconnect' is not supported: .*host's network/);
    expect(sent).toEqual([]);
  });

  it('rejects a node without an instance ID', async () => {
    const { driver } = stubbed(succeeding());
    await expect(driver.act('kill', node({ pid: 1 }))).rejects.toThrow(/node patroni-1 has no instanceId/);
  });
});

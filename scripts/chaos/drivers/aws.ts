/**
 * The AWS target's driver. Each node is a container on an EC2 instance,
 * both named in the manifest (handle.instanceId, handle.container); several
 * nodes may share an instance (an exporter beside its server, the ops
 * machine). Actions:
 *
 * - kill / pause / resume / restart: the Docker driver's commands, run on the instance by SSM Run
 *   Command (AWS-RunShellScript; the platform's instances are reached through SSM only, no SSH).
 * - stop: EC2 StopInstances, waiting until the instance is stopped: the whole host goes away, with
 *   every node that shares it (the manifest lists them under the same instanceId).
 * - start: EC2 StartInstances, waiting until it runs, then `docker start` on it, so it undoes a stop
 *   as well as a kill (Docker leaves a killed container down whatever its restart policy says); the
 *   other containers of a stopped instance come back by their restart policy (unless-stopped).
 * - disconnect / connect: not supported. Containers use the host's network, so there is no Docker
 *   network to leave. The way left is swapping the instance's security groups, and it is not done
 *   here: it cuts every node sharing the instance (and SSM's own agent traffic, so a connect could
 *   not be sent by the path it relies on), security groups are stateful (open connections would
 *   survive the swap, so it would not be a partition anyway), and a run that dies before connect
 *   would leave a production instance cut off with no one to put it back.
 *
 * The operator needs ssm:SendCommand and ssm:GetCommandInvocation on the instances and
 * AWS-RunShellScript, and ec2:StopInstances, ec2:StartInstances and ec2:DescribeInstances.
 */
import {
  EC2Client,
  StartInstancesCommand,
  StopInstancesCommand,
  waitForInstanceRunning,
  waitForInstanceStopped,
} from '@aws-sdk/client-ec2';
import {
  SendCommandCommand,
  SSMClient,
  waitForCommandExecuted,
  type GetCommandInvocationCommandOutput,
  type SendCommandCommandInput,
} from '@aws-sdk/client-ssm';
import { quote } from 'shell-quote';
import type { ManifestNode } from '../../../constructs/platform/topology';
import type { Driver, FaultAction } from '../types';
import { dockerCommand, STOP_GRACE_SECONDS } from './docker';

/** Seconds SSM may take to hand the command to the instance's agent (it comes online a while after a boot). */
export const DELIVERY_TIMEOUT_SECONDS = 300;
/** Seconds the command may run on the instance: a graceful restart plus margin. */
export const EXECUTION_TIMEOUT_SECONDS = STOP_GRACE_SECONDS + 50;
/** Seconds an instance may take to stop or start. */
export const INSTANCE_TIMEOUT_SECONDS = 600;

/** The SSM Run Command request that runs the Docker command for `action` on the node's instance. */
export function sendCommandInput(action: FaultAction, instanceId: string, container: string): SendCommandCommandInput {
  return {
    DocumentName: 'AWS-RunShellScript',
    InstanceIds: [instanceId],
    Parameters: {
      commands: [quote(dockerCommand(action, container))],
      executionTimeout: [String(EXECUTION_TIMEOUT_SECONDS)],
    },
    TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
    Comment: `chaos: ${action} ${container}`.slice(0, 100),
  };
}

/** The EC2 request input for stopping or starting one instance (the same shape for both). */
export function instancesInput(instanceId: string): { InstanceIds: string[] } {
  return { InstanceIds: [instanceId] };
}

export interface AwsDriverOptions {
  /** @default a client from the SDK's default region and credential chain */
  readonly ssm?: SSMClient;
  /** @default a client from the SDK's default region and credential chain */
  readonly ec2?: EC2Client;
}

export class AwsDriver implements Driver {
  readonly name = 'aws';
  private readonly ssm: SSMClient;
  private readonly ec2: EC2Client;

  constructor(opts: AwsDriverOptions = {}) {
    this.ssm = opts.ssm ?? new SSMClient({});
    this.ec2 = opts.ec2 ?? new EC2Client({});
  }

  async act(action: FaultAction, node: ManifestNode): Promise<void> {
    const instanceId = node.handle.instanceId;
    if (!instanceId) throw new Error(`aws driver: node ${node.name} has no instanceId in the manifest`);
    const container = node.handle.container ?? node.name;
    switch (action) {
      case 'disconnect':
      case 'connect':
        throw new Error(
          `aws driver: '${action}' is not supported: containers use the host's network, so there is no ` +
            `network to take ${node.name} off, and a security-group swap is not done: it would cut every node ` +
            `on the instance and its SSM agent, leave open connections alive (security groups are stateful), ` +
            `and a run that dies before 'connect' would leave the instance cut off. Run partitions on the lab`,
        );
      case 'stop':
        return this.instance('stop', instanceId);
      case 'start':
        await this.instance('start', instanceId);
        return this.docker('start', instanceId, container);
      default:
        return this.docker(action, instanceId, container);
    }
  }

  private async docker(action: FaultAction, instanceId: string, container: string): Promise<void> {
    const input = sendCommandInput(action, instanceId, container);
    const sent = await this.ssm.send(new SendCommandCommand(input));
    const commandId = sent.Command?.CommandId;
    if (!commandId) throw new Error(`aws driver: SSM returned no command ID for '${input.Comment}'`);
    const result = await waitForCommandExecuted(
      { client: this.ssm, maxWaitTime: DELIVERY_TIMEOUT_SECONDS + EXECUTION_TIMEOUT_SECONDS, minDelay: 1, maxDelay: 5 },
      { CommandId: commandId, InstanceId: instanceId },
    );
    const invocation = result.reason as Partial<GetCommandInvocationCommandOutput> | undefined;
    if (result.state !== 'SUCCESS') {
      throw new Error(
        `aws driver: '${input.Parameters!.commands![0]}' on ${instanceId} (SSM command ${commandId}) ended ` +
          `${invocation?.Status ?? result.state}` +
          (invocation?.ResponseCode !== undefined ? ` with exit code ${invocation.ResponseCode}` : '') +
          (invocation?.StandardErrorContent ? `: ${invocation.StandardErrorContent.trim()}` : ''),
      );
    }
  }

  private async instance(action: 'stop' | 'start', instanceId: string): Promise<void> {
    const input = instancesInput(instanceId);
    await this.ec2.send(action === 'stop' ? new StopInstancesCommand(input) : new StartInstancesCommand(input));
    const waiter = action === 'stop' ? waitForInstanceStopped : waitForInstanceRunning;
    const result = await waiter(
      { client: this.ec2, maxWaitTime: INSTANCE_TIMEOUT_SECONDS, minDelay: 5, maxDelay: 15 },
      input,
    );
    if (result.state !== 'SUCCESS') {
      throw new Error(
        `aws driver: instance ${instanceId} did not ${action} within ${INSTANCE_TIMEOUT_SECONDS} s (waiter: ${result.state})`,
      );
    }
  }
}

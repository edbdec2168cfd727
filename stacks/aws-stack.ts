import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';

export interface AwsStackProps {
  /** @default 'eu-west-1' */
  readonly region?: string;
}

/**
 * The platform on AWS (`cdktf deploy aws`). Until the AWS target exists this
 * stack holds only its provider, so that `cdktf synth` covers both stacks and
 * deploys nothing.
 */
export class AwsStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: AwsStackProps = {}) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: props.region ?? 'eu-west-1' });
  }
}

// First: it must run before cdktf loads (see there).
import './stacks/synth-process';
import { App } from 'cdktf';
import { AwsStack } from './stacks/aws-stack';
import { LocalStack } from './stacks/local-stack';

// Settings live in code: every default is documented on the props it belongs to
// (constructs/*/…Props) and listed in the README. Override them here.
const app = new App();
new LocalStack(app, 'local');
// The state bucket is per account, so it comes from the environment (README, "AWS").
new AwsStack(app, 'aws', { state: { bucket: process.env.DP_STATE_BUCKET } });
app.synth();

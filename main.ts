import { App } from 'cdktf';
import { AwsStack } from './stacks/aws-stack';
import { LocalStack } from './stacks/local-stack';

// Settings live in code: every default is documented on the props it belongs to
// (constructs/*/…Props) and listed in the README. Override them here.
const app = new App();
new LocalStack(app, 'local');
new AwsStack(app, 'aws');
app.synth();

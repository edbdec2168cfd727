/**
 * `npm run cost`: the monthly cost estimate of the default aws stack (README, "Monthly cost"),
 * or of a variant: `npm run cost -- --nat-per-az --vpc-endpoints --detailed-monitoring`.
 */
import { Testing } from 'cdktf';
import { estimateMonthlyCost, renderCostTable } from '../../constructs/targets/aws/cost';
import { AwsStack } from '../../stacks/aws-stack';

const flag = (name: string) => process.argv.includes(`--${name}`);
const stack = new AwsStack(Testing.app(), 'aws', {
  aws: {
    natPerAz: flag('nat-per-az'),
    vpcEndpoints: flag('vpc-endpoints'),
    detailedMonitoring: flag('detailed-monitoring'),
  },
});
process.stdout.write(renderCostTable(estimateMonthlyCost(JSON.parse(Testing.synth(stack)))));

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRICES, estimateMonthlyCost, renderCostTable } from '../../constructs/targets/aws/cost';
import { synthAws } from './helpers';

const tf = synthAws();

describe('monthly cost estimate', () => {
  it('is what the README shows for the default stack (npm run cost)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = readme.match(/<!-- aws-cost -->\n([\s\S]*?)<!-- \/aws-cost -->/)?.[1];
    expect(block, 'README.md has no <!-- aws-cost --> block').toBeDefined();
    expect(block).toBe(renderCostTable(estimateMonthlyCost(tf)));
  });

  it('counts what the stack creates: every instance by its type, every volume, the alarms', () => {
    const lines = estimateMonthlyCost(tf);
    const instances = Object.values(tf.resource.aws_instance as Record<string, any>);
    const ec2 = lines.find((l) => l.item.startsWith('EC2:'))!;
    expect(ec2.item).toBe(`EC2: ${instances.length} instances`);
    const expected = instances.reduce((sum, i) => sum + PRICES.instanceHour[i.instance_type]! * 730, 0);
    expect(ec2.monthly).toBeCloseTo(expected, 6);
    expect(lines.find((l) => l.item.startsWith('Secrets'))!.detail).toContain(`${instances.length} recovery alarms`);
  });

  it('refuses an instance type it has no price for, naming where to add one', () => {
    const odd = structuredClone(tf);
    Object.values(odd.resource.aws_instance as Record<string, any>)[0].instance_type = 'r7i.large';
    expect(() => estimateMonthlyCost(odd)).toThrow(
      /no price for instance type r7i.large: add it to PRICES.instanceHour/,
    );
  });
});

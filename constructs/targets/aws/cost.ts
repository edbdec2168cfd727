/**
 * A monthly cost estimate of a synthesized aws stack, from the resources in
 * its Terraform JSON and the price table below. `npm run cost` prints it for
 * the default stack; the README's table is this output, and a test keeps it so.
 */

/**
 * On-demand list prices in USD, EU (Ireland), Linux. Source: the AWS pricing pages
 * (aws.amazon.com/ec2/pricing/on-demand, /ebs/pricing, /vpc/pricing, /secrets-manager/pricing,
 * /kms/pricing, /route53/pricing, /cloudwatch/pricing, /s3/pricing, /ec2/pricing/on-demand
 * "Data Transfer"). Recorded 2026-12-01 without network access, so not re-read that day: re-check
 * them, e.g. `aws pricing get-products --region us-east-1 --service-code AmazonEC2 --filters
 * Type=TERM_MATCH,Field=regionCode,Value=eu-west-1 Type=TERM_MATCH,Field=instanceType,Value=t3.small
 * Type=TERM_MATCH,Field=operatingSystem,Value=Linux Type=TERM_MATCH,Field=tenancy,Value=Shared
 * Type=TERM_MATCH,Field=preInstalledSw,Value=NA Type=TERM_MATCH,Field=capacitystatus,Value=Used`.
 */
export const PRICES = {
  region: 'eu-west-1',
  source: 'AWS on-demand pricing pages, EU (Ireland)',
  recorded: '2026-12-01',
  hoursPerMonth: 730,
  instanceHour: {
    't3.micro': 0.0114,
    't3.small': 0.0228,
    't3.medium': 0.0456,
    't3.large': 0.0912,
    't3.xlarge': 0.1824,
    't3.2xlarge': 0.3648,
    'm6i.large': 0.107,
    'm6i.xlarge': 0.214,
  } as Readonly<Record<string, number>>,
  gp3GbMonth: 0.088,
  natGatewayHour: 0.048,
  natGatewayGb: 0.048,
  publicIpv4Hour: 0.005,
  /** Per endpoint and AZ. */
  interfaceEndpointHour: 0.011,
  secretMonth: 0.4,
  kmsKeyMonth: 1,
  /** AWS Private CA in general-purpose mode, per CA. */
  privateCaMonth: 400,
  /** General-purpose private certificates, each of the first 1,000 issued in a month. */
  privateCertificate: 0.75,
  hostedZoneMonth: 0.5,
  /** Standard-resolution metric alarm. */
  alarmMonth: 0.1,
  /** 1-minute EC2 metrics: 7 metrics at $0.30. */
  detailedMonitoringInstanceMonth: 2.1,
  /** Vended logs (VPC flow logs) ingestion. */
  logsIngestGb: 0.57,
  s3StandardGbMonth: 0.023,
  /** Between AZs, $0.01 out of one and $0.01 into the other. */
  crossAzGb: 0.02,
} as const;

/** Usage the stack cannot tell: traffic and stored bytes. */
export const USAGE = { natGb: 100, flowLogGb: 5, s3Gb: 50, crossAzGb: 200, certificates: 40 } as const;

export interface CostLine {
  readonly item: string;
  readonly detail: string;
  readonly monthly: number;
}

type Resources = Record<string, Record<string, any>>;

/** The estimate, one line per kind of charge, from a synthesized stack's JSON. */
export function estimateMonthlyCost(tf: { resource: Resources }): CostLine[] {
  const all = (type: string): any[] => Object.values(tf.resource[type] ?? {});
  const h = PRICES.hoursPerMonth;
  const instances = all('aws_instance');
  const byType = new Map<string, number>();
  for (const i of instances) byType.set(i.instance_type, (byType.get(i.instance_type) ?? 0) + 1);
  const hourly = (type: string) => {
    const price = PRICES.instanceHour[type];
    if (price === undefined) {
      throw new Error(
        `no price for instance type ${type}: add it to PRICES.instanceHour (constructs/targets/aws/cost.ts)`,
      );
    }
    return price;
  };
  const types = [...byType].sort(([a], [b]) => hourly(a) - hourly(b) || a.localeCompare(b));
  const rootGb = instances.reduce((sum, i) => sum + i.root_block_device.volume_size, 0);
  const dataGb = all('aws_ebs_volume').reduce((sum, v) => sum + v.size, 0);
  const nat = all('aws_nat_gateway').length;
  const ips = all('aws_eip').length;
  const endpointAzs = all('aws_vpc_endpoint')
    .filter((e) => e.vpc_endpoint_type === 'Interface')
    .reduce((sum, e) => sum + (e.subnet_ids?.length ?? 0), 0);
  const secrets = all('aws_secretsmanager_secret').length;
  const keys = all('aws_kms_key').length;
  const zones = all('aws_route53_zone').length;
  const alarms = all('aws_cloudwatch_metric_alarm').length;
  const cas = all('aws_acmpca_certificate_authority').length;
  const detailed = instances.filter((i) => i.monitoring === true).length;
  const lines: CostLine[] = [
    {
      item: `EC2: ${instances.length} instances`,
      detail: types.map(([t, n]) => `${n} × ${t} ($${hourly(t)}/h)`).join(', '),
      monthly: types.reduce((sum, [t, n]) => sum + n * hourly(t) * h, 0),
    },
    {
      item: 'EBS gp3',
      detail: `${rootGb} GB root + ${dataGb} GB data at $${PRICES.gp3GbMonth}/GB`,
      monthly: (rootGb + dataGb) * PRICES.gp3GbMonth,
    },
    {
      item: `NAT: ${nat} gateway${nat === 1 ? '' : 's'}`,
      detail: `$${PRICES.natGatewayHour}/h + ${USAGE.natGb} GB at $${PRICES.natGatewayGb}/GB, ${ips} public IPv4 at $${PRICES.publicIpv4Hour}/h`,
      monthly: nat * PRICES.natGatewayHour * h + USAGE.natGb * PRICES.natGatewayGb + ips * PRICES.publicIpv4Hour * h,
    },
    ...(endpointAzs > 0
      ? [
          {
            item: 'VPC interface endpoints',
            detail: `${endpointAzs} endpoint-AZs at $${PRICES.interfaceEndpointHour}/h`,
            monthly: endpointAzs * PRICES.interfaceEndpointHour * h,
          },
        ]
      : []),
    {
      item: 'Secrets, key, zone, alarms',
      detail:
        `${secrets} secrets × $${PRICES.secretMonth}, ${keys} KMS key × $${PRICES.kmsKeyMonth}, ` +
        `${zones} zone × $${PRICES.hostedZoneMonth}, ${alarms} recovery alarms × $${PRICES.alarmMonth}`,
      monthly:
        secrets * PRICES.secretMonth +
        keys * PRICES.kmsKeyMonth +
        zones * PRICES.hostedZoneMonth +
        alarms * PRICES.alarmMonth,
    },
    ...(cas > 0
      ? [
          {
            item: 'AWS Private CA',
            detail:
              `${cas} CA × $${PRICES.privateCaMonth}, ${USAGE.certificates} node certificates a month ` +
              `(one per node and boot) × $${PRICES.privateCertificate}`,
            monthly: cas * PRICES.privateCaMonth + USAGE.certificates * PRICES.privateCertificate,
          },
        ]
      : []),
    ...(detailed > 0
      ? [
          {
            item: 'EC2 detailed monitoring',
            detail: `${detailed} instances × $${PRICES.detailedMonitoringInstanceMonth}`,
            monthly: detailed * PRICES.detailedMonitoringInstanceMonth,
          },
        ]
      : []),
    {
      item: 'Flow logs, S3, cross-AZ traffic',
      detail: `${USAGE.flowLogGb} GB logs, ${USAGE.s3Gb} GB in S3, ${USAGE.crossAzGb} GB between AZs`,
      monthly:
        USAGE.flowLogGb * PRICES.logsIngestGb +
        USAGE.s3Gb * PRICES.s3StandardGbMonth +
        USAGE.crossAzGb * PRICES.crossAzGb,
    },
  ];
  return lines;
}

/** The estimate as the README shows it: a Markdown table with a total, whole dollars. */
export function renderCostTable(lines: readonly CostLine[]): string {
  const usd = (n: number) => `$${Math.round(n).toLocaleString('en-US')}`;
  const total = lines.reduce((sum, l) => sum + l.monthly, 0);
  return [
    `Prices: ${PRICES.source} (${PRICES.region}), recorded ${PRICES.recorded}, ${PRICES.hoursPerMonth} hours a month.`,
    '',
    '| Item | Detail | Per month |',
    '| --- | --- | --- |',
    ...lines.map((l) => `| ${l.item} | ${l.detail} | ${usd(l.monthly)} |`),
    `| **Total** | | **${usd(total)}** |`,
    '',
  ].join('\n');
}

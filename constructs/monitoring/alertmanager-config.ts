import { Document, isMap, isSeq } from 'yaml';

/**
 * Alertmanager receiver settings, written as Alertmanager's own YAML keys
 * (e.g. `{ webhook_configs: [{ url: 'http://…' }] }` or `slack_configs`).
 * Put credentials in files (`url_file`, `api_url_file`, …), never inline.
 */
export type ReceiverConfig = Readonly<Record<string, unknown>>;

export interface AlertmanagerConfigInput {
  /** Where `critical` alerts go. @default nowhere (a receiver with no integrations) */
  readonly critical?: ReceiverConfig;
  /** Where `warning` alerts go. @default nowhere */
  readonly warning?: ReceiverConfig;
}

const PLACEHOLDER_NOTE = [
  ' Receiver placeholder: alerts routed here go nowhere until you give the receiver',
  ' an integration. Set monitoring.alertmanager.critical / .warning in DataPlatformProps',
  ' with Alertmanager receiver keys, for example:',
  '   critical: { webhook_configs: [{ url: http://alert-relay:9000/hook }] }',
  '   warning:  { slack_configs: [{ api_url_file: /etc/alertmanager/slack-url, channel: "#data-platform" }] }',
  ' Keep credentials in *_file settings, never inline.',
  ' See https://prometheus.io/docs/alerting/latest/configuration/#receiver',
].join('\n');

/**
 * alertmanager.yml, accepted by Alertmanager 0.25 (the lab) and 0.34 (the
 * image). Alerts are grouped per alert and component and routed by severity;
 * a critical alert silences the warnings of the same component and instance.
 */
export function renderAlertmanagerYml(input: AlertmanagerConfigInput = {}): string {
  const receiver = (name: string, config?: ReceiverConfig) => ({ name, ...config });
  const doc = new Document({
    route: {
      receiver: 'default',
      group_by: ['alertname', 'component'],
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '4h',
      routes: [
        { receiver: 'critical', matchers: ['severity="critical"'], repeat_interval: '1h' },
        { receiver: 'warning', matchers: ['severity="warning"'] },
      ],
    },
    inhibit_rules: [
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ['component', 'instance'],
      },
    ],
    receivers: [receiver('default'), receiver('critical', input.critical), receiver('warning', input.warning)],
  });
  doc.commentBefore = PLACEHOLDER_NOTE;
  const receivers = doc.get('receivers');
  if (!isSeq(receivers)) throw new Error('receivers must render as a YAML sequence');
  for (const item of receivers.items) {
    // A receiver with only a name has no integration: Alertmanager accepts it and drops what it gets.
    if (isMap(item) && item.items.length === 1)
      item.commentBefore = ' placeholder: no integration yet (see the top of this file)';
  }
  return doc.toString();
}

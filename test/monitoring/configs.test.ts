import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RootConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { renderAlertmanagerYml } from '../../constructs/monitoring/alertmanager-config';
import { DataPlatform } from '../../constructs/data-platform';
import { LoopbackPlacement } from '../../constructs/platform/placement';
import { WEB_CONFIG_PATH } from '../../constructs/platform/web-tls';
import { file, node } from '../helpers';
import { findTool, haveTools, placeTls, run, scratch } from '../real-tools/tools';
import { fullPlatform } from './components';

// PROMTOOL / AMTOOL point at other builds, e.g. those of the images' versions (monitoring/README.md).
const tools = {
  promtool: findTool(process.env.PROMTOOL ?? 'promtool', '/usr/bin/promtool'),
  amtool: findTool(process.env.AMTOOL ?? 'amtool', '/usr/bin/amtool'),
};

describe.runIf(haveTools(tools))('promtool and amtool accept the rendered monitoring configs', () => {
  const dir = scratch('monitoring');

  it('promtool check config: the Docker-rendered prometheus.yml', () => {
    const path = join(dir, 'prometheus.yml');
    writeFileSync(path, file(node(fullPlatform(), 'prometheus'), '/etc/prometheus/prometheus.yml'));
    // --syntax-only: the certificate and rule files are at container paths that do not exist here (the lab check loads them).
    const result = run([tools.promtool!, 'check', 'config', '--syntax-only', path]);
    expect(result.output).toContain('SUCCESS');
    expect(result.code, result.output).toBe(0);
  });

  it('promtool check config: the lab-rendered prometheus.yml, loading every rule file from the placed paths', () => {
    const root = join(dir, 'lab');
    const lab = new DataPlatform(new RootConstruct(), 'platform', { placement: new LoopbackPlacement(root, 27400) });
    const prometheus = node(lab, 'prometheus');
    placeTls(lab, root, ['prometheus']);
    for (const f of prometheus.files) {
      const path = lab.placement.path('prometheus', f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content);
    }
    const result = run([
      tools.promtool!,
      'check',
      'config',
      lab.placement.path('prometheus', '/etc/prometheus/prometheus.yml'),
    ]);
    expect(result.code, result.output).toBe(0);
    const ruleFiles = prometheus.files.filter((f) => f.path.startsWith('/etc/prometheus/rules/')).length;
    expect(result.output.match(/SUCCESS: \d+ rules found/g)).toHaveLength(ruleFiles);
  });

  it('promtool check config rejects a broken prometheus.yml, so the check is not a no-op', () => {
    const path = join(dir, 'broken-prometheus.yml');
    writeFileSync(
      path,
      file(node(fullPlatform(), 'prometheus'), '/etc/prometheus/prometheus.yml').replace(
        'scrape_interval: 15s',
        'scrape_interval: 15x',
      ),
    );
    expect(run([tools.promtool!, 'check', 'config', '--syntax-only', path]).code).not.toBe(0);
  });

  it('promtool check web-config: the web configs of Prometheus, Alertmanager and a TLS exporter, with their certificates', () => {
    const root = join(dir, 'web');
    const lab = new DataPlatform(new RootConstruct(), 'platform', { placement: new LoopbackPlacement(root, 27500) });
    const nodes = ['prometheus', 'alertmanager', 'pushgateway'];
    placeTls(lab, root, nodes);
    for (const name of nodes) {
      const path = lab.placement.path(name, WEB_CONFIG_PATH);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, file(node(lab, name), WEB_CONFIG_PATH));
      const result = run([tools.promtool!, 'check', 'web-config', path]);
      expect(result.code, `${name}: ${result.output}`).toBe(0);
    }
    // Negative control: a web config whose key is not there.
    const broken = join(root, 'broken-web.yml');
    writeFileSync(
      broken,
      file(node(lab, 'prometheus'), WEB_CONFIG_PATH).replace(/key_file: .*/, `key_file: ${join(root, 'absent.key')}`),
    );
    expect(run([tools.promtool!, 'check', 'web-config', broken]).code).not.toBe(0);
  });

  it.each([
    ['the placeholder receivers', {}],
    [
      'configured receivers',
      {
        critical: { webhook_configs: [{ url: 'http://alert-relay:9000/hook' }] },
        warning: { email_configs: [{ to: 'oncall@example.com', from: 'am@example.com', smarthost: 'mail:587' }] },
      },
    ],
  ])('amtool check-config: alertmanager.yml with %s', (_, input) => {
    const path = join(dir, 'alertmanager.yml');
    writeFileSync(path, renderAlertmanagerYml(input));
    const result = run([tools.amtool!, 'check-config', path]);
    expect(result.output).toContain('SUCCESS');
    expect(result.code, result.output).toBe(0);
  });

  it('amtool check-config rejects a route to an undefined receiver, so the check is not a no-op', () => {
    const path = join(dir, 'broken-alertmanager.yml');
    writeFileSync(path, renderAlertmanagerYml().replace('receiver: critical', 'receiver: nobody'));
    expect(run([tools.amtool!, 'check-config', path]).code).not.toBe(0);
  });
});

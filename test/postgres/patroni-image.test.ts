import { describe, expect, it } from 'vitest';
import { IMAGES, imageName } from '../../constructs/platform/images';
import { patroniImage, renderPatroniDockerfile } from '../../constructs/postgres/patroni-image';
import { BACKUP_SCHEDULER_PATH } from '../../constructs/postgres/backup-schedule';
import { dockerPlatform, file, node, resources, synthLocalStack } from '../helpers';
import { cloudConfig, nodeEnv, synthAws, writtenFile } from '../aws/helpers';

// No image can be pulled or built here: these check the rendered Dockerfile and how each target is told to build it.
describe('the Patroni image with pgBackRest', () => {
  it('is one layer on the pinned Spilo that installs pgBackRest and proves it runs', () => {
    const text = renderPatroniDockerfile(IMAGES.patroni);
    expect(text.split('\n')[0]).toBe('FROM ghcr.io/zalando/spilo-17:4.0-p3');
    expect(text).toMatch(/apt-get install -y --no-install-recommends pgbackrest/);
    expect(text).toMatch(/&& pgbackrest version$/m);
    // It copies nothing in, so it needs no build context beyond itself.
    expect(text).not.toMatch(/^(COPY|ADD)\b/m);
    expect(patroniImage(IMAGES.patroni)).toMatchObject({
      repository: 'dataplatform/patroni-pgbackrest',
      tag: '4.0-p3-pgbackrest',
    });
  });

  it('runs on every Patroni member, with the scheduler started beside Patroni as postgres', () => {
    const platform = dockerPlatform();
    for (const name of ['patroni-1', 'patroni-2', 'patroni-3']) {
      const member = node(platform, name);
      expect(member.image.build?.dockerfile).toBe(renderPatroniDockerfile(IMAGES.patroni));
      expect(member.command!.join(' ')).toMatch(
        new RegExp(
          `\\{ setpriv --reuid=postgres .* bash ${BACKUP_SCHEDULER_PATH} & \\} && exec setpriv --reuid=postgres .* patroni `,
        ),
      );
      const script = file(member, BACKUP_SCHEDULER_PATH);
      expect(script).toContain(
        `curl -fsS -o /dev/null --cacert /etc/dataplatform/tls/ca.crt --resolve ${member.name}:8008:127.0.0.1 https://${member.name}:8008/primary`,
      );
      expect(script).toContain('--stanza=pg-ha --type=full backup');
      expect(script).toContain('--stanza=pg-ha --type=diff backup');
      expect(script).toContain('https://pushgateway:9091/metrics/job/backup/backup/postgres/type/full');
      // The push checks the Pushgateway's certificate against the platform CA.
      expect(script).toContain('--cacert /etc/dataplatform/tls/ca.crt');
    }
  });

  it('is built by the Docker target from a context holding the Dockerfile, not pulled', () => {
    const images = resources(synthLocalStack(), 'docker_image');
    const built = images.filter((i) => i.build);
    expect(built.map((i) => i.name)).toEqual([imageName(patroniImage(IMAGES.patroni))]);
    expect(built[0]!.build.context).toMatch(/^assets\/.+\/[0-9A-F]+$/);
    // Negative control: the pinned images are still pulled.
    expect(images.find((i) => i.name === imageName(IMAGES.etcd))!.build).toBeUndefined();
  });

  it('is built on the AWS machines from the Dockerfile written by cloud-init', () => {
    const tf = synthAws();
    const instance = resources(tf, 'aws_instance').find((i) =>
      i.tags['dataplatform:nodes'].split(' ').includes('patroni-1'),
    )!;
    const config = cloudConfig(instance);
    const env = nodeEnv(config, 'patroni-1');
    expect(env.IMAGE).toBe('dataplatform/patroni-pgbackrest:4.0-p3-pgbackrest');
    expect(writtenFile(config, env.DOCKERFILE!)).toBe(renderPatroniDockerfile(IMAGES.patroni));
    expect(nodeEnv(config, 'etcd-1').DOCKERFILE).toBe('');
  });
});

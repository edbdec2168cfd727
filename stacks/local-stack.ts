import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DataPlatform, type DataPlatformProps } from '../constructs/data-platform';
import { DOCKER_DNS, NetworkPlacement } from '../constructs/platform/placement';
import { DockerTarget, type DockerTargetProps } from '../constructs/targets/docker/docker-target';

export interface LocalStackProps {
  /** Platform settings; placement is Docker's. @default every component's defaults */
  readonly settings?: Omit<DataPlatformProps, 'placement'>;
  /** @default see DockerTargetProps */
  readonly docker?: Omit<DockerTargetProps, 'platform'>;
}

/** The platform as containers on one Docker host (`cdktf deploy local`). State stays local. */
export class LocalStack extends TerraformStack {
  readonly platform: DataPlatform;
  readonly target: DockerTarget;

  constructor(scope: Construct, id: string, props: LocalStackProps = {}) {
    super(scope, id);
    this.platform = new DataPlatform(this, 'platform', {
      ...props.settings,
      // Docker can grant cAdvisor the host access it needs for per-container metrics.
      monitoring: { containerMetrics: true, ...props.settings?.monitoring },
      placement: new NetworkPlacement(DOCKER_DNS),
    });
    this.target = new DockerTarget(this, 'docker', { ...props.docker, platform: this.platform });
  }
}

import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DataPlatform, type DataPlatformProps } from '../constructs/data-platform';
import { checkMemoryBudget } from '../constructs/platform/memory-budget';
import { checkInt } from '../constructs/platform/validation';
import { PROFILES } from '../constructs/profiles';
import { DOCKER_DNS, NetworkPlacement } from '../constructs/platform/placement';
import { DockerTarget, type DockerTargetProps } from '../constructs/targets/docker/docker-target';

export interface LocalStackProps {
  /** Platform settings; placement is Docker's. @default every component's defaults */
  readonly settings?: Omit<DataPlatformProps, 'placement'>;
  /** @default see DockerTargetProps */
  readonly docker?: Omit<DockerTargetProps, 'platform'>;
  /**
   * What the services' memory limits may add up to, MiB: every container shares
   * this one host, so synth fails if they could not all reach their limits.
   * @default the profile's budget: 8192 (default), 3072 (minimal)
   */
  readonly memoryBudgetMb?: number;
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
    const profile = this.platform.profile;
    const budget = checkInt('memoryBudgetMb', props.memoryBudgetMb ?? PROFILES[profile].budgetMb, { min: 512 });
    checkMemoryBudget(this.platform.nodes, budget, 'memoryBudgetMb', profile);
    this.target = new DockerTarget(this, 'docker', { ...props.docker, platform: this.platform });
  }
}

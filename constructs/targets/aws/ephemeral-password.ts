import { TerraformElement } from 'cdktf';
import type { Construct } from 'constructs';

const TYPE = 'aws_secretsmanager_random_password';

export interface EphemeralPasswordProps {
  readonly length: number;
}

/**
 * An `ephemeral "aws_secretsmanager_random_password"` block (hashicorp/aws ≥ 5.x
 * with Terraform ≥ 1.10): Secrets Manager's GetRandomPassword, called on every
 * plan and apply and never written to plan or state. Its value may only flow into
 * write-only arguments such as `secret_string_wo`. cdktf 0.21 and the prebuilt
 * bindings have no ephemeral resources, so this element writes the block itself.
 * Alphanumeric only: values land unquoted in YAML, ini, userlists and URLs.
 */
export class EphemeralPassword extends TerraformElement {
  private readonly length: number;

  constructor(scope: Construct, id: string, props: EphemeralPasswordProps) {
    super(scope, id, `ephemeral.${TYPE}`);
    this.length = props.length;
  }

  /** The password, as an expression valid only in write-only arguments. */
  get value(): string {
    return `\${ephemeral.${TYPE}.${this.friendlyUniqueId}.random_password}`;
  }

  override toTerraform(): any {
    return {
      ephemeral: {
        [TYPE]: {
          [this.friendlyUniqueId]: {
            password_length: this.length,
            exclude_punctuation: true,
            include_space: false,
          },
        },
      },
    };
  }
}

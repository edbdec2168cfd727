/**
 * The AWS target's private CA (see platform/tls.ts): an AWS Private CA root.
 * Each machine makes its nodes' keys at boot and has them signed through the
 * CA's API (boot.sh), so no private key is ever in Terraform's state, in user
 * data or off the instance that uses it; the CA key never leaves AWS's HSMs.
 *
 * The alternatives weighed: Terraform's tls provider (what the Docker target
 * uses) puts every key in the state, which on this target is shared in S3 and
 * holds no other secret (passwords are ephemeral, see ephemeral-password.ts);
 * a CA key of our own in Secrets Manager would have to be readable by every
 * machine that signs. The price is the CA's monthly fee (see cost.ts).
 */
import { AcmpcaCertificate } from '@cdktf/provider-aws/lib/acmpca-certificate';
import { AcmpcaCertificateAuthority } from '@cdktf/provider-aws/lib/acmpca-certificate-authority';
import { AcmpcaCertificateAuthorityCertificate } from '@cdktf/provider-aws/lib/acmpca-certificate-authority-certificate';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Construct } from 'constructs';
import { skipCheck } from './scanner-skips';

/** The template that makes a TLS server and client certificate from a CSR (its SANs pass through). */
export const END_ENTITY_TEMPLATE = 'EndEntityCertificate/V1';
const CA_VALIDITY_YEARS = '10';

export interface PrivateCaProps {
  readonly prefix: string;
  readonly partition: string;
}

export class PrivateCa extends Construct {
  readonly arn: string;
  /** ARN of the end-entity template, for the issuing machines' IAM condition. */
  readonly endEntityTemplateArn: string;
  /**
   * The SSM parameter holding the CA's ARN, which the boot script reads: user data
   * is complete at synth (user-data.ts), so it can name the parameter but not the ARN.
   */
  readonly parameter: { readonly name: string; readonly arn: string };
  /** The CA's certificate (PEM), for the topology manifest's clients. */
  readonly certificatePem: string;
  /** What a machine's boot waits for: the CA is ACTIVE only once its own certificate is installed. */
  readonly ready: SsmParameter;

  constructor(scope: Construct, id: string, props: PrivateCaProps) {
    super(scope, id);
    const authority = new AcmpcaCertificateAuthority(this, 'authority', {
      type: 'ROOT',
      usageMode: 'GENERAL_PURPOSE',
      certificateAuthorityConfiguration: {
        keyAlgorithm: 'EC_prime256v1',
        signingAlgorithm: 'SHA256WITHECDSA',
        subject: { commonName: `${props.prefix} data platform CA` },
      },
      // The longest AWS allows: a CA deleted by mistake can be restored meanwhile.
      permanentDeletionTimeInDays: 30,
      tags: { Name: `${props.prefix}-ca` },
    });
    const root = new AcmpcaCertificate(this, 'root', {
      certificateAuthorityArn: authority.arn,
      certificateSigningRequest: authority.certificateSigningRequest,
      signingAlgorithm: 'SHA256WITHECDSA',
      templateArn: `arn:${props.partition}:acm-pca:::template/RootCACertificate/V1`,
      validity: { type: 'YEARS', value: CA_VALIDITY_YEARS },
    });
    const installed = new AcmpcaCertificateAuthorityCertificate(this, 'installed', {
      certificateAuthorityArn: authority.arn,
      certificate: root.certificate,
      certificateChain: root.certificateChain,
    });
    const name = `/${props.prefix}/tls/ca-arn`;
    this.ready = new SsmParameter(this, 'arn', {
      name,
      description: 'ARN of the platform CA that the machines get their certificates from',
      type: 'String',
      value: authority.arn,
      dependsOn: [installed],
    });
    skipCheck(this.ready, 'CKV2_AWS_34', 'an ARN is not a secret');
    this.parameter = { name, arn: this.ready.arn };
    this.certificatePem = root.certificate;
    this.arn = authority.arn;
    this.endEntityTemplateArn = `arn:${props.partition}:acm-pca:::template/${END_ENTITY_TEMPLATE}`;
  }
}

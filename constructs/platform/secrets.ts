/**
 * Secrets are never values in code. A component asks for a secret by name and
 * gets a placeholder string to put into env values or file text; each target
 * swaps placeholders for real values where it can keep them secret:
 *   - Docker: a `random_password` resource, interpolated by Terraform;
 *   - AWS: Secrets Manager, read at boot;
 *   - the lab: values generated for that run.
 *
 * Generated values are alphanumeric so that they are safe unquoted in every
 * format the platform renders (YAML, ini, userlist, shell, JSON, URLs).
 */

export interface SecretSpec {
  /** Lower-case name, unique in the platform, e.g. `postgres-superuser`. */
  readonly name: string;
  /** What the secret protects; shown in Secrets Manager and the docs. */
  readonly description: string;
  /** @default 32 */
  readonly length?: number;
}

/** Characters of every generated secret: Terraform's `random_password` with `special = false`, and the lab's. */
export const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A secret of `bytes.length` characters made of `bytes`, as the lab makes it. */
export function secretFromBytes(bytes: Uint8Array): string {
  return [...bytes].map((b) => SECRET_ALPHABET[b % SECRET_ALPHABET.length]).join('');
}

const NAME = /^[a-z][a-z0-9-]*$/;
const PLACEHOLDER = /\{\{secret:([a-z][a-z0-9-]*)\}\}/g;

export function secretPlaceholder(name: string): string {
  if (!NAME.test(name)) throw new Error(`secret name '${name}' must match ${NAME}`);
  return `{{secret:${name}}}`;
}

/** Names of the secrets referenced in `text`, in order of first use. */
export function secretsIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** Replaces every placeholder in `text` with `valueOf(name)`. */
export function resolveSecrets(text: string, valueOf: (name: string) => string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => valueOf(name));
}

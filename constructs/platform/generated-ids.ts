/**
 * Generated IDs: values that must be random and stable for the life of a
 * deployment, but are not secret, such as Kafka's cluster ID. Like secrets they
 * are placeholders in NodeSpecs that each target resolves (Docker: a
 * `random_id` resource; AWS: a version 4 UUID from `uuid()`; both kept in the
 * Terraform state); unlike secrets they need no secret store and may be shown
 * in logs and outputs.
 *
 * The value is 16 bytes in unpadded base64url (22 characters): the form
 * of Kafka's cluster and directory IDs, and safe unquoted in every format the
 * platform renders. Unlike Kafka's own `Uuid.randomUuid()` it may begin with
 * '-' (1 time in 64) or '_': a command must take it attached to its option
 * (`--cluster-id=ID`), never as the next argument (issue 15;
 * test/platform/generated-values.test.ts checks every consumer).
 */

export interface GeneratedIdSpec {
  /** Lower-case name, unique in the platform, e.g. `kafka-cluster-id`. */
  readonly name: string;
  /** What the ID identifies; shown in the docs and target resources. */
  readonly description: string;
}

/** Random bytes behind every generated ID. */
export const GENERATED_ID_BYTES = 16;

/** The ID made of `bytes`, as Terraform's `random_id.b64_url` makes it. */
export function idFromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

const NAME = /^[a-z][a-z0-9-]*$/;
const PLACEHOLDER = /\{\{id:([a-z][a-z0-9-]*)\}\}/g;

export function idPlaceholder(name: string): string {
  if (!NAME.test(name)) throw new Error(`generated ID name '${name}' must match ${NAME}`);
  return `{{id:${name}}}`;
}

/** Names of the generated IDs referenced in `text`, in order of first use. */
export function idsIn(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** Replaces every generated-ID placeholder in `text` with `valueOf(name)`. */
export function resolveIds(text: string, valueOf: (name: string) => string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => valueOf(name));
}

import type { ImageRef } from './node-spec';

/**
 * A setting that cannot work. Messages name the setting by its path in
 * DataPlatformProps, the value given and what would be accepted, so the fix
 * is obvious from the synth output alone.
 */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}

export interface IntRange {
  readonly min: number;
  readonly max?: number;
}

/** Returns `value` if it is an integer within `range`; otherwise throws naming `setting`. */
export function checkInt(setting: string, value: number, range: IntRange): number {
  const { min, max } = range;
  if (!Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
    const allowed = max === undefined ? `an integer ≥ ${min}` : `an integer between ${min} and ${max}`;
    throw new ValidationError(`${setting} must be ${allowed} (got ${value})`);
  }
  return value;
}

/** Returns `value` if it is an odd integer ≥ 1: a quorum of an even count tolerates no more failures than one fewer member. */
export function checkOddCount(setting: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value % 2 === 0) {
    throw new ValidationError(
      `${setting} must be an odd number ≥ 1 (got ${value}): an even count adds no fault tolerance`,
    );
  }
  return value;
}

const FLOATING_TAGS = new Set(['latest', 'stable', 'main', 'master', 'edge', 'nightly']);

/** Rejects floating tags: the tag must name a release, so a deploy is repeatable. */
export function checkPinned(setting: string, image: ImageRef): ImageRef {
  const tag = image.tag.trim();
  if (!tag || FLOATING_TAGS.has(tag.toLowerCase()) || !/\d/.test(tag)) {
    throw new ValidationError(
      `${setting} '${image.repository}:${image.tag}' is not pinned: use a release tag such as '1.2.3', never '${tag || '<empty>'}'`,
    );
  }
  return image;
}

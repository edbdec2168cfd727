import type { NodeSpec } from './node-spec';
import { ValidationError } from './validation';

/** The memory limits of the services (not the one-shot jobs, which run once and exit), MiB. */
export function serviceMemoryMb(nodes: readonly NodeSpec[]): number {
  return nodes.filter((n) => !n.oneShot).reduce((sum, n) => sum + n.memoryMb, 0);
}

/**
 * Rejects a platform whose services could not all reach their memory limits
 * on one host of `budgetMb`: the Docker target puts every node on one machine.
 * @param setting the setting that holds the budget, named in the error
 */
export function checkMemoryBudget(
  nodes: readonly NodeSpec[],
  budgetMb: number,
  setting: string,
  profile: string,
): void {
  const total = serviceMemoryMb(nodes);
  if (total <= budgetMb) return;
  const byComponent = new Map<string, number>();
  for (const n of nodes.filter((x) => !x.oneShot))
    byComponent.set(n.component, (byComponent.get(n.component) ?? 0) + n.memoryMb);
  const largest = [...byComponent]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([component, mb]) => `${component} ${mb}`)
    .join(', ');
  throw new ValidationError(
    `the services' memory limits add up to ${total} MiB, over the ${budgetMb} MiB of ${setting} (profile '${profile}'; ` +
      `largest: ${largest} MiB): lower *.memoryMb, leave a component out (e.g. clickhouse: false), ` +
      `choose a smaller profile, or raise ${setting}`,
  );
}

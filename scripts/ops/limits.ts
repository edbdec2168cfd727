/**
 * The operator commands' choices and bounds, apart from the modules that act on them: `npm run ops`
 * checks its arguments and prints its help without loading the clients and drivers (seconds of start-up).
 */
export const ROLLING_COMPONENTS = ['kafka', 'connect', 'patroni', 'etcd'] as const;
export type RollingComponent = (typeof ROLLING_COMPONENTS)[number];

/** Seconds a restarted node may take to rejoin and its component to be whole again. */
export const WHOLE_WITHIN_SECONDS = 180;

/** ms without a renewal after which the pause watchdog resumes the pool on its own. */
export const LEASE_MS = 1500;

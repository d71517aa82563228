/**
 * The names `--probe` accepts. Kept apart from ./index.ts (which builds probes and imports tfjs)
 * so the option table, and with it `regulab --help`, stays light; index.ts's registry is typed
 * `Record<ProbeName, …>`, so the compiler checks that each name has a probe and no probe lacks one.
 */
export const PROBE_NAMES = [
  'dropout-rates',
  'gradients',
  'activations',
  'state-variance',
  'state-gradients',
] as const;
export type ProbeName = (typeof PROBE_NAMES)[number];

/**
 * The registry of experiments: `regulab run <name>`, `regulab list` and `--help` find them here.
 * To add an experiment, write its definition (one file beside this one, see ../definition.ts)
 * and list it below.
 */
import type { ExperimentDefinition } from '../definition.js';
import { compare } from './compare.js';
import { dropoutRate } from './dropout-rate.js';
import { dropoutXDecay } from './dropout-x-decay.js';
import { earlyStopping } from './early-stopping.js';
import { l1VsL2 } from './l1-vs-l2.js';

export const DEFINITIONS: readonly ExperimentDefinition[] = [
  compare,
  dropoutXDecay,
  l1VsL2,
  dropoutRate,
  earlyStopping,
];

/** The definition named `name`, or undefined. */
export function findDefinition(name: string): ExperimentDefinition | undefined {
  return DEFINITIONS.find((d) => d.name === name);
}

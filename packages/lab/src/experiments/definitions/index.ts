/**
 * The registry of experiments: `regulab run <name>`, `regulab list` and `--help` find them here.
 * To add an experiment, write its definition (one file beside this one, see ../definition.ts)
 * and list it below.
 */
import type { ExperimentDefinition } from '../definition.js';
import { batchNormDropout } from './batchnorm-dropout.js';
import { compare } from './compare.js';
import { conv } from './conv.js';
import { dropconnect } from './dropconnect.js';
import { concreteDropout } from './concrete-dropout.js';
import { dropoutRate } from './dropout-rate.js';
import { dropoutXDecay } from './dropout-x-decay.js';
import { earlyStopping } from './early-stopping.js';
import { gradientFlowCharlm, gradientFlowPmnist } from './gradient-flow.js';
import { l1VsL2 } from './l1-vs-l2.js';
import { mcDropout } from './mc-dropout.js';
import { mcDropoutCharlm } from './mc-dropout-charlm.js';
import { rnnDropoutPlacement } from './rnn-dropout-placement.js';
import { variance } from './variance.js';
import { varianceOverTime } from './variance-over-time.js';
import { zoneoutPaper } from './zoneout-paper.js';

export const DEFINITIONS: readonly ExperimentDefinition[] = [
  compare,
  dropoutXDecay,
  l1VsL2,
  conv,
  dropconnect,
  mcDropout,
  mcDropoutCharlm,
  rnnDropoutPlacement,
  variance,
  batchNormDropout,
  concreteDropout,
  zoneoutPaper,
  varianceOverTime,
  gradientFlowPmnist,
  gradientFlowCharlm,
  dropoutRate,
  earlyStopping,
];

/** The definition named `name`, or undefined. */
export function findDefinition(name: string): ExperimentDefinition | undefined {
  return DEFINITIONS.find((d) => d.name === name);
}

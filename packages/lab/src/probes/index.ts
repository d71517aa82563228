/**
 * The registry of probes (`--probe <name>`, ../train/probe.ts): each name builds its probe from the
 * run's model and a fixed training batch. To add a probe, write its file beside this one, add its
 * name to ./names.ts and its factory below (the `Record<ProbeName, …>` type makes the two agree).
 */
import type { ProbeContext, TrainingProbe } from '../train/probe.js';
import { activationsProbe } from './activations.js';
import { dropoutRatesProbe } from './dropout-rates.js';
import { gradientsProbe } from './gradients.js';
import type { ProbeName } from './names.js';
import { stateGradientsProbe } from './state-gradients.js';
import { stateVarianceProbe } from './state-variance.js';

export { PROBE_NAMES, type ProbeName } from './names.js';

const FACTORIES: Record<ProbeName, (context: ProbeContext) => TrainingProbe> = {
  'dropout-rates': dropoutRatesProbe,
  gradients: gradientsProbe,
  activations: activationsProbe,
  'state-variance': stateVarianceProbe,
  'state-gradients': stateGradientsProbe,
};

/** The probes named `names`, in that order (each once). */
export function createProbes(
  names: readonly ProbeName[] | undefined,
  context: ProbeContext,
): TrainingProbe[] {
  return [...new Set(names ?? [])].map((name) => FACTORIES[name](context));
}

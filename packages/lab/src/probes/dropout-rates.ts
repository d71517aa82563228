/**
 * `--probe dropout-rates`: the learned drop rate p = sigmoid(ρ) of every concrete-dropout layer
 * (rl.layers.concreteDropoutDense / concreteLockedDropoutDense, Gal, Hron & Kendall, NeurIPS 2017)
 * at the start and after each epoch, keyed by layer name. Reading a rate draws nothing and changes
 * nothing. A model without such a layer is a configuration error (the probe would log nothing).
 */
import * as rl from 'regulab';
import { ConfigError } from '../errors.js';
import type { ProbeContext, TrainingProbe } from '../train/probe.js';

export function dropoutRatesProbe({ model }: ProbeContext): TrainingProbe {
  const concrete = model.layers.filter(
    (l): l is rl.layers.ConcreteDropoutDense => l instanceof rl.layers.ConcreteDropoutDense,
  );
  if (concrete.length === 0) {
    throw new ConfigError(
      '--probe dropout-rates: the model has no concrete-dropout layer (ConcreteDropoutDense or ConcreteLockedDropoutDense) whose rate it could log',
    );
  }
  return {
    name: 'dropout-rates',
    measure: () => Object.fromEntries(concrete.map((l) => [l.name, l.rate])),
  };
}

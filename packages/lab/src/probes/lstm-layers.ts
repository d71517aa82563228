/**
 * The LSTM layers of a run's model, which the per-step state probes measure
 * (./state-variance.ts, ./state-gradients.ts); a model without one is a configuration error.
 */
import * as rl from 'regulab';
import { ConfigError } from '../errors.js';
import type { SpecModel } from '../model/spec-model.js';

export function lstmLayers(model: SpecModel, probe: string): rl.layers.Lstm[] {
  const lstms = model.layers.filter((l): l is rl.layers.Lstm => l instanceof rl.layers.Lstm);
  if (lstms.length === 0)
    throw new ConfigError(
      `--probe ${probe} measures the states of LSTM layers (RegulabLSTM), and this model has none: use a recurrent model (--cell lstm)`,
    );
  return lstms;
}

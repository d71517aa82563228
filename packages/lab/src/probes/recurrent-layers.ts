/**
 * The recurrent layers of a run's model (rl.layers.lstm and rl.layers.gru), which the per-step
 * state probes measure (./state-variance.ts, ./state-gradients.ts); a model without one is a
 * configuration error.
 */
import * as rl from 'regulab';
import { ConfigError } from '../errors.js';
import type { MeasuredLayer } from '../experiments/recurrent-measures.js';
import type { SpecModel } from '../model/spec-model.js';

export function recurrentLayers(model: SpecModel, probe: string): MeasuredLayer[] {
  const layers = model.layers.filter(
    (l): l is MeasuredLayer => l instanceof rl.layers.Lstm || l instanceof rl.layers.Gru,
  );
  if (layers.length === 0)
    throw new ConfigError(
      `--probe ${probe} measures the states of LSTM or GRU layers (RegulabLSTM, RegulabGRU), and this model has none: use a recurrent model (--cell lstm or --cell gru)`,
    );
  return layers;
}

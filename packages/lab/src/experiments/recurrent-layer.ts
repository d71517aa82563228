/**
 * The one place the lab builds a recurrent layer: `lstmLayer(spec)` turns the experiment's
 * regularizer options into a Regulab `rl.layers.lstm`. Every model builder calls it.
 *
 * The layer is called as `layer.apply(x, { initialState: [h, c], training })` with
 * `returnState: true` and returns `[sequence or last h, h, c]`.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';

export interface LstmSpec {
  name: string;
  units: number;
  returnSequences: boolean;
  dropout: number;
  recurrentDropout: number;
  recurrentDropoutMode: 'gal' | 'semeniuta';
  zoneoutCell: number;
  zoneoutHidden: number;
  weightDrop: number;
  /** Seeds the initial weights and the layer's mask stream. */
  seed: number;
}

/** Which implementation `lstmLayer` uses (recorded in config.json and reports). */
export function lstmImplementation(): 'regulab' {
  return 'regulab';
}

export function lstmLayer(spec: LstmSpec): tf.layers.Layer {
  const seeds = new rl.SeedStream(spec.seed);
  return rl.layers.lstm({
    name: spec.name,
    units: spec.units,
    returnSequences: spec.returnSequences,
    returnState: true,
    dropout: spec.dropout,
    recurrentDropout: spec.recurrentDropout,
    recurrentDropoutMode: spec.recurrentDropoutMode,
    zoneoutCell: spec.zoneoutCell,
    zoneoutHidden: spec.zoneoutHidden,
    weightDrop: spec.weightDrop,
    unitForgetBias: true,
    recurrentInitializer: rl.initializers.orthogonal({ seed: seeds.next() }),
    seed: seeds.next(),
  });
}

/**
 * The one place the lab builds a recurrent layer: `lstmLayer(spec)` turns the experiment's
 * regularizer options into an LSTM layer. Every model builder calls it, so swapping the
 * implementation (tfjs's `tf.layers.lstm` → Regulab's `rl.layers.lstm`) is a change to this file.
 *
 * The layer is called as `layer.apply(x, { initialState: [h, c], training })` with
 * `returnState: true` and returns `[sequence or last h, h, c]`.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { ConfigError } from '../errors.js';
import { FastOrthogonal } from './fast-orthogonal.js';

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

type LstmFactory = (options: Record<string, unknown>) => tf.layers.Layer;

/** Regulab's LSTM when the core package provides it. */
function regulabLstm(): LstmFactory | undefined {
  const layers = rl.layers as unknown as Record<string, unknown>;
  return typeof layers.lstm === 'function' ? (layers.lstm as LstmFactory) : undefined;
}

/** Which implementation `lstmLayer` uses in this process (for config.json and reports). */
export function lstmImplementation(): 'regulab' | 'tfjs' {
  return regulabLstm() ? 'regulab' : 'tfjs';
}

export function lstmLayer(spec: LstmSpec): tf.layers.Layer {
  const seeds = new rl.SeedStream(spec.seed);
  const lstm = regulabLstm();
  if (lstm) {
    return lstm({
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
      // tfjs's orthogonal initializer needs ~45 s of CPU for a 128×512 kernel; same distribution, ms.
      recurrentInitializer: new FastOrthogonal({ seed: seeds.next() }),
      seed: seeds.next(),
    });
  }
  // Fallback while rl.layers.lstm is not there: tfjs's LSTM, with no regularizer (its masks are
  // unseeded and it has neither zoneout nor weight-drop) and the Keras 3 / PyTorch gate activation.
  const asked = (
    ['dropout', 'recurrentDropout', 'zoneoutCell', 'zoneoutHidden', 'weightDrop'] as const
  ).filter((k) => spec[k] > 0);
  if (asked.length > 0) {
    throw new ConfigError(
      `${asked.join(', ')} need rl.layers.lstm, which this build of regulab does not provide`,
    );
  }
  return tf.layers.lstm({
    name: spec.name,
    units: spec.units,
    returnSequences: spec.returnSequences,
    returnState: true,
    recurrentActivation: 'sigmoid',
    unitForgetBias: true,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.next() }),
    recurrentInitializer: new FastOrthogonal({ seed: seeds.next() }) as unknown as ReturnType<
      typeof tf.initializers.zeros
    >,
  });
}

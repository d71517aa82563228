/**
 * A `SpecModel`'s layers as a `tf.LayersModel` (tf.model over a symbolic input), for the code that
 * takes one, such as `rl.inference.mcPredict`. The layers (and so the weights) are shared, not
 * copied: the model is a view of the SpecModel, valid while it lives; disposing the SpecModel's
 * weights disposes the model's.
 *
 *     input [B, …shape] → layer₀ → … → layerₙ₋₁ → output
 *
 * Each recurrent layer starts from its zero state and passes on its sequence output (its states,
 * which the lab builds it to return, are dropped), so the model is the SpecModel's `forward` with
 * `state` undefined; an Embedding runs as the tfjs layer (the same values as the lab's lookup).
 */
import * as tf from '@tensorflow/tfjs';
import { isRecurrent } from './layer-classes.js';
import type { ModelInput, SpecModel } from './spec-model.js';

export function layersModelOf(model: SpecModel, input: ModelInput): tf.LayersModel {
  const x = tf.input({ shape: input.shape, dtype: input.dtype }); // [B, …shape]
  let h: tf.SymbolicTensor = x;
  for (const layer of model.layers) {
    const out = layer.apply(h) as tf.SymbolicTensor | tf.SymbolicTensor[];
    h = isRecurrent(layer) ? (out as tf.SymbolicTensor[])[0]! : (out as tf.SymbolicTensor);
  }
  return tf.model({ inputs: x, outputs: h });
}

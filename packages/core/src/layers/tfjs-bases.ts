/**
 * TensorFlow.js's own `Dense` and `Embedding` layer classes, as bases to extend.
 *
 * tfjs exports the factories (`tf.layers.dense`) but not the classes, and its helpers for
 * (de)serializing initializers, regularizers, constraints and activations are internal. Extending
 * the real classes reuses all of that (constructor options, `build`, `getConfig`, weight loading)
 * unchanged; Regulab's subclasses only replace `call`. The classes are taken from tfjs's public
 * serialization registry (no layer is instantiated, so no layer-name counter moves).
 *
 * The subclasses read three fields tfjs declares private but has kept stable through 4.x:
 * `kernel`, `bias`, `activation` (Dense) and `embeddings` (Embedding). The tests call both layers
 * at inference and compare with x·W + b / E[ids] computed from `getWeights()`, so a tfjs release
 * that renames them fails loudly.
 */
import * as tf from '@tensorflow/tfjs';
import { LAYER_ARGS } from './stochastic-layer.js';

export type DenseArgs = Parameters<typeof tf.layers.dense>[0];
export type EmbeddingArgs = Parameters<typeof tf.layers.embedding>[0];

/** Every option of tf.layers.dense, for `optionNames` of the Dense subclasses (the compiler checks the list). */
export const DENSE_ARGS: { [K in keyof Required<DenseArgs>]: true } = {
  ...LAYER_ARGS,
  units: true,
  activation: true,
  useBias: true,
  kernelInitializer: true,
  biasInitializer: true,
  inputDim: true,
  kernelConstraint: true,
  biasConstraint: true,
  kernelRegularizer: true,
  biasRegularizer: true,
  activityRegularizer: true,
};

/** The parts of tfjs's Dense that a subclass's `call` needs. */
export interface DenseFields {
  kernel: tf.LayerVariable | null; // [D, U], created in build()
  bias: tf.LayerVariable | null; // [U], null when useBias is false
  activation: { apply(x: tf.Tensor): tf.Tensor };
  units: number;
}

/** The parts of tfjs's Embedding that a subclass's `call` needs. */
export interface EmbeddingFields {
  embeddings: tf.LayerVariable | null; // [V, D], created in build()
}

/** A tfjs layer class: its constructor and the statics `tf.serialization.registerClass` needs. */
type LayerClass<Args, Fields> = (new (args: Args) => tf.layers.Layer & Fields) & {
  className: string;
  fromConfig: typeof tf.layers.Layer.fromConfig;
};

function registeredLayerClass(className: string): unknown {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry == null) throw new Error(`tfjs layer class '${className}' is not registered`);
  return entry[0];
}

/** tfjs's `Dense` class. */
export const TfjsDense = registeredLayerClass('Dense') as LayerClass<DenseArgs, DenseFields>;

/** tfjs's `Embedding` class. */
export const TfjsEmbedding = registeredLayerClass('Embedding') as LayerClass<EmbeddingArgs, EmbeddingFields>;

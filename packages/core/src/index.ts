/**
 * Regulab: regularizers for neural networks on TensorFlow.js, recurrent ones above all.
 *
 * ```ts
 * import * as rl from 'regulab';
 * const model = tf.sequential({ layers: [rl.layers.dropout({ rate: 0.5 }), ...] });
 * ```
 */
export * as layers from './layers/index.js';
export * as regularizers from './regularizers/index.js';
export * as optimizers from './optimizers/index.js';
export * as callbacks from './callbacks/index.js';
export * as constraints from './constraints/index.js';
export * as initializers from './initializers/index.js';
export * as functional from './functional/index.js';
export * as inference from './inference/index.js';
export * as kernels from '@regulab/kernels';
export { SeedStream } from './random/seed-stream.js';
export { RegulabConfigError } from './util/validate.js';

export const VERSION = '0.1.0';

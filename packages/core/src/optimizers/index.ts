// Public namespace rl.optimizers: each module adds its own export line here.
export { adam, adamw, AdamW, type AdamWArgs } from './adamw.js';
export { sgdw, SGDW, type SGDWArgs } from './sgdw.js';
export { rmsprop, RMSProp, type RMSPropArgs } from './rmsprop.js';
export { clipped, ClippedOptimizer } from './clipped.js';
export {
  DecoupledWeightDecayOptimizer,
  type DecoupledWeightDecayArgs,
  type NamedTensor,
  type Slots,
} from './decoupled-weight-decay.js';
export {
  clipByGlobalNorm,
  clipByValue,
  clipGradients,
  globalNorm,
  type ClipOptions,
} from './gradient-clipping.js';
export {
  cosineDecay,
  CosineDecay,
  LearningRateSchedule,
  type CosineDecayArgs,
  type LearningRate,
} from './learning-rate-schedule.js';
export { type NamePattern } from './name-patterns.js';

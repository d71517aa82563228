// Public namespace rl.inference: Monte Carlo inference with the stochastic layers kept sampling.
export {
  mcPredict,
  DEFAULT_MC_BATCH_SIZE,
  type McPredictOptions,
  type McPrediction,
  type McOutput,
} from './mc-predict.js';
export { withSampling, samplingActive, type BatchSharedNoise } from './sampling-context.js';

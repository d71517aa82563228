// Public namespace rl.inference: Monte Carlo inference with the stochastic layers kept sampling, and
// batch norm's population statistics recomputed from data.
export {
  mcPredict,
  DEFAULT_MC_BATCH_SIZE,
  type McPredictOptions,
  type McPrediction,
  type McOutput,
} from './mc-predict.js';
export {
  recomputeBatchNormStatistics,
  DEFAULT_STATISTICS_BATCH_SIZE,
  type BatchNormStatisticsOptions,
  type BatchNormStatisticsResult,
  type InferenceForward,
} from './batch-norm-statistics.js';
export { withSampling, samplingActive, type BatchSharedNoise } from './sampling-context.js';

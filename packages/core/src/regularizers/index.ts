// Public namespace rl.regularizers: each module adds its own export line here.
export { l1, l2, l1l2, weightPenalty, type Regularizer } from './weight-penalties.js';
export { activationPenalty, temporalActivationPenalty } from './activity-penalties.js';
export {
  activity,
  ActivityRegularization,
  type ActivityRegularizationArgs,
} from './activity-regularization.js';

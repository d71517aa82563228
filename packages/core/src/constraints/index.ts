// Public namespace rl.constraints: each module adds its own export line here.
export {
  maxNorm,
  minMaxNorm,
  nonNeg,
  unitNorm,
  type Constraint,
  type NormConstraintAxis,
} from './norm-constraints.js';
export { applyConstraints, type HasWeights } from './apply-constraints.js';

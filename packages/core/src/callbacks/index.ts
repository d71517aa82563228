// Public namespace rl.callbacks: each module adds its own export line here.
export { earlyStopping, EarlyStopping, type EarlyStoppingArgs } from './early-stopping.js';
export { applyConstraints, ApplyConstraints } from './apply-constraints.js';

/**
 * The optimizer of a run, from its config. Gradient clipping (`--clip`, by global norm) and
 * decoupled weight decay (`--weight-decay`) are Regulab's (`rl.optimizers`), since tfjs's
 * optimizers have neither:
 *
 * | --optimizer | optimizer |
 * | --- | --- |
 * | adam, adamw | rl.optimizers.adamw (λ = --weight-decay; adam requires λ = 0, so it is plain Adam) |
 * | sgd, sgdw | rl.optimizers.sgdw (no momentum) |
 * | rmsprop | rl.optimizers.rmsprop (tf.train.rmsprop's update; decoupled λ = --weight-decay) |
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';

export interface OptimizerConfig {
  optimizer: 'adam' | 'adamw' | 'sgd' | 'sgdw' | 'rmsprop';
  lr: number;
  clip: number;
  weightDecay: number;
}

export function makeOptimizer(c: OptimizerConfig): tf.Optimizer {
  const clipNorm = c.clip > 0 ? c.clip : undefined;
  switch (c.optimizer) {
    case 'adam':
    case 'adamw':
      return rl.optimizers.adamw({ learningRate: c.lr, weightDecay: c.weightDecay, clipNorm });
    case 'sgd':
    case 'sgdw':
      return rl.optimizers.sgdw({ learningRate: c.lr, weightDecay: c.weightDecay, clipNorm });
    case 'rmsprop':
      return rl.optimizers.rmsprop({ learningRate: c.lr, weightDecay: c.weightDecay, clipNorm });
  }
}

/**
 * `--optimizer rmsprop` is Regulab's rl.optimizers.rmsprop (issue 9), with --clip and
 * --weight-decay passed through, not tf.train.rmsprop wrapped by hand.
 */
import * as rl from 'regulab';
import { describe, expect, it } from 'vitest';
import { makeOptimizer } from '../src/train/optimizer.js';

describe('makeOptimizer', () => {
  it('rmsprop is rl.optimizers.rmsprop with the run config', () => {
    const opt = makeOptimizer({ optimizer: 'rmsprop', lr: 0.002, clip: 1, weightDecay: 0.01 });
    expect(opt).toBeInstanceOf(rl.optimizers.RMSProp);
    const config = opt.getConfig();
    expect(config.learningRate).toBe(0.002);
    expect(config.weightDecay).toBe(0.01);
    expect(config.clipNorm).toBe(1);
    opt.dispose();
  });
});

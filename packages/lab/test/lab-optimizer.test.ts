/**
 * `--optimizer rmsprop` is Regulab's rl.optimizers.rmsprop (issue 9), with --clip and
 * --weight-decay passed through, not tf.train.rmsprop wrapped by hand.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { describe, expect, it } from 'vitest';
import { makeOptimizer } from '../src/train/optimizer.js';
import { captureOptimizer, restoreOptimizer } from '../src/train/training-state.js';

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

describe('checkpoints of runs made with tf.train.rmsprop', () => {
  // Before issue 9 the lab's rmsprop was tf.train.rmsprop, whose slots are `/rms` and `/momentum`;
  // restoring such a checkpoint into rl.optimizers.rmsprop must continue the same update.
  it('resume into rl.optimizers.rmsprop and take the same next step as tf.train.rmsprop', async () => {
    const init = [
      tf.tensor2d([
        [0.5, -1.2],
        [2, 0.3],
      ]),
      tf.tensor1d([0.1, -0.4]),
    ];
    const loss = (vs: tf.Variable[]) => () =>
      tf.add(tf.sum(tf.square(tf.sub(vs[0]!, 1))), tf.sum(tf.mul(vs[1]!, vs[1]!))) as tf.Scalar;
    const old = init.map((t) => tf.variable(t));
    const legacy = tf.train.rmsprop(0.01);
    for (let i = 0; i < 3; i++) legacy.minimize(loss(old));
    const { tensors, order } = await captureOptimizer(legacy, old);
    expect(order.some((k) => k.endsWith('/rms'))).toBe(true);

    const resumed = old.map((v) => tf.variable(v.clone()));
    const current = makeOptimizer({ optimizer: 'rmsprop', lr: 0.01, clip: 0, weightDecay: 0 });
    await restoreOptimizer(current, resumed, tensors, order);
    legacy.minimize(loss(old));
    current.minimize(loss(resumed));
    for (let i = 0; i < old.length; i++) {
      const a = await old[i]!.data();
      const b = await resumed[i]!.data();
      for (let j = 0; j < a.length; j++) expect(b[j]).toBeCloseTo(a[j]!, 6);
    }
    tf.dispose([...init, ...old, ...resumed]);
    legacy.dispose();
    current.dispose();
  });
});

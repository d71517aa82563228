/**
 * The one-pass optimizer update (optimizers/fused-update.ts) that rl.optimizers.adamw / adam / sgdw / rmsprop
 * use on tfjs's CPU backend with fast kernels: same trajectory as their tfjs-op path (the reference
 * kernels turn the fused path off), native and plain-JS kernels agree, in-place writes never reach
 * a tensor that shares the storage, and nothing leaks.
 *
 * Tolerances: one step rounds differently (the kernel keeps intermediates in registers and may fuse
 * multiply-adds) by a few ulp; 50 Adam steps with lr 1e-2 on a quadratic stay within atol 1e-5.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import * as rl from '../src/index.js';
import { allClose } from '../../../test/helpers.js';

const { OPTIMIZER_KIND, jsOptimizerUpdate } = rl.kernels;

afterEach(() => {
  rl.kernels.setKernelBackend('auto');
});

/** Trains w (a [40, 30] matrix) on ½‖w·x − y‖² for `steps` steps and returns w's final values. */
function train(make: () => tf.Optimizer, steps: number): Float32Array {
  const w = tf.variable(tf.randomNormal([40, 30], 0, 1, 'float32', 1), true, `w${Math.random()}`);
  const bias = tf.variable(tf.zeros([30]), true, `bias${Math.random()}`);
  const x = tf.randomNormal([16, 40], 0, 1, 'float32', 2);
  const y = tf.randomNormal([16, 30], 0, 1, 'float32', 3);
  const opt = make();
  for (let i = 0; i < steps; i++) {
    opt.minimize(() => tf.mul(0.5, tf.sum(tf.square(tf.sub(tf.add(tf.matMul(x, w), bias), y)))) as tf.Scalar);
  }
  const out = Float32Array.from(w.dataSync());
  tf.dispose([w, bias, x, y]);
  opt.dispose();
  return out;
}

const optimizers: [string, () => tf.Optimizer][] = [
  [
    'adamw (λ 0.05, bias excluded)',
    () => rl.optimizers.adamw({ learningRate: 1e-2, weightDecay: 0.05, exclude: ['bias'] }),
  ],
  ['adam', () => rl.optimizers.adam({ learningRate: 1e-2 })],
  ['sgdw plain', () => rl.optimizers.sgdw({ learningRate: 1e-3, weightDecay: 0.01 })],
  ['sgdw momentum', () => rl.optimizers.sgdw({ learningRate: 1e-3, weightDecay: 0.01, momentum: 0.9 })],
  [
    'sgdw nesterov',
    () => rl.optimizers.sgdw({ learningRate: 1e-3, weightDecay: 0, momentum: 0.9, nesterov: true }),
  ],
  ['rmsprop', () => rl.optimizers.rmsprop({ learningRate: 1e-3 })],
  [
    'rmsprop momentum + decay',
    () => rl.optimizers.rmsprop({ learningRate: 1e-3, momentum: 0.9, weightDecay: 0.01 }),
  ],
];

describe('fused optimizer update', () => {
  it.each(optimizers)('%s: the fused path follows the tfjs-op path for 50 steps', (_, make) => {
    rl.kernels.setKernelBackend('auto');
    expect(rl.kernels.fusedOptimizerUpdate()).not.toBeNull();
    const fused = train(make, 50);
    rl.kernels.setKernelBackend('reference');
    expect(rl.kernels.fusedOptimizerUpdate()).toBeNull();
    const ops = train(make, 50);
    allClose(fused, ops, { atol: 1e-5, rtol: 1e-5 }, 'fused vs tfjs ops');
  });

  it('native and plain-JS kernels agree on every kind (Adam with decay, SGD and RMSProp with and without momentum)', () => {
    const impl = rl.kernels.fusedImpl();
    if (impl?.optimizerUpdate === undefined) return; // no native addon here: the JS kernel is the one in use
    const n = 10_000;
    const rnd = (seed: number) =>
      tf.tidy(() => Float32Array.from(tf.randomNormal([n], 0, 1, 'float32', seed).dataSync()));
    const cases: [number, number[], boolean, boolean][] = [
      [
        OPTIMIZER_KIND.adam,
        [1e-3, 0.1, 0.9, 0.1, 0.999, 1 - 0.999, 1e-8, 1 - 0.9 ** 3, 1 - 0.999 ** 3],
        true,
        true,
      ],
      [OPTIMIZER_KIND.sgd, [0, 0.1, 0, 0], false, false],
      [OPTIMIZER_KIND.sgd, [1e-3, 0.1, 0.9, 0], true, false],
      [OPTIMIZER_KIND.sgd, [1e-3, 0.1, 0.9, 1], true, false],
      [OPTIMIZER_KIND.rmsprop, [1e-3, 0.1, 0.9, 0.1, 1e-7, 0], true, false],
      [OPTIMIZER_KIND.rmsprop, [1e-3, 0.1, 0.9, 0.1, 1e-7, 0.9], true, true],
    ];
    for (const [kind, p, hasS0, hasS1] of cases) {
      const state = () => ({
        w: rnd(1),
        s0: hasS0 ? rnd(2).map(Math.abs) : null,
        s1: hasS1 ? rnd(3).map(Math.abs) : null,
      });
      const g = rnd(4);
      const a = state();
      const b = state();
      impl.optimizerUpdate(kind, a.w, g, a.s0, a.s1, Float64Array.from(p));
      jsOptimizerUpdate(kind, b.w, g, b.s0, b.s1, Float64Array.from(p));
      // O(1) values: float32 intermediates (native) vs float64 ones (JS) differ by ~1 ulp of 1.
      const tol = { atol: 3e-7, rtol: 1e-6 };
      allClose(a.w, b.w, tol, `kind ${kind} w`);
      if (a.s0) allClose(a.s0, b.s0!, tol, `kind ${kind} s0`);
      if (a.s1) allClose(a.s1, b.s1!, tol, `kind ${kind} s1`);
    }
    expect(() =>
      jsOptimizerUpdate(7, new Float32Array(1), new Float32Array(1), null, null, new Float64Array(4)),
    ).toThrow(/unknown kind/);
  });

  it('native updates of large variables give the same bits on 1, 2 and 3 threads (every kind)', () => {
    const impl = rl.kernels.fusedImpl();
    if (impl?.optimizerUpdate === undefined || rl.kernels.backend() !== 'native') return; // no native addon here
    const n = 200_003; // above the native call's threading threshold, not a multiple of a vector
    // values in (−1, 1) from a fixed sequence (tfjs's randomNormal of this size is slow)
    const wave = (seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + seed));
    const [w0, s00, s10, g] = [wave(1), wave(2).map(Math.abs), wave(3).map(Math.abs), wave(4)];
    const kinds: [number, number[]][] = [
      [OPTIMIZER_KIND.adam, [1e-3, 0.1, 0.9, 0.1, 0.999, 1 - 0.999, 1e-8, 1 - 0.9 ** 3, 1 - 0.999 ** 3]],
      [OPTIMIZER_KIND.sgd, [1e-3, 0.1, 0.9, 1]],
      [OPTIMIZER_KIND.rmsprop, [1e-3, 0.1, 0.9, 0.1, 1e-7, 0.9]],
    ];
    const bytes = (a: Float32Array) => Buffer.from(a.buffer);
    const before = rl.kernels.kernelThreads();
    try {
      const run = (threads: number) => {
        rl.kernels.setKernelThreads(threads);
        return kinds.map(([kind, p]) => {
          const [w, s0, s1] = [w0.slice(), s00.slice(), s10.slice()];
          impl.optimizerUpdate!(kind, w, g, s0, s1, Float64Array.from(p));
          return Buffer.concat([bytes(w), bytes(s0), bytes(s1)]);
        });
      };
      const one = run(1);
      expect(one[0].equals(bytes(w0))).toBe(false); // the update did change the weights
      for (const threads of [2, 3])
        run(threads).forEach((b, i) =>
          expect(b.equals(one[i]), `kind ${kinds[i][0]}, ${threads} threads`).toBe(true),
        );
    } finally {
      rl.kernels.setKernelThreads(before);
    }
  });

  it('rmsprop follows tf.train.rmsprop step for step (λ 0; momentum 0 and 0.9) and round-trips its config', () => {
    for (const momentum of [0, 0.9]) {
      const ours = train(() => rl.optimizers.rmsprop({ learningRate: 1e-3, momentum }), 30);
      const theirs = train(() => tf.train.rmsprop(1e-3, 0.9, momentum), 30);
      allClose(ours, theirs, { atol: 1e-5, rtol: 1e-5 }, `rmsprop momentum ${momentum}`);
    }
    const opt = rl.optimizers.rmsprop({
      learningRate: 0.01,
      rho: 0.95,
      momentum: 0.5,
      epsilon: 1e-6,
      weightDecay: 0.1,
    });
    const back = rl.optimizers.RMSProp.fromConfig(rl.optimizers.RMSProp, opt.getConfig());
    expect(back.getConfig()).toEqual(opt.getConfig());
    expect(() => rl.optimizers.rmsprop({ learningRate: 0.1, rho: 1 })).toThrow(
      /'rho' must be a number in \[0, 1\)/,
    );
    expect(() => rl.optimizers.rmsprop({ learningRate: 0.1, epsilon: 0 })).toThrow(/'epsilon'/);
    expect(() => rl.optimizers.rmsprop(null as unknown as { learningRate: number })).toThrow(
      /options object/,
    );
  });

  it('never writes storage another tensor shares: the initial value and a clone keep their values', () => {
    const init = tf.randomNormal([50, 50], 0, 1, 'float32', 5);
    const before = Float32Array.from(init.dataSync());
    const w = tf.variable(init, true, `shared${Math.random()}`); // shares init's storage
    const opt = rl.optimizers.adam({ learningRate: 0.1 });
    const step = () => opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
    step();
    allClose(init, before, { atol: 0, rtol: 0 }, 'tf.variable(init) keeps init');
    const snapshot = tf.clone(w);
    const snapValues = Float32Array.from(snapshot.dataSync());
    step();
    allClose(snapshot, snapValues, { atol: 0, rtol: 0 }, 'a clone keeps its values');
    expect(Math.abs(w.dataSync()[0] - snapValues[0])).toBeGreaterThan(0);
    tf.dispose([init, w, snapshot]);
    opt.dispose();
  });

  it('leaves no tensor behind over 200 steps', () => {
    const w = tf.variable(tf.ones([300, 20]), true, `leak${Math.random()}`);
    const opt = rl.optimizers.adamw({ learningRate: 1e-3, weightDecay: 0.01 });
    const step = () => opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
    opt.dispose();
  });
});

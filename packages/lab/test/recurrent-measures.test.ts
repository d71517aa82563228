/**
 * Per-step measurements of an LSTM and a GRU (recurrent-measures.ts), each test once per cell: the variances are those of the states
 * the layer returns, the gradient norms agree with their definition at the last step (exactly)
 * and with central differences at the first (float32, eps 1e-2, 2% relative), the fused kernels'
 * norms (native, wasm; plain and normalized layers) equal the reference op's hook-based ones (rtol 1e-3, atol 1e-6: float32
 * rounding of sums over at most B·H = 6 squares and of the backward pass), and nothing leaks.
 * The GRU has no cell: its c curves are empty, whichever path computes them.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import {
  type MeasuredLayer,
  stateGradientNorms,
  stateVariance,
} from '../src/experiments/recurrent-measures.js';

const B = 2;
const T = 4;
const D = 3;
const H = 3;
const x = () => tf.randomUniform([B, T, D], -1, 1, 'float32', 3) as tf.Tensor3D;
const w = () => tf.randomNormal([B, T, H], 0, 1, 'float32', 9);

/** Each cell with its zoneout option (the LSTM's on c, the GRU's on h) and its number of states. */
const CELLS = [
  {
    cell: 'LSTM',
    states: 2,
    make: (args: rl.layers.LstmArgs) => rl.layers.lstm({ ...args, zoneoutCell: 0.3 }),
  },
  {
    cell: 'GRU',
    states: 1,
    make: (args: rl.layers.GruArgs) => rl.layers.gru({ ...args, zoneout: 0.3 }),
  },
] as const;

describe.each(CELLS)('per-step $cell measurements', ({ states, make }) => {
  function layer(): MeasuredLayer {
    const l = make({ units: H, returnSequences: true, returnState: true, seed: 2 });
    l.apply(x());
    return l;
  }
  /** The hook that adds `extra` to h_k, in the cell's own signature. */
  function perturbH(l: MeasuredLayer, extra: (k: number, h: tf.Tensor2D) => tf.Tensor2D): void {
    if (l instanceof rl.layers.Lstm) l.stateHook = (k, h, c) => ({ h: extra(k, h), c });
    else l.stateHook = (k, h) => extra(k, h);
  }

  it('stateVariance gives Var(h_t) of the returned sequence and Var(c_T) of the returned cell (none for the GRU)', () => {
    const l = layer();
    let outputs: tf.Tensor[] = [];
    const v = stateVariance(l, () => {
      outputs = (l.apply(x()) as tf.Tensor[]).map((t) => tf.keep(t));
    });
    expect(v.h).toHaveLength(T);
    expect(outputs).toHaveLength(1 + states);
    const [seq, , c] = outputs as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D | undefined];
    for (let t = 0; t < T; t++) {
      const ht = tf.squeeze(tf.slice(seq, [0, t, 0], [B, 1, H]), [1]);
      expect(v.h[t]).toBeCloseTo(tf.moments(ht).variance.dataSync()[0]!, 6);
    }
    if (c === undefined) expect(v.c).toEqual([]);
    else expect(v.c[T - 1]).toBeCloseTo(tf.moments(c).variance.dataSync()[0]!, 6);
    expect(l.stateHook).toBeNull(); // restored
    tf.dispose(outputs);
  });

  it('‖∂L/∂h_t‖: the weights of the last step exactly; central differences at the first step', () => {
    const l = layer();
    const weights = w();
    const loss = (extra?: (k: number, h: tf.Tensor2D) => tf.Tensor2D) => () => {
      if (extra) perturbH(l, extra);
      try {
        const seq = (l.apply(x(), { training: false }) as tf.Tensor[])[0]!;
        return tf.sum(tf.mul(seq, weights)) as tf.Scalar;
      } finally {
        l.stateHook = null;
      }
    };
    const g = stateGradientNorms(l, { batch: B, steps: T, units: H }, loss());
    const last = tf.slice(weights, [0, T - 1, 0], [B, 1, H]);
    expect(g.h[T - 1]).toBeCloseTo(tf.norm(last).dataSync()[0]!, 5);
    // Central differences of L in each entry of h_0 (zoneout at inference: its expectation, deterministic).
    const eps = 1e-2;
    let sq = 0;
    for (let i = 0; i < B * H; i++) {
      const bump = (s: number) =>
        tf.tidy(() => {
          const delta = tf.reshape(tf.oneHot(i, B * H), [B, H]);
          const f = loss((k, h) => (k === 0 ? (tf.add(h, tf.mul(delta, s)) as tf.Tensor2D) : h));
          return f().dataSync()[0]!;
        });
      sq += ((bump(eps) - bump(-eps)) / (2 * eps)) ** 2;
    }
    expect(Math.abs(g.h[0]! - Math.sqrt(sq))).toBeLessThan(0.02 * Math.sqrt(sq));
    expect(g.c).toHaveLength(states === 2 ? T : 0);
    expect(g.c.every((n) => Number.isFinite(n))).toBe(true);
    tf.dispose([weights, last]);
  });

  it.each(['none', 'layer', 'batch'] as const)(
    "the fused kernels give the reference hook's numbers (native, wasm; training with per-step Gal dropout; normalization %s)",
    (normalization) => {
      const l = make({
        units: H,
        returnSequences: true,
        returnState: true,
        recurrentDropout: 0.3,
        recurrentDropoutMask: 'step',
        normalization,
        seed: 2,
      });
      l.apply(x());
      const weights = w();
      const loss = () => {
        l.seeds.restore(0); // the same masks in every evaluation
        const [seq, , c] = l.apply(x(), { training: true }) as tf.Tensor[];
        return tf.add(tf.sum(tf.mul(seq!, weights)), c === undefined ? 0 : tf.sum(c)) as tf.Scalar;
      };
      const shape = { batch: B, steps: T, units: H };
      try {
        expect(rl.kernels.setKernelBackend('reference')).toBe('reference');
        const want = stateGradientNorms(l, shape, loss);
        for (const backend of ['native', 'wasm'] as const) {
          if (rl.kernels.setKernelBackend(backend) !== backend) continue; // not built here
          // the kernels' backward computes them (normalized layers included), not the hook fallback
          let called = 0;
          l.gradientNormsHook = () => called++;
          tf.tidy(() => {
            const vars = l.trainableWeights.map((v) => v.read() as tf.Variable);
            const { value, grads } = tf.variableGrads(loss, vars);
            tf.dispose([value, ...Object.values(grads)]);
          });
          expect(called, `${backend}: gradientNormsHook called by the kernels`).toBe(1);
          const got = stateGradientNorms(l, shape, loss); // replaces the hook while measuring
          expect(called, 'the previous hook is restored, not called').toBe(1);
          expect(l.gradientNormsHook).not.toBeNull();
          l.gradientNormsHook = null;
          expect(got.c).toHaveLength(want.c.length);
          for (const s of ['h', 'c'] as const)
            got[s].forEach((v, k) =>
              expect(Math.abs(v - want[s][k]!), `${backend} ${s} step ${k}`).toBeLessThan(
                1e-6 + 1e-3 * want[s][k]!,
              ),
            );
          expect(got.h.some((v) => v > 0.1)).toBe(true);
        }
      } finally {
        rl.kernels.setKernelBackend('auto');
        weights.dispose();
      }
    },
  );

  it('leaves no tensors behind', () => {
    const l = layer();
    const before = tf.memory().numTensors;
    stateVariance(l, () => tf.dispose(l.apply(x(), { training: true }) as tf.Tensor[]));
    stateGradientNorms(l, { batch: B, steps: T, units: H }, () =>
      tf.tidy(() => tf.sum((l.apply(x(), { training: true }) as tf.Tensor[])[0]!) as tf.Scalar),
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

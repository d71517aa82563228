/**
 * The instrumentation hooks of rl.layers.lstm and rl.layers.gru (declared once: `gradientNormsHook`
 * on RecurrentLayer, `stateHook` per cell with its cell's states), each test once per cell:
 * `stateHook` sees every step's states and what it returns is the output (the reference op, so the
 * outputs equal the fast kernels' to 1e-5); `gradientNormsHook` is handed [T, B] norms by the fast
 * kernels' backward (c null for the GRU) with h at the last step equal to ‖∂L/∂h_T[b]‖ of a
 * weighted sum (the weights there, exactly up to float32: 1e-5), and is not called on the
 * reference backend or with a stateHook set; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import * as rl from 'regulab';

const B = 2;
const T = 3;
const D = 2;
const H = 3;
const x = () => tf.randomUniform([B, T, D], -1, 1, 'float32', 4) as tf.Tensor3D;
const w = () => tf.randomNormal([B, T, H], 0, 1, 'float32', 8) as tf.Tensor3D;

const CELLS = [
  { cell: 'LSTM', states: 2, make: () => rl.layers.lstm({ units: H, returnSequences: true, seed: 1 }) },
  { cell: 'GRU', states: 1, make: () => rl.layers.gru({ units: H, returnSequences: true, seed: 1 }) },
] as const;

/** The fast backends built here. */
const fast = (['native', 'wasm'] as const).filter((b) => {
  const got = rl.kernels.setKernelBackend(b) === b;
  rl.kernels.setKernelBackend('auto');
  return got;
});

afterEach(() => {
  rl.kernels.setKernelBackend('auto');
});

describe.each(CELLS)('$cell instrumentation', ({ states, make }) => {
  function built(): rl.layers.Lstm | rl.layers.Gru {
    const l = make();
    tf.dispose(l.apply(x()) as tf.Tensor);
    return l;
  }
  /** Σ sequence ⊙ weights, and its gradient taken with respect to the layer's weights (discarded). */
  function backward(l: rl.layers.Lstm | rl.layers.Gru, weights: tf.Tensor3D): void {
    tf.tidy(() => {
      const vars = l.trainableWeights.map((v) => v.read() as tf.Variable);
      const f = () => tf.sum(tf.mul(l.apply(x()) as tf.Tensor, weights)) as tf.Scalar;
      const { value, grads } = tf.variableGrads(f, vars);
      tf.dispose([value, ...Object.values(grads)]);
    });
  }

  it('stateHook sees every step and its h becomes the output; without it the outputs agree', () => {
    const l = built();
    const plain = l.apply(x()) as tf.Tensor3D;
    const seen: number[] = [];
    const double = (k: number, h: tf.Tensor2D) => {
      seen.push(k);
      return k === T - 1 ? (tf.mul(h, 2) as tf.Tensor2D) : h;
    };
    if (l instanceof rl.layers.Lstm) l.stateHook = (k, h, c) => ({ h: double(k, h), c });
    else l.stateHook = double;
    const hooked = l.apply(x()) as tf.Tensor3D;
    l.stateHook = null;
    expect(seen).toEqual([0, 1, 2]);
    const first = (s: tf.Tensor3D) => tf.slice(s, [0, 0, 0], [B, T - 1, H]);
    const last = (s: tf.Tensor3D) => tf.slice(s, [0, T - 1, 0], [B, 1, H]);
    expect(tf.max(tf.abs(tf.sub(first(hooked), first(plain)))).dataSync()[0]).toBeLessThan(1e-5);
    expect(tf.max(tf.abs(tf.sub(last(hooked), tf.mul(last(plain), 2)))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([plain, hooked]);
  });

  it.runIf(fast.length > 0)("gradientNormsHook: the fast kernels' per-step norms, [T, B]", () => {
    const l = built();
    const weights = w();
    // ∂L/∂h_T = the weights at step T (nothing later reads h_T), per example.
    const want = tf.tidy(() =>
      tf.norm(tf.slice(weights, [0, T - 1, 0], [B, 1, H]), 'euclidean', [1, 2]).arraySync(),
    ) as number[];
    for (const backend of fast) {
      expect(rl.kernels.setKernelBackend(backend)).toBe(backend);
      const got: rl.kernels.StateGradientNorms[] = [];
      l.gradientNormsHook = (n) => got.push(n);
      backward(l, weights);
      expect(got, backend).toHaveLength(1);
      const n = got[0]!;
      expect([n.steps, n.batch, n.h.length]).toEqual([T, B, T * B]);
      expect(n.c === null ? 1 : 2, `${backend}: c only for the LSTM`).toBe(states);
      if (n.c !== null) expect(n.c.length).toBe(T * B);
      for (let b = 0; b < B; b++) expect(Math.abs(n.h[(T - 1) * B + b]! - want[b]!)).toBeLessThan(1e-5);
      expect(Array.from(n.h).every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
      // With a stateHook the call runs on the reference op, which computes no norms.
      got.length = 0;
      if (l instanceof rl.layers.Lstm) l.stateHook = (_k, h, c) => ({ h, c });
      else l.stateHook = (_k, h) => h;
      backward(l, weights);
      l.stateHook = null;
      expect(got, `${backend} with a stateHook`).toHaveLength(0);
      l.gradientNormsHook = null;
    }
    weights.dispose();
  });

  it('gradientNormsHook is not called on the reference backend, and nothing leaks', () => {
    const l = built();
    const weights = w();
    expect(rl.kernels.setKernelBackend('reference')).toBe('reference');
    let called = 0;
    l.gradientNormsHook = () => called++;
    const before = tf.memory().numTensors;
    backward(l, weights);
    expect(called).toBe(0);
    for (const backend of fast) {
      rl.kernels.setKernelBackend(backend);
      backward(l, weights);
    }
    expect(called).toBe(fast.length);
    expect(tf.memory().numTensors).toBe(before);
    weights.dispose();
  });
});

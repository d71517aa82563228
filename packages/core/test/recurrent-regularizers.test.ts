/**
 * Each recurrent regularizer does what its paper says: mask granularity (constant across time
 * exactly where it must be), empirical rates within stated bounds, zoneout's update rule and its
 * inference modes, weight-drop shared by the batch, fresh masks every training call, none at
 * inference, reproducibility under a seed, independence from the batch size.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { dropoutMaskFromSeed, zoneoutMaskFromSeed } from '@regulab/kernels';
import { allClose } from '../../../test/helpers.js';
import { drawCallMasks, type MaskRequest } from '../src/layers/recurrent/masks.js';
import { resolveRecurrentOptions } from '../src/layers/recurrent/options.js';
import { run } from './recurrent-helpers.js';

const request = (opts: object, training = true, zc = 0, zh = 0): MaskRequest => ({
  options: resolveRecurrentOptions('test', { units: 16, ...opts }),
  zoneoutCell: zc,
  zoneoutHidden: zh,
  training,
  batch: 64,
  steps: 20,
  inputDim: 8,
  gates: 4,
});

/** Fraction of entries equal to `value`. */
const fraction = (t: tf.Tensor, value: number) => {
  const d = t.dataSync();
  let n = 0;
  for (const v of d) if (v === value) n++;
  return n / d.length;
};

// Bounds: a Bernoulli(p) fraction over N draws has standard deviation √(p(1−p)/N); every rate
// test allows 6 standard deviations (two-sided false-failure probability ≈ 2e-9).
const sixSigma = (p: number, n: number) => 6 * Math.sqrt((p * (1 - p)) / n);

describe('mask granularity and empirical rates', () => {
  it('Gal input/recurrent masks: [B, D] and [B, H] (no time axis), values 0 or 1/(1−p), rate within 6σ', () => {
    const m = drawCallMasks(request({ dropout: 0.3, recurrentDropout: 0.4 }), 11);
    expect(m.input!.shape).toEqual([64, 8]);
    expect(m.recurrent!.shape).toEqual([64, 16]);
    for (const [mask, p] of [
      [m.input!, 0.3],
      [m.recurrent!, 0.4],
    ] as const) {
      const zeros = fraction(mask, 0);
      expect(fraction(mask, Math.fround(1 / (1 - p))) + zeros).toBe(1);
      expect(Math.abs(zeros - p)).toBeLessThan(sixSigma(p, mask.size));
    }
  });

  it("Semeniuta masks: [T, B, H] per step ('step', seeded) or [B, H] per sequence, on the candidate only", () => {
    // 'step': the op draws the [T, B, H] mask from {rate, seed} (dropoutMaskFromSeed), as it does.
    const step = drawCallMasks(request({ recurrentDropout: 0.5, recurrentDropoutMode: 'semeniuta' }), 3);
    expect(step.candidate).toBeUndefined();
    expect(step.recurrent).toBeUndefined();
    expect(step.dropoutSeeded!.recurrent).toBeUndefined();
    const { rate, seed } = step.dropoutSeeded!.candidate!;
    expect(rate).toBe(0.5);
    const drawn = tf.tensor3d(dropoutMaskFromSeed(seed, rate, 20, 64, 16), [20, 64, 16]);
    const [s0, s1] = tf.unstack(drawn);
    expect(fraction(tf.equal(s0!, s1!).cast('float32'), 1)).toBeLessThan(0.9); // redrawn per step
    expect(Math.abs(fraction(drawn, 0) - 0.5)).toBeLessThan(sixSigma(0.5, drawn.size));
    const seq = drawCallMasks(
      request({ recurrentDropout: 0.5, recurrentDropoutMode: 'semeniuta', semeniutaMask: 'sequence' }),
      3,
    );
    expect(seq.candidate!.shape).toEqual([64, 16]);
  });

  it('zoneout masks: per step [T, B, H] of 0/1 (no rescaling), keep-rate within 6σ, c and h independent', () => {
    const m = drawCallMasks(request({}, true, 0.5, 0.05), 5);
    expect(m.zoneoutCell ?? m.zoneoutHidden).toBeUndefined(); // training masks travel as seeds
    const { cell, hidden } = m.zoneoutSeeded!;
    expect(cell!.rate).toBe(0.5);
    expect(hidden!.rate).toBe(0.05);
    expect(cell!.seed).not.toBe(hidden!.seed);
    // The masks the op draws from these seeds (zoneoutMaskFromSeed, shared by every backend).
    const zc = tf.tensor3d(zoneoutMaskFromSeed(cell!.seed, 0.5, 20, 64, 16), [20, 64, 16]);
    const zh = tf.tensor3d(zoneoutMaskFromSeed(hidden!.seed, 0.05, 20, 64, 16), [20, 64, 16]);
    expect(fraction(zc, 1) + fraction(zc, 0)).toBe(1);
    expect(Math.abs(fraction(zc, 1) - 0.5)).toBeLessThan(sixSigma(0.5, zc.size));
    expect(Math.abs(fraction(zh, 1) - 0.05)).toBeLessThan(sixSigma(0.05, zh.size));
    const [a, b] = tf.unstack(zc);
    expect(fraction(tf.equal(a!, b!).cast('float32'), 1)).toBeLessThan(0.9); // redrawn every step
    // A fresh call draws fresh seeds; inference 'stochastic' draws them too.
    expect(drawCallMasks(request({}, true, 0.5, 0.05), 6).zoneoutSeeded!.cell!.seed).not.toBe(cell!.seed);
    expect(
      drawCallMasks(request({ zoneoutAtInference: 'stochastic' }, false, 0.5), 6).zoneoutSeeded!.cell,
    ).toBeDefined();
    expect(drawCallMasks(request({ zoneoutAtInference: 'off' }, false, 0.5), 6)).toEqual({});
  });

  it('weight-drop: one [H, 4H] mask, rate within 6σ; inference draws nothing but the zoneout expectation', () => {
    const m = drawCallMasks(request({ weightDrop: 0.5 }), 8);
    expect(m.weightDrop!.shape).toEqual([16, 64]);
    expect(Math.abs(fraction(m.weightDrop!, 0) - 0.5)).toBeLessThan(sixSigma(0.5, m.weightDrop!.size));
    const inf = drawCallMasks(
      request({ dropout: 0.5, recurrentDropout: 0.5, weightDrop: 0.5 }, false, 0.3, 0.2),
      8,
    );
    expect(inf.input ?? inf.recurrent ?? inf.candidate ?? inf.weightDrop).toBeUndefined();
    expect(inf.zoneoutCell).toEqual({ kind: 'expectation', rate: 0.3 });
  });

  it('turning one technique on does not shift another technique’s mask (forked seeds)', () => {
    const a = drawCallMasks(request({ dropout: 0.3 }), 42);
    const b = drawCallMasks(request({ dropout: 0.3, recurrentDropout: 0.5, weightDrop: 0.2 }), 42);
    expect(Array.from(a.input!.dataSync())).toEqual(Array.from(b.input!.dataSync()));
  });
});

const B = 4;
const T = 6;
const D = 3;
const H = 5;
const xs = () => tf.randomUniform([B, T, D], -1, 1, 'float32', 21);

describe('layer behaviour', () => {
  it('Gal input dropout: each example drops the same features at every step (gradient pattern)', () => {
    const layer = rl.layers.lstm({ units: H, dropout: 0.5, returnSequences: true, seed: 4 });
    const x = tf.randomUniform([8, T, D], -1, 1, 'float32', 1);
    run(layer, x);
    layer.seeds.restore(0);
    const g = tf
      .grad((v: tf.Tensor) => tf.sum(run(layer, v, true)) as tf.Scalar)(x)
      .arraySync() as number[][][];
    let dropped = 0;
    for (const ex of g) {
      for (let d = 0; d < D; d++) {
        const zeroAt = ex.map((step) => step[d] === 0);
        expect(new Set(zeroAt).size, 'the same at every step').toBe(1);
        if (zeroAt[0]) dropped++;
      }
    }
    expect(dropped).toBeGreaterThan(0); // 24 features at p = 0.5: P(none dropped) = 2^-24
  });

  it('weight-drop shares one mask across the batch; Gal recurrent dropout does not', () => {
    const same = tf.tile(tf.randomUniform([1, T, D], -1, 1, 'float32', 3), [4, 1, 1]); // 4 identical examples
    const wd = run(
      rl.layers.lstm({ units: H, weightDrop: 0.5, seed: 1 }),
      same,
      true,
    ).arraySync() as number[][];
    for (const row of wd) expect(row).toEqual(wd[0]);
    const gal = run(
      rl.layers.lstm({ units: H, recurrentDropout: 0.5, seed: 1 }),
      same,
      true,
    ).arraySync() as number[][];
    expect(gal.some((row) => JSON.stringify(row) !== JSON.stringify(gal[0]))).toBe(true);
  });

  it('zoneout with both rates 1 keeps the initial state for all steps (LSTM, GRU)', () => {
    const h0 = tf.randomUniform([B, H], -1, 1, 'float32', 5);
    const c0 = tf.randomUniform([B, H], -1, 1, 'float32', 6);
    const layer = rl.layers.lstm({
      units: H,
      zoneoutCell: 1,
      zoneoutHidden: 1,
      returnSequences: true,
      returnState: true,
      seed: 1,
    });
    const [seq, h, c] = layer.apply(xs(), { training: true, initialState: [h0, c0] }) as tf.Tensor[];
    expect(Array.from(c!.dataSync())).toEqual(Array.from(c0.dataSync()));
    expect(Array.from(h!.dataSync())).toEqual(Array.from(h0.dataSync()));
    expect(Array.from(seq!.dataSync())).toEqual(
      Array.from(tf.tile(tf.expandDims(h0, 1), [1, T, 1]).dataSync()),
    );
    const g = rl.layers.gru({ units: H, zoneout: 1, seed: 1 });
    const gh = g.apply(xs(), { training: true, initialState: [h0] }) as tf.Tensor;
    expect(Array.from(gh.dataSync())).toEqual(Array.from(h0.dataSync()));
  });

  it('zoneout: each unit either keeps h_{t−1} exactly or takes the new value; keep-rate within 6σ', () => {
    const z = 0.3;
    const layer = rl.layers.gru({ units: 8, zoneout: z, returnSequences: true, seed: 9 });
    const x = tf.randomUniform([32, 12, D], -1, 1, 'float32', 2);
    const seq = run(layer, x, true).arraySync() as number[][][];
    let kept = 0;
    let n = 0;
    for (const ex of seq) {
      let prev = new Array(8).fill(0) as number[];
      for (const step of ex) {
        step.forEach((v, u) => (kept += v === prev[u] ? 1 : 0));
        n += 8;
        prev = step;
      }
    }
    expect(Math.abs(kept / n - z)).toBeLessThan(sixSigma(z, n));
  });

  it('zoneout at inference: expectation by default, off, or stochastic', () => {
    const z = 0.4;
    const h0 = tf.randomUniform([B, H], -1, 1, 'float32', 7);
    const one = tf.slice(xs(), [0, 0, 0], [-1, 1, -1]);
    const plain = rl.layers.gru({ units: H, seed: 3 });
    const zoned = rl.layers.gru({ units: H, zoneout: z, seed: 3 });
    const hNew = plain.apply(one, { initialState: [h0] }) as tf.Tensor;
    zoned.apply(one);
    zoned.setWeights(plain.getWeights());
    allClose(
      zoned.apply(one, { initialState: [h0] }) as tf.Tensor,
      tf.add(tf.mul(h0, z), tf.mul(hNew, 1 - z)),
      { atol: 1e-6 },
      'expectation',
    );
    const off = rl.layers.gru({ units: H, zoneout: z, zoneoutAtInference: 'off', seed: 3 });
    off.apply(one);
    off.setWeights(plain.getWeights());
    allClose(off.apply(one, { initialState: [h0] }) as tf.Tensor, hNew, { atol: 1e-7 }, 'off');
    const sto = rl.layers.gru({ units: H, zoneout: z, zoneoutAtInference: 'stochastic', seed: 3 });
    const a = run(sto, xs()).dataSync();
    const b = run(sto, xs()).dataSync();
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  const everything = {
    units: H,
    dropout: 0.3,
    recurrentDropout: 0.3,
    zoneoutCell: 0.2,
    zoneoutHidden: 0.1,
    weightDrop: 0.3,
    seed: 17,
  };

  it('training calls draw fresh masks; inference is deterministic; the same seed reproduces', () => {
    const a = rl.layers.lstm(everything);
    const b = rl.layers.lstm(everything);
    const x = xs();
    const a1 = run(a, x, true).dataSync();
    const a2 = run(a, x, true).dataSync();
    expect(Array.from(a1)).not.toEqual(Array.from(a2));
    b.apply(x);
    b.setWeights(a.getWeights());
    b.seeds.restore(0);
    expect(Array.from(run(b, x, true).dataSync())).toEqual(Array.from(a1));
    expect(Array.from(run(a, x).dataSync())).toEqual(Array.from(run(a, x).dataSync()));
  });

  it('works with any batch size per call, in training and inference', () => {
    const layer = rl.layers.lstm({ ...everything, recurrentDropoutMode: 'semeniuta' });
    for (const batch of [1, 3, 7]) {
      const x = tf.randomUniform([batch, T, D]);
      expect(run(layer, x, true).shape).toEqual([batch, H]);
      expect(run(layer, x).shape).toEqual([batch, H]);
    }
  });

  it('Semeniuta (per sequence): absent at inference, active in training', () => {
    const plain = rl.layers.lstm({ units: H, seed: 2 });
    const sem = rl.layers.lstm({
      units: H,
      recurrentDropout: 0.5,
      recurrentDropoutMode: 'semeniuta',
      semeniutaMask: 'sequence',
      seed: 2,
    });
    const x = xs();
    const y = run(plain, x);
    run(sem, x);
    sem.setWeights(plain.getWeights());
    allClose(run(sem, x), y, { atol: 1e-7 }, 'inference has no dropout');
    expect(Array.from(run(sem, x, true).dataSync())).not.toEqual(Array.from(y.dataSync()));
  });
});

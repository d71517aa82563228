/**
 * Concrete dropout (Gal, Hron & Kendall, 2017): the relaxed mask, the regularizer, and the dense
 * layers whose drop rate is trained.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { roundTrip, sixSigmaFraction } from './stochastic-helpers.js';

const EPS = 1e-7;

/** The relaxed keep mask written out per element in float64 from the same seeded uniform draw. */
function referenceKeep(p: number, shape: number[], t: number, seed: number): number[] {
  const u = tf.randomUniform(shape, 0, 1, 'float32', seed);
  const draws = Array.from(u.dataSync());
  u.dispose();
  const logit = (v: number) => Math.log(v + EPS) - Math.log(1 - v + EPS);
  return draws.map((d) => (1 - 1 / (1 + Math.exp(-(logit(p) + logit(d)) / t))) / (1 - p));
}

describe('rl.functional.concreteDropout', () => {
  it('is x times the relaxed mask (1 − z)/(1 − p), z = sigmoid((logit p + logit u)/t), from the seeded uniform draw', () => {
    const x = tf.randomUniform([4, 6], 1, 2, 'float32', 2);
    const p = tf.scalar(0.3);
    const y = rl.functional.concreteDropout(x, p, true, 17, { temperature: 0.5 });
    const keep = referenceKeep(0.3, [4, 6], 0.5, 17);
    const expected = tf.tidy(() => tf.mul(x, tf.tensor2d(keep, [4, 6])));
    allClose(y, expected, { atol: 1e-6, rtol: 1e-4 });
    tf.dispose([x, p, y, expected]);
  });

  it('keeps values in [0, x/(1 − p)], near-binary as often as the Concrete law says at t = 0.1 (6σ bound, 20 000 draws)', () => {
    // z is within 0.01 of 0 or 1 unless |logit p + logit u| < c = t·ln 99, i.e. unless
    // u ∈ (σ(−logit p − c), σ(−logit p + c)): probability 1 − σ(c − logit p) + σ(−c − logit p).
    const n = 20_000;
    const rate = 0.25;
    const t = 0.1;
    const p = tf.scalar(rate);
    const x = tf.ones([n]);
    const y = rl.functional.concreteDropout(x, p, true, 3, { temperature: t });
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const c = t * Math.log(99);
    const logitP = Math.log(rate / (1 - rate));
    const expected = 1 - sigmoid(c - logitP) + sigmoid(-c - logitP);
    let nearBinary = 0;
    for (const a of y.dataSync()) {
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThanOrEqual(1 / (1 - rate) + 1e-5);
      const z = 1 - a * (1 - rate);
      if (z < 0.01 || z > 0.99) nearBinary++;
    }
    expect(Math.abs(nearBinary / n - expected)).toBeLessThan(sixSigmaFraction(expected, n));
    expect(expected).toBeGreaterThan(0.8);
    tf.dispose([p, x, y]);
  });

  it('drops (z > ½) a fraction p exactly in distribution, at any temperature (6σ binomial bound, 40 000 draws)', () => {
    const n = 40_000;
    for (const [rate, t] of [
      [0.2, 0.1],
      [0.5, 1],
    ] as const) {
      const p = tf.scalar(rate);
      const x = tf.ones([n]);
      const y = rl.functional.concreteDropout(x, p, true, 11, { temperature: t });
      // z > ½ ⇔ keep·(1 − p) < ½.
      let dropped = 0;
      for (const a of y.dataSync()) if (a * (1 - rate) < 0.5) dropped++;
      expect(Math.abs(dropped / n - rate)).toBeLessThan(sixSigmaFraction(rate, n));
      tf.dispose([p, x, y]);
    }
  });

  it('uses one mask per sequence with maskShape [B, 1, F]', () => {
    const x = tf.randomUniform([3, 5, 4], 1, 2, 'float32', 4);
    const p = tf.scalar(0.4);
    const y = rl.functional.concreteDropout(x, p, true, 9, { maskShape: [3, 1, 4] });
    const ratio = tf.div(y, x).arraySync() as number[][][];
    for (const seq of ratio)
      for (const step of seq) step.forEach((r, f) => expect(r).toBeCloseTo(seq[0]![f]!, 5));
    tf.dispose([x, p, y]);
  });

  it('is the identity at inference; rejects a non-scalar p and a bad temperature', () => {
    const x = tf.ones([2, 3]);
    const p = tf.scalar(0.2);
    expect(rl.functional.concreteDropout(x, p, false, 1)).toBe(x);
    const v = tf.tensor1d([0.2]);
    expect(() => rl.functional.concreteDropout(x, v as unknown as tf.Scalar, true, 1)).toThrow(
      'rl.functional.concreteDropout: p must be a scalar tensor, got shape [1]',
    );
    expect(() => rl.functional.concreteDropout(x, p, true, 1, { temperature: 0 })).toThrow(
      "rl.functional.concreteDropout: option 'temperature' must be a finite number > 0, got 0",
    );
    tf.dispose([x, p, v]);
  });

  it('gradient with respect to the rate’s logit matches finite differences through the relaxed mask (atol 2e-3, rtol 2e-2)', () => {
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 5);
    const w = tf.randomNormal([3, 4], 0, 1, 'float32', 6);
    const rho = tf.scalar(-1); // p = sigmoid(−1) ≈ 0.27
    // t = 1 keeps the relaxation smooth enough for central differences with ε = 1e-3.
    const f = (r: tf.Tensor) =>
      tf.sum(
        tf.mul(rl.functional.concreteDropout(x, tf.sigmoid(r) as tf.Scalar, true, 12, { temperature: 1 }), w),
      ) as tf.Scalar;
    checkGradient(f, rho);
    const fx = (v: tf.Tensor) =>
      tf.sum(
        tf.mul(tf.tanh(rl.functional.concreteDropout(v, tf.scalar(0.3), true, 12, { temperature: 1 })), w),
      ) as tf.Scalar;
    checkGradient(fx, x);
    tf.dispose([x, w, rho]);
  });

  it('leaks no tensors', async () => {
    const x = tf.ones([4, 5]);
    const p = tf.scalar(0.3);
    await expectNoLeak(() => rl.functional.concreteDropout(x, p, true, 2).dispose(), 'training call');
    await expectNoLeak(() => rl.functional.concreteDropoutPenalty(x, p, 4, 1e-4, 1e-3).dispose(), 'penalty');
    tf.dispose([x, p]);
  });
});

describe('rl.functional.concreteDropoutPenalty', () => {
  it('is λ_w·ΣW²/(1 − p) + λ_d·K·(p log p + (1 − p) log(1 − p)), computed by hand', () => {
    const w = tf.tensor2d([
      [0.5, -1],
      [2, 0.25],
      [-0.75, 1.5],
    ]);
    const p = 0.3;
    const r = rl.functional.concreteDropoutPenalty(w, tf.scalar(p), 3, 1e-2, 5e-3);
    const sumSq = 0.25 + 1 + 4 + 0.0625 + 0.5625 + 2.25;
    const expected = (1e-2 * sumSq) / (1 - p) + 5e-3 * 3 * (p * Math.log(p) + (1 - p) * Math.log(1 - p));
    expect(r.dataSync()[0]).toBeCloseTo(expected, 6);
    tf.dispose([w, r]);
  });
});

describe('rl.layers.concreteDropoutDense', () => {
  const make = (extra: Partial<rl.layers.ConcreteDropoutDenseArgs> = {}) =>
    rl.layers.concreteDropoutDense({ units: 3, datasetSize: 1000, seed: 1, ...extra });

  it('derives λ_w = l²/N and λ_d = 2/N from the data-set size, or takes them as given', () => {
    const a = make({ lengthScale: 1e-2 });
    expect(a.weightRegularizer).toBeCloseTo(1e-4 / 1000, 15);
    expect(a.dropoutRegularizer).toBeCloseTo(2 / 1000, 15);
    const b = rl.layers.concreteDropoutDense({ units: 3, weightRegularizer: 0.1, dropoutRegularizer: 0.2 });
    expect([b.weightRegularizer, b.dropoutRegularizer]).toEqual([0.1, 0.2]);
  });

  it('starts at initialRate, reads its learned rate, and is act(x·W + b) at inference', () => {
    const layer = make({ initialRate: 0.2, activation: 'tanh' });
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
    const y = layer.apply(x) as tf.Tensor;
    expect(layer.rate).toBeCloseTo(0.2, 6);
    const [kernel, bias] = layer.getWeights();
    const expected = tf.tidy(() => tf.tanh(tf.add(tf.matMul(x, kernel!), bias!)));
    allClose(y, expected, { atol: 1e-6, rtol: 1e-5 });
    tf.dispose([x, y, expected]);
  });

  it('drops its input during training with the layer’s k-th seed: y = act((x ⊙ keep)·W + b)', () => {
    const layer = make({ initialRate: 0.3 });
    const x = tf.randomUniform([4, 5], 1, 2, 'float32', 8);
    layer.apply(x); // build
    const stream = new rl.SeedStream(1);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const [kernel, bias] = layer.getWeights();
    const expected = tf.tidy(() =>
      tf.add(
        tf.matMul(rl.functional.concreteDropout(x, tf.scalar(layer.rate), true, stream.next()), kernel!),
        bias!,
      ),
    );
    allClose(y, expected, { atol: 1e-5, rtol: 1e-4 });
    tf.dispose([x, y, expected]);
  });

  it('adds its regularizer to fit’s loss: the loss with the layer’s penalty minus the loss without equals R(W, p)', async () => {
    // With both coefficients 0 the penalty vanishes; the difference of one trainOnBatch loss on the
    // same weights and masks is then exactly R.
    const build = (wReg: number, dReg: number) => {
      const model = tf.sequential({
        layers: [
          rl.layers.concreteDropoutDense({
            units: 2,
            inputShape: [3],
            weightRegularizer: wReg,
            dropoutRegularizer: dReg,
            seed: 4,
            kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
          }),
        ],
      });
      model.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
      return model;
    };
    const x = tf.randomNormal([8, 3], 0, 1, 'float32', 1);
    const target = tf.randomNormal([8, 2], 0, 1, 'float32', 2);
    const withR = build(0.05, 0.01);
    const without = build(0, 0);
    const a = (await withR.trainOnBatch(x, target)) as number;
    const b = (await without.trainOnBatch(x, target)) as number;
    const layer = withR.layers[0] as rl.layers.ConcreteDropoutDense;
    const r = layer.penalty();
    expect(a - b).toBeCloseTo(r.dataSync()[0]!, 5);
    const [kernel] = layer.getWeights();
    const p = layer.rate;
    const sumSq = tf.sum(tf.square(kernel!)).dataSync()[0]!;
    expect(r.dataSync()[0]).toBeCloseTo(
      (0.05 * sumSq) / (1 - p) + 0.01 * 3 * (p * Math.log(p) + (1 - p) * Math.log(1 - p)),
      5,
    );
    tf.dispose([x, target, r]);
    withR.dispose();
    without.dispose();
  });

  it('learns its rate: a strong entropy term pulls p from 0.05 towards ½, a strong weight term pulls it down', async () => {
    const x = tf.randomNormal([32, 4], 0, 1, 'float32', 1);
    const target = tf.zeros([32, 1]);
    const train = async (wReg: number, dReg: number) => {
      const model = tf.sequential({
        layers: [
          rl.layers.concreteDropoutDense({
            units: 1,
            inputShape: [4],
            initialRate: wReg > 0 ? 0.4 : 0.05,
            weightRegularizer: wReg,
            dropoutRegularizer: dReg,
            kernelInitializer: 'ones',
            seed: 3,
          }),
        ],
      });
      model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
      // shuffle false: fit's shuffle draws from Math.random, which made the rate vary by ±0.002
      await model.fit(x, target, { epochs: 30, batchSize: 32, verbose: 0, shuffle: false });
      const rate = (model.layers[0] as rl.layers.ConcreteDropoutDense).rate;
      model.dispose();
      return rate;
    };
    // 30 Adam steps: the entropy term takes p from 0.05 to ≈ 0.20 (3× is the bound, not the value),
    // the weight term from 0.4 to below 0.3
    const up = await train(0, 10);
    const down = await train(10, 0);
    expect(up).toBeGreaterThan(0.15);
    expect(down).toBeLessThan(0.3);
    tf.dispose([x, target]);
  });

  it('rateScale k: the same p and penalty, dp/dρ k times larger, and one Adam step moves logit p k times as far', async () => {
    // logit p = k·ρ: the initial rate and the objective are those of k = 1; the weight ρ starts at
    // logit(p₀)/k and Adam's first step is ≈ lr in ρ whatever the gradient's size, so ≈ k·lr in logit p.
    const x = tf.randomNormal([16, 4], 0, 1, 'float32', 1);
    const target = tf.randomNormal([16, 2], 0, 1, 'float32', 2);
    const logit = (p: number) => Math.log(p / (1 - p));
    const step = async (k: number) => {
      const model = tf.sequential({
        layers: [
          rl.layers.concreteDropoutDense({
            units: 2,
            inputShape: [4],
            initialRate: 0.2,
            datasetSize: 10,
            rateScale: k,
            seed: 3,
            kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
          }),
        ],
      });
      const layer = model.layers[0] as rl.layers.ConcreteDropoutDense;
      const before = { rate: layer.rate, rho: layer.getWeights()[2]!.dataSync()[0]! };
      const penalty = layer.penalty();
      const before0 = penalty.dataSync()[0]!;
      penalty.dispose();
      // dp/dρ by central differences: p(ρ ± h) = sigmoid(k (ρ ± h)).
      const [kernel, bias] = layer.getWeights();
      const at = (rho: number) => {
        layer.setWeights([kernel!, bias!, tf.tensor1d([rho])]);
        return layer.rate;
      };
      const h = 1e-3;
      const slope = (at(before.rho + h) - at(before.rho - h)) / (2 * h);
      at(before.rho);
      model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
      await model.trainOnBatch(x, target);
      const after = layer.rate;
      model.dispose();
      return { ...before, penalty: before0, slope, moved: logit(after) - logit(before.rate) };
    };
    const one = await step(1);
    const ten = await step(10);
    expect(ten.rate).toBeCloseTo(0.2, 6);
    expect(ten.rho).toBeCloseTo(logit(0.2) / 10, 6);
    expect(ten.penalty).toBeCloseTo(one.penalty, 6);
    expect(one.slope).toBeCloseTo(0.2 * 0.8, 3); // dp/dρ = k p (1 − p)
    expect(ten.slope / one.slope).toBeCloseTo(10, 1);
    expect(Math.abs(one.moved)).toBeCloseTo(0.01, 3); // Adam's first step: lr·sign(g)
    expect(ten.moved / one.moved).toBeCloseTo(10, 1);
    expect(() => make({ rateScale: 0 })).toThrow("option 'rateScale' must be a finite number > 0, got 0");
    expect(make({ rateScale: 4 }).getConfig()['rateScale']).toBe(4);
    tf.dispose([x, target]);
  });

  it('rejects missing coefficients and bad values, naming the option', () => {
    expect(() => rl.layers.concreteDropoutDense({ units: 3 })).toThrow(
      "rl.layers.concreteDropoutDense: give 'datasetSize' (the number of training examples N, for λ_w = l²/N and λ_d = 2/N) or both 'weightRegularizer' and 'dropoutRegularizer'",
    );
    expect(() => make({ initialRate: 0 })).toThrow("option 'initialRate' must be a number in (0, 1), got 0");
    expect(() => make({ datasetSize: 2.5 })).toThrow(
      "option 'datasetSize' must be a positive integer, got 2.5",
    );
    expect(() => make({ temperature: -1 })).toThrow(
      "option 'temperature' must be a finite number > 0, got -1",
    );
    expect(() => rl.layers.concreteDropoutDense({ units: 0, datasetSize: 10 })).toThrow(
      /option 'units' must be a positive integer/,
    );
    expect(() => make().rateTensor()).toThrow(/not built yet/);
  });

  it('leaks no tensors in training, inference and the penalty', async () => {
    const layer = make();
    const x = tf.ones([3, 4]);
    (layer.apply(x) as tf.Tensor).dispose();
    await expectNoLeak(() => (layer.apply(x, { training: true }) as tf.Tensor).dispose(), 'training call');
    await expectNoLeak(() => (layer.apply(x) as tf.Tensor).dispose(), 'inference call');
    await expectNoLeak(() => layer.penalty().dispose(), 'penalty');
    x.dispose();
  });

  it('round-trips through model.toJSON → modelFromJSON with its learned rate and options', async () => {
    const model = tf.sequential({
      layers: [
        rl.layers.concreteLockedDropoutDense({
          units: 2,
          inputShape: [5, 3],
          datasetSize: 500,
          initialRate: 0.15,
          seed: 6,
        }),
      ],
    });
    const layer = model.layers[0] as rl.layers.ConcreteLockedDropoutDense;
    const [k, b] = layer.getWeights();
    layer.setWeights([k!, b!, tf.tensor1d([0.5])]); // p = sigmoid(0.5)
    const restored = await roundTrip(model);
    const back = restored.layers[0] as rl.layers.ConcreteLockedDropoutDense;
    expect(back).toBeInstanceOf(rl.layers.ConcreteLockedDropoutDense);
    expect(back.getConfig()).toMatchObject({
      units: 2,
      initialRate: 0.15,
      temperature: 0.1,
      weightRegularizer: 1e-8 / 500,
      dropoutRegularizer: 2 / 500,
      seed: 6,
    });
    expect(back.rate).toBeCloseTo(1 / (1 + Math.exp(-0.5)), 6);
    model.dispose();
    restored.dispose();
  });
});

describe('rl.layers.concreteLockedDropoutDense', () => {
  it('drops with one mask per sequence, the same at every step', () => {
    const layer = rl.layers.concreteLockedDropoutDense({
      units: 4,
      useBias: false,
      kernelInitializer: 'identity',
      datasetSize: 100,
      initialRate: 0.4,
      seed: 2,
    });
    const x = tf.randomUniform([3, 6, 4], 1, 2, 'float32', 5);
    const y = layer.apply(x, { training: true }) as tf.Tensor; // identity kernel: y = x ⊙ keep
    const ratio = tf.div(y, x).arraySync() as number[][][];
    for (const seq of ratio)
      for (const step of seq) step.forEach((r, f) => expect(r).toBeCloseTo(seq[0]![f]!, 5));
    expect(() => layer.apply(tf.ones([3, 4]), { training: true })).toThrow(
      /rank 3 \[batch, time, features\]/,
    );
    tf.dispose([x, y]);
  });
});

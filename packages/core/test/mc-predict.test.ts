/**
 * rl.inference.mcPredict (Monte Carlo dropout): side-effect freedom, the reductions against hand
 * loops over the same seeds, the statistics of the mean and variance on a linear model, entropy
 * and mutual information through mcPredict, errors. Every layer sampling inside the context is in
 * sampling-context.test.ts, the reduction itself on constructed probabilities in
 * mc-reduction.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, expectNoLeak } from '../../../test/helpers.js';
import { disposeResult, entropies, momentsOf } from './mc-helpers.js';
import { values } from './stochastic-helpers.js';

const B = 3;
const T = 5;
const D = 4;
const H = 6;
const C = 3;

/** Every weight of a model, moving statistics included, as plain arrays. */
function weightValues(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => values(w));
}

/** `seeds.state` of every layer that has a stream. */
function seedStates(model: tf.LayersModel): number[] {
  return model.layers.flatMap((l) => {
    const seeds = (l as { seeds?: rl.SeedStream }).seeds;
    return seeds ? [seeds.state] : [];
  });
}

/** The model's layer losses now (calculateLosses() hands over any queued penalty). */
function losses(model: tf.LayersModel): number[] {
  return model.calculateLosses().map((l) => {
    const v = l.dataSync()[0]!;
    l.dispose();
    return v;
  });
}

/**
 * A sequence classifier with every kind of side effect MC sampling must avoid: rl dropout, tfjs
 * batch norm, an LSTM with input and recurrent dropout, zoneout, batch normalization inside and
 * the norm stabilizer, a kernel regularizer, and a concrete-dropout softmax head (whose penalty
 * is among the losses).
 */
function sequenceClassifier(): tf.LayersModel {
  const input = tf.input({ shape: [T, D] });
  let h = rl.layers.dropout({ rate: 0.2, seed: 1 }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'bn' }).apply(h) as tf.SymbolicTensor;
  h = rl.layers
    .lstm({
      units: H,
      returnSequences: true,
      dropout: 0.1,
      recurrentDropout: 0.2,
      zoneoutCell: 0.3,
      zoneoutHidden: 0.1,
      normalization: 'batch',
      normMaxSteps: T,
      normStabilizer: 2,
      kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }),
      seed: 3,
    })
    .apply(h) as tf.SymbolicTensor;
  h = rl.layers.lockedDropout({ rate: 0.2, seed: 4 }).apply(h) as tf.SymbolicTensor;
  const out = rl.layers
    .concreteLockedDropoutDense({ units: C, activation: 'softmax', datasetSize: 100, seed: 5 })
    .apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

/** A trained-looking state: one training call (batch-norm statistics move), its penalty taken. */
function afterTraining(model: tf.LayersModel, x: tf.Tensor): void {
  tf.tidy(() => {
    model.apply(x, { training: true });
  });
  losses(model);
}

function sequences(seed = 1, batch = B): tf.Tensor3D {
  return tf.randomNormal([batch, T, D], 0, 1, 'float32', seed);
}

describe('rl.inference.mcPredict: no side effects', () => {
  it('leaves predict bit-identical, weights and moving statistics, seed streams and calculateLosses() unchanged, no tensor behind', async () => {
    const model = sequenceClassifier();
    const x = sequences();
    afterTraining(model, x);
    const predictBefore = tf.tidy(() => values(model.predict(x) as tf.Tensor));
    const weightsBefore = weightValues(model);
    const seedsBefore = seedStates(model);
    const lossesBefore = losses(model);
    expect(seedsBefore.every((s) => s === 1)).toBe(true); // every stream drew once, in training
    expect(lossesBefore.length).toBeGreaterThanOrEqual(2); // kernel l2 and concrete dropout's penalty
    await expectNoLeak(() => {
      const r = rl.inference.mcPredict(model, x, { samples: 8, batchSize: 2 * B, seed: 7 });
      expect(Math.max(...values(r.variance))).toBeGreaterThan(0); // it did sample
      disposeResult(r);
    }, 'mcPredict');
    expect(tf.tidy(() => values(model.predict(x) as tf.Tensor))).toEqual(predictBefore);
    expect(weightValues(model)).toEqual(weightsBefore);
    expect(seedStates(model)).toEqual(seedsBefore);
    expect(losses(model)).toEqual(lossesBefore);
    x.dispose();
  });

  it('restores the context after an error inside it', () => {
    const stream = new rl.SeedStream(1);
    expect(() =>
      rl.inference.withSampling(stream, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(rl.inference.samplingActive()).toBe(false);
  });
});

describe('rl.inference.mcPredict: reductions', () => {
  /** A small softmax classifier with dropout only (samples can be stacked in one call). */
  function classifier(shared: boolean): tf.LayersModel {
    return tf.sequential({
      layers: [
        rl.layers.dropout({ rate: 0.5, seed: 1, inputShape: [D] }),
        shared
          ? rl.layers.dropConnectDense({ units: H, rate: 0.3, activation: 'tanh', seed: 2 })
          : tf.layers.dense({
              units: H,
              activation: 'tanh',
              kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }),
            }),
        tf.layers.dense({
          units: C,
          activation: 'softmax',
          kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }),
        }),
      ],
    });
  }

  /** S single-sample predictions in the context of one stream of `seed`, as plain rows. */
  function handLoop(model: tf.LayersModel, x: tf.Tensor, samples: number, seed: number): number[][] {
    const stream = new rl.SeedStream(seed);
    return Array.from({ length: samples }, () =>
      tf.tidy(() => rl.inference.withSampling(stream, () => values(model.predict(x) as tf.Tensor))),
    );
  }

  function expectReductions(r: rl.inference.McPrediction, samples: number[][], shape: number[]): void {
    const { mean, variance } = momentsOf(samples);
    expect(r.mean.shape).toEqual(shape);
    allClose(r.mean, mean, { atol: 1e-6 }, 'mean');
    allClose(r.variance, variance, { atol: 1e-6 }, 'variance');
    const predictive = entropies(mean, C);
    const expected = samples.map((s) => entropies(s, C));
    const mi = predictive.map((h, i) => h - expected.reduce((a, e) => a + e[i]!, 0) / samples.length);
    allClose(r.entropy!, predictive, { atol: 1e-5 }, 'entropy');
    allClose(r.mutualInformation!, mi, { atol: 1e-5 }, 'mutual information');
  }

  it('one sample per call (batchSize = B): mean, variance, entropy and MI equal a hand loop over the same seeds', () => {
    const model = classifier(false);
    const x = tf.randomNormal([B, D], 0, 1, 'float32', 4);
    const r = rl.inference.mcPredict(model, x, { samples: 6, batchSize: B, seed: 11 });
    expectReductions(r, handLoop(model, x, 6, 11), [B, C]);
    disposeResult(r);
    x.dispose();
  });

  it('stacked samples (batchSize = 4·B, 10 samples: calls of 4, 4, 2): equal the tiled predictions of the same seeds', () => {
    const model = classifier(false);
    const x = tf.randomNormal([B, D], 0, 1, 'float32', 4);
    const r = rl.inference.mcPredict(model, x, { samples: 10, batchSize: 4 * B, seed: 12 });
    const stream = new rl.SeedStream(12);
    const samples: number[][] = [];
    for (const k of [4, 4, 2]) {
      const rows = tf.tidy(() =>
        rl.inference.withSampling(stream, () =>
          values(model.predict(tf.tile(x, [k, 1]), { batchSize: k * B }) as tf.Tensor),
        ),
      );
      for (let s = 0; s < k; s++) samples.push(rows.slice(s * B * C, (s + 1) * B * C));
    }
    expectReductions(r, samples, [B, C]);
    disposeResult(r);
    x.dispose();
  });

  it('batch-shared masks (DropConnect): one call per sample whatever batchSize, so it equals the single-sample hand loop', () => {
    const model = classifier(true);
    const x = tf.randomNormal([B, D], 0, 1, 'float32', 4);
    const r = rl.inference.mcPredict(model, x, { samples: 5, batchSize: 1000, seed: 13 });
    expectReductions(r, handLoop(model, x, 5, 13), [B, C]);
    disposeResult(r);
    x.dispose();
  });

  it('batch larger than batchSize: examples in slices, the same as each slice sampled on its own', async () => {
    const model = classifier(false);
    const x = tf.randomNormal([5, D], 0, 1, 'float32', 4);
    await expectNoLeak(() => {
      const r = rl.inference.mcPredict(model, x, { samples: 4, batchSize: 2, seed: 14 });
      // Slices [0, 2), [2, 4): one sample per call; [4, 5): ⌊2/1⌋ = 2 samples per call; one stream throughout.
      const stream = new rl.SeedStream(14);
      const slices = [
        [0, 2, 1],
        [2, 2, 1],
        [4, 1, 2],
      ].map(([start, size, k]) => {
        const part = tf.slice(x, start!, size!);
        const rows: number[][] = [];
        for (let done = 0; done < 4; done += k!) {
          const tiled = tf.tidy(() =>
            rl.inference.withSampling(stream, () =>
              values(model.predict(tf.tile(part, [k!, 1])) as tf.Tensor),
            ),
          );
          for (let s = 0; s < k!; s++) rows.push(tiled.slice(s * size! * C, (s + 1) * size! * C));
        }
        part.dispose();
        return momentsOf(rows);
      });
      allClose(
        r.mean,
        slices.flatMap((s) => s.mean),
        { atol: 1e-6 },
        'mean',
      );
      allClose(
        r.variance,
        slices.flatMap((s) => s.variance),
        { atol: 1e-6 },
        'variance',
      );
      expect(r.entropy!.shape).toEqual([5]);
      disposeResult(r);
    }, 'sliced mcPredict');
    x.dispose();
  });

  it('sequence outputs: mean and variance [B, T, C], entropy and MI per example and step [B, T], MI ≥ 0', () => {
    const model = sequenceClassifier();
    const x = sequences();
    afterTraining(model, x);
    const r = rl.inference.mcPredict(model, x, { samples: 6, seed: 3 });
    expect(r.mean.shape).toEqual([B, T, C]);
    expect(r.variance.shape).toEqual([B, T, C]);
    expect(r.entropy!.shape).toEqual([B, T]);
    expect(r.mutualInformation!.shape).toEqual([B, T]);
    allClose(
      tf.tidy(() => tf.sum(r.mean, -1)),
      tf.tidy(() => tf.ones([B, T])),
      { atol: 1e-5 },
      'mean rows sum to 1',
    );
    for (const v of values(r.mutualInformation!)) expect(v).toBeGreaterThanOrEqual(0);
    for (const [h, i] of values(r.entropy!).map((h, j) => [h, values(r.mutualInformation!)[j]!])) {
      expect(i).toBeLessThanOrEqual(h! + 1e-6); // I ≤ H[p̄]
    }
    disposeResult(r);
    x.dispose();
  });

  it('is reproducible with a seed and draws fresh noise without one', () => {
    const model = classifier(false);
    const x = tf.randomNormal([B, D], 0, 1, 'float32', 4);
    const run = (seed?: number) => {
      const r = rl.inference.mcPredict(model, x, { samples: 3, ...(seed === undefined ? {} : { seed }) });
      const v = values(r.mean);
      disposeResult(r);
      return v;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
    expect(run()).not.toEqual(run());
    x.dispose();
  });
});

describe('rl.inference.mcPredict: statistics on a linear model', () => {
  it('mean → the deterministic output (6 standard errors), variance → Σ w²x² p/(1 − p) (6 standard errors of the sample variance)', () => {
    // y = Σ_i w_i x_i m_i/q, m_i ~ Bernoulli(q), q = 1 − p. Per term a_i = w_i x_i:
    // Var = Σ a_i² p/q, and the 4th central moment of the sum is Σ a_i⁴ p(1 − 3pq)/q³ + 6 Σ_{i<j} σ_i² σ_j².
    const p = 0.3;
    const q = 1 - p;
    const n = 8;
    const S = 3000;
    const w = Array.from({ length: n }, (_, i) => 0.5 + 0.1 * i);
    const model = tf.sequential({
      layers: [
        rl.layers.dropout({ rate: p, inputShape: [n] }),
        tf.layers.dense({ units: 1, useBias: false, weights: [tf.tensor2d(w, [n, 1])] }),
      ],
    });
    const xs = [
      Array.from({ length: n }, (_, i) => 1 + i / n),
      Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1 : 2)),
    ];
    const x = tf.tensor2d(xs);
    const r = rl.inference.mcPredict(model, x, { samples: S, seed: 21 });
    expect(r.entropy).toBeNull(); // a linear output: 'values'
    const mean = values(r.mean);
    const variance = values(r.variance);
    xs.forEach((row, b) => {
      const a = row.map((v, i) => v * w[i]!);
      const exact = a.reduce((s, v) => s + v, 0);
      const sigma2 = a.map((v) => (v * v * p) / q);
      const var_ = sigma2.reduce((s, v) => s + v, 0);
      let mu4 = a.reduce((s, v) => s + (v ** 4 * p * (1 - 3 * p * q)) / q ** 3, 0);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) mu4 += 6 * sigma2[i]! * sigma2[j]!;
      expect(Math.abs(mean[b]! - exact)).toBeLessThan(6 * Math.sqrt(var_ / S));
      expect(Math.abs(variance[b]! - var_)).toBeLessThan(6 * Math.sqrt((mu4 - var_ ** 2) / S));
    });
    disposeResult(r);
    x.dispose();
  });
});

describe('the Monte Carlo reduction (mean, variance, entropy, mutual information)', () => {
  it('through mcPredict: I = 0 and H = H[p] when every sample agrees (no dropout active)', () => {
    const model = tf.sequential({
      layers: [
        rl.layers.dropout({ rate: 0, inputShape: [D] }),
        tf.layers.dense({
          units: C,
          activation: 'softmax',
          kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }),
        }),
      ],
    });
    const x = tf.randomNormal([B, D], 0, 1, 'float32', 2);
    const r = rl.inference.mcPredict(model, x, { samples: 5, seed: 1 });
    const p = tf.tidy(() => values(model.predict(x) as tf.Tensor));
    allClose(r.mean, p, { atol: 1e-7 }, 'mean');
    allClose(r.variance, new Array(B * C).fill(0), { atol: 1e-12 }, 'variance');
    allClose(r.entropy!, entropies(p, C), { atol: 1e-6 }, 'entropy');
    allClose(r.mutualInformation!, new Array(B).fill(0), { atol: 1e-6 }, 'I');
    disposeResult(r);
    x.dispose();
  });

  it("output 'logits': softmax per sample first, so mean and variance are of the probabilities", () => {
    const model = tf.sequential({
      layers: [
        rl.layers.dropout({ rate: 0.4, seed: 1, inputShape: [D] }),
        tf.layers.dense({ units: C, kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }),
      ],
    });
    const x = tf.randomNormal([B, D], 0, 1, 'float32', 2);
    const r = rl.inference.mcPredict(model, x, { samples: 4, batchSize: B, seed: 8, output: 'logits' });
    const stream = new rl.SeedStream(8);
    const samples = Array.from({ length: 4 }, () =>
      tf.tidy(() =>
        rl.inference.withSampling(stream, () => values(tf.softmax(model.predict(x) as tf.Tensor))),
      ),
    );
    const { mean, variance } = momentsOf(samples);
    allClose(r.mean, mean, { atol: 1e-6 }, 'mean');
    allClose(r.variance, variance, { atol: 1e-6 }, 'variance');
    expect(r.entropy!.shape).toEqual([B]);
    disposeResult(r);
    x.dispose();
  });
});

describe('rl.inference.mcPredict: errors', () => {
  const model = tf.sequential({ layers: [rl.layers.dropout({ rate: 0.5, inputShape: [D] })] });
  const x = tf.ones([2, D]);
  const bad: [string, () => unknown, RegExp][] = [
    [
      'samples 0',
      () => rl.inference.mcPredict(model, x, { samples: 0 }),
      /'samples' must be a positive integer, got 0/,
    ],
    [
      'samples 2.5',
      () => rl.inference.mcPredict(model, x, { samples: 2.5 }),
      /'samples' must be a positive integer, got 2.5/,
    ],
    [
      'samples missing',
      () => rl.inference.mcPredict(model, x, {} as rl.inference.McPredictOptions),
      /'samples' must be a positive integer, got undefined/,
    ],
    [
      'no options',
      () => rl.inference.mcPredict(model, x, undefined as never),
      /options \{ samples \} are required/,
    ],
    [
      'batchSize 0',
      () => rl.inference.mcPredict(model, x, { samples: 2, batchSize: 0 }),
      /'batchSize' must be a positive integer, got 0/,
    ],
    [
      'seed 1.5',
      () => rl.inference.mcPredict(model, x, { samples: 2, seed: 1.5 }),
      /'seed' must be an integer, got 1.5/,
    ],
    [
      "output 'softmax'",
      () => rl.inference.mcPredict(model, x, { samples: 2, output: 'softmax' as never }),
      /'output' must be one of 'probabilities', 'logits', 'values', got softmax/,
    ],
    [
      'x not a tensor',
      () => rl.inference.mcPredict(model, [1, 2] as never, { samples: 2 }),
      /x must be a tensor/,
    ],
    [
      "tfjs's dropout",
      () =>
        rl.inference.mcPredict(
          tf.sequential({ layers: [tf.layers.dropout({ rate: 0.5, inputShape: [D], name: 'tfdrop' })] }),
          x,
          { samples: 2 },
        ),
      /layer 'tfdrop' is tfjs's Dropout.*use the rl.layers equivalent/,
    ],
    [
      'a stateful layer',
      () =>
        rl.inference.mcPredict(
          tf.sequential({
            layers: [rl.layers.lstm({ units: 2, stateful: true, batchInputShape: [2, T, D], name: 'carry' })],
          }),
          tf.ones([2, T, D]),
          { samples: 2 },
        ),
      /layer 'carry' is stateful/,
    ],
  ];
  for (const [what, call, message] of bad) {
    it(`${what}: RegulabConfigError naming the value`, () => {
      expect(call).toThrow(rl.RegulabConfigError);
      expect(call).toThrow(message);
    });
  }

  it('a model with two outputs', () => {
    const input = tf.input({ shape: [D] });
    const two = tf.model({
      inputs: input,
      outputs: [
        tf.layers.dense({ units: 1 }).apply(input),
        tf.layers.dense({ units: 1 }).apply(input),
      ] as tf.SymbolicTensor[],
    });
    expect(() => rl.inference.mcPredict(two, x, { samples: 2 })).toThrow(/exactly one output, got 2/);
  });
});

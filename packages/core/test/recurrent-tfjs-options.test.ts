/**
 * rl.layers.lstm / gru take tf.layers.lstm / gru's weight options with tfjs's meaning (issue 10):
 * weight penalties in `fit`'s and `trainOnBatch`'s loss equal to the hand-computed λ·Σw² (and in
 * the gradient: one SGD step moves w by lr·2λw more), Keras's activity penalty, constraints
 * projected by rl.callbacks.applyConstraints() / rl.constraints.applyConstraints(model), useBias
 * false on every kernel backend, every initializer name tfjs resolves, implementation / unroll /
 * inputDType accepted, config round trips, clear errors, and a tfjs model definition trained to
 * the same weights with rl.layers in place of tf.layers.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, expectNoLeak } from '../../../test/helpers.js';

const B = 4;
const T = 3;
const D = 2;
const H = 3;
const LAMBDA = 0.05;
const xs = () => tf.randomUniform([B, T, D], -1, 1, 'float32', 11);
const ys = () => tf.randomUniform([B, H], -1, 1, 'float32', 12);

type Factory = (args: rl.layers.LstmArgs & rl.layers.GruArgs) => tf.layers.Layer;
const LAYERS: [string, Factory][] = [
  ['lstm', (a) => rl.layers.lstm(a)],
  ['gru', (a) => rl.layers.gru(a)],
  ['gru resetAfter', (a) => rl.layers.gru({ ...a, resetAfter: true })],
];
const WEIGHTS = [
  ['kernel', 'kernelRegularizer'],
  ['recurrent_kernel', 'recurrentRegularizer'],
  ['bias', 'biasRegularizer'],
] as const;

/** A one-layer model around `layer` (MSE on the last h), compiled with plain SGD (lr 0.1). */
function model(layer: tf.layers.Layer): tf.LayersModel {
  const m = tf.sequential({ layers: [layer] });
  m.compile({ loss: 'meanSquaredError', optimizer: tf.train.sgd(0.1) });
  return m;
}

/** Σw² of a model's weight called `name`. */
function sumSquares(m: tf.LayersModel, name: string): number {
  const w = m.weights.find((v) => v.originalName.endsWith(`/${name}`))!;
  return tf.tidy(() => tf.sum(tf.square(w.read())).dataSync()[0]!);
}

function weightByName(m: tf.LayersModel, name: string): tf.Tensor {
  return m.weights.find((v) => v.originalName.endsWith(`/${name}`))!.read();
}

describe('weight penalties reach fit and trainOnBatch', () => {
  for (const [what, make] of LAYERS) {
    for (const [weight, option] of WEIGHTS) {
      it(`${what}: ${option} adds λ·Σw² to the loss and 2λw to the gradient`, async () => {
        // Non-zero bias so its penalty is not trivially 0.
        const base = { units: H, inputShape: [T, D], seed: 3, biasInitializer: 'randomNormal' };
        const plain = model(make(base));
        const penalized = model(make({ ...base, [option]: rl.regularizers.l2({ l2: LAMBDA }) }));
        const initial = plain.getWeights().map((w) => w.clone());
        penalized.setWeights(initial);
        const x = xs();
        const y = ys();
        const penalty = LAMBDA * sumSquares(plain, weight);
        expect(penalty).toBeGreaterThan(1e-3);
        // evaluate leaves the penalty out, as for tf.layers.dense.
        const evalPlain = (plain.evaluate(x, y) as tf.Scalar).dataSync()[0]!;
        const evalPenalized = (penalized.evaluate(x, y) as tf.Scalar).dataSync()[0]!;
        expect(evalPenalized).toBe(evalPlain);

        // trainOnBatch reports the loss at the weights before its step.
        const lossPlain = (await plain.trainOnBatch(x, y)) as number;
        const lossPenalized = (await penalized.trainOnBatch(x, y)) as number;
        expect(lossPenalized - lossPlain).toBeCloseTo(penalty, 6);
        // One SGD step: w_pen = w_plain − lr·2λ·w0 (the rest of the gradient is the same).
        const w0 = initial[plain.weights.findIndex((v) => v.originalName.endsWith(`/${weight}`))]!;
        const expected = tf.sub(weightByName(plain, weight), tf.mul(0.1 * 2 * LAMBDA, w0));
        allClose(weightByName(penalized, weight), expected, { atol: 1e-6 }, `${weight} after a step`);

        // fit: one full batch, same weights again.
        plain.setWeights(initial);
        penalized.setWeights(initial);
        const opts = { batchSize: B, epochs: 1, shuffle: false, verbose: 0 as const };
        const fitPlain = (await plain.fit(x, y, opts)).history['loss']![0] as number;
        const fitPenalized = (await penalized.fit(x, y, opts)).history['loss']![0] as number;
        expect(fitPenalized - fitPlain).toBeCloseTo(penalty, 6);
        tf.dispose([x, y, expected, ...initial]);
      });
    }
  }

  it('with weightDrop, the recurrent penalty is on the raw recurrent kernel', async () => {
    // Same seed → same weight-drop masks in both layers, so the data losses are equal.
    const base = { units: H, inputShape: [T, D], seed: 5, weightDrop: 0.5 };
    const plain = model(rl.layers.lstm(base));
    const penalized = model(
      rl.layers.lstm({ ...base, recurrentRegularizer: rl.regularizers.l2({ l2: LAMBDA }) }),
    );
    penalized.setWeights(plain.getWeights());
    const x = xs();
    const y = ys();
    const penalty = LAMBDA * sumSquares(plain, 'recurrent_kernel');
    const diff =
      ((await penalized.trainOnBatch(x, y)) as number) - ((await plain.trainOnBatch(x, y)) as number);
    expect(diff).toBeCloseTo(penalty, 6);
    tf.dispose([x, y]);
  });

  it('the string identifier tfjs resolves ("l1l2": l1 = l2 = 0.01) gives its penalty', async () => {
    const base = { units: H, inputShape: [T, D], seed: 6 };
    const plain = model(rl.layers.gru(base));
    const penalized = model(rl.layers.gru({ ...base, kernelRegularizer: 'l1l2' }));
    penalized.setWeights(plain.getWeights());
    const k = weightByName(plain, 'kernel');
    const penalty = tf.tidy(
      () => tf.add(tf.mul(0.01, tf.sum(tf.abs(k))), tf.mul(0.01, tf.sum(tf.square(k)))).dataSync()[0]!,
    );
    const x = xs();
    const y = ys();
    const diff =
      ((await penalized.trainOnBatch(x, y)) as number) - ((await plain.trainOnBatch(x, y)) as number);
    expect(diff).toBeCloseTo(penalty, 6);
    tf.dispose([x, y]);
  });
});

describe('activity regularizer (Keras: Σ over outputs of penalty(output) / batch)', () => {
  for (const returnSequences of [false, true]) {
    it(`adds λ·Σh²/B of the output to the training loss only (returnSequences ${returnSequences})`, async () => {
      const base = { units: H, inputShape: [T, D], seed: 8, returnSequences };
      const plain = model(rl.layers.lstm(base));
      const penalized = model(
        rl.layers.lstm({ ...base, activityRegularizer: rl.regularizers.l2({ l2: LAMBDA }) }),
      );
      penalized.setWeights(plain.getWeights());
      const x = xs();
      const y = returnSequences ? tf.randomUniform([B, T, H], -1, 1, 'float32', 13) : ys();
      const h = plain.predict(x) as tf.Tensor;
      const penalty = (LAMBDA * tf.tidy(() => tf.sum(tf.square(h)).dataSync()[0]!)) / B;
      const diff =
        ((await penalized.trainOnBatch(x, y)) as number) - ((await plain.trainOnBatch(x, y)) as number);
      expect(diff).toBeCloseTo(penalty, 6);
      // Inference is untouched and leaves nothing queued.
      plain.setWeights(penalized.getWeights());
      allClose(penalized.predict(x) as tf.Tensor, plain.predict(x) as tf.Tensor, { atol: 0 }, 'predict');
      expect(tf.tidy(() => penalized.calculateLosses().map((l) => l.dataSync()[0]))).toEqual([0]);
      tf.dispose([x, y, h]);
    });
  }

  it('with returnState, the final states are penalized too', async () => {
    const layer = rl.layers.gru({
      units: H,
      seed: 9,
      returnState: true,
      activityRegularizer: rl.regularizers.l2({ l2: LAMBDA }),
    });
    const x = xs();
    const [out, h] = layer.apply(x) as tf.Tensor[];
    tf.dispose(layer.apply(x, { training: true }) as tf.Tensor[]);
    const held = tf.tidy(() => layer.calculateLosses()[0]!.dataSync()[0]!);
    const want = tf.tidy(() => tf.add(tf.sum(tf.square(out!)), tf.sum(tf.square(h!))).dataSync()[0]!);
    expect(held).toBeCloseTo((LAMBDA * want) / B, 6);
    tf.dispose([x, out!, h!]);
  });
});

describe('constraints', () => {
  const MAX = 0.2;
  const constrained = (make: Factory) =>
    make({
      units: H,
      inputShape: [T, D],
      seed: 4,
      biasInitializer: 'randomNormal',
      kernelConstraint: rl.constraints.maxNorm({ maxValue: MAX }),
      recurrentConstraint: 'unitNorm',
      biasConstraint: rl.constraints.nonNeg(),
    });
  /** The columns' norms (axis 0) of a weight. */
  const norms = (w: tf.Tensor) => Array.from(tf.tidy(() => tf.norm(w, 'euclidean', 0).dataSync()));
  const check = (m: tf.LayersModel, what: string) => {
    for (const n of norms(weightByName(m, 'kernel')))
      expect(n, `${what}: kernel norm`).toBeLessThanOrEqual(MAX + 1e-6);
    for (const n of norms(weightByName(m, 'recurrent_kernel')))
      expect(n, `${what}: recurrent norm`).toBeCloseTo(1, 5);
    expect(Math.min(...weightByName(m, 'bias').dataSync()), `${what}: bias`).toBeGreaterThanOrEqual(0);
  };

  for (const [what, make] of LAYERS) {
    it(`${what}: projected after each step by the callback and by applyConstraints(model)`, async () => {
      const x = xs();
      const y = ys();
      const fitted = model(constrained(make));
      const callback = rl.callbacks.applyConstraints();
      await fitted.fit(x, y, { batchSize: 2, epochs: 1, verbose: 0, callbacks: [callback] });
      expect(callback.projections).toBe(6); // 3 weights × 2 batches
      check(fitted, 'fit + callback');

      const stepped = model(constrained(make));
      await stepped.trainOnBatch(x, y);
      // Without the projection, the initial weights already break the bounds.
      expect(Math.max(...norms(weightByName(stepped, 'kernel')))).toBeGreaterThan(MAX);
      expect(rl.constraints.applyConstraints(stepped)).toBe(3);
      check(stepped, 'trainOnBatch + applyConstraints');
      tf.dispose([x, y]);
    });
  }
});

describe('useBias: false', () => {
  const backends = ['reference', 'native', 'wasm'] as const;
  afterAll(() => rl.kernels.setKernelBackend('auto'));

  for (const [what, make] of LAYERS) {
    it(`${what}: no bias weight; equals a zero bias; same outputs and gradients on every kernel backend`, () => {
      const x = xs();
      const noBias = make({ units: H, seed: 2, useBias: false, returnSequences: true });
      const zeroBias = make({ units: H, seed: 2, returnSequences: true });
      const reference = tf.tidy(() => {
        rl.kernels.setKernelBackend('reference');
        return noBias.apply(x) as tf.Tensor;
      });
      expect(noBias.getWeights().map((w) => w.shape)).toEqual([
        [D, noBias.getWeights()[0]!.shape[1]],
        [H, noBias.getWeights()[0]!.shape[1]],
      ]);
      expect(noBias.weights.map((w) => w.originalName.split('/').pop())).toEqual([
        'kernel',
        'recurrent_kernel',
      ]);
      zeroBias.apply(x);
      zeroBias.setWeights([...noBias.getWeights(), tf.zerosLike(zeroBias.getWeights()[2]!)]);
      allClose(zeroBias.apply(x) as tf.Tensor, reference, { atol: 0 }, 'zero bias');

      const loss = () => tf.sum(tf.square(noBias.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar;
      const vars = noBias.trainableWeights.map((w) => w.read() as tf.Variable);
      const wantGrads = tf.variableGrads(loss, vars).grads;
      let compared = 0;
      for (const backend of backends) {
        if (rl.kernels.setKernelBackend(backend) !== backend) continue; // not built here
        const y = noBias.apply(x) as tf.Tensor;
        allClose(y, reference, { atol: 1e-5, rtol: 1e-4 }, `${backend} output`);
        const { grads, value } = tf.variableGrads(loss, vars);
        for (const v of vars)
          allClose(
            grads[v.name]!,
            wantGrads[v.name]!,
            { atol: 1e-5, rtol: 1e-4 },
            `${backend} d/d ${v.name}`,
          );
        tf.dispose([y, value, ...Object.values(grads)]);
        compared++;
      }
      rl.kernels.setKernelBackend('reference');
      expect(compared).toBeGreaterThanOrEqual(2); // reference and wasm at least
      tf.dispose([x, reference, ...Object.values(wantGrads)]);
    });
  }

  it('with normalization (the tfjs reference op with norm hooks), equals a zero bias too', () => {
    const x = xs();
    for (const [what, make] of LAYERS) {
      for (const normalization of ['layer', 'batch'] as const) {
        const noBias = make({ units: H, seed: 2, useBias: false, normalization, normMaxSteps: T });
        const zeroBias = make({ units: H, seed: 2, normalization, normMaxSteps: T });
        const y = noBias.apply(x, { training: true }) as tf.Tensor;
        zeroBias.apply(x);
        const w = noBias.getWeights();
        const bias = zeroBias.getWeights()[2]!;
        zeroBias.setWeights([w[0]!, w[1]!, tf.zerosLike(bias), ...w.slice(2)]);
        const want = zeroBias.apply(x, { training: true }) as tf.Tensor;
        allClose(y, want, { atol: 1e-6 }, `${what} ${normalization}`);
        tf.dispose([y, want, ...w]);
      }
    }
    x.dispose();
  });

  it('no leak per call with a constant zero bias', async () => {
    const layer = rl.layers.lstm({ units: H, seed: 1, useBias: false });
    const x = xs();
    tf.dispose(layer.apply(x) as tf.Tensor);
    await expectNoLeak(() => tf.dispose(layer.apply(x, { training: true }) as tf.Tensor));
    x.dispose();
  });
});

describe('initializers: every name tfjs resolves', () => {
  const NAMES = [
    'glorotNormal',
    'glorotUniform',
    'heNormal',
    'heUniform',
    'leCunNormal',
    'leCunUniform',
    'ones',
    'zeros',
    'orthogonal',
    'randomNormal',
    'randomUniform',
    'truncatedNormal',
    'varianceScaling',
  ];
  for (const name of NAMES) {
    it(`'${name}' builds every weight, the same one for the same seed`, () => {
      const build = () => {
        const layer = rl.layers.lstm({
          units: H,
          seed: 7,
          kernelInitializer: name,
          recurrentInitializer: name,
          biasInitializer: name === 'orthogonal' ? 'zeros' : name, // orthogonal needs rank ≥ 2
          unitForgetBias: false,
        });
        tf.dispose(layer.apply(xs()) as tf.Tensor);
        return layer.getWeights();
      };
      const a = build();
      const b = build();
      for (let i = 0; i < a.length; i++) allClose(a[i]!, b[i]!, { atol: 0 }, `${name} weight ${i}`);
      tf.dispose([...a, ...b]);
    });
  }

  it('instances are used as given, rl.initializers.orthogonal included', () => {
    const layer = rl.layers.lstm({
      units: H,
      recurrentInitializer: rl.initializers.orthogonal({ gain: 2, seed: 1 }),
    });
    tf.dispose(layer.apply(xs()) as tf.Tensor);
    const u = layer.getWeights()[1]!; // [H, 4H]: orthogonal rows of norm 2
    allClose(tf.matMul(u, u, false, true), tf.mul(4, tf.eye(H)), { atol: 1e-5 }, 'U·Uᵀ');
    expect(layer.getConfig()['recurrentInitializer']).toEqual({
      className: 'RegulabOrthogonal',
      config: { gain: 2, seed: 1 },
    });
  });

  it("'randomNormal' is tfjs's (mean 0, stddev 0.05) and 'identity' works on a square kernel", () => {
    const layer = rl.layers.gru({ units: 40, seed: 1, kernelInitializer: 'randomNormal' });
    tf.dispose(layer.apply(tf.zeros([1, 1, 60])) as tf.Tensor);
    const k = layer.getWeights()[0]!; // [60, 120]: 7200 draws, std error of the std ≈ 0.0004
    const { mean, variance } = tf.moments(k);
    expect(Math.abs(mean.dataSync()[0]!)).toBeLessThan(0.003);
    expect(Math.sqrt(variance.dataSync()[0]!)).toBeCloseTo(0.05, 2);
    // 'identity' needs a square matrix: kernel [3H, 3H] when D = 3H.
    const id = rl.layers.gru({ units: 2, kernelInitializer: 'identity' });
    tf.dispose(id.apply(tf.zeros([1, 1, 6])) as tf.Tensor);
    allClose(id.getWeights()[0]!, tf.eye(6), { atol: 0 }, 'identity kernel');
    tf.dispose([k, mean, variance]);
  });
});

describe('implementation, unroll and tfjs LayerArgs (weights, inputDType)', () => {
  it('implementation 1/2 and unroll true/false give the same outputs, and are kept in the config', () => {
    const x = xs();
    const ref = rl.layers.lstm({ units: H, seed: 3 });
    const want = ref.apply(x) as tf.Tensor;
    for (const opts of [{ implementation: 2 }, { unroll: true }, { implementation: 1, unroll: false }]) {
      const layer = rl.layers.lstm({ units: H, seed: 3, ...opts });
      allClose(layer.apply(x) as tf.Tensor, want, { atol: 0 }, JSON.stringify(opts));
      expect(layer.getConfig()).toMatchObject(opts);
    }
    tf.dispose([x, want]);
  });

  it('weights are set after build, as tfjs does', () => {
    const source = rl.layers.lstm({ units: H, seed: 1, unitForgetBias: false });
    const x = xs();
    tf.dispose(source.apply(x) as tf.Tensor);
    const layer = rl.layers.lstm({ units: H, weights: source.getWeights() });
    allClose(layer.apply(x) as tf.Tensor, source.apply(x) as tf.Tensor, { atol: 0 }, 'output');
    x.dispose();
  });

  it('inputDType sets the dtype of the input a Sequential model creates', () => {
    const m = tf.sequential({
      layers: [rl.layers.gru({ units: H, inputShape: [T, D], inputDType: 'float32' })],
    });
    expect(m.inputs[0]!.dtype).toBe('float32');
    expect(m.layers[0]!.getConfig()['dtype']).toBe('float32');
  });
});

describe('serialization', () => {
  it('a model with regularizers, constraints, initializers and useBias false round-trips and keeps its penalties', async () => {
    const make = () =>
      tf.sequential({
        layers: [
          rl.layers.lstm({
            units: H,
            inputShape: [T, D],
            seed: 1,
            useBias: false,
            implementation: 2,
            kernelInitializer: 'varianceScaling',
            recurrentInitializer: tf.initializers.randomNormal({ stddev: 0.2, seed: 4 }),
            kernelRegularizer: rl.regularizers.l2({ l2: 0.01 }),
            recurrentRegularizer: 'l1l2',
            activityRegularizer: rl.regularizers.l1({ l1: 0.001 }),
            kernelConstraint: rl.constraints.maxNorm({ maxValue: 2 }),
            recurrentConstraint: 'nonNeg',
          }),
        ],
      });
    const m = make();
    let saved: tf.io.ModelArtifacts | undefined;
    await m.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const before = m.layers[0]!.getConfig();
    const after = loaded.layers[0]!.getConfig();
    expect(after).toEqual(before);
    expect(after['kernelRegularizer']).toEqual({ className: 'L1L2', config: { l1: 0, l2: 0.01 } });
    expect(after['recurrentConstraint']).toEqual({ className: 'NonNeg', config: {} });
    expect(after['useBias']).toBe(false);
    // Same weights (no bias), same weight penalties, same constraints.
    expect(loaded.weights.map((w) => w.originalName)).toEqual(m.weights.map((w) => w.originalName));
    const penalties = (model: tf.LayersModel) =>
      tf.tidy(() => model.calculateLosses().map((l) => l.dataSync()[0]!));
    expect(penalties(loaded)).toEqual(penalties(m));
    // tfjs projects a constrained weight whenever it is written, so loading projected the loaded
    // weights already; project the original's to compare.
    expect(rl.constraints.applyConstraints(m)).toBe(2);
    const x = xs();
    allClose(loaded.predict(x) as tf.Tensor, m.predict(x) as tf.Tensor, { atol: 1e-6 }, 'predict');
    x.dispose();
  });

  it('fromConfig of getConfig gives the same config (gru, bias constraint and regularizer)', () => {
    const layer = rl.layers.gru({
      units: H,
      biasRegularizer: rl.regularizers.l1l2({ l1: 0.1, l2: 0.2 }),
      biasConstraint: rl.constraints.minMaxNorm({ minValue: 0.5, maxValue: 1 }),
      unroll: true,
    });
    const copy = rl.layers.Gru.fromConfig(rl.layers.Gru, layer.getConfig());
    expect({ ...copy.getConfig(), name: null }).toEqual({ ...layer.getConfig(), name: null });
  });
});

describe('clear errors', () => {
  const cases: [string, object, RegExp][] = [
    [
      'unknown regularizer name',
      { kernelRegularizer: 'l3' },
      /option 'kernelRegularizer'.*got 'l3'.*Unknown regularizer/,
    ],
    ['a number as regularizer', { biasRegularizer: 0.01 }, /option 'biasRegularizer'.*got 0\.01/],
    [
      'unknown constraint',
      { recurrentConstraint: 'maxnorm' },
      /option 'recurrentConstraint'.*'maxNorm'.*got 'maxnorm'/,
    ],
    [
      'an unknown class',
      { kernelConstraint: { className: 'Nope', config: {} } },
      /option 'kernelConstraint'.*Nope/,
    ],
    ['activity regularizer layer', { activityRegularizer: 42 }, /option 'activityRegularizer'.*got 42/],
    [
      'unknown initializer',
      { kernelInitializer: 'magic' },
      /option 'kernelInitializer'.*got 'magic'.*Unknown initializer/,
    ],
    ['useBias as a string', { useBias: 'false' }, /option 'useBias' must be a boolean, got false/],
    ['implementation 3', { implementation: 3 }, /option 'implementation' must be 0, 1 or 2.*got 3/],
    ['unroll as a number', { unroll: 1 }, /option 'unroll' must be a boolean, got 1/],
    [
      "tfjs's dropoutFunc test hook",
      { dropoutFunc: () => null },
      /option 'dropoutFunc' is not supported.*'seed'/,
    ],
  ];
  for (const [what, opts, message] of cases) {
    it(what, () => {
      expect(() => rl.layers.lstm({ units: 2, ...opts } as never)).toThrow(rl.RegulabConfigError);
      expect(() => rl.layers.gru({ units: 2, ...opts } as never)).toThrow(message);
    });
  }
});

describe('a tfjs model definition with tf.layers.lstm / gru replaced by rl.layers', () => {
  // Copied verbatim from a tfjs model; only the recurrent factory changes. recurrentActivation is
  // spelled out (hardSigmoid in the first layer, sigmoid in the second) because tfjs defaults to
  // hardSigmoid and Regulab to sigmoid. Tolerance: float32 rounding of 40 steps; measured max |Δw|
  // 6e-8 (lstm) and 1.8e-7 (gru) on reference, native (avx512) and wasm, while the weights move by
  // up to 0.18 (lstm) and 0.4 (gru).
  function defineModel(recurrent: (args: never) => tf.layers.Layer): tf.LayersModel {
    const model = tf.sequential();
    model.add(
      recurrent({
        units: 6,
        inputShape: [5, 3],
        returnSequences: true,
        recurrentActivation: 'hardSigmoid',
        kernelInitializer: 'glorotUniform',
        recurrentInitializer: 'orthogonal',
        biasInitializer: 'zeros',
        useBias: true,
        implementation: 2,
        unroll: false,
      } as never),
    );
    model.add(recurrent({ units: 4, recurrentActivation: 'sigmoid', useBias: false } as never));
    model.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
    model.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    return model;
  }

  for (const [what, theirs, ours] of [
    ['lstm', tf.layers.lstm, rl.layers.lstm],
    ['gru', tf.layers.gru, rl.layers.gru],
  ] as const) {
    it(`${what}: 40 SGD steps of fit end at tfjs's weights on every kernel backend (atol 2e-6)`, async () => {
      const x = tf.randomUniform([16, 5, 3], -1, 1, 'float32', 21);
      const labels = tf.oneHot(tf.randomUniform([16], 0, 2, 'int32', 22) as tf.Tensor1D, 2);
      const opts = { batchSize: 4, epochs: 10, shuffle: false, verbose: 0 as const };
      const a = defineModel(theirs as never);
      const initial = a.getWeights().map((w) => w.clone());
      const losses = (await a.fit(x, labels, opts)).history['loss'] as number[];
      expect(losses.at(-1)).toBeLessThan(losses[0]!); // the weights moved
      const want = a.getWeights();
      let compared = 0;
      for (const backend of ['reference', 'native', 'wasm'] as const) {
        if (rl.kernels.setKernelBackend(backend) !== backend) continue; // not built here
        const b = defineModel(ours as never);
        b.setWeights(initial); // same start (tfjs's and Regulab's random draws differ)
        const got = (await b.fit(x, labels, opts)).history['loss'] as number[];
        allClose(got, losses, { atol: 2e-6, rtol: 0 }, `${backend} loss`);
        const weights = b.getWeights();
        for (let i = 0; i < want.length; i++) {
          allClose(weights[i]!, want[i]!, { atol: 2e-6, rtol: 0 }, `${backend} weight ${i}`);
        }
        compared++;
      }
      rl.kernels.setKernelBackend('auto');
      expect(compared).toBeGreaterThanOrEqual(2);
      tf.dispose([x, labels, ...initial]);
    });
  }
});

describe('TensorFlow.js 4.22 defects (canaries)', () => {
  it('tf.layers.bidirectional reports the losses of the layer it was given, which it never builds', () => {
    const penalized = model(
      tf.layers.bidirectional({
        layer: rl.layers.lstm({
          units: H,
          seed: 1,
          kernelRegularizer: rl.regularizers.l2({ l2: LAMBDA }),
        }) as unknown as tf.RNN,
        inputShape: [T, D],
      }),
    );
    expect(penalized.weights.some((w) => w.originalName.endsWith('/kernel'))).toBe(true);
    expect(penalized.calculateLosses()).toHaveLength(0); // docs/recurrent.md says so
  });

  it("tf.layers.lstm's kernelRegularizer never reaches fit's loss (it sits on the inner cell)", async () => {
    const make = (kernelRegularizer?: ReturnType<typeof rl.regularizers.l2>) =>
      model(tf.layers.lstm({ units: H, inputShape: [T, D], kernelRegularizer }));
    const plain = make();
    const penalized = make(rl.regularizers.l2({ l2: LAMBDA }));
    penalized.setWeights(plain.getWeights());
    expect(LAMBDA * sumSquares(plain, 'kernel')).toBeGreaterThan(1e-3);
    const x = xs();
    const y = ys();
    const diff =
      ((await penalized.trainOnBatch(x, y)) as number) - ((await plain.trainOnBatch(x, y)) as number);
    expect(diff).toBe(0);
    tf.dispose([x, y]);
  });
});

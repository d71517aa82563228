/**
 * rl.layers.lstm / gru as tfjs layers: serialization round-trips, stateful segments and
 * resetStates, returnState with stacked layers trained with fit, the norm stabilizer reaching
 * fit's loss, batch-norm statistics, layer-norm invariance, clear errors, and no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, checkGradient, expectNoLeak } from '../../../test/helpers.js';
import { normStabilizerPenalty } from '../src/layers/recurrent/norm-stabilizer.js';
import { run } from './recurrent-helpers.js';

const B = 3;
const T = 4;
const D = 3;
const H = 4;
const xs = (seed = 1) => tf.randomUniform([B, T, D], -1, 1, 'float32', seed);

describe('serialization', () => {
  const full: [string, () => tf.layers.Layer][] = [
    [
      'lstm with every option',
      () =>
        rl.layers.lstm({
          units: H,
          returnSequences: true,
          goBackwards: true,
          dropout: 0.1,
          recurrentDropout: 0.2,
          recurrentDropoutMode: 'semeniuta',
          semeniutaMask: 'sequence',
          zoneoutCell: 0.5,
          zoneoutHidden: 0.05,
          zoneoutAtInference: 'expectation',
          weightDrop: 0.3,
          normalization: 'batch',
          normMaxSteps: T,
          normStabilizer: 2,
          unitForgetBias: false,
          kernelInitializer: tf.initializers.randomNormal({ stddev: 0.3, seed: 1 }),
          recurrentInitializer: 'glorotNormal',
          activation: 'tanh',
          recurrentActivation: 'sigmoid',
          seed: 5,
        }),
    ],
    [
      'gru reset-after with zoneout',
      () => rl.layers.gru({ units: H, resetAfter: true, zoneout: 0.15, dropout: 0.1, seed: 2 }),
    ],
  ];
  for (const [what, make] of full) {
    it(`${what}: model.toJSON → modelFromJSON + weights predicts the same`, async () => {
      const model = tf.sequential({
        layers: [tf.layers.inputLayer({ inputShape: [T, D] }), make()],
      });
      const x = xs();
      // A training call first, so batch-norm moving statistics are non-trivial.
      model.apply(x, { training: true });
      const json = model.toJSON(undefined, false) as tf.io.ModelJSON['modelTopology'];
      const restored = await tf.models.modelFromJSON({ modelTopology: json });
      restored.setWeights(model.getWeights());
      allClose(restored.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor, { atol: 1e-6 }, 'prediction');
      const a = model.layers.at(-1)!.getConfig();
      const b = restored.layers.at(-1)!.getConfig();
      expect({ ...b, name: a.name }).toEqual(a);
    });
  }

  it('saves and loads through tf.io (weights by name, including non-trainable statistics)', async () => {
    const model = tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape: [T, D] }),
        rl.layers.lstm({ units: H, normalization: 'batch', seed: 1 }),
      ],
    });
    model.apply(xs(), { training: true });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(
        async (a) => (
          (saved = a),
          { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
        ),
      ),
    );
    expect(saved!.weightSpecs!.map((s) => s.name.split('/').pop())).toContain('moving_mean_x');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    allClose(
      loaded.predict(xs()) as tf.Tensor,
      model.predict(xs()) as tf.Tensor,
      { atol: 1e-6 },
      'prediction',
    );
  });
});

describe('state', () => {
  it('stateful: two segments equal one whole sequence; resetStates() starts again from zeros', () => {
    const whole = rl.layers.lstm({ units: H, seed: 3 });
    const seg = rl.layers.lstm({ units: H, stateful: true, seed: 3 });
    const x = xs();
    const y = run(whole, x);
    run(seg, tf.slice(x, [0, 0, 0], [-1, 2, -1]));
    seg.setWeights(whole.getWeights());
    seg.resetStates();
    run(seg, tf.slice(x, [0, 0, 0], [-1, 2, -1]));
    allClose(run(seg, tf.slice(x, [0, 2, 0], [-1, 2, -1])), y, { atol: 1e-6 }, 'carried state');
    seg.resetStates();
    expect(seg.getStates()).toBeNull();
    allClose(run(seg, x), y, { atol: 1e-6 }, 'after reset');
    expect(() => run(seg, tf.zeros([B + 1, T, D]))).toThrow(/resetStates\(\)/);
    expect(() => rl.layers.gru({ units: 2 }).resetStates()).toThrow(/stateful: true/);
    const model = tf.sequential({
      layers: [rl.layers.gru({ units: 2, stateful: true, batchInputShape: [B, T, D] })],
    });
    model.predict(x);
    expect((model.layers[0] as rl.layers.Gru).getStates()).not.toBeNull();
    model.resetStates();
    expect((model.layers[0] as rl.layers.Gru).getStates()).toBeNull();
  });

  it('returnState feeds a stacked decoder (initialState); the model trains with fit and round-trips', async () => {
    const enc = tf.input({ shape: [T, D] });
    const dec = tf.input({ shape: [T, D] });
    const [, h, c] = rl.layers
      .lstm({ units: H, returnState: true, zoneoutCell: 0.3, zoneoutHidden: 0.1, seed: 1 })
      .apply(enc) as tf.SymbolicTensor[];
    const [, gh] = rl.layers
      .gru({ units: H, returnState: true, dropout: 0.2, seed: 2 })
      .apply(enc) as tf.SymbolicTensor[];
    const out = rl.layers
      .lstm({ units: H, recurrentDropout: 0.2, seed: 3 })
      .apply(dec, { initialState: [h!, c!] }) as tf.SymbolicTensor;
    const out2 = rl.layers
      .gru({ units: H, seed: 4 })
      .apply(dec, { initialState: [gh!] }) as tf.SymbolicTensor;
    // (Both outputs [B, H]: tfjs 4.22's fit cannot mix output ranks — a tfjs defect, not ours.)
    const model = tf.model({ inputs: [enc, dec], outputs: [out, out2] });
    model.compile({ optimizer: tf.train.adam(0.05), loss: 'meanSquaredError' });
    const x = [xs(1), xs(2)];
    const hist = await model.fit(x, [tf.ones([B, H]), tf.ones([B, H])], {
      epochs: 5,
      batchSize: B,
      verbose: 0,
    });
    const loss = hist.history.loss as number[];
    expect(loss[4]!).toBeLessThan(loss[0]!);
    // The graph with state connections survives serialization.
    const restored = await tf.models.modelFromJSON({
      modelTopology: model.toJSON(undefined, false) as tf.io.ModelJSON['modelTopology'],
    });
    restored.setWeights(model.getWeights());
    const [a, b] = [model.predict(x) as tf.Tensor[], restored.predict(x) as tf.Tensor[]];
    for (let i = 0; i < 2; i++) allClose(b[i]!, a[i]!, { atol: 1e-6 }, `restored output ${i}`);
  });

  it('works inside tf.layers.bidirectional; the backward copy draws its own masks', () => {
    const bi = tf.layers.bidirectional({
      layer: rl.layers.lstm({
        units: H,
        returnSequences: true,
        zoneoutCell: 0.5,
        seed: 3,
      }) as unknown as tf.RNN,
      mergeMode: 'concat',
    });
    const x = xs();
    expect((bi.apply(x, { training: true }) as tf.Tensor).shape).toEqual([B, T, 2 * H]);
    const fwd = rl.layers.lstm({ units: H, seed: 3 });
    const bwd = rl.layers.lstm({ units: H, seed: 3, goBackwards: true });
    expect(fwd.seeds.next()).not.toBe(bwd.seeds.next());
  });

  it('padded steps from Embedding(maskZero) carry the state, in training too', () => {
    const ids = tf.tensor2d([
      [1, 2, 0, 0],
      [3, 0, 0, 0],
    ]);
    const emb = tf.layers.embedding({ inputDim: 4, outputDim: D, maskZero: true });
    const layer = rl.layers.lstm({
      units: H,
      returnSequences: true,
      zoneoutCell: 0.5,
      dropout: 0.3,
      seed: 4,
    });
    const e = emb.apply(ids) as tf.Tensor;
    const out = layer.apply(e, { training: true, mask: emb.computeMask(ids) }) as tf.Tensor;
    const seq = out.arraySync() as number[][][];
    expect(seq[0]![3]).toEqual(seq[0]![1]);
    expect(seq[1]![3]).toEqual(seq[1]![0]);
  });
});

describe('norm stabilizer', () => {
  it('penalty = β·mean_b 1/(T−1) Σ (‖h_t‖ − ‖h_{t−1}‖)², with a finite-difference gradient', () => {
    const h = tf.tensor3d([
      [
        [3, 4],
        [0, 1],
        [6, 8],
      ],
    ]); // norms 5, 1, 10 → (16 + 81) / 2
    allClose(normStabilizerPenalty(h, 2), 97, { atol: 1e-4 }, 'penalty');
    checkGradient(
      (v) => normStabilizerPenalty(v as tf.Tensor3D, 0.5),
      tf.randomNormal([2, 3, 2], 0, 1, 'float32', 1),
    );
  });

  it("reaches fit's training loss (and only training)", async () => {
    const beta = 3;
    const layer = rl.layers.lstm({ units: H, returnSequences: true, normStabilizer: beta, seed: 6 });
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [T, D] }), layer] });
    model.compile({ optimizer: tf.train.sgd(0), loss: 'meanSquaredError' });
    const x = xs(8);
    const y = tf.zeros([B, T, H]);
    const pred = model.predict(x) as tf.Tensor3D; // no stochastic option: training output = inference output
    const expected = tf.add(tf.mean(tf.square(pred)), normStabilizerPenalty(pred, beta)).dataSync()[0]!;
    const hist = await model.fit(x, y, { epochs: 1, batchSize: B, verbose: 0 });
    expect(hist.history.loss[0] as number).toBeCloseTo(expected, 5);
    expect(normStabilizerPenalty(pred, beta).dataSync()[0]).toBeGreaterThan(1e-4); // the check has teeth
  });
});

describe('normalization', () => {
  it('batch norm: a training call moves the per-step statistics toward the batch statistics', () => {
    const layer = rl.layers.lstm({
      units: H,
      normalization: 'batch',
      normMomentum: 0.9,
      normMaxSteps: 2,
      seed: 1,
    });
    const x = xs();
    run(layer, x);
    const weights = Object.fromEntries(layer.weights.map((w) => [w.name.split('/').pop()!, w]));
    const kernel = weights.kernel!.read();
    run(layer, x, true);
    const x0 = tf.squeeze(tf.slice(x, [0, 0, 0], [-1, 1, -1]), [1]);
    const { mean } = tf.moments(tf.matMul(x0, kernel), 0);
    const moving = weights.moving_mean_x!.read() as tf.Tensor2D;
    expect(moving.shape).toEqual([2, 4 * H]);
    allClose(
      tf.slice(moving, [0, 0], [1, -1]).reshape([4 * H]),
      tf.mul(mean, 0.1),
      { atol: 1e-6 },
      'step 0 moving mean',
    );
    expect(weights.gamma_x!.read().dataSync()[0]).toBeCloseTo(0.1, 7); // Cooijmans et al.'s γ init
  });

  it('layer norm: outputs invariant to scaling the kernels (up to ε = 1e-3)', () => {
    // One step from a non-zero state, so both projections have variances far above ε.
    const layer = rl.layers.lstm({ units: H, normalization: 'layer', seed: 2 });
    const x = tf.slice(xs(), [0, 0, 0], [-1, 1, -1]);
    const initialState = [
      tf.randomUniform([B, H], -1, 1, 'float32', 3),
      tf.randomUniform([B, H], -1, 1, 'float32', 4),
    ];
    layer.apply(x, { initialState }); // builds the weights
    const [k, r, ...rest] = layer.getWeights();
    // Kernels ×10 first, so every projection's variance is ≥ 100× what it was and ε = 1e-3 moves
    // the normalised values by well under the tolerance, whatever the initial draw.
    layer.setWeights([tf.mul(k!, 10), tf.mul(r!, 10), ...rest]);
    const y = layer.apply(x, { initialState }) as tf.Tensor;
    layer.setWeights([tf.mul(k!, 40), tf.mul(r!, 40), ...rest]);
    allClose(layer.apply(x, { initialState }) as tf.Tensor, y, { atol: 2e-3 }, 'scaled kernels');
  });
});

describe('errors', () => {
  const bad: [string, () => unknown, RegExp][] = [
    [
      'dropout 1',
      () => rl.layers.lstm({ units: 2, dropout: 1 }),
      /'dropout' must be a number in \[0, 1\), got 1/,
    ],
    [
      'negative recurrentDropout',
      () => rl.layers.gru({ units: 2, recurrentDropout: -0.1 }),
      /recurrentDropout/,
    ],
    ['weightDrop NaN', () => rl.layers.lstm({ units: 2, weightDrop: NaN }), /weightDrop/],
    [
      'zoneoutCell 1.5',
      () => rl.layers.lstm({ units: 2, zoneoutCell: 1.5 }),
      /zoneoutCell' must be a number in \[0, 1\]/,
    ],
    [
      'unknown mode',
      () => rl.layers.lstm({ units: 2, recurrentDropoutMode: 'moon' as 'gal' }),
      /recurrentDropoutMode' must be one of 'gal', 'semeniuta', got "moon"/,
    ],
    [
      'unknown zoneoutAtInference',
      () => rl.layers.gru({ units: 2, zoneoutAtInference: 'x' as 'off' }),
      /zoneoutAtInference/,
    ],
    [
      'unknown normalization',
      () => rl.layers.lstm({ units: 2, normalization: 'group' as 'layer' }),
      /normalization/,
    ],
    [
      'unknown GRU normalization',
      () => rl.layers.gru({ units: 2, normalization: 'group' as 'layer' }),
      /rl\.layers\.gru: option 'normalization' must be one of 'none', 'layer', 'batch', got "group"/,
    ],
    [
      'typo in an option',
      () => rl.layers.lstm({ units: 2, zoneout_cell: 0.5 } as rl.layers.LstmArgs),
      /unknown option 'zoneout_cell'/,
    ],
    ['units 0', () => rl.layers.lstm({ units: 0 }), /units/],
    [
      'unknown initializer',
      () => rl.layers.lstm({ units: 2, kernelInitializer: 'magic' }),
      /kernelInitializer/,
    ],
    ['normStabilizer < 0', () => rl.layers.lstm({ units: 2, normStabilizer: -1 }), /normStabilizer/],
  ];
  for (const [what, make, msg] of bad) it(what, () => expect(make).toThrow(msg));

  it('bad shapes: rank-2 input, wrong feature count, wrong initial state, batch norm without length', () => {
    const layer = rl.layers.lstm({ units: 2 });
    expect(() => layer.apply(tf.zeros([2, 3]))).toThrow();
    run(layer, tf.zeros([1, 2, 3]));
    expect(() => run(layer, tf.zeros([1, 2, 4]))).toThrow();
    expect(() => layer.apply(tf.zeros([1, 2, 3]), { initialState: [tf.zeros([1, 2])] })).toThrow(
      /expects 2 initial state/,
    );
    expect(() =>
      layer.apply(tf.zeros([1, 2, 3]), { initialState: [tf.zeros([1, 3]), tf.zeros([1, 3])] }),
    ).toThrow(/\[1, 2\]/);
    const bn = rl.layers.lstm({ units: 2, normalization: 'batch' });
    expect(() => bn.apply(tf.input({ shape: [null, 3] }))).toThrow(/normMaxSteps/);
  });
});

describe('leaks', () => {
  it('training and inference calls, stateful calls and fit leave no tensors behind', async () => {
    const layers = [
      rl.layers.lstm({
        units: H,
        dropout: 0.2,
        recurrentDropout: 0.2,
        zoneoutCell: 0.3,
        zoneoutHidden: 0.1,
        weightDrop: 0.2,
        normStabilizer: 1,
        seed: 1,
      }),
      rl.layers.lstm({ units: H, normalization: 'batch', normMaxSteps: T, seed: 1 }),
      rl.layers.lstm({
        units: H,
        normalization: 'layer',
        recurrentDropoutMode: 'semeniuta',
        recurrentDropout: 0.3,
        seed: 1,
      }),
      rl.layers.gru({ units: H, resetAfter: true, zoneout: 0.2, weightDrop: 0.2, seed: 1 }),
    ];
    const x = xs();
    for (const layer of layers) {
      run(layer, x).dispose(); // build
      await expectNoLeak(() => {
        tf.tidy(() => run(layer, x, true)).dispose();
        tf.dispose(layer.calculateLosses()); // the norm stabilizer's queued penalty, as fit consumes it
      }, `${layer.name} training`);
      await expectNoLeak(() => tf.tidy(() => run(layer, x)).dispose(), `${layer.name} inference`);
    }
    // The norm stabilizer's queued penalty is consumed by the loss.
    await expectNoLeak(
      () => tf.tidy(() => (layers[0]!.calculateLosses()[0] as tf.Tensor).clone()).dispose(),
      'penalty',
    );
    const stateful = rl.layers.lstm({ units: H, stateful: true, dropout: 0.2, seed: 1 });
    run(stateful, x).dispose();
    run(stateful, x).dispose();
    await expectNoLeak(() => run(stateful, x, true).dispose(), 'stateful call');
    const model = tf.sequential({
      layers: [
        tf.layers.inputLayer({ inputShape: [T, D] }),
        rl.layers.lstm({ units: H, zoneoutCell: 0.3, normStabilizer: 1, seed: 2 }),
      ],
    });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const y = tf.zeros([B, H]);
    await model.fit(x, y, { epochs: 1, verbose: 0 });
    await expectNoLeak(() => model.fit(x, y, { epochs: 2, verbose: 0 }), 'fit');
  });
});

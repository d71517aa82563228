import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import * as rl from 'regulab';
import { allClose, expectNoLeak } from '../../../test/helpers.js';

/** Runs `steps` updates of f(w) = ½·Σ w² (so g = w) from w0 and returns the trajectory. */
function runQuadratic(optimizer: tf.Optimizer, w0: number[], steps: number, name?: string): number[][] {
  const w = tf.variable(tf.tensor1d(w0), true, name);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    optimizer.minimize(() => tf.mul(0.5, tf.sum(tf.square(w))) as tf.Scalar, false, [w]);
    out.push(Array.from(w.dataSync()));
  }
  w.dispose();
  optimizer.dispose();
  return out;
}

/** Runs updates of f(w) = Σ c·w (constant gradient c) on named variables. */
function runLinear(optimizer: tf.Optimizer, vars: Record<string, [number[], number[]]>, steps: number) {
  const vs = Object.entries(vars).map(([name, [w0, c]]) => ({
    name,
    w: tf.variable(tf.tensor1d(w0), true, name),
    c: tf.tensor1d(c),
  }));
  for (let i = 0; i < steps; i++) {
    optimizer.minimize(
      () => tf.addN(vs.map(({ w, c }) => tf.sum(tf.mul(w, c)))) as tf.Scalar,
      false,
      vs.map((v) => v.w),
    );
  }
  const result = Object.fromEntries(vs.map(({ name, w }) => [name, Array.from(w.dataSync())]));
  vs.forEach(({ w, c }) => tf.dispose([w, c]));
  optimizer.dispose();
  return result;
}

let unique = 0;
const fresh = (base: string) => `${base}_${unique++}`;

describe('rl.optimizers.adamw: hand-computed updates', () => {
  // With a constant gradient, m̂ = g and v̂ = g² at every step (the bias corrections cancel the
  // zero start exactly), so the Adam step is lr·g/(|g| + ε) = lr·sign(g) up to ε/|g| ~ 1e-8:
  //   w_t = (1 − lr·λ)·w_{t−1} − lr·sign(g).
  it('constant gradient, lr 0.1: with decay λ = 0.1, without decay, and with exclude', () => {
    const kernel = fresh('dense/kernel');
    const bias = fresh('dense/bias');
    const decayed = runLinear(
      rl.optimizers.adamw({ learningRate: 0.1, weightDecay: 0.1, exclude: ['bias'] }),
      {
        [kernel]: [
          [1, -2],
          [0.5, -0.25],
        ],
        [bias]: [
          [1, -2],
          [0.5, -0.25],
        ],
      },
      2,
    );
    // kernel: step 1: [1, −2]·0.99 − 0.1·[1, −1] = [0.89, −1.88]; step 2: ·0.99 − 0.1 → [0.7811, −1.7612]
    allClose(decayed[kernel], [0.7811, -1.7612], { atol: 1e-6, rtol: 0 }, 'decayed kernel');
    // bias is excluded: plain Adam, w_t = w_{t−1} − 0.1·sign(g): [0.8, −1.8]
    allClose(decayed[bias], [0.8, -1.8], { atol: 1e-6, rtol: 0 }, 'excluded bias');
    const plain = runLinear(
      rl.optimizers.adamw({ learningRate: 0.1, weightDecay: 0 }),
      {
        [fresh('k')]: [
          [1, -2],
          [0.5, -0.25],
        ],
      },
      2,
    );
    allClose(Object.values(plain)[0], [0.8, -1.8], { atol: 1e-6, rtol: 0 }, 'no decay');
  });

  it('g = w (f = ½w²), λ = 0.1: three steps match the formulas', () => {
    // Hand-computed (float64, formulas of the AdamW doc comment, β1 0.9, β2 0.999, ε 1e-8):
    // step 1: g = 1, w = 0.99 − 0.1·1/(1 + 1e-8) = 0.890000001
    // step 2: g = 0.89, m = 0.179, v = 0.0017911, m̂ = 0.942105…, v̂ = 0.895998…, w = 0.781571857
    // step 3: w = 0.675101223
    const traj = runQuadratic(rl.optimizers.adamw({ learningRate: 0.1, weightDecay: 0.1 }), [1], 3);
    allClose(
      traj.map((w) => w[0]),
      [0.890000001, 0.7815718569541611, 0.6751012231892007],
      { atol: 2e-6, rtol: 0 },
      'AdamW trajectory',
    );
  });

  it('decay is scaled by a learning-rate schedule (lr_t·λ)', () => {
    // cosineDecay(initial 0.1, decaySteps 2): lr_0 = 0.1, lr_1 = 0.05, lr_2 = 0.
    const schedule = rl.optimizers.cosineDecay({ initialLearningRate: 0.1, decaySteps: 2 });
    allClose(
      [0, 1, 2, 3].map((t) => schedule.valueAt(t)),
      [0.1, 0.05, 0, 0],
      { atol: 1e-12, rtol: 0 },
    );
    const traj = runLinear(
      rl.optimizers.sgdw({ learningRate: schedule, weightDecay: 1 }),
      { [fresh('w')]: [[1], [0]] },
      3,
    );
    // zero gradient: only decay acts: 1·(1 − 0.1)·(1 − 0.05)·(1 − 0) = 0.855
    allClose(Object.values(traj)[0], [0.855], { atol: 1e-6, rtol: 0 });
  });
});

describe('rl.optimizers.sgdw: hand-computed updates (g = w, w0 = 1, lr 0.1)', () => {
  it('plain SGD (μ = 0, λ = 0): w ← 0.9·w', () => {
    const traj = runQuadratic(rl.optimizers.sgdw({ learningRate: 0.1, weightDecay: 0 }), [1], 2);
    allClose(traj.flat(), [0.9, 0.81], { atol: 1e-6, rtol: 0 });
  });

  it('momentum 0.9, λ = 0.01', () => {
    // step 1: w = 0.999, b = 1, w = 0.999 − 0.1 = 0.899
    // step 2: g = 0.899, w = 0.898101, b = 0.9 + 0.899 = 1.799, w = 0.898101 − 0.1799 = 0.718201
    const traj = runQuadratic(
      rl.optimizers.sgdw({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.01 }),
      [1],
      2,
    );
    allClose(traj.flat(), [0.899, 0.718201], { atol: 1e-6, rtol: 0 });
  });

  it('nesterov momentum 0.9, λ = 0.01', () => {
    // step 1: b = 1, d = 1 + 0.9 = 1.9, w = 0.999 − 0.19 = 0.809
    // step 2: g = 0.809, w = 0.808191, b = 1.709, d = 0.809 + 1.5381 = 2.3471, w = 0.573481
    const traj = runQuadratic(
      rl.optimizers.sgdw({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
      [1],
      2,
    );
    allClose(traj.flat(), [0.809, 0.573481], { atol: 1e-6, rtol: 0 });
  });

  it('exclude takes RegExps', () => {
    const gain = fresh('layer_norm/gamma');
    const kernel = fresh('dense/kernel');
    const out = runLinear(
      rl.optimizers.sgdw({ learningRate: 0.5, weightDecay: 0.2, exclude: [/\/gamma/] }),
      { [gain]: [[2], [0]], [kernel]: [[2], [0]] },
      1,
    );
    allClose(out[gain], [2], { atol: 1e-7, rtol: 0 }, 'excluded');
    allClose(out[kernel], [1.8], { atol: 1e-6, rtol: 0 }, 'decayed: 2·(1 − 0.5·0.2)');
  });
});

describe('with weightDecay 0 the step rules equal tfjs’s own optimizers', () => {
  // Independent implementations (tfjs-core adam_optimizer.js, momentum_optimizer.js) of the same
  // equations: 5 steps on f = ½·Σw² from w0 = [1, −2, 0.5].
  it('adamw ≡ tf.train.adam (same ε)', () => {
    const a = runQuadratic(
      rl.optimizers.adamw({ learningRate: 0.05, weightDecay: 0, epsilon: 1e-7 }),
      [1, -2, 0.5],
      5,
    );
    const b = runQuadratic(tf.train.adam(0.05, 0.9, 0.999, 1e-7), [1, -2, 0.5], 5);
    // tfjs accumulates β^t in float32 variables, Regulab computes it in float64: they drift apart by
    // ~2e-6 in 5 steps. A float64 evaluation of the Adam equations for w0 = 1 gives
    // 0.7514779159579944 after step 5; Regulab is within 1e-7 of it, tfjs within 3e-6.
    allClose(a.flat(), b.flat(), { atol: 1e-5, rtol: 0 });
    allClose(a[4][0], 0.7514779159579944, { atol: 1e-7, rtol: 0 }, 'Regulab vs float64');
  });
  it('sgdw ≡ tf.train.momentum, plain and Nesterov', () => {
    for (const nesterov of [false, true]) {
      const a = runQuadratic(
        rl.optimizers.sgdw({ learningRate: 0.1, momentum: 0.9, nesterov, weightDecay: 0 }),
        [1, -2, 0.5],
        5,
      );
      const b = runQuadratic(tf.train.momentum(0.1, 0.9, nesterov), [1, -2, 0.5], 5);
      allClose(a.flat(), b.flat(), { atol: 1e-6, rtol: 0 }, `nesterov ${nesterov}`);
    }
  });
});

describe('gradient clipping (hand-computed)', () => {
  // g1 = [3, 4] (norm 5), g2 = [12] (norm 12): global norm sqrt(25 + 144) = 13.
  it('clipByGlobalNorm scales all gradients by maxNorm/‖g‖ only when ‖g‖ > maxNorm', () => {
    const g = [tf.tensor1d([3, 4]), tf.tensor1d([12])];
    allClose(rl.optimizers.globalNorm(g), 13);
    const half = rl.optimizers.clipByGlobalNorm(g, 6.5);
    allClose(half[0], [1.5, 2]);
    allClose(half[1], [6]);
    const same = rl.optimizers.clipByGlobalNorm(g, 20);
    allClose(same[0], [3, 4]);
    allClose(same[1], [12]);
    const byValue = rl.optimizers.clipByValue(g, 3.5);
    allClose(byValue[0], [3, 3.5]);
    allClose(byValue[1], [3.5]);
    tf.dispose([...g, ...half, ...same, ...byValue]);
  });

  it('sgdw clipNorm / clipValue and clipped(tf.train.sgd) apply the clipped gradient', () => {
    const vars = () =>
      ({
        [fresh('a')]: [
          [0, 0],
          [3, 4],
        ],
        [fresh('b')]: [[0], [12]],
      }) as Record<string, [number[], number[]]>;
    const expectedNorm = [[-1.5, -2], [-6]]; // w = 0 − 1·0.5·c
    const byNorm = runLinear(
      rl.optimizers.sgdw({ learningRate: 1, weightDecay: 0, clipNorm: 6.5 }),
      vars(),
      1,
    );
    Object.values(byNorm).forEach((w, i) => allClose(w, expectedNorm[i], { atol: 1e-6, rtol: 0 }));
    const wrapped = runLinear(rl.optimizers.clipped(tf.train.sgd(1), { globalNorm: 6.5 }), vars(), 1);
    Object.values(wrapped).forEach((w, i) => allClose(w, expectedNorm[i], { atol: 1e-6, rtol: 0 }));
    const expectedValue = [[-3, -3.5], [-3.5]];
    const byValue = runLinear(
      rl.optimizers.sgdw({ learningRate: 1, weightDecay: 0, clipValue: 3.5 }),
      vars(),
      1,
    );
    Object.values(byValue).forEach((w, i) => allClose(w, expectedValue[i], { atol: 1e-6, rtol: 0 }));
    const wrappedValue = runLinear(rl.optimizers.clipped(tf.train.sgd(1), { value: 3.5 }), vars(), 1);
    Object.values(wrappedValue).forEach((w, i) => allClose(w, expectedValue[i], { atol: 1e-6, rtol: 0 }));
  });

  it('clipped(adam) leaves Adam unchanged when the bound is not reached, and counts steps', () => {
    const wrapped = rl.optimizers.clipped(tf.train.adam(0.1), { globalNorm: 100 });
    const a = runQuadratic(wrapped, [1, -1], 3);
    expect(wrapped.iterations).toBe(3);
    const b = runQuadratic(tf.train.adam(0.1), [1, -1], 3);
    allClose(a.flat(), b.flat(), { atol: 1e-7, rtol: 0 });
  });
});

describe('optimizers in model.compile + fit', () => {
  function tinyModel(): tf.Sequential {
    return tf.sequential({
      layers: [
        tf.layers.dense({ units: 4, inputShape: [3], activation: 'tanh' }),
        tf.layers.dense({ units: 1 }),
      ],
    });
  }
  const x = tf.tensor2d([
    [1, 0, -1],
    [0.5, 2, 0],
    [-1, 1, 1],
    [0, 0, 1],
    [2, -1, 0],
    [1, 1, 1],
  ]);
  const y = tf.tensor2d([[1], [2], [0], [0.5], [1.5], [1]]);

  for (const [label, make] of [
    [
      'adamw',
      () => rl.optimizers.adamw({ learningRate: 0.05, weightDecay: 0.01, exclude: ['bias'], clipNorm: 1 }),
    ],
    [
      'sgdw',
      () => rl.optimizers.sgdw({ learningRate: 0.05, momentum: 0.9, weightDecay: 1e-3, clipValue: 1 }),
    ],
    ['clipped(rmsprop)', () => rl.optimizers.clipped(tf.train.rmsprop(0.01), { globalNorm: 1 })],
  ] as const) {
    it(`${label}: loss decreases over 30 epochs, no tensors leak per epoch`, async () => {
      const model = tinyModel();
      model.compile({ optimizer: make(), loss: 'meanSquaredError' });
      const h1 = await model.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0 }); // creates the slots
      await expectNoLeak(() => model.fit(x, y, { epochs: 29, batchSize: 3, verbose: 0 }), `${label} fit`);
      const h2 = await model.fit(x, y, { epochs: 1, batchSize: 6, verbose: 0 });
      expect(h2.history.loss[0] as number).toBeLessThan(h1.history.loss[0] as number);
      model.optimizer.dispose();
      model.dispose();
    });
  }
});

describe('serialization and checkpointing', () => {
  it('getConfig → fromConfig round-trips adamw, sgdw, clipped and the schedule', () => {
    const opts = [
      rl.optimizers.adamw({
        learningRate: rl.optimizers.cosineDecay({
          initialLearningRate: 0.01,
          decaySteps: 100,
          warmupSteps: 5,
        }),
        weightDecay: 0.05,
        beta2: 0.98,
        exclude: ['bias', /layer_norm\/(gamma|beta)$/i, 'recurrent_kernel'],
        clipNorm: 0.25,
      }),
      rl.optimizers.sgdw({
        learningRate: 0.1,
        momentum: 0.9,
        nesterov: true,
        weightDecay: 5e-4,
        clipValue: 2,
      }),
      rl.optimizers.clipped(tf.train.adam(0.002), { globalNorm: 1 }),
    ];
    for (const opt of opts) {
      const json = JSON.parse(JSON.stringify({ className: opt.getClassName(), config: opt.getConfig() }));
      const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap[json.className];
      const back = fromConfig(cls, json.config) as tf.Optimizer;
      expect(back.getClassName()).toBe(opt.getClassName());
      expect(back.getConfig()).toEqual(opt.getConfig());
      back.dispose();
      opt.dispose();
    }
  });

  it('exclude patterns keep matching after tfjs camel-cases a saved training config', () => {
    const opt = rl.optimizers.adamw({ learningRate: 0.1, weightDecay: 0.1, exclude: ['recurrent_kernel'] });
    // tfjs's loader turns every config string 'a_b' into 'aB'; the serialized pattern has no '_' left.
    const json = JSON.stringify(opt.getConfig());
    expect(json).not.toContain('_');
    const back = rl.optimizers.AdamW.fromConfig(rl.optimizers.AdamW, JSON.parse(json)) as rl.optimizers.AdamW;
    expect(back.decays('lstm/recurrent_kernel')).toBe(false);
    expect(back.decays('lstm/kernel')).toBe(true);
  });

  it('model.save(includeOptimizer) → loadLayersModel restores AdamW and its state: training continues identically', async () => {
    const build = () => {
      const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2] })] });
      m.compile({
        optimizer: rl.optimizers.adamw({ learningRate: 0.05, weightDecay: 0.1, exclude: ['bias'] }),
        loss: 'meanSquaredError',
      });
      return m;
    };
    const x = tf.tensor2d([
      [1, 2],
      [3, -1],
      [0, 1],
    ]);
    const y = tf.tensor2d([
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const model = build();
    await model.fit(x, y, { epochs: 3, batchSize: 3, verbose: 0 });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
      { includeOptimizer: true },
    );
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(loaded.optimizer.getClassName()).toBe('RegulabAdamW');
    expect(loaded.optimizer.iterations).toBe(3);
    await model.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 });
    await loaded.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 });
    const a = model.getWeights();
    const b = loaded.getWeights();
    a.forEach((w, i) => allClose(b[i], w, { atol: 1e-6, rtol: 0 }, `weight ${i}`));
    tf.dispose([x, y]);
  });
});

describe('optimizer state: getWeights / setWeights', () => {
  const loss = (w: tf.Variable) => () => tf.mul(0.5, tf.sum(tf.square(w))) as tf.Scalar;

  it('a restored optimizer continues exactly like the original (state matched by order across names)', async () => {
    const args = { learningRate: 0.1, weightDecay: 0.1, momentum: 0.9 };
    const original = rl.optimizers.sgdw(args);
    const wa = tf.variable(tf.tensor1d([1, -1]), true, fresh('a/kernel'));
    for (let i = 0; i < 3; i++) original.minimize(loss(wa), false, [wa]);
    const state = await original.getWeights();
    expect(state.map((s) => s.name)).toEqual(['iter', `${wa.name}/momentum`]);
    const restored = rl.optimizers.sgdw(args);
    await restored.setWeights(state);
    expect(restored.iterations).toBe(3);
    const wb = tf.variable(wa.clone(), true, fresh('b/kernel')); // another name: matched by order
    original.minimize(loss(wa), false, [wa]);
    restored.minimize(loss(wb), false, [wb]);
    allClose(wb, wa, { atol: 0, rtol: 0 });
    const wrongShape = rl.optimizers.sgdw(args);
    await wrongShape.setWeights(await original.getWeights());
    const wc = tf.variable(tf.zeros([3]), true, fresh('c/kernel'));
    expect(() => wrongShape.minimize(loss(wc), false, [wc])).toThrow(/has shape \[2\].*another model/);
    await expect(
      restored.setWeights([
        { name: 'iter', tensor: tf.scalar(0) },
        { name: 'x/velocity', tensor: tf.zeros([1]) },
      ]),
    ).rejects.toThrow(/unexpected weight 'x\/velocity'/);
    tf.dispose([wa, wb, wc]);
    [original, restored, wrongShape].forEach((o) => o.dispose());
  });
});

describe('errors name the optimizer, the option and the value', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'lr 0',
      () => rl.optimizers.adamw({ learningRate: 0, weightDecay: 0 }),
      /adamw: option 'learningRate'.*got 0/,
    ],
    [
      'negative decay',
      () => rl.optimizers.sgdw({ learningRate: 1, weightDecay: -1 }),
      /sgdw: option 'weightDecay'.*-1/,
    ],
    ['beta1 = 1', () => rl.optimizers.adamw({ learningRate: 1, weightDecay: 0, beta1: 1 }), /'beta1'.*got 1/],
    [
      'nesterov, no momentum',
      () => rl.optimizers.sgdw({ learningRate: 1, weightDecay: 0, nesterov: true }),
      /nesterov/,
    ],
    ['momentum 1', () => rl.optimizers.sgdw({ learningRate: 1, weightDecay: 0, momentum: 1 }), /'momentum'/],
    [
      'clipNorm 0',
      () => rl.optimizers.adamw({ learningRate: 1, weightDecay: 0, clipNorm: 0 }),
      /'clipNorm'.*got 0/,
    ],
    [
      'exclude string',
      () => rl.optimizers.adamw({ learningRate: 1, weightDecay: 0, exclude: 'bias' as never }),
      /'exclude'/,
    ],
    ['clipped, no bound', () => rl.optimizers.clipped(tf.train.sgd(1), {}), /at least one/],
    ['clipped, not optimizer', () => rl.optimizers.clipped({} as never, { value: 1 }), /tf\.Optimizer/],
    ['schedule', () => rl.optimizers.cosineDecay({ initialLearningRate: 1, decaySteps: 0 }), /'decaySteps'/],
  ];
  for (const [label, make, message] of cases) {
    it(label, () => {
      expect(make).toThrow(rl.RegulabConfigError);
      expect(make).toThrow(message);
    });
  }
});

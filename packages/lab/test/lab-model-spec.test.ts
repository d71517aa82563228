/**
 * The model spec: checks before training (errors name layers[i], the class and the option), the
 * edits of the command line, seeding, the builder's state threading, and configs written before
 * specs existed.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { describe, expect, it } from 'vitest';
import { expectNoLeak } from '../../../test/helpers.js';
import { resolveConfig, validateConfig } from '../src/experiments/config.js';
import { BUILT_IN_SPECS } from '../src/experiments/model-specs.js';
import { checkModelSpec } from '../src/model/check-spec.js';
import { type ModelSpec, parseModelSpec } from '../src/model/model-spec.js';
import { applyConstraint, applyPenalty, applySet, changeCell } from '../src/model/spec-edits.js';
import { SpecModel } from '../src/model/spec-model.js';
import { fillTaskValues } from '../src/model/task-values.js';

const lstmSpec = (): ModelSpec => ({
  layers: [
    { className: 'Embedding', config: { name: 'embedding', inputDim: '$vocab', outputDim: 4 } },
    {
      className: 'RegulabLSTM',
      config: { name: 'lstm_0', units: 3, returnSequences: true, zoneoutHidden: 0.1 },
    },
    { className: 'RegulabLockedDropout', config: { name: 'drop', rate: 0.2 } },
    { className: 'Dense', config: { name: 'softmax', units: '$vocab' } },
  ],
});

describe('checks before training: one-line ConfigError naming the layer, class and option', () => {
  const check = (spec: ModelSpec) => () => checkModelSpec(fillTaskValues(spec, { vocab: 5 }));
  const edited = (i: number, patch: Record<string, unknown>, className?: string): ModelSpec => {
    const spec = lstmSpec();
    spec.layers[i] = {
      className: className ?? spec.layers[i]!.className,
      config: { ...spec.layers[i]!.config, ...patch },
    };
    return spec;
  };

  it('an unknown class, with the near match and the known classes', () => {
    expect(check(edited(1, {}, 'RegulabLstm'))).toThrow(
      /^model spec layers\[1\]: unknown layer class 'RegulabLstm' \(did you mean 'RegulabLSTM'\?\); known: .*RegulabGRU/,
    );
  });

  it('an unknown option of a Regulab layer, with the options it knows', () => {
    expect(check(edited(1, { zonoutCell: 0.5 }))).toThrow(
      /^model spec layers\[1\] \(RegulabLSTM 'lstm_0'\): unknown option 'zonoutCell'; known: .*zoneoutCell/,
    );
  });

  it('an unknown option of a tfjs layer (which would ignore it)', () => {
    expect(check(edited(3, { unit: 5 }))).toThrow(
      /^model spec layers\[3\] \(Dense 'softmax'\): unknown option 'unit'; known: .*units/,
    );
  });

  it("a bad value, in the layer's own words", () => {
    expect(check(edited(1, { dropout: 1.5 }))).toThrow(
      /^model spec layers\[1\] \(RegulabLSTM 'lstm_0'\): option 'dropout' must be a number in \[0, 1\), got 1\.5$/,
    );
  });

  it('a value a tfjs layer would silently change (Dropout clamps 1.5 to 1)', () => {
    const spec: ModelSpec = { layers: [{ className: 'Dropout', config: { rate: 1.5 } }] };
    expect(check(spec)).toThrow(
      /layers\[0\] \(Dropout\): option 'rate': bad value 1\.5 \(the layer would use 1\)/,
    );
  });

  it('a bad outer shape and an unknown placeholder', () => {
    expect(() => parseModelSpec({ layer: [] }, '--model x.json')).toThrow(
      /^--model x\.json: .*a spec is \{ "layers"/,
    );
    expect(() => parseModelSpec({ layers: [{ className: 'Dense' }] })).toThrow(/layers\[0\]\.config/);
    expect(() => fillTaskValues(lstmSpec(), { classes: 10 })).toThrow(
      /layers\[0\] \(Embedding 'embedding'\): option 'inputDim': unknown placeholder '\$vocab' for this task \(known: \$classes\)/,
    );
  });

  it('layers that do not fit together fail at build, naming the layer and the input shape', () => {
    const spec: ModelSpec = { layers: [{ className: 'Conv2D', config: { filters: 2, kernelSize: 3 } }] };
    expect(() => new SpecModel(spec, { seed: 1, input: { shape: [784], dtype: 'float32' } })).toThrow(
      /^model spec layers\[0\] \(Conv2D 'conv_2d_0'\): cannot take input of shape \[1, 784\]/,
    );
  });
});

describe('command-line edits', () => {
  it('--set by index (short and long form), name, class and glob', () => {
    const cfg = (s: ModelSpec, i: number) => s.layers[i]!.config;
    expect(cfg(applySet(lstmSpec(), '2.rate=0.3'), 2).rate).toBe(0.3);
    expect(cfg(applySet(lstmSpec(), 'layers.2.config.rate=0.4'), 2).rate).toBe(0.4);
    expect(cfg(applySet(lstmSpec(), 'lstm_0.normalization=layer'), 1).normalization).toBe('layer');
    expect(cfg(applySet(lstmSpec(), 'RegulabLSTM.units=7'), 1).units).toBe(7);
    expect(
      cfg(applySet(lstmSpec(), 'lstm_0.recurrentInitializer.config.gain=2'), 1).recurrentInitializer,
    ).toEqual({
      config: { gain: 2 },
    });
    // A glob sets the option only on the layers that have it: 'units' is on the LSTM and the Dense.
    const all = applySet(lstmSpec(), '*.units=6');
    expect(all.layers.map((l) => l.config.units)).toEqual([undefined, 6, undefined, 6]);
    expect(() => applySet(lstmSpec(), 'gru*.units=6')).toThrow(
      /^--set 'gru\*\.units=6': no layer matches 'gru\*' \(layers: 0: embedding/,
    );
    expect(() => applySet(lstmSpec(), '*.zonoutCell=1')).toThrow(
      /none of the layers matching '\*' .* has option 'zonoutCell'/,
    );
    expect(() => applySet(lstmSpec(), 'rate')).toThrow(/expected <layers>\.<option>=<value>/);
  });

  it('--cell gru keeps what a GRU has, moves zoneoutHidden to zoneout, renames lstm_N; a cell zoneout is an error', () => {
    const gru = changeCell(lstmSpec(), 'gru');
    expect(gru.layers[1]).toEqual({
      className: 'RegulabGRU',
      config: { name: 'gru_0', units: 3, returnSequences: true, zoneout: 0.1 },
    });
    expect(changeCell(gru, 'lstm').layers[1]!.config).toMatchObject({ name: 'lstm_0', zoneoutHidden: 0.1 });
    expect(() => changeCell(applySet(lstmSpec(), '1.zoneoutCell=0.5'), 'gru')).toThrow(
      /a GRU has no cell state/,
    );
    expect(() => changeCell({ layers: [{ className: 'Dense', config: { units: 1 } }] }, 'gru')).toThrow(
      /no LSTM or GRU layer/,
    );
  });

  it('--penalty and --constraint go to the layers that take them; l1 and l2 add up', () => {
    const p = applyPenalty(applyPenalty(lstmSpec(), 'l2=1e-4'), 'kernel:l1=2e-5');
    expect(p.layers[3]!.config.kernelRegularizer).toEqual({
      className: 'L1L2',
      config: { l1: 2e-5, l2: 1e-4 },
    });
    expect(p.layers[0]!.config.kernelRegularizer).toBeUndefined(); // an Embedding has no kernel
    expect(applyPenalty(lstmSpec(), 'embeddings:l2=1').layers[0]!.config.embeddingsRegularizer).toBeDefined();
    expect(() => applyPenalty(lstmSpec(), 'l3=1')).toThrow(
      /^--penalty 'l3=1': expected \[<weights>:\]l1=<λ>/,
    );
    expect(() => applyPenalty(lstmSpec(), 'gamma:l2=1')).toThrow(
      /no layer of the model has option 'gammaRegularizer'/,
    );
    const c = applyConstraint(lstmSpec(), 'maxnorm=3');
    expect(c.layers[3]!.config.kernelConstraint).toEqual({
      className: 'MaxNorm',
      config: { maxValue: 3, axis: 0 },
    });
    expect(() => applyConstraint(lstmSpec(), 'maxnorm=0')).toThrow(/c > 0/);
  });

  it('--penalty and --constraint reach the recurrent weights: the L2 of U is in the loss, max-norm bounds U', () => {
    const spec = fillTaskValues(
      applyConstraint(applyPenalty(lstmSpec(), 'recurrent:l2=0.01'), 'recurrent:maxnorm=0.2'),
      { vocab: 5 },
    );
    expect(spec.layers[1]!.config.recurrentRegularizer).toEqual({
      className: 'L1L2',
      config: { l1: 0, l2: 0.01 },
    });
    expect(spec.layers[1]!.config.recurrentConstraint).toMatchObject({
      className: 'MaxNorm',
      config: { maxValue: 0.2 },
    });
    const model = new SpecModel(spec, { seed: 3, input: { shape: [4], dtype: 'int32' } });
    const lstm = model.layers[1]!;
    const ids = tf.tensor2d([1, 2, 3, 4], [1, 4], 'int32');
    tf.tidy(() => {
      model.forward(ids, undefined, true);
      const penalty = model.regularizationLoss()!;
      const u = lstm.getWeights()[1]!; // the recurrent kernel [3, 12]
      expect(penalty.dataSync()[0]).toBeCloseTo(0.01 * tf.sum(tf.square(u)).dataSync()[0]!, 5);
    });
    const columnNorms = () =>
      tf.tidy(() => Array.from(tf.sqrt(tf.sum(tf.square(lstm.getWeights()[1]!), 0)).dataSync()));
    expect(Math.max(...columnNorms())).toBeGreaterThan(0.2); // the orthogonal start exceeds the bound
    rl.constraints.applyConstraints({ weights: model.layers.flatMap((l) => l.weights) });
    for (const n of columnNorms()) expect(n).toBeLessThanOrEqual(0.2 + 1e-5);
    ids.dispose();
  });
});

describe('SpecModel', () => {
  const input = { shape: [4], dtype: 'int32' as const };

  it('threads state: two windows with the state carried equal one pass over both (inference)', () => {
    for (const cell of ['lstm', 'gru'] as const) {
      const spec = fillTaskValues(changeCell(applySet(lstmSpec(), '1.zoneoutHidden=0'), cell), { vocab: 5 });
      const model = new SpecModel(spec, { seed: 2, input });
      const ids = tf.tensor2d([1, 2, 3, 4, 0, 4, 3, 2], [2, 4], 'int32'); // [B=2, T=4]
      const whole = model.forward(ids, undefined, false);
      const first = model.forward(tf.slice(ids, [0, 0], [2, 2]), undefined, false);
      const second = model.forward(tf.slice(ids, [0, 2], [2, 2]), first.state, false);
      expect(whole.state[0]!.length, `${cell} state tensors`).toBe(cell === 'lstm' ? 2 : 1);
      const tail = tf.slice(whole.output, [0, 2, 0], [2, 2, 5]);
      expect(tf.max(tf.abs(tf.sub(tail, second.output))).dataSync()[0]).toBeLessThan(1e-6);
      expect(model.zeroState(2)[0]!.map((t) => t.shape)).toEqual(whole.state[0]!.map((t) => t.shape));
    }
  });

  it('is a pure function of (spec, seed): same seed same weights, another seed other weights, no leak', async () => {
    const spec = fillTaskValues(lstmSpec(), { vocab: 5 });
    const weights = (seed: number) =>
      new SpecModel(spec, { seed, input }).layers.flatMap((l) =>
        l.getWeights().map((w) => Array.from(w.dataSync())),
      );
    expect(weights(4)).toEqual(weights(4));
    expect(weights(4)[0]).not.toEqual(weights(5)[0]);
    const model = new SpecModel(spec, { seed: 4, input });
    const ids = tf.tensor2d([1, 2, 3, 4], [1, 4], 'int32');
    // Inside a tidy (as the tasks call it), a training forward keeps nothing behind.
    await expectNoLeak(() =>
      tf.tidy(() => {
        model.forward(ids, model.zeroState(1), true);
      }),
    );
  });

  it("builds the lab's pre-spec language model exactly (same initializers, same seed order)", () => {
    // The construction lm-model.ts used before specs (commit 88b59f2), for seed 9, V = 5.
    const seeds = new rl.SeedStream(9).fork('model');
    const embedding = tf.initializers
      .randomUniform({ minval: -0.1, maxval: 0.1, seed: seeds.next() })
      .apply([5, 4]);
    const lstmSeeds = new rl.SeedStream(seeds.fork('lstm_0').next());
    const recurrent = rl.initializers.orthogonal({ seed: lstmSeeds.next() }).apply([3, 12]);
    const softmax = tf.initializers.glorotUniform({ seed: seeds.next() }).apply([3, 5]);
    const config = resolveConfig('charlm', 'quick', { hidden: 3, embed: 4, seed: 9 });
    const model = new SpecModel(fillTaskValues(config.spec, { vocab: 5 }), {
      seed: 9,
      input: { shape: [1], dtype: 'int32' },
    });
    const w = (name: string, i: number) => model.layers.find((l) => l.name === name)!.getWeights()[i]!;
    for (const [got, want] of [
      [w('embedding', 0), embedding],
      [w('lstm_0', 1), recurrent],
      [w('softmax', 0), softmax],
    ] as const) {
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    }
    expect(model.layers[1]!.getConfig().seed, "the LSTM's mask-stream seed").toBe(lstmSeeds.next());
  });

  it('--constraint maxnorm bounds the norm of each output unit (a conv filter over all its input axes)', () => {
    const spec = applyConstraint(
      {
        layers: [
          { className: 'Conv2D', config: { filters: 3, kernelSize: 2 } },
          { className: 'Flatten', config: {} },
          { className: 'Dense', config: { units: 2 } },
        ],
      },
      'maxnorm=0.05',
    );
    expect(spec.layers[0]!.config.kernelConstraint).toEqual({
      className: 'MaxNorm',
      config: { maxValue: 0.05, axis: [0, 1, 2] },
    });
    const model = new SpecModel(spec, { seed: 1, input: { shape: [4, 4, 1], dtype: 'float32' } });
    for (const layer of [model.layers[0]!, model.layers[2]!]) rl.constraints.applyConstraints(layer);
    const conv = model.layers[0]!.getWeights()[0]!; // [2, 2, 1, 3]
    const dense = model.layers[2]!.getWeights()[0]!; // [27, 2]
    // Glorot-initialized weights have norms well above 0.05, so the projection acted: each norm is now 0.05.
    for (const norms of [tf.norm(tf.reshape(conv, [4, 3]), 'euclidean', 0), tf.norm(dense, 'euclidean', 0)]) {
      for (const n of norms.dataSync()) expect(n).toBeCloseTo(0.05, 5);
    }
  });

  it('adds the weight penalties of a training forward: λ·Σw² of an L2 kernel penalty', () => {
    const spec = applyPenalty({ layers: [{ className: 'Dense', config: { units: 2 } }] }, 'l2=0.5');
    const model = new SpecModel(spec, { seed: 1, input: { shape: [3], dtype: 'float32' } });
    model.forward(tf.ones([1, 3]), undefined, true);
    const kernel = model.layers[0]!.getWeights()[0]!;
    const want = 0.5 * tf.sum(tf.square(kernel)).dataSync()[0]!;
    expect(model.regularizationLoss()!.dataSync()[0]).toBeCloseTo(want, 6);
  });
});

describe('configs and specs', () => {
  it('config.json keeps the spec; one written before specs gets the spec of the same options', () => {
    const config = resolveConfig('charlm', 'quick', { layers: 2, zoneoutCell: 0.5 });
    expect(config.spec.layers.map((l) => l.config.name)).toEqual([
      'embedding',
      'lstm_0',
      'lstm_1',
      'softmax',
    ]);
    expect(config.spec.layers[2]!.config.zoneoutCell).toBe(0.5);
    const { spec: _spec, ...old } = JSON.parse(JSON.stringify(config));
    expect(validateConfig(old).spec).toEqual(config.spec);
    expect(validateConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it("the issue's example: --cell gru --set '*.normalization=layer'", () => {
    const config = resolveConfig('charlm', 'quick', { cell: 'gru', set: ['*.normalization=layer'] });
    expect(config.spec.layers[1]).toMatchObject({
      className: 'RegulabGRU',
      config: { name: 'gru_0', normalization: 'layer' },
    });
    expect(config).not.toHaveProperty('set');
  });

  it('shorthand flags edit a --model file only when given; --layers cannot', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'spec-')), 'm.json');
    writeFileSync(file, JSON.stringify(lstmSpec()));
    const plain = resolveConfig('charlm', 'quick', { model: file });
    expect(plain.spec.layers[1]!.config.units).toBe(3); // the preset's --hidden 16 does not touch a file
    expect(resolveConfig('charlm', 'quick', { model: file, hidden: 9 }).spec.layers[1]!.config.units).toBe(9);
    expect(() => resolveConfig('charlm', 'quick', { model: file, layers: 2 })).toThrow(
      /--layers shapes a built-in model only/,
    );
    // The message lists the built-in models of the task, from the table that defines them.
    const builtIn = Object.keys(BUILT_IN_SPECS.mnist!).join(', ');
    expect(() => resolveConfig('mnist', 'quick', { model: 'transformer' })).toThrow(
      `--model transformer: no such file (give a JSON spec file or a built-in model: ${builtIn})`,
    );
    expect(builtIn).toMatch(/^mlp, cnn, /);
  });
});

describe('the spec flags on the command line: one-line errors, exit 2', () => {
  async function cli(...argv: string[]) {
    const { main } = await import('../src/cli/main.js');
    const err: string[] = [];
    const code = await main(argv, { stdout: () => {}, stderr: (l) => err.push(l) });
    return { code, err: err.join('\n') };
  }
  const bad = async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'spec-')), 'bad.json');
    writeFileSync(file, '{ "layers": [');
    return file;
  };

  const cases: [string, () => Promise<string[]>, RegExp][] = [
    [
      'a missing --model file',
      async () => ['--model', '/no/such/spec.json'],
      /--model \/no\/such\/spec\.json: no such file/,
    ],
    [
      'a --model file that is not JSON',
      async () => ['--model', await bad()],
      /--model .*bad\.json: not valid JSON/,
    ],
    [
      'an unknown option set with --set',
      async () => ['--set', '1.zonoutCell=0.5'],
      /model spec layers\[1\] \(RegulabLSTM 'lstm_0'\): unknown option 'zonoutCell'/,
    ],
    [
      'a bad value in the second of two --set flags (every one is applied)',
      async () => ['--set', '1.dropout=0.1', '--set', '1.dropout=1.5'],
      /layers\[1\] \(RegulabLSTM 'lstm_0'\): option 'dropout' must be a number in \[0, 1\), got 1\.5/,
    ],
    ['a bad --penalty', async () => ['--penalty', 'l2'], /--penalty 'l2': expected/],
  ];
  for (const [what, args, message] of cases) {
    it(what, async () => {
      const r = await cli('run', 'charlm', '--preset', 'quick', ...(await args()));
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n'), 'one line, no stack trace').toHaveLength(1);
    });
  }
});

describe('the mnist task', () => {
  it('trains its default MLP on flat 784-pixel images and keeps the spec in config.json', async () => {
    const { mkdtempSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { startRun } = await import('../src/experiments/runner.js');
    const dir = join(mkdtempSync(join(tmpdir(), 'mnist-')), 'run');
    const config = resolveConfig('mnist', 'quick', { epochs: 1, dropout: 0.2 });
    const silent = { start() {}, update() {}, stop() {} };
    const summary = await startRun(config, dir, { progress: silent, report: false });
    expect(summary).toMatchObject({ experiment: 'mnist', status: 'finished', metric: 'accuracy', epochs: 1 });
    expect(summary.test).toBeGreaterThanOrEqual(0);
    expect(summary.test).toBeLessThanOrEqual(1);
    const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(saved.spec.layers).toEqual([
      expect.objectContaining({
        className: 'Dense',
        config: expect.objectContaining({ units: 16, activation: 'relu' }),
      }),
      { className: 'RegulabDropout', config: { name: 'dropout_0', rate: 0.2 } },
      expect.objectContaining({ className: 'Dense', config: expect.objectContaining({ units: '$classes' }) }),
    ]);
  });

  it('--model cnn reshapes the flat pixels to 28×28×1 images and gives 10 logits', () => {
    const config = resolveConfig('mnist', 'quick', { model: 'cnn' });
    expect(config).not.toHaveProperty('model'); // the --model name is folded into the spec
    const model = new SpecModel(fillTaskValues(config.spec, { classes: 10 }), {
      seed: 1,
      input: { shape: [784], dtype: 'float32' },
    });
    expect(model.layers.map((l) => l.getClassName())).toEqual([
      'Reshape',
      'Conv2D',
      'MaxPooling2D',
      'Conv2D',
      'MaxPooling2D',
      'Flatten',
      'RegulabDropout',
      'Dense',
      'Dense',
    ]);
    const out = tf.tidy(() => model.forward(tf.zeros([2, 784]), undefined, false).output.shape);
    expect(out).toEqual([2, 10]);
  });
  it('--model concrete-mlp learns the rates the MLP fixes: concrete dropout on each later layer, N = $examples', () => {
    const config = resolveConfig('mnist', 'quick', { model: 'concrete-mlp', layers: 2 });
    const model = new SpecModel(fillTaskValues(config.spec, { classes: 10, examples: 500 }), {
      seed: 1,
      input: { shape: [784], dtype: 'float32' },
    });
    expect(model.layers.map((l) => [l.name, l.getClassName()])).toEqual([
      ['dense_0', 'Dense'],
      ['concrete_1', 'RegulabConcreteDropoutDense'],
      ['concrete_softmax', 'RegulabConcreteDropoutDense'],
    ]);
    const concrete = model.layers.slice(1) as rl.layers.ConcreteDropoutDense[];
    // λ_d = 2/N with N the training images (the placeholder), and the authors' initial rate.
    for (const l of concrete) {
      expect(l.dropoutRegularizer).toBeCloseTo(2 / 500, 12);
      expect(l.rate).toBeCloseTo(0.1, 6);
    }
    const out = tf.tidy(() => model.forward(tf.zeros([2, 784]), undefined, false).output.shape);
    expect(out).toEqual([2, 10]);
  });
});

describe('a spec taken from model.toJSON()', () => {
  it('is the layers’ getConfig(), so a saved Sequential model’s topology is a spec', () => {
    const model = tf.sequential({
      layers: [
        rl.layers.lstm({
          units: 4,
          inputShape: [5, 3],
          returnSequences: true,
          zoneoutCell: 0.3,
          recurrentDropout: 0.1,
          recurrentDropoutMode: 'semeniuta',
          normalization: 'layer',
          seed: 2,
        }),
        rl.layers.lockedDropout({ rate: 0.2 }),
        tf.layers.dense({ units: 2, kernelInitializer: 'glorotUniform', activation: 'softmax' }),
      ],
    });
    const spec = parseModelSpec(JSON.parse(model.toJSON() as string), 'model.json');
    expect(spec.layers.map((l) => l.className)).toEqual(['RegulabLSTM', 'RegulabLockedDropout', 'Dense']);
    model.layers.forEach((layer, i) => {
      expect(spec.layers[i]!.config, layer.name).toEqual(JSON.parse(JSON.stringify(layer.getConfig())));
    });
    expect(() => checkModelSpec(spec)).not.toThrow();
    const built = new SpecModel(spec, { seed: 1, input: { shape: [5, 3], dtype: 'float32' } });
    expect(built.outputShape).toEqual([1, 5, 2]); // one example of 5 steps
    // The saved form (model.json's modelTopology) is read the same way.
    const saved = { modelTopology: JSON.parse(model.toJSON() as string) };
    expect(parseModelSpec(saved)).toEqual(spec);
    model.dispose();
  });

  it('refuses a functional model’s topology with the reason', () => {
    const input = tf.input({ shape: [3] });
    const output = tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    expect(() => parseModelSpec(JSON.parse(model.toJSON() as string), 'net.json')).toThrow(
      /^net\.json: a model\.toJSON\(\) spec must be of a Sequential model, got class_name "Model"/,
    );
    model.dispose();
  });
});

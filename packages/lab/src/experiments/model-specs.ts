/**
 * Each experiment's built-in model specs (`--model <name>`; the first is the default) and the
 * shape of the input its task feeds the model. A built-in spec is made from the run's options:
 * `--layers`, `--hidden`, `--embed` shape it, and the shorthand flags of the option table
 * (`--dropout`, `--zoneout-cell`, …) are then set on it (./resolve-spec.ts).
 *
 * `rnn` (charlm, wordlm): Embedding → L × RegulabLSTM (sequences) → Dense over the vocabulary;
 * `rnn-io-dropout` (charlm, wordlm): `rnn` with a RegulabDropout layer on the embedding, between
 * the LSTM layers and before the softmax, each of rate 0 until set (`--set 'dropout_*.rate=0.25'`):
 * dropout on the non-recurrent connections only (Zaremba et al. 2014), a new mask every step;
 * `rnn` (smnist, pmnist): L × RegulabLSTM (the last returns h_T) → Dense over the classes;
 * `mlp` (mnist): L × (Dense relu → RegulabDropout) → Dense; `mlp-bn`, `mlp-dropout-bn` (mnist): the
 * MLP with BatchNormalization after or before each dropout; `cnn` (mnist): 28×28×1 image →
 * 2 × (Conv2D 3×3 relu → MaxPooling2D 2×2) → Flatten → RegulabDropout → Dense relu → Dense;
 * `small-cnn` and `mlp-dropconnect` (mnist): issue 14's conv and dropconnect experiments' models.
 * `concrete-mlp` (mnist): the MLP with each dropout replaced by concrete dropout (Gal, Hron &
 * Kendall, NeurIPS 2017) on the next layer's input, Dense relu → (L − 1) × ConcreteDropoutDense
 * relu → ConcreteDropoutDense, its rates learned from 0.1 with N = `"$examples"` (the rates the
 * MLP fixes with `--dropout` are the ones this model trains; `--probe dropout-rates` logs them).
 *
 * The LM and sequential-MNIST specs are exactly the models the lab built before specs (names,
 * initializers, seed order: ../model/seed-layers.ts), so their numbers are unchanged.
 */
import type { ExperimentName, OptionValues } from '../config/options.js';
import type { LayerSpec, ModelSpec } from '../model/model-spec.js';
import type { ModelInput } from '../model/spec-model.js';
import { CHECK_VALUES, type TaskValues } from '../model/task-values.js';

type Values = Partial<OptionValues>;

const orthogonal = { className: 'RegulabOrthogonal', config: {} };

/** L stacked LSTM layers `lstm_0 …` (the regularizers come from the shorthand flags). */
function lstmStack(o: Values, lastReturnsSequences: boolean): LayerSpec[] {
  const L = o.layers!;
  return Array.from({ length: L }, (_, l) => ({
    className: 'RegulabLSTM',
    config: {
      name: `lstm_${l}`,
      units: o.hidden!,
      returnSequences: lastReturnsSequences || l < L - 1,
      unitForgetBias: true,
      recurrentInitializer: orthogonal,
    },
  }));
}

function softmax(units: string): LayerSpec {
  return {
    className: 'Dense',
    config: { name: 'softmax', units, kernelInitializer: { className: 'GlorotUniform', config: {} } },
  };
}

const lmRnn = (o: Values): ModelSpec => ({
  layers: [
    {
      className: 'Embedding',
      config: {
        name: 'embedding',
        inputDim: '$vocab',
        outputDim: o.embed!,
        embeddingsInitializer: { className: 'RandomUniform', config: { minval: -0.1, maxval: 0.1 } },
      },
    },
    ...lstmStack(o, true),
    softmax('$vocab'),
  ],
});

/** `lmRnn` with a dropout layer before each LSTM layer and before the softmax (rates 0, set by --set). */
const lmRnnIoDropout = (o: Values): ModelSpec => {
  const [embedding, ...rest] = lmRnn(o).layers;
  const lstms = rest.slice(0, -1);
  return {
    layers: [
      embedding!,
      ...lstms.flatMap((l, i) => [dropout(`dropout_${i}`, 0), l]),
      dropout(`dropout_${lstms.length}`, 0),
      rest.at(-1)!,
    ],
  };
};

const sequenceRnn = (o: Values): ModelSpec => ({ layers: [...lstmStack(o, false), softmax('$classes')] });

const relu = (name: string, units: number): LayerSpec => ({
  className: 'Dense',
  config: { name, units, activation: 'relu', kernelInitializer: { className: 'HeUniform', config: {} } },
});
const dropout = (name: string, rate: number): LayerSpec => ({
  className: 'RegulabDropout',
  config: { name, rate },
});

const mlp = (o: Values): ModelSpec => ({
  layers: [
    ...Array.from({ length: o.layers! }, (_, l) => [
      relu(`dense_${l}`, o.hidden!),
      dropout(`dropout_${l}`, o.dropout!),
    ]).flat(),
    softmax('$classes'),
  ],
});

const batchNorm = (name: string): LayerSpec => ({ className: 'BatchNormalization', config: { name } });

/**
 * The MLP with batch norm (Ioffe & Szegedy, ICML 2015) over each hidden layer's units, before or
 * after its dropout (issue 14's `batchnorm-dropout`): `mlp-bn` is Dense relu → BatchNormalization →
 * RegulabDropout (with --dropout 0: batch norm alone), `mlp-dropout-bn` is Dense relu →
 * RegulabDropout → BatchNormalization, where dropout changes the variance batch norm sees between
 * training and inference (Li et al., CVPR 2019).
 */
const mlpWithBatchNorm =
  (dropoutFirst: boolean) =>
  (o: Values): ModelSpec => ({
    layers: [
      ...Array.from({ length: o.layers! }, (_, l) => {
        const [d, bn] = [dropout(`dropout_${l}`, o.dropout!), batchNorm(`batch_norm_${l}`)];
        return [relu(`dense_${l}`, o.hidden!), ...(dropoutFirst ? [d, bn] : [bn, d])];
      }).flat(),
      softmax('$classes'),
    ],
  });
const concreteMlp = (o: Values): ModelSpec => {
  const concrete = (name: string, units: number | string, activation: string): LayerSpec => ({
    className: 'RegulabConcreteDropoutDense',
    config: {
      name,
      units,
      activation,
      kernelInitializer: { className: activation === 'relu' ? 'HeUniform' : 'GlorotUniform', config: {} },
      datasetSize: '$examples',
    },
  });
  return {
    layers: [
      relu('dense_0', o.hidden!),
      ...Array.from({ length: o.layers! - 1 }, (_, l) => concrete(`concrete_${l + 1}`, o.hidden!, 'relu')),
      concrete('concrete_softmax', '$classes', 'linear'),
    ],
  };
};

const conv = (name: string, filters: number): LayerSpec => ({
  className: 'Conv2D',
  config: {
    name,
    filters,
    kernelSize: 3,
    activation: 'relu',
    kernelInitializer: { className: 'HeUniform', config: {} },
  },
});
const pool = (name: string): LayerSpec => ({ className: 'MaxPooling2D', config: { name, poolSize: 2 } });

const cnn = (o: Values): ModelSpec => ({
  layers: [
    { className: 'Reshape', config: { name: 'image', targetShape: [28, 28, 1] } },
    conv('conv_0', 8),
    pool('pool_0'),
    conv('conv_1', 16),
    pool('pool_1'),
    { className: 'Flatten', config: { name: 'flatten' } },
    dropout('dropout', o.dropout!),
    relu('dense', o.hidden!),
    softmax('$classes'),
  ],
});

/**
 * `small-cnn` (issue 14's conv experiment): a CNN small enough for tfjs's slow CPU convolutions.
 * The 28×28 image is averaged down to 14×14; each convolution (3×3 relu, 8 then 16 filters) is
 * followed by one layer of each convolutional dropout — element-wise dropout (`--dropout`),
 * spatial dropout (whole feature maps) and DropBlock (3×3 blocks after the first convolution's
 * 12×12 maps, 2×2 after the second's 4×4) — all at rate 0 (the identity, drawing nothing) unless
 * set (`--set 'spatial_dropout_*.rate=0.2'`), so every variant has the same layers and, for a
 * seed, the same initial weights. Then max-pooling, Dense relu (`--hidden`), Dense softmax.
 */
const smallCnn = (o: Values): ModelSpec => ({
  layers: [
    { className: 'Reshape', config: { name: 'image', targetShape: [28, 28, 1] } },
    { className: 'AveragePooling2D', config: { name: 'downsample', poolSize: 2 } },
    ...[8, 16].flatMap((filters, l) => [
      conv(`conv_${l}`, filters),
      dropout(`dropout_${l}`, o.dropout!),
      { className: 'RegulabSpatialDropout2D', config: { name: `spatial_dropout_${l}`, rate: 0 } },
      { className: 'RegulabDropBlock', config: { name: `drop_block_${l}`, rate: 0, blockSize: 3 - l } },
      pool(`pool_${l}`),
    ]),
    { className: 'Flatten', config: { name: 'flatten' } },
    relu('dense', o.hidden!),
    softmax('$classes'),
  ],
});

/**
 * `mlp-dropconnect` (issue 14's dropconnect experiment): the one-hidden-layer MLP with the hidden
 * layer a RegulabDropConnectDense (DropConnect on its kernel, rate 0 — a plain dense layer —
 * unless set: `--set dense_0.rate=0.5`) followed by dropout (`--dropout`), so dropout and
 * DropConnect act on the same layer and every variant starts from the same weights.
 */
const mlpDropConnect = (o: Values): ModelSpec => ({
  layers: [
    {
      className: 'RegulabDropConnectDense',
      config: {
        name: 'dense_0',
        units: o.hidden!,
        activation: 'relu',
        rate: 0,
        kernelInitializer: { className: 'HeUniform', config: {} },
      },
    },
    dropout('dropout_0', o.dropout!),
    softmax('$classes'),
  ],
});

/** The built-in specs of each experiment, by `--model` name; the first is the default. */
export const BUILT_IN_SPECS: Record<ExperimentName, Record<string, (o: Values) => ModelSpec>> = {
  charlm: { rnn: lmRnn, 'rnn-io-dropout': lmRnnIoDropout },
  wordlm: { rnn: lmRnn, 'rnn-io-dropout': lmRnnIoDropout },
  smnist: { rnn: sequenceRnn },
  pmnist: { rnn: sequenceRnn },
  mnist: {
    mlp,
    cnn,
    'small-cnn': smallCnn,
    'mlp-dropconnect': mlpDropConnect,
    'mlp-bn': mlpWithBatchNorm(false),
    'mlp-dropout-bn': mlpWithBatchNorm(true),
    'concrete-mlp': concreteMlp,
  },
};

/** The input one example of `experiment` gives the model. */
export function modelInput(experiment: ExperimentName, o: Values): ModelInput {
  if (experiment === 'charlm' || experiment === 'wordlm') return { shape: [1], dtype: 'int32' };
  if (experiment === 'mnist') return { shape: [784], dtype: 'float32' };
  return { shape: [784 / o.pixelsPerStep!, o.pixelsPerStep!], dtype: 'float32' };
}

/** The placeholders `experiment` fills once its data is loaded, with stand-ins for checking before. */
export function taskValueStandIns(experiment: ExperimentName): TaskValues {
  return experiment === 'charlm' || experiment === 'wordlm'
    ? { vocab: CHECK_VALUES.vocab }
    : experiment === 'mnist'
      ? { classes: CHECK_VALUES.classes, examples: CHECK_VALUES.examples }
      : { classes: CHECK_VALUES.classes };
}

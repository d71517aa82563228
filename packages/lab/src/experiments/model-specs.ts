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
 * `mlp` (mnist): L × (Dense relu → RegulabDropout) → Dense; `cnn` (mnist): 28×28×1 image →
 * 2 × (Conv2D 3×3 relu → MaxPooling2D 2×2) → Flatten → RegulabDropout → Dense relu → Dense.
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

/** The built-in specs of each experiment, by `--model` name; the first is the default. */
export const BUILT_IN_SPECS: Record<ExperimentName, Record<string, (o: Values) => ModelSpec>> = {
  charlm: { rnn: lmRnn, 'rnn-io-dropout': lmRnnIoDropout },
  wordlm: { rnn: lmRnn, 'rnn-io-dropout': lmRnnIoDropout },
  smnist: { rnn: sequenceRnn },
  pmnist: { rnn: sequenceRnn },
  mnist: { mlp, cnn },
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
    : { classes: CHECK_VALUES.classes };
}

/**
 * THE option table of `regulab run`: every experiment option is one row here, and everything else
 * is derived from it — the commander flags and `--help` text (cli/program.ts), the zod schema that
 * validates a config (experiments/config.ts), the TypeScript type of a config, which experiments
 * accept the option, and which model-spec options a shorthand flag sets (`shorthand`). Add an
 * option by adding a row.
 */
import { z } from 'zod';
import { PROBE_NAMES } from '../probes/names.js';

/** The trainable experiments (`compare` runs `charlm` several times). */
export const EXPERIMENTS = ['charlm', 'wordlm', 'smnist', 'pmnist', 'mnist'] as const;
export type ExperimentName = (typeof EXPERIMENTS)[number];

const LM = ['charlm', 'wordlm'] as const;
const ALL = EXPERIMENTS;
const SEQUENCE_MNIST = ['smnist', 'pmnist'] as const;
const MNIST = ['smnist', 'pmnist', 'mnist'] as const;
/** The experiments whose default model is recurrent. */
const RECURRENT = [...LM, ...SEQUENCE_MNIST] as const;

/** How a command-line string becomes a value before the schema checks it ('list': repeatable flag). */
export type Parse = 'int' | 'float' | 'string' | 'list';

export interface OptionSpec {
  /** commander flag, e.g. `--hidden <units>`. */
  flag: string;
  help: string;
  parse: Parse;
  /** Validation of the value (after parsing); its messages name the option. */
  schema: z.ZodType;
  /** The experiments that accept this option; giving it to another is a usage error. */
  appliesTo: readonly ExperimentName[];
  /**
   * A shorthand: the model-spec options this flag sets, on every layer of the kind named that has
   * one (the first one it has). The preset's value shapes the default model; a flag given with
   * `--model <file>` edits that spec.
   */
  shorthand?: { layers: 'recurrent' | 'embedding'; options: readonly string[] };
  /**
   * An edit of the model spec (`--model`, `--set`, …): applied when the config is resolved, not
   * kept in config.json (which keeps the resulting spec as `spec`).
   */
  editsSpec?: true;
}

const rate = z.number().min(0).max(0.999, 'must be < 1 (a rate of 1 drops everything)');
const zoneoutRate = z.number().min(0).max(0.999, 'must be < 1 (a rate of 1 never updates the state)');
const positiveInt = z.number().int().positive();
const countOrAll = z.number().int().min(0);
const tokensOrAll = countOrAll.refine(
  (n) => n !== 1,
  'must be 0 (all) or at least 2 (one token predicts nothing)',
);

export const OPTIONS = {
  data: {
    flag: '--data <name|path>',
    help: "corpus: 'brown' (embedded), 'ptb', 'text8' or a directory/file; MNIST: 'mnist' (embedded) or an IDX directory",
    parse: 'string',
    schema: z.string().min(1),
    appliesTo: ALL,
  },
  model: {
    flag: '--model <file.json|name>',
    help: "the model spec: a JSON file ({ layers: [{ className, config }, ...] }) or a built-in name (mnist: 'mlp', 'cnn'; charlm, wordlm, smnist, pmnist: 'rnn'; and the experiments' models; an unknown name lists them all)",
    parse: 'string',
    schema: z.string().min(1),
    appliesTo: ALL,
    editsSpec: true,
  },
  cell: {
    flag: '--cell <lstm|gru>',
    help: 'the recurrent cell of every recurrent layer (a GRU takes --zoneout-hidden as its zoneout)',
    parse: 'string',
    schema: z.enum(['lstm', 'gru']),
    appliesTo: ALL,
    editsSpec: true,
  },
  set: {
    flag: '--set <layers.option=value>',
    help: "set a layer option of the model spec (repeatable): '2.rate=0.3', 'lstm*.normalization=layer', '*.normStabilizer=50'; a glob sets it on the layers that have it",
    parse: 'list',
    schema: z.array(z.string()),
    appliesTo: ALL,
    editsSpec: true,
  },
  penalty: {
    flag: '--penalty <[weights:]l1|l2=λ>',
    help: "L1/L2 weight penalty on every layer that takes one (repeatable): 'l2=1e-4' (kernels), 'recurrent:l2=1e-4', 'bias:l1=1e-5'",
    parse: 'list',
    schema: z.array(z.string()),
    appliesTo: ALL,
    editsSpec: true,
  },
  constraint: {
    flag: '--constraint <[weights:]maxnorm=c>',
    help: "max-norm constraint ‖w‖ ≤ c per column, after every step (repeatable): 'maxnorm=3' (kernels), 'recurrent:maxnorm=3'",
    parse: 'list',
    schema: z.array(z.string()),
    appliesTo: ALL,
    editsSpec: true,
  },
  hidden: {
    flag: '--hidden <units>',
    help: 'units per recurrent layer (mnist: per hidden dense layer)',
    parse: 'int',
    schema: positiveInt,
    appliesTo: ALL,
    shorthand: { layers: 'recurrent', options: ['units'] },
  },
  layers: {
    flag: '--layers <n>',
    help: 'stacked recurrent layers (mnist: hidden dense layers) of the default model',
    parse: 'int',
    schema: positiveInt,
    appliesTo: ALL,
  },
  embed: {
    flag: '--embed <dim>',
    help: 'embedding size',
    parse: 'int',
    schema: positiveInt,
    appliesTo: LM,
    shorthand: { layers: 'embedding', options: ['outputDim'] },
  },
  seqLen: {
    flag: '--seq-len <steps>',
    help: 'truncated-BPTT window (time steps per training batch)',
    parse: 'int',
    schema: positiveInt,
    appliesTo: LM,
  },
  batch: {
    flag: '--batch <n>',
    help: 'batch size (LM: parallel streams)',
    parse: 'int',
    schema: positiveInt,
    appliesTo: ALL,
  },
  evalBatch: {
    flag: '--eval-batch <n>',
    help: 'LM evaluation streams (state carried within each)',
    parse: 'int',
    schema: positiveInt,
    appliesTo: LM,
  },
  epochs: { flag: '--epochs <n>', help: 'maximum epochs', parse: 'int', schema: positiveInt, appliesTo: ALL },
  patience: {
    flag: '--patience <epochs>',
    help: 'early stopping: epochs without a better validation loss before stopping (0: never stop early); the best weights are restored at the end',
    parse: 'int',
    schema: countOrAll,
    appliesTo: ALL,
  },
  lr: {
    flag: '--lr <rate>',
    help: 'learning rate',
    parse: 'float',
    schema: z.number().positive(),
    appliesTo: ALL,
  },
  optimizer: {
    flag: '--optimizer <name>',
    help: 'adam | adamw | sgd | sgdw | rmsprop (adamw/sgdw/rmsprop: decoupled --weight-decay)',
    parse: 'string',
    schema: z.enum(['adam', 'adamw', 'sgd', 'sgdw', 'rmsprop']),
    appliesTo: ALL,
  },
  clip: {
    flag: '--clip <norm>',
    help: 'clip the global gradient norm to this value (0: off)',
    parse: 'float',
    schema: z.number().min(0),
    appliesTo: ALL,
  },
  dropout: {
    flag: '--dropout <rate>',
    help: 'Gal input dropout on x_t, one mask per sequence (every recurrent layer; mnist: dropout after each hidden layer)',
    parse: 'float',
    schema: rate,
    appliesTo: ALL,
    shorthand: { layers: 'recurrent', options: ['dropout'] },
  },
  recurrentDropout: {
    flag: '--recurrent-dropout <rate>',
    help: 'recurrent dropout rate (where: --recurrent-dropout-mode)',
    parse: 'float',
    schema: rate,
    appliesTo: RECURRENT,
    shorthand: { layers: 'recurrent', options: ['recurrentDropout'] },
  },
  recurrentDropoutMode: {
    flag: '--recurrent-dropout-mode <mode>',
    help: "'gal' (mask on h_{t-1}, per sequence) | 'semeniuta' (mask on the candidate g_t)",
    parse: 'string',
    schema: z.enum(['gal', 'semeniuta']),
    appliesTo: RECURRENT,
    shorthand: { layers: 'recurrent', options: ['recurrentDropoutMode'] },
  },
  recurrentDropoutMask: {
    flag: '--recurrent-dropout-mask <mask>',
    help: "'sequence' (one recurrent dropout mask per sequence; gal's default) | 'step' (a new mask every step; semeniuta's default; gal + step runs on the reference op)",
    parse: 'string',
    schema: z.enum(['sequence', 'step']).optional(), // unset: each mode's default
    appliesTo: RECURRENT,
    shorthand: { layers: 'recurrent', options: ['recurrentDropoutMask'] },
  },
  zoneoutCell: {
    flag: '--zoneout-cell <rate>',
    help: 'zoneout probability of the cell state (paper, char-level: 0.5)',
    parse: 'float',
    schema: zoneoutRate,
    appliesTo: RECURRENT,
    shorthand: { layers: 'recurrent', options: ['zoneoutCell'] },
  },
  zoneoutHidden: {
    flag: '--zoneout-hidden <rate>',
    help: 'zoneout probability of the hidden state (paper, char-level: 0.05)',
    parse: 'float',
    schema: zoneoutRate,
    appliesTo: RECURRENT,
    shorthand: { layers: 'recurrent', options: ['zoneoutHidden', 'zoneout'] },
  },
  weightDrop: {
    flag: '--weight-drop <rate>',
    help: 'DropConnect on the recurrent kernel, one mask per batch (Merity et al.)',
    parse: 'float',
    schema: rate,
    appliesTo: RECURRENT,
    shorthand: { layers: 'recurrent', options: ['weightDrop'] },
  },
  weightDecay: {
    flag: '--weight-decay <lambda>',
    help: 'decoupled weight decay λ (w ← w − lr·λ·w; needs --optimizer adamw, sgdw or rmsprop)',
    parse: 'float',
    schema: z.number().min(0),
    appliesTo: ALL,
  },
  trainChars: {
    flag: '--train-chars <n>',
    help: 'train on the first n characters of the training split (0: all)',
    parse: 'int',
    schema: tokensOrAll,
    appliesTo: ['charlm'],
  },
  trainWords: {
    flag: '--train-words <n>',
    help: 'train on the first n words of the training split (0: all)',
    parse: 'int',
    schema: tokensOrAll,
    appliesTo: ['wordlm'],
  },
  minCount: {
    flag: '--min-count <n>',
    help: 'words seen fewer than n times in the training split become <unk> (Brown only)',
    parse: 'int',
    schema: positiveInt,
    appliesTo: ['wordlm'],
  },
  evalTokens: {
    flag: '--eval-tokens <n>',
    help: 'score only the first n tokens of validation and test (0: the whole splits; compare and quick use a slice to keep CPU runs short)',
    parse: 'int',
    schema: tokensOrAll,
    appliesTo: LM,
  },
  trainExamples: {
    flag: '--train-examples <n>',
    help: 'train on the first n training images (0: all)',
    parse: 'int',
    schema: countOrAll,
    appliesTo: MNIST,
  },
  evalExamples: {
    flag: '--eval-examples <n>',
    help: 'score only the first n validation and test images (0: all)',
    parse: 'int',
    schema: countOrAll,
    appliesTo: MNIST,
  },
  pixelsPerStep: {
    flag: '--pixels-per-step <n>',
    help: 'pixels fed per time step (1: the 784-step task of the papers; 28: row by row)',
    parse: 'int',
    schema: z
      .number()
      .int()
      .refine((n) => n > 0 && 784 % n === 0, 'must divide 784'),
    appliesTo: SEQUENCE_MNIST,
  },
  bnStatistics: {
    flag: '--bn-statistics <population|moving>',
    help: "recurrent batch norm's per-step statistics for the final validation and test scores: 'population' recomputes them exactly from the training images after training (rl.inference.recomputeBatchNormStatistics); 'moving' keeps training's momentum averages, as runs from before this option did",
    parse: 'string',
    // Unset (config.json written before the option): 'moving', so those runs resume unchanged.
    schema: z.enum(['population', 'moving']).optional(),
    appliesTo: SEQUENCE_MNIST,
  },
  probe: {
    flag: '--probe <name>',
    help: `a measurement taken while training, written to the run's probes.jsonl (repeatable): ${PROBE_NAMES.join(', ')}`,
    parse: 'list',
    schema: z.array(z.enum(PROBE_NAMES)).optional(),
    appliesTo: ALL,
  },
  seed: {
    flag: '--seed <n>',
    help: 'seed of everything random: initial weights, data order, every mask',
    parse: 'int',
    schema: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
    appliesTo: ALL,
  },
} as const satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTIONS;
export const OPTION_KEYS = Object.keys(OPTIONS) as OptionKey[];

/** The value type of each option, inferred from its schema. */
export type OptionValues = { [K in OptionKey]: z.infer<(typeof OPTIONS)[K]['schema']> };

/** `seqLen` → `--seq-len`. */
export function flagName(key: OptionKey): string {
  return OPTIONS[key].flag.split(' ')[0]!;
}

/** The options that edit the model spec rather than being kept in the config. */
export type SpecEditKey = {
  [K in OptionKey]: (typeof OPTIONS)[K] extends { editsSpec: true } ? K : never;
}[OptionKey];
export const SPEC_EDIT_KEYS = OPTION_KEYS.filter(
  (k) => (OPTIONS[k] as OptionSpec).editsSpec,
) as SpecEditKey[];

/** Turns command-line text (a list of texts for a repeatable flag) into the option's value. */
export function parseOptionValue(key: OptionKey, text: string | string[]): unknown {
  const { parse } = OPTIONS[key] as OptionSpec;
  if (parse === 'list') return Array.isArray(text) ? text : [text];
  if (Array.isArray(text)) return text; // the schema rejects a list
  if (parse === 'string') return text;
  const trimmed = text.trim();
  // Number('') is 0 and Number('0x10') is 16: accept plain decimal notation only.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(trimmed)) return text; // the schema rejects a string
  return Number(trimmed);
}

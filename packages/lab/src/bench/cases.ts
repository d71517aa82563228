/**
 * The step benchmarks of issue 4: one training step (forward, backward, optimizer update) of the
 * two models the zoneout paper trains, and the matmul FLOPs of that step (for the FLOP bound).
 * And issue 16's `mc-predict`: Monte Carlo prediction with the character model, `samples` samples
 * of one batch by `rl.inference.mcPredict` against as many sequential `predict` calls.
 * And issue 12's feed-forward steps (`cnn-step`, `mlp-step`: ./feedforward.ts).
 * And issue 13's normalised steps: `charlm-ln-step` (charlm-step with layer norm, Ba et al.) and
 * `pmnist-bn-step` (pmnist-step with recurrent batch norm, Cooijmans et al.: the zoneout paper's
 * pMNIST model), each timed beside the same case without normalization (its `base`).
 */
import {
  FEEDFORWARD_CASES,
  type FeedforwardCase,
  type FeedforwardName,
  feedforwardFlops,
} from './feedforward.js';

export type RecurrentName = 'charlm-step' | 'pmnist-step' | 'mc-predict' | NormalizedName;
export type NormalizedName = 'charlm-ln-step' | 'pmnist-bn-step';
export type CaseName = RecurrentName | FeedforwardName;

export interface BenchCase {
  name: RecurrentName;
  kind: 'recurrent';
  batch: number;
  steps: number;
  /** Vocabulary (embedding input) or null for real-valued inputs (pmnist). */
  vocab: number | null;
  /** Embedding width, or the input width of pmnist. */
  input: number;
  units: number;
  classes: number;
  zoneoutCell: number;
  zoneoutHidden: number;
  optimizer: 'adam' | 'rmsprop';
  /** Whether the loss is on every step (language model) or on the last one (classifier). */
  everyStep: boolean;
  /** Monte Carlo samples: set, the case times prediction (mcPredict vs sequential predicts), not a training step. */
  samples?: number;
  /**
   * The LSTM's normalization (`rl.layers.lstm`'s option, default scope and momentum; batch norm
   * keeps statistics for every step of the input) and the case it adds it to, which the bench
   * runs beside it. Absent: no normalization.
   */
  normalized?: { normalization: 'layer' | 'batch'; base: RecurrentName };
}

export const CHARLM_STEP: BenchCase = {
  name: 'charlm-step',
  kind: 'recurrent',
  batch: 32,
  steps: 50,
  vocab: 50,
  input: 64,
  units: 256,
  classes: 50,
  zoneoutCell: 0.5,
  zoneoutHidden: 0.05,
  optimizer: 'adam',
  everyStep: true,
};

export type AnyCase = BenchCase | FeedforwardCase;

/** One implementation's result on one case, as the bench prints it (--json): the worker's or peer's line plus ratios. */
export type BenchLine = Record<string, unknown> & {
  case?: string;
  impl: string;
  ms_per_step?: number;
  cpu_ms_per_step?: number;
  error?: string;
};

export const PMNIST_STEP: BenchCase = {
  name: 'pmnist-step',
  kind: 'recurrent',
  batch: 100,
  steps: 784,
  vocab: null,
  input: 1,
  units: 100,
  classes: 10,
  zoneoutCell: 0.15,
  zoneoutHidden: 0.15,
  optimizer: 'rmsprop',
  everyStep: false,
};

/** `base` with `normalization` in its LSTM, named `name`. */
function normalizedCase(base: BenchCase, name: NormalizedName, normalization: 'layer' | 'batch'): BenchCase {
  return { ...base, name, normalized: { normalization, base: base.name } };
}

export const CASES: Record<CaseName, AnyCase> = {
  'charlm-step': CHARLM_STEP,
  // The charlm-step model, timed in prediction: 32 Monte Carlo samples.
  'mc-predict': { ...CHARLM_STEP, name: 'mc-predict', samples: 32 },
  'pmnist-step': PMNIST_STEP,
  'charlm-ln-step': normalizedCase(CHARLM_STEP, 'charlm-ln-step', 'layer'),
  'pmnist-bn-step': normalizedCase(PMNIST_STEP, 'pmnist-bn-step', 'batch'),
  ...FEEDFORWARD_CASES,
};

/**
 * Matmul FLOPs of one training step (2·m·n·k per product; forward, and two products per matmul
 * backward): input projection, the recurrent products, the dense head. The embedding lookup,
 * element-wise work and the optimizer have no matmul and are left out (they are the overhead).
 */
export function stepMatmulFlops(c: AnyCase): number {
  if (c.kind === 'feedforward') return feedforwardFlops(c);
  const rows = c.batch * c.steps;
  const g = 4 * c.units;
  const input = 2 * rows * c.input * g;
  const recurrent = 2 * rows * c.units * g;
  const headRows = c.everyStep ? rows : c.batch;
  const head = 2 * headRows * c.units * c.classes;
  return 3 * (input + recurrent + head);
}

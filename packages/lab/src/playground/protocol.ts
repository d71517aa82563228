/**
 * The playground's regularizer choices and the messages between the page (./page.ts) and each
 * training worker (./trainer-worker.ts), declared once for both.
 */

/** The regularizers offered, each with its rate options as rl.layers.lstm names them. */
export const REGULARIZERS = {
  none: [],
  zoneout: ['zoneoutCell', 'zoneoutHidden'],
  dropout: ['dropout', 'recurrentDropout'],
  'weight-drop': ['weightDrop'],
} as const satisfies Record<string, readonly string[]>;
export type Regularizer = keyof typeof REGULARIZERS;

/** Defaults for the rates (the zoneout paper's char-level rates; AWD-LSTM's weight drop). */
export const DEFAULT_RATES: Record<string, number> = {
  zoneoutCell: 0.5,
  zoneoutHidden: 0.05,
  dropout: 0.25,
  recurrentDropout: 0.25,
  weightDrop: 0.5,
};

export interface TrainConfig {
  text: string;
  regularizer: Regularizer;
  /** Rate of each option of the regularizer (names from REGULARIZERS). */
  rates: Record<string, number>;
  units: number;
  /** Characters per training sequence and sequences per batch. */
  seqLength: number;
  batch: number;
  learningRate: number;
  /** Training steps in all, and how often to measure validation. */
  steps: number;
  evalEvery: number;
  seed: number;
}

export type ToWorker =
  { type: 'train'; config: TrainConfig } | { type: 'sample'; length: number; temperature: number };

export type FromWorker =
  | { type: 'ready'; kernels: string; vocab: number; trainChars: number; validChars: number }
  | { type: 'point'; step: number; train: number; valid: number | null; msPerStep: number }
  | { type: 'sample'; text: string }
  | { type: 'done' }
  | { type: 'error'; message: string };

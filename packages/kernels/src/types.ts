/**
 * The contract between Regulab's recurrent layers (packages/core) and the fused sequence kernels.
 * The kernels know nothing of layers: they take tensors, masks and flags.
 *
 * Conventions: B batch, T time steps, D input features, H units. Masks are float32 and already
 * scaled (a Gal mask holds 0 or 1/(1−p)); zoneout masks hold 1 where the unit KEEPS its previous
 * value (d = 1 with probability z) and 0 where it takes the new value. Masks carry no gradient.
 *
 * Input dropout (one [B, D] mask per sequence) and weight-drop (one mask on the recurrent kernel)
 * are applied by the caller with ordinary tfjs ops before the kernel runs, so the kernel sees the
 * dropped x and the dropped recurrent kernel and the gradients flow through the caller's multiply.
 */
import type * as tf from '@tensorflow/tfjs';

export type KernelBackend = 'native' | 'wasm' | 'reference';

/** Element-wise activations a fused op accepts (tfjs-layers' definitions; hardSigmoid = clip(0.2x + 0.5, 0, 1)). */
export type SequenceActivation = 'sigmoid' | 'hardSigmoid' | 'tanh' | 'relu' | 'linear';

/** Zoneout for one state (cell or hidden). */
export type ZoneoutSpec =
  /** Training: per-step masks [T, B, H], 1 = keep the previous value. */
  | { kind: 'mask'; mask: tf.Tensor3D }
  /** Inference expectation: state_t = z·state_{t−1} + (1 − z)·new_t. */
  | { kind: 'expectation'; rate: number };

/**
 * Training zoneout, fast: the per-step masks [T, B, H] drawn inside the kernel from a seed (no mask
 * tensor to generate). d = 1 (keep) with probability `rate`; the exact draw is
 * `zoneoutMaskFromSeed(seed, rate, T, B, H)` (fused/zoneout-hash.ts), which the reference path
 * uses, so every backend sees the same masks. `seed` is an integer in [0, 2³²). The same seed and
 * rate give the same mask (e.g. the one mask shared by c and h in the permuted-MNIST setup).
 */
export interface SeededZoneout {
  rate: number;
  seed: number;
}

export interface RecurrentSequenceOptions {
  /**
   * Gal recurrent dropout: a mask on h_{t−1} where it enters the recurrent matmul (all gates); the
   * carried state is not masked. [B, H]: one mask per sequence (Gal & Ghahramani). [T, B, H]: a
   * new mask every step ("naive" recurrent dropout); the native and wasm kernels do not take it
   * yet (issue 13), so `lstmSequence` / `gruSequence` run such a call on the reference op.
   */
  recurrentMask?: tf.Tensor2D | tf.Tensor3D;
  /** Semeniuta recurrent dropout on the candidate (LSTM g_t, GRU h̃ candidate): [B, H] per sequence or [T, B, H] per step. */
  candidateMask?: tf.Tensor2D | tf.Tensor3D;
  /** LSTM: zoneout on the cell state. */
  zoneoutCell?: ZoneoutSpec;
  /** LSTM: zoneout on the hidden state; GRU: zoneout on h. */
  zoneoutHidden?: ZoneoutSpec;
  /** Seeded training zoneout (instead of zoneoutCell / zoneoutHidden, which must then be unset). */
  zoneoutSeeded?: { cell?: SeededZoneout; hidden?: SeededZoneout };
  /** Padding mask [B, T]: 1 for a real step, 0 for a padded one (the state is carried over, the output is the carried h). */
  stepMask?: tf.Tensor2D;
  /** Process the sequence from t = T−1 down to 0 (outputs stay in processing order, as tfjs/Keras do). */
  goBackwards?: boolean;
  /**
   * Default true. False: the caller reads only the final states, so `sequence` is returned empty
   * ([B, 0, H]) and never materialized (a classifier over 784 steps saves a [B, T, H] output, and
   * tfjs's zero gradient of it, per call).
   */
  sequenceOutput?: boolean;
  /** Activation of the candidate (and, for the LSTM, of the cell before the output gate). Default 'tanh'. */
  activation?: SequenceActivation;
  /** Activation of the gates (LSTM i, f, o; GRU z, r). Default 'sigmoid'. */
  recurrentActivation?: SequenceActivation;
}

/**
 * Layer norm or recurrent batch norm inside the fused op (kernels whose FusedImpl says
 * `normalization`, today the native addon; ./fused/abi.ts NORM_KIND has the design). The
 * semantics are those of core's normalised layers (layers/recurrent/step-normalization.ts):
 * LSTM a = N_x(x·W) + N_h(ĥ·U) + b, h̃ = o ⊙ φ(N_c(c̃)); GRU as its norm hooks (GruStepHooks).
 * Differentiable with respect to every γ and β; the moving statistics are constants.
 * Shapes: γ_x, γ_h [G·H]; LSTM γ_c, β_c [H]; moving statistics [maxSteps, F].
 */
export interface SequenceNormalization {
  kind: 'layer' | 'batch';
  /** Layer norm: statistics over the whole quantity ('fused', default) or each gate's H values. */
  scope?: 'fused' | 'gate';
  /** Default 1e-3. */
  epsilon?: number;
  /** Batch norm: the batch's statistics (returned in `batchStats`) rather than `moving`'s. */
  training?: boolean;
  gammaX: tf.Tensor1D;
  gammaH: tf.Tensor1D;
  /** LSTM only (required there). */
  gammaC?: tf.Tensor1D;
  betaC?: tf.Tensor1D;
  /** Batch norm inference: per-step population statistics; steps past their rows reuse the last. */
  moving?: SequenceNormStats;
}

/** Per-step batch-norm statistics (x: W·x_t, h: U·ĥ, c: the LSTM cell), rows = steps. */
export interface SequenceNormStats {
  meanX: tf.Tensor2D; // [rows, G·H]
  varianceX: tf.Tensor2D; // [rows, G·H]
  meanH: tf.Tensor2D; // [rows, G·H]
  varianceH: tf.Tensor2D; // [rows, G·H]
  meanC?: tf.Tensor2D; // [rows, H]
  varianceC?: tf.Tensor2D; // [rows, H]
}

/*
 * Per-step masks ([T, B, H]: 'step' recurrent and candidate masks, zoneout masks) are indexed by the
 * processing step k = 0..T−1: with goBackwards, step k reads input x[:, T−1−k] and mask[k]. The
 * stepMask [B, T] is indexed by input time (it follows the input it pads).
 */

export interface LstmSequenceInputs extends RecurrentSequenceOptions {
  x: tf.Tensor3D; // [B, T, D]
  h0: tf.Tensor2D; // [B, H]
  c0: tf.Tensor2D; // [B, H]
  kernel: tf.Tensor2D; // [D, 4H], gate order i, f, c, o (tfjs/Keras layout)
  recurrentKernel: tf.Tensor2D; // [H, 4H]
  bias: tf.Tensor1D; // [4H]
  /** Layer norm or recurrent batch norm inside the op (fast kernels that take it only). */
  normalization?: SequenceNormalization;
}

export interface LstmSequenceOutputs {
  sequence: tf.Tensor3D; // [B, T, H]: h_t for every step
  h: tf.Tensor2D; // [B, H]: last h
  c: tf.Tensor2D; // [B, H]: last c
  /** Batch norm training: the batch statistics of each processing step, [T, F] (no gradient). */
  batchStats?: SequenceNormStats;
}

export interface GruSequenceInputs extends RecurrentSequenceOptions {
  x: tf.Tensor3D; // [B, T, D]
  h0: tf.Tensor2D; // [B, H]
  kernel: tf.Tensor2D; // [D, 3H], gate order z, r, h (tfjs/Keras layout)
  recurrentKernel: tf.Tensor2D; // [H, 3H]
  /** [3H] (reset-before, tfjs) or [2, 3H] (reset-after, Keras default: input bias row 0, recurrent bias row 1). */
  bias: tf.Tensor1D | tf.Tensor2D;
  /** Keras `reset_after`: r multiplies (W_h h + b_h) instead of h. */
  resetAfter: boolean;
  /** Layer norm or recurrent batch norm inside the op (fast kernels that take it only). */
  normalization?: SequenceNormalization;
}

export interface GruSequenceOutputs {
  sequence: tf.Tensor3D; // [B, T, H]
  h: tf.Tensor2D; // [B, H]
  /** Batch norm training: the batch statistics of each processing step, [T, 3H] (no gradient). */
  batchStats?: SequenceNormStats;
}

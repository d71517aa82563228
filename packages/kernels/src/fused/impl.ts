/**
 * The low-level interface every fast backend of the fused recurrent ops implements (the native
 * addon in ../native-impl.ts, the WebAssembly build in ../wasm/). It works on plain Float32Arrays:
 * the tfjs op wrapper (./ops.ts) reads the tensors, calls the impl and makes tensors of the
 * results, and registers the backward pass as the ops' gradient.
 *
 * Layouts (all row-major float32, B batch, T steps, D input features, H units):
 *   x [B, T, D]; kernel [D, G·H]; recurrentKernel [H, G·H] (G = 4 for the LSTM, gates i, f, c, o;
 *   G = 3 for the GRU, gates z, r, h); LSTM bias [4H]; GRU bias [3H] (reset-before) or [2, 3H]
 *   (reset-after: input bias row 0, recurrent bias row 1); states [B, H]; sequence [B, T, H].
 *   Per-step masks [T, B, H] are indexed by processing step k (k = 0 first processed step; with
 *   goBackwards step k reads x[:, T−1−k]); stepMask [B, T] is indexed by input time.
 * The math of one step is the reference's (../reference/lstm-sequence.ts, gru-sequence.ts); an
 * impl must match it within float32 rounding.
 *
 * Ownership: an impl never mutates its inputs; it returns fresh arrays. The tape returned by a
 * forward call is opaque, owned by the caller, passed back to exactly one backward call (which may
 * consume it), and otherwise simply dropped (garbage-collected).
 */
import type { CONV_INTS, UNARY_CODE } from './abi.js';

/** The codes the kernels read are declared with the rest of the boundary, in ./abi.ts. */
export { ACTIVATION_CODE, OPTIMIZER_KIND, UNARY_CODE } from './abi.js';

/**
 * Zoneout of one state as a kernel sees it. `seeded` masks are drawn inside the kernel with the
 * counter-based hash of ./zoneout-hash.ts (d = 1, keep, with probability `rate`); the JS function
 * `zoneoutMaskFromSeed` reproduces them bit for bit, so the reference path uses the same masks.
 */
export type FusedZoneout =
  | { mode: 'none' }
  /** [T, B, H], 1 = keep the previous value. */
  | { mode: 'mask'; mask: Float32Array }
  /** state_t = rate·state_{t−1} + (1 − rate)·new_t. */
  | { mode: 'expectation'; rate: number }
  | { mode: 'seeded'; rate: number; seed: number };

/** A seeded per-step dropout mask as a kernel sees it (drop rate in [0, 1), integer seed in [0, 2³²)). */
export interface FusedDropout {
  rate: number;
  seed: number;
}

/** Sizes of one call. */
export interface FusedDims {
  batch: number;
  steps: number;
  inputDim: number;
  units: number;
}

/** What the LSTM and GRU calls share. */
export interface FusedCommonArgs {
  dims: FusedDims;
  x: Float32Array; // [B, T, D]
  kernel: Float32Array; // [D, G·H]
  recurrentKernel: Float32Array; // [H, G·H]
  h0: Float32Array; // [B, H]
  /** Gal mask on h_{t−1} entering the recurrent matmul, [B, H] or [T, B, H], already scaled; null = none. */
  recurrentMask: Float32Array | null;
  /** recurrentMask is [T, B, H] (a new mask every processing step). Default false. */
  recurrentPerStep?: boolean;
  /**
   * Seeded per-step dropout drawn by the kernel ([T, B, H], 0 or 1/(1 − rate), ./dropout-hash.ts):
   * `recurrent` instead of recurrentMask (Gal), `candidate` instead of candidateMask (Semeniuta);
   * null or absent = none.
   */
  recurrentDropout?: FusedDropout | null;
  candidateDropout?: FusedDropout | null;
  /** Backward also returns the per-step gradient norms of the states (dhNorms, dcNorms). Default false. */
  stateGradientNorms?: boolean;
  /** Semeniuta mask on the candidate: [B, H] (per sequence) or [T, B, H] (per step); null = none. */
  candidateMask: Float32Array | null;
  candidatePerStep: boolean;
  /** Zoneout of h (LSTM hidden state, GRU state). */
  zoneoutHidden: FusedZoneout;
  /** Padding mask [B, T] (1 real step, 0 padded: state carried over); null = no padding. */
  stepMask: Float32Array | null;
  goBackwards: boolean;
  /** False: `sequence` may come back empty and backward gets an empty dSequence (its gradient is 0). */
  sequenceOutput: boolean;
  /** ACTIVATION_CODE of the candidate (and of the LSTM cell before the output gate). */
  activation: number;
  /** ACTIVATION_CODE of the gates. */
  recurrentActivation: number;
}

/**
 * Normalisation inside a fused call (layer norm or recurrent batch norm; design and tape layouts:
 * NORM_KIND in ./abi.ts; semantics: core's recurrent/step-normalization.ts). F = G·H for x and h,
 * H for the LSTM cell.
 */
export interface FusedNorm {
  kind: 'layer' | 'batch';
  /** Layer norm: statistics over the whole quantity ('fused') or each H block ('gate'). */
  scope: 'fused' | 'gate';
  /** Batch norm: batch statistics (returned per step) rather than the moving ones. */
  training: boolean;
  epsilon: number;
  gammaX: Float32Array; // [G·H]
  gammaH: Float32Array; // [G·H]
  /** LSTM only. */
  gammaC?: Float32Array; // [H]
  betaC?: Float32Array; // [H]
  /** Batch norm inference: the moving statistics, rows = steps with their own statistics. */
  moving?: FusedNormStats;
  /** Rows of `moving` (1 when there are none). */
  maxSteps: number;
}

/** Per-step batch-norm statistics: [rows, G·H] for x and h, [rows, H] for the LSTM cell c. */
export interface FusedNormStats {
  meanX: Float32Array;
  varianceX: Float32Array;
  meanH: Float32Array;
  varianceH: Float32Array;
  meanC?: Float32Array;
  varianceC?: Float32Array;
}

/** The normalisation's gradients: γ_x, γ_h [G·H]; LSTM γ_c, β_c [H]. */
export interface FusedNormGrads {
  dGammaX: Float32Array;
  dGammaH: Float32Array;
  dGammaC?: Float32Array;
  dBetaC?: Float32Array;
}

export interface LstmArgs extends FusedCommonArgs {
  c0: Float32Array; // [B, H]
  bias: Float32Array; // [4H]
  zoneoutCell: FusedZoneout;
  /** Normalisation (absent: none). */
  norm?: FusedNorm;
}

export interface GruArgs extends FusedCommonArgs {
  bias: Float32Array; // [3H] or [2·3H] when resetAfter
  resetAfter: boolean;
  /** Normalisation (absent: none). */
  norm?: FusedNorm;
}

/** Opaque per-call state saved by a forward call for its backward call. */
export type FusedTape = object;

export interface LstmForwardResult {
  sequence: Float32Array; // [B, T, H]
  h: Float32Array; // [B, H]
  c: Float32Array; // [B, H]
  /** null when the forward call was made with keepTape = false. */
  tape: FusedTape | null;
  /** Batch norm training: this call's statistics per processing step ([T, F] each). */
  batchStats?: FusedNormStats;
}

export interface LstmGrads {
  dx: Float32Array; // [B, T, D]
  dKernel: Float32Array; // [D, 4H]
  dRecurrentKernel: Float32Array; // [H, 4H]
  dBias: Float32Array; // [4H]
  dh0: Float32Array; // [B, H]
  dc0: Float32Array; // [B, H]
  /** With stateGradientNorms: ‖∂L/∂h_k[b]‖ and ‖∂L/∂c_k[b]‖ over the units, [T, B] (see StateGradientNorms). */
  dhNorms?: Float32Array;
  dcNorms?: Float32Array;
  /** With normalisation. */
  norm?: FusedNormGrads;
}

export interface GruForwardResult {
  sequence: Float32Array; // [B, T, H]
  h: Float32Array; // [B, H]
  tape: FusedTape | null;
  /** Batch norm training: this call's statistics per processing step ([T, 3H] each). */
  batchStats?: FusedNormStats;
}

export interface GruGrads {
  dx: Float32Array; // [B, T, D]
  dKernel: Float32Array; // [D, 3H]
  dRecurrentKernel: Float32Array; // [H, 3H]
  dBias: Float32Array; // bias's shape
  dh0: Float32Array; // [B, H]
  /** With stateGradientNorms: ‖∂L/∂h_k[b]‖ over the units, [T, B]. */
  dhNorms?: Float32Array;
  /** With normalisation. */
  norm?: FusedNormGrads;
}

/**
 * C = op(A)·op(B) with op(A) [M, K], op(B) [K, N], C [M, N] (all row-major, contiguous). With
 * transA, A is stored [K, M]; with transB, B is stored [N, K]. Writes into `out` when given (an
 * impl may ignore it) and returns C.
 */
export type Sgemm = (
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  out?: Float32Array,
) => Float32Array;

/**
 * out = a op b (op: BINARY_OP of ./abi.ts) over out.length elements; mode (BINARY_MODE) says how
 * a and b broadcast: same shape, b or a scalar, b or a one value per row of m, b or a one row of m
 * repeated. reluGrad takes operands of one shape only (other modes throw).
 */
export type BinaryOp = (
  op: number,
  mode: number,
  a: Float32Array,
  b: Float32Array,
  out: Float32Array,
  m: number,
) => void;

/**
 * out[j] = Σ_r x[r·width + j] for j < width: the sums over the leading axes of a [rows, width]
 * float32 array (a bias gradient), each column summed in float32, in row order, from 0.
 */
export type ColumnSums = (x: Float32Array, rows: number, width: number, out: Float32Array) => void;

/**
 * Draws out.length uniforms u from Alea's state [s₀, s₁, s₂, c] (./alea-mask.ts; updated in
 * place) and writes out[i] = fround(u_i) < fround(keep) ? fround(value) : 0.
 */
export type UniformMask = (state: Float64Array, keep: number, value: number, out: Float32Array) => void;

export type UnaryName = keyof typeof UNARY_CODE;

/** out[i] = f(x[i]) for i < min(x.length, out.length); f chosen by its UNARY_CODE (./abi.ts). */
export type UnaryOp = (op: number, x: Float32Array, out: Float32Array) => void;

/**
 * One optimizer step of one variable, in place: w, s0 and s1 are overwritten, g is read.
 * params[0] is lr·λ (decoupled weight decay, 0 for none), then by kind:
 *
 *     adam: [lr·λ, lr, β1, 1 − β1, β2, 1 − β2, ε, 1 − β1^t, 1 − β2^t], s0 = m, s1 = v
 *           w ← w(1 − lr·λ); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²
 *           w ← w − lr·(m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + ε)
 *     sgd:  [lr·λ, lr, μ, nesterov (0 | 1)], s0 = momentum buffer b or null, s1 null
 *           w ← w(1 − lr·λ); b ← μ·b + g; w ← w − lr·(nesterov ? g + μ·b : b)   (b = g without s0)
 *     rmsprop (TensorFlow's, as tf.train.rmsprop): [lr·λ, lr, ρ, 1 − ρ, ε, μ], s0 = ms, s1 = mom or null
 *           w ← w(1 − lr·λ); ms ← ρ·ms + (1 − ρ)·g²; d ← lr·g / sqrt(ms + ε)
 *           mom ← μ·mom + d (with s1); w ← w − (s1 ? mom : d)
 */
export type OptimizerUpdate = (
  kind: number,
  w: Float32Array,
  g: Float32Array,
  s0: Float32Array | null,
  s1: Float32Array | null,
  params: Float64Array,
) => void;

/** The geometry of one 2-D convolution in NHWC, named as CONV_INTS (./abi.ts) lists it. */
export type ConvGeometry = Record<(typeof CONV_INTS)[number], number>;

/**
 * 2-D convolution in NHWC (./cpu-conv-kernels.ts serves tfjs's kernels with it): x [batch,
 * inHeight, inWidth, inChannels], filter [filterHeight, filterWidth, inChannels, outChannels],
 * y [batch, outHeight, outWidth, outChannels], every array row-major and of exactly the size the
 * geometry gives. Each call writes every element of its output:
 *
 *     y[n, i, j, o] = Σ_{kh, kw, c} x[n, i·sh + kh·dh − padTop, j·sw + kw·dw − padLeft, c] · filter[kh, kw, c, o]
 *
 * (terms outside x are 0); backpropInput gives dx = ∂L/∂x from dy = ∂L/∂y, backpropFilter
 * dfilter = ∂L/∂filter from x and dy.
 */
export interface Conv2dOps {
  forward(g: ConvGeometry, x: Float32Array, filter: Float32Array, y: Float32Array): void;
  backpropInput(g: ConvGeometry, dy: Float32Array, filter: Float32Array, dx: Float32Array): void;
  backpropFilter(g: ConvGeometry, x: Float32Array, dy: Float32Array, dfilter: Float32Array): void;
}

/**
 * Max and average pooling in NHWC and their gradients (./cpu-pool-kernels.ts serves tfjs's
 * kernels with it), in the ConvGeometry of the pooling (outChannels = inChannels, dilations 1,
 * filterHeight/Width the window): x [batch, inHeight, inWidth, C], y and dy [batch, outHeight,
 * outWidth, C]. Window (i, j) covers rows [i·sh − padTop, … + fh) and columns [j·sw − padLeft,
 * … + fw), clipped to x. Each call writes every element of its output, with tfjs's CPU results
 * bit for bit:
 *
 *     maxPool      y = max over the window's pixels (strict >, from −∞: NaN is skipped)
 *     avgPool      y = (Σ over the window's pixels, in float64, rows then columns) / their count
 *     maxPoolGrad  dx[p] = Σ dy[w] over the windows w whose first maximum is p (float64 when windows
 *                  overlap, windows in order)
 *     avgPoolGrad  dx[p] = (Σ dy[w] over the windows w covering p) · 1/(fh·fw)
 */
export interface Pool2dOps {
  maxPool(g: ConvGeometry, x: Float32Array, y: Float32Array): void;
  avgPool(g: ConvGeometry, x: Float32Array, y: Float32Array): void;
  maxPoolGrad(g: ConvGeometry, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  avgPoolGrad(g: ConvGeometry, dy: Float32Array, dx: Float32Array): void;
}

/**
 * Depthwise 2-D convolution in NHWC (./cpu-depthwise-kernels.ts serves tfjs's kernels with it):
 * x [batch, inHeight, inWidth, C], filter [filterHeight, filterWidth, C, M] (M the channel
 * multiplier), y [batch, outHeight, outWidth, C·M] (outChannels = C·M). Each call writes every
 * element of its output:
 *
 *     y[n, i, j, c·M + q] = Σ_{kh, kw} x[n, i·sh + kh·dh − padTop, j·sw + kw·dw − padLeft, c] · filter[kh, kw, c, q]
 *
 * (terms outside x are 0); backpropInput gives dx = ∂L/∂x from dy = ∂L/∂y, backpropFilter
 * dfilter = ∂L/∂filter from x and dy.
 */
export type DepthwiseConv2dOps = Conv2dOps;

/** A fast backend of the fused recurrent ops. */
export interface FusedImpl {
  readonly name: 'native' | 'wasm';
  /**
   * Whether the sequence calls take `norm` (LstmArgs / GruArgs): true for both cells, 'lstm' for
   * the LSTM alone (the wasm kernels, until their GRU takes it); without it, a caller must not pass one.
   */
  readonly normalization?: boolean | 'lstm';
  /** Whole-sequence LSTM forward; keepTape = a backward call will follow. */
  lstmForward(args: LstmArgs, keepTape: boolean): LstmForwardResult;
  /** Backward through time: dSequence [B, T, H], dh and dc [B, H] are the gradients of the outputs. */
  lstmBackward(
    args: LstmArgs,
    tape: FusedTape,
    dSequence: Float32Array,
    dh: Float32Array,
    dc: Float32Array,
  ): LstmGrads;
  gruForward(args: GruArgs, keepTape: boolean): GruForwardResult;
  gruBackward(args: GruArgs, tape: FusedTape, dSequence: Float32Array, dh: Float32Array): GruGrads;
  /** Worker threads used by the kernels (≥ 1). */
  setThreads(n: number): void;
  threads(): number;
  /** One line for notices and benchmarks, e.g. 'native avx512, 2 threads'. */
  describe(): string;
  /** Optional: settles once helper threads that start in the background run (wasm in browsers). */
  ready?(): Promise<void>;
  /** Optional dense matmul, used to speed up tfjs's CPU MatMul kernels (./cpu-kernels.ts). */
  sgemm?: Sgemm;
  /** Optional broadcasting arithmetic, used for tfjs's CPU Add/Sub/Multiply/RealDiv kernels. */
  binary?: BinaryOp;
  /** Optional column sums, used for tfjs's CPU Sum over leading axes (bias gradients). */
  columnSums?: ColumnSums;
  /** Optional seeded Bernoulli masks with tfjs's randomUniform bits (dropout in Regulab's core). */
  uniformMask?: UniformMask;
  /** Optional element-wise math, used for tfjs's CPU Exp, Log, Sqrt, … kernels. */
  unary?: UnaryOp;
  /** Optional 2-D convolution, used for tfjs's CPU Conv2D kernels and their gradients. */
  conv2d?: Conv2dOps;
  /** Optional pooling, used for tfjs's CPU MaxPool / AvgPool kernels and their gradients. */
  pool2d?: Pool2dOps;
  /** Optional depthwise 2-D convolution, used for tfjs's CPU DepthwiseConv2dNative kernels. */
  depthwiseConv2d?: DepthwiseConv2dOps;
  /** Optional fused optimizer step, used by Regulab's optimizers on tfjs's CPU backend. */
  optimizerUpdate?: OptimizerUpdate;
}

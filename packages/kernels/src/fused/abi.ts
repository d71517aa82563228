/**
 * The boundary between the TypeScript loaders and the compiled kernels, declared once: the codes
 * and argument layouts that JavaScript writes and the C++ addon (native/src/) or the
 * AssemblyScript kernels (wasm/assembly/) read. The compiled sides copy none of these numbers by
 * hand: native/src/abi.h and wasm/assembly/abi.ts are generated from this module by ./abi-emit.ts
 * (`npm run gen:abi -w packages/kernels`, also run by build:native and build:wasm) and committed,
 * and test/abi.test.ts regenerates both in memory and fails when a committed copy differs.
 */
import type { SequenceActivation } from '../types.js';
import type { FusedZoneout } from './impl.js';

/** Activation codes of the fused sequence ops (candidate and gate activations). */
export const ACTIVATION_CODE = {
  linear: 0,
  sigmoid: 1,
  tanh: 2,
  hardSigmoid: 3,
  relu: 4,
} as const satisfies Record<SequenceActivation, number>;

/** Zoneout modes of one state, the `mode` of FusedZoneout as a kernel reads it. */
export const ZONEOUT_MODE = { none: 0, mask: 1, expectation: 2, seeded: 3 } as const satisfies Record<
  FusedZoneout['mode'],
  number
>;

/**
 * Normalisation inside the fused LSTM / GRU (issue 13), the `normKind` slot of NATIVE_INTS: none,
 * layer norm (Ba et al. 2016), recurrent batch norm (Cooijmans et al. 2017). The semantics are the
 * reference's: packages/core/src/layers/recurrent/{step,lstm,gru}-normalization.ts.
 *
 * Design (the native kernels; the wasm port mirrors it):
 *
 *   LSTM: a = N_x(x_k·W) + N_h(ĥ·U) + b,  c̃ = f ⊙ c + i ⊙ g,  h̃ = o ⊙ φ(N_c(c̃)) (β_c only here)
 *   GRU reset-after:  [u_z u_r u_h] = N_h(ĥ·U) + b_rec, a = N_x(x_k·W) + b_in,
 *                     z, r = σ(a + u), h̃ = φ(a_h + r ⊙ u_h)
 *   GRU reset-before: [u_z u_r] = N_h([ĥ·U_z ĥ·U_r]) (LN 'fused': one group of 2H),
 *                     u_h = N_h((r ⊙ ĥ)·U_h) (its own group of H), a = N_x(x_k·W) + b_in
 *   N(v) = γ ⊙ (v − μ)·rstd (+ β), rstd = 1/√(σ² + ε), σ² biased; carried c_t, h_t never normalised;
 *   zoneout, masks and padding act exactly as without normalisation (on the un-normalised c̃).
 *
 * - N_x does not depend on the recurrence: x·W for all T·B rows is one GEMM before the loop, then
 *   normalised (rows or steps in parallel) into the gates buffer (+ b); the loop computes ĥ·U into a
 *   scratch, normalises it, adds it, and N_c sits between c̃ and φ. (The native LSTM with batch norm
 *   and few inputs takes only x·W's statistics before the loop and forms N_x(x_k·W) in it: see
 *   NORM_X_RECOMPUTE_MAX_INPUTS.)
 * - LN statistics are per example (over each group: 'fused' = all G·H of the quantity, except the
 *   GRU reset-before split above; 'gate' = each H block): a thread owns batch rows (no barrier).
 *   BN statistics are per feature over the batch at step k. The native LSTM and GRU split rows
 *   too: the batch is cut into fixed blocks of rows (kBnRowBlocks in native/src/norm_seq.h), each
 *   block's partial statistics summed by its thread, then combined in block order by every thread
 *   after one barrier per statistic (mean and variance by Welford's pass and Chan's combination;
 *   the backward's column sums for N' likewise); the wasm port splits units instead (one barrier
 *   per step). Either way every statistic is summed in a fixed order, so results do not depend on
 *   the thread count. Padded examples count in BN statistics.
 * - BN training (`normTraining` 1) uses the batch statistics and returns them per step
 *   (batchMean*, batchVariance* [T, F], biased variance) for the caller's moving averages
 *   (m ← μ·m + (1 − μ)·stat, steps k < normMaxSteps); inference (0) reads movingMean* /
 *   movingVariance* [normMaxSteps, F] at row min(k, normMaxSteps − 1) and its backward treats them
 *   as constants. LN ignores normTraining and the moving buffers.
 * - Tape (forward → backward): tapeNorm* = the normalised values before γ (x̂) in processing order,
 *   [T·B, F] (except the native LSTM's tapeNormX: lstmNormXTapeLength); tapeRstd*: LN [T·B, G] (one
 *   per gate block; blocks of one group repeat it), BN [T, F].
 *   tapePc holds φ(N_c(c̃)) (LSTM). Backward: with g = ∂y ⊙ γ over a group of n values,
 *   ∂v = rstd·(g − mean(g) − x̂·mean(g ⊙ x̂)) (LN: means over the group; BN training: over the batch;
 *   BN inference: ∂v = rstd·g); ∂γ = Σ ∂y ⊙ x̂, ∂β = Σ ∂y, reduced over rows in a fixed order.
 *   ∂W = Xᵀ·∂(x·W), ∂U = Ĥᵀ·∂(ĥ·U) (reset-before: Qᵀ for the h block), ∂b as without norm.
 */
export const NORM_KIND = { none: 0, layer: 1, batch: 2 } as const;

/**
 * The native LSTM with recurrent batch norm and at most this many inputs per step (D) keeps no x̂_x
 * tape: the backward recomputes x̂_x = (x·W − μ_x)·rstd_x from x, W and the step's statistics, so
 * `tapeNormX` holds μ_x then σ²_x ([2, T, 4H], the statistics the forward used) instead of x̂_x
 * [T·B, 4H]. At pmnist's size (D 1, T 784, B 100, H 100) that is 2.5 MB instead of 125 MB written
 * and read back, and x·W (D multiply-adds per value) is cheaper than reading it from memory.
 */
export const NORM_X_RECOMPUTE_MAX_INPUTS = 16;

/** Whether the native LSTM call keeps the statistics of x·W instead of its x̂ (see above). */
export function lstmRecomputesNormX(kind: keyof typeof NORM_KIND, inputDim: number): boolean {
  return kind === 'batch' && inputDim <= NORM_X_RECOMPUTE_MAX_INPUTS;
}

/**
 * Floats of the native LSTM's x̂_x tape: [T·B, 4H], or μ_x, σ²_x [2, T, 4H] where the backward
 * recomputes x̂_x (lstmRecomputesNormX). (Recomputing x̂_h from ĥ·U instead of keeping its tape was
 * measured slower at pmnist's size: one more [B, H]·[H, 4H] product a step costs more than writing
 * and reading back the tape.)
 */
export function lstmNormXTapeLength(
  kind: keyof typeof NORM_KIND,
  dims: { steps: number; batch: number; inputDim: number; units: number },
): number {
  const { steps: T, batch: B, inputDim: D, units: H } = dims;
  return lstmRecomputesNormX(kind, D) ? 2 * T * 4 * H : T * B * 4 * H;
}

/**
 * Floats of the native LSTM's x̂_c tape: [T·B, H], or with batch norm μ_c [T, H] (training): the
 * backward recomputes x̂_c = (c̃ − μ_c)·rstd_c from the gates and c, which it reads anyway.
 */
export function lstmNormCTapeLength(
  kind: keyof typeof NORM_KIND,
  dims: { steps: number; batch: number; units: number },
): number {
  const { steps: T, batch: B, units: H } = dims;
  return kind === 'batch' ? T * H : T * B * H;
}

/** Layer-norm statistics groups (`normScope`): 'fused' over the whole quantity, 'gate' per H block. */
export const NORM_SCOPE = { fused: 0, gate: 1 } as const;

/** Op codes of UnaryOp (native/src/kernels.inc and ./js-elementwise.ts). */
export const UNARY_CODE = {
  Exp: 0,
  Log: 1,
  Neg: 2,
  Sqrt: 3,
  Rsqrt: 4,
  Square: 5,
  Abs: 6,
  Reciprocal: 7,
  Sigmoid: 8,
  Tanh: 9,
  Relu: 10,
} as const;

/**
 * Ops of BinaryOp: out = a op b. reluGrad is a · s(b), s(v) = 1 if v > 0, NaN if v is NaN, else 0
 * (the ReLU gradient dy · step(x), as tfjs's Multiply of dy and Step gives it: dy·0 keeps its sign).
 */
export const BINARY_OP = { add: 0, sub: 1, mul: 2, div: 3, reluGrad: 4 } as const;

/**
 * How the operands of BinaryOp broadcast over out (m: the row length): the same shape, b or a a
 * scalar, b or a one value per row of m, b or a one row of m repeated.
 */
export const BINARY_MODE = {
  sameShape: 0,
  bScalar: 1,
  aScalar: 2,
  bPerRow: 3,
  aPerRow: 4,
  bRepeatedRow: 5,
  aRepeatedRow: 6,
} as const;

/** Kinds of OptimizerUpdate. */
export const OPTIMIZER_KIND = { adam: 0, sgd: 1, rmsprop: 2 } as const;

/**
 * The Int32Array `ints` of the native sequence calls (lstmForward, lstmBackward, gruForward,
 * gruBackward), slot by slot. Flags are 0/1; modes are ZONEOUT_MODE; a zoneout key and threshold
 * are those of `zoneoutDraw` (./zoneout-hash.ts) as int32 bit patterns, 0 unless seeded; so are
 * the seeded dropout masks' (`dropoutDraw`, ./dropout-hash.ts). `recurrentPerStep`: the
 * recurrentMask buffer is [T, B, H]. `stateGradientNorms`: backward writes the per-step gradient
 * norms (dhNorms, dcNorms). The GRU ignores the cell's slots, the LSTM `resetAfter`.
 */
export const NATIVE_INTS = [
  'batch',
  'steps',
  'inputDim',
  'units',
  'goBackwards',
  'activation',
  'recurrentActivation',
  'candidatePerStep',
  'zoneoutCellMode',
  'zoneoutCellKey',
  'zoneoutCellThreshold',
  'zoneoutHiddenMode',
  'zoneoutHiddenKey',
  'zoneoutHiddenThreshold',
  'resetAfter',
  'recurrentPerStep',
  'recurrentDropoutSeeded',
  'recurrentDropoutKey',
  'recurrentDropoutThreshold',
  'candidateDropoutSeeded',
  'candidateDropoutKey',
  'candidateDropoutThreshold',
  'stateGradientNorms',
  /** NORM_KIND; the rest of the norm slots are read only when it is not none. */
  'normKind',
  'normScope',
  /** Batch norm: 1 = batch statistics (training), 0 = moving statistics (inference). */
  'normTraining',
  /** Rows of the moving statistics (batch norm inference). */
  'normMaxSteps',
  /**
   * Forward calls only, without normalisation or (the LSTM) with batch-norm inference that
   * recomputes x̂_x (lstmRecomputesNormX): 1 = no tape is kept (inference), so the tape buffers
   * of [T·B]-sized rows hold 2 steps (gates, PC/UH and x̂_h of steps k, k + 1; states k, k + 1),
   * used in turn, instead of every step (RING_TAPE_STEPS).
   */
  'ringTape',
] as const;

/** Steps the tape buffers hold in a ring-tape forward call (NATIVE_INTS `ringTape`). */
export const RING_TAPE_STEPS = 2;

/**
 * The Float64Array `floats` of the native sequence calls: the zoneout rates (expectation mode),
 * the kept value 1/(1 − p) of each seeded dropout mask (`dropoutDraw`, ./dropout-hash.ts), and the
 * normalisation's ε.
 */
export const NATIVE_FLOATS = [
  'zoneoutCellRate',
  'zoneoutHiddenRate',
  'recurrentDropoutScale',
  'candidateDropoutScale',
  'normEpsilon',
] as const;

/**
 * The `bufs` list of the native sequence calls (Float32Array, or null for an absent mask or an
 * empty sequence): the cell's inputs, then the call's own buffers. Layouts: ./impl.ts; tape
 * buffers: native/src/common.h (SeqCtx).
 */
export const NATIVE_BUFFERS = {
  lstm: [
    'x',
    'kernel',
    'recurrentKernel',
    'bias',
    'h0',
    'c0',
    'recurrentMask',
    'candidateMask',
    'zoneoutCellMask',
    'zoneoutHiddenMask',
    'stepMask',
    // Normalisation (NORM_KIND; null when none): γ_x, γ_h [4H], γ_c, β_c [H]; batch-norm
    // inference: moving statistics [normMaxSteps, 4H] (x, h) and [normMaxSteps, H] (c).
    'gammaX',
    'gammaH',
    'gammaC',
    'betaC',
    'movingMeanX',
    'movingVarianceX',
    'movingMeanH',
    'movingVarianceH',
    'movingMeanC',
    'movingVarianceC',
  ],
  lstmForward: [
    'sequence',
    'h',
    'c',
    'tapeGates',
    'tapeHs',
    'tapeCs',
    'tapePc',
    // Normalisation (see NORM_KIND): x̂ tapes [T·B, 4H] (x, h), [T·B, H] (c); rstd tapes; batch
    // statistics [T, F] (batch norm training, else null).
    'tapeNormX',
    'tapeNormH',
    'tapeNormC',
    'tapeRstdX',
    'tapeRstdH',
    'tapeRstdC',
    'batchMeanX',
    'batchVarianceX',
    'batchMeanH',
    'batchVarianceH',
    'batchMeanC',
    'batchVarianceC',
  ],
  lstmBackward: [
    'tapeGates',
    'tapeHs',
    'tapeCs',
    'tapePc',
    'dSequence',
    'dh',
    'dc',
    'dx',
    'dKernel',
    'dRecurrentKernel',
    'dBias',
    'dh0',
    'dc0',
    'dhNorms',
    'dcNorms',
    'tapeNormX',
    'tapeNormH',
    'tapeNormC',
    'tapeRstdX',
    'tapeRstdH',
    'tapeRstdC',
    'dGammaX',
    'dGammaH',
    'dGammaC',
    'dBetaC',
  ],
  gru: [
    'x',
    'kernel',
    'recurrentKernel',
    'bias',
    'h0',
    'recurrentMask',
    'candidateMask',
    'zoneoutHiddenMask',
    'stepMask',
    // Normalisation (NORM_KIND; null when none): γ_x, γ_h [3H]; batch-norm inference: moving
    // statistics [normMaxSteps, 3H].
    'gammaX',
    'gammaH',
    'movingMeanX',
    'movingVarianceX',
    'movingMeanH',
    'movingVarianceH',
  ],
  gruForward: [
    'sequence',
    'h',
    'tapeGates',
    'tapeHs',
    'tapeUh',
    'tapeNormX',
    'tapeNormH',
    'tapeRstdX',
    'tapeRstdH',
    'batchMeanX',
    'batchVarianceX',
    'batchMeanH',
    'batchVarianceH',
  ],
  gruBackward: [
    'tapeGates',
    'tapeHs',
    'tapeUh',
    'dSequence',
    'dh',
    'dx',
    'dKernel',
    'dRecurrentKernel',
    'dBias',
    'dh0',
    'dhNorms',
    'tapeNormX',
    'tapeNormH',
    'tapeRstdX',
    'tapeRstdH',
    'dGammaX',
    'dGammaH',
  ],
} as const;

/** Which cell's inputs come before a call's own buffers. */
export const NATIVE_CALL_CELL = {
  lstmForward: 'lstm',
  lstmBackward: 'lstm',
  gruForward: 'gru',
  gruBackward: 'gru',
} as const;

/**
 * The Int32Array `ints` of the native conv2d calls (conv2dForward, conv2dBackpropInput,
 * conv2dBackpropFilter): the geometry of one 2-D convolution in NHWC, as tfjs's
 * backend_util.computeConv2DInfo gives it (pads are the top and left padding actually applied).
 * Layouts: x [batch, inHeight, inWidth, inChannels], filter [filterHeight, filterWidth,
 * inChannels, outChannels], y [batch, outHeight, outWidth, outChannels].
 */
export const CONV_INTS = [
  'batch',
  'inHeight',
  'inWidth',
  'inChannels',
  'outHeight',
  'outWidth',
  'outChannels',
  'filterHeight',
  'filterWidth',
  'strideHeight',
  'strideWidth',
  'dilationHeight',
  'dilationWidth',
  'padTop',
  'padLeft',
] as const;

/**
 * Ops of the native pool2d call (pool2d(op, ints, a, b, out), ints in CONV_INTS slots with
 * outChannels = inChannels and dilations 1): maxPool (a = x, out = y), avgPool (a = x, out = y),
 * maxPoolGrad (a = x, b = dy, out = dx), avgPoolGrad (a = dy, out = dx). Semantics: Pool2dOps
 * (./impl.ts).
 */
export const POOL_OP = { maxPool: 0, avgPool: 1, maxPoolGrad: 2, avgPoolGrad: 3 } as const;

/**
 * Ops of the native depthwise2d call (depthwise2d(op, ints, a, b, out), ints in CONV_INTS slots
 * with outChannels = inChannels · multiplier): forward (a = x, b = filter, out = y),
 * backpropInput (a = dy, b = filter, out = dx), backpropFilter (a = x, b = dy, out = dfilter).
 * Semantics: DepthwiseConv2dOps (./impl.ts).
 */
export const DEPTHWISE_OP = { forward: 0, backpropInput: 1, backpropFilter: 2 } as const;

/** Everything the native addon's argument parsing depends on (../native/layout-hash.ts hashes it). */
export const NATIVE_LAYOUT = {
  activation: ACTIVATION_CODE,
  unary: UNARY_CODE,
  binaryOp: BINARY_OP,
  binaryMode: BINARY_MODE,
  optimizer: OPTIMIZER_KIND,
  zoneoutMode: ZONEOUT_MODE,
  normKind: NORM_KIND,
  normScope: NORM_SCOPE,
  normXRecomputeMaxInputs: NORM_X_RECOMPUTE_MAX_INPUTS,
  ringTapeSteps: RING_TAPE_STEPS,
  ints: NATIVE_INTS,
  floats: NATIVE_FLOATS,
  buffers: NATIVE_BUFFERS,
  conv: CONV_INTS,
  poolOp: POOL_OP,
  depthwiseOp: DEPTHWISE_OP,
} as const;

/** The values of `names` in that order: a call's argument list built from named values. */
export function inSlots<const K extends string, V>(names: readonly K[], values: Record<K, V>): V[] {
  return names.map((n) => values[n]);
}

/** The 5 consecutive context fields that hold the zoneout of one state in the wasm context. */
export const ZONEOUT_FIELDS = ['mode', 'mask', 'rate', 'key', 'threshold'] as const;

/**
 * The call context the WebAssembly kernels read: one block of i32 fields in linear memory,
 * written by the loader (src/wasm/frame.ts). Pointers are byte offsets; float fields are stored
 * as their f32 bits. Layouts are batch-major and in PROCESSING order (the loader reverses x and
 * the step mask for goBackwards); row widths are padded: units to HP = ⌈H/8⌉·8 per gate, gates to
 * NP = G·HP, inputs to DX = D + 1 (a trailing 1 carries the bias through the input GEMM) and
 * DP = ⌈D/8⌉·8 for dx. Each entry: name, number of fields, what it holds; the field numbers follow
 * in order (WASM_FIELD).
 */
export const WASM_CONTEXT = [
  ['B', 1, 'batch'],
  ['T', 1, 'steps'],
  ['D', 1, 'input features'],
  ['H', 1, 'units'],
  ['HP', 1, 'units padded to 8'],
  ['NP', 1, 'G·HP'],
  ['DX', 1, 'D + 1'],
  ['DP', 1, 'D padded to 8'],
  ['ACT', 1, 'ACTIVATION_CODE of the candidate'],
  ['GACT', 1, 'ACTIVATION_CODE of the gates'],
  ['XA', 1, '[B][T][DX] inputs with a trailing 1'],
  ['WP', 1, 'packed [DX, NP] (kernel rows, then the input bias)'],
  ['UP', 1, 'packed [HP, NP]'],
  ['WTP', 1, 'packed [NP, DP] (kernel transposed)'],
  ['UTP', 1, 'packed [NP, HP] (recurrent kernel transposed)'],
  ['H0', 1, '[B][HP]'],
  ['C0', 1, '[B][HP]'],
  ['RMASK', 1, '[B][HP] Gal recurrent mask or 0'],
  ['CMASK', 1, '[B][HP] or [T][B][HP] candidate mask or 0'],
  ['CSTEP', 1, '1 when the candidate mask is per step'],
  ['ZC', ZONEOUT_FIELDS.length, 'zoneout of c (ZONEOUT_FIELDS; mask [T][B][HP])'],
  ['ZH', ZONEOUT_FIELDS.length, 'zoneout of h (ZONEOUT_FIELDS; mask [T][B][HP])'],
  ['SMASK', 1, '[B][T] step mask or 0'],
  ['ACTS', 1, '[B][T][NP] pre-activations → activations → da'],
  ['YS', 1, '[B][T][HP] LSTM φ(c̃)'],
  ['CS', 1, '[B][T+1][HP] cell states (index 0 = c0)'],
  ['HS', 1, '[B][T+1][HP] hidden states (index 0 = h0)'],
  ['HHAT', 1, "[B][T][HP] h_{k−1} ⊙ Gal mask (the recurrent GEMM's input)"],
  ['DSEQ', 1, '[B][T][HP] gradient of the sequence output'],
  ['DHT', 1, '[B][HP] gradient of the last h'],
  ['DCT', 1, '[B][HP] gradient of the last c'],
  ['DAP', 1, 'packed da: panels of [B·T][8]'],
  ['DXO', 1, '[B][T][DP] dx'],
  ['DHC', 1, '[B][HP] carried dh (→ dh0)'],
  ['DCC', 1, '[B][HP] carried dc (→ dc0)'],
  ['DHH', 1, '[B][HP] dĥ from the transposed recurrent GEMM'],
  ['DW', 1, '[DX][NP] dkernel with the bias gradient in row D'],
  ['DU', 1, '[HP][NP] drecurrentKernel'],
  ['Q', 1, 'GRU reset-before: [B][T][HP] r ⊙ ĥ'],
  ['PREU', 1, 'GRU reset-after: [B][T][NP] ĥ·U + b_rec'],
  ['BREC', 1, 'GRU reset-after: [NP] recurrent bias'],
  ['DBREC', 1, 'GRU reset-after: [2][NP] per-thread partial sums of du'],
  ['RESET_AFTER', 1, '1 for a reset-after GRU'],
  ['DAPX', 1, 'GRU reset-after: packed dx-side da of the h gate ([HP/8] panels)'],
  ['DQ', 1, 'GRU reset-before: [B][HP] dq scratch'],
  ['ONE', 1, 'the float 1.0 (an all-ones GEMM operand with stride 0)'],
  ['SCR', 1, "[B][NP] the recurrent GEMM's output of the current step"],
  ['RSTEP', 1, '1 when RMASK is per step, [T][B][HP]'],
  ['GNH', 1, '[B][T] per-example ‖∂L/∂h_k‖ written by backward, or 0'],
  ['GNC', 1, 'LSTM: [B][T] per-example ‖∂L/∂c_k‖ written by backward, or 0'],
  // Normalisation inside the cell (NORM_KIND's design; wasm/assembly/norm.ts). Batch norm runs on
  // one thread (its statistics span the batch); layer norm splits rows like the plain kernels.
  ['NKIND', 1, 'NORM_KIND (none: the N* fields below are unused)'],
  ['NSCOPE', 1, 'NORM_SCOPE of layer norm'],
  ['NTRAIN', 1, 'batch norm: 1 = batch statistics (training), 0 = the moving ones'],
  ['NMAX', 1, 'batch norm inference: rows of the moving statistics'],
  ['NEPS', 1, 'ε (f32 bits)'],
  ['NBIAS', 1, '[NP] the input bias, added after N_x (not through the input GEMM)'],
  ['GX', 1, '[NP] γ of x·W'],
  ['GH', 1, '[NP] γ of ĥ·U'],
  ['GC', 1, '[HP] γ of the LSTM cell c̃'],
  ['BC', 1, '[HP] β of the LSTM cell c̃'],
  ['SMX', 1, 'batch norm mean of x·W per step: [NMAX][NP] moving (read) or [T][NP] this batch (written)'],
  ['SVX', 1, 'batch norm variance of x·W, as SMX'],
  ['SMH', 1, 'batch norm mean of ĥ·U, as SMX'],
  ['SVH', 1, 'batch norm variance of ĥ·U, as SMX'],
  ['SMC', 1, 'batch norm mean of c̃: [NMAX][HP] or [T][HP], as SMX'],
  ['SVC', 1, 'batch norm variance of c̃, as SMC'],
  ['NX', 1, '[B][T][NP] x̂ of x·W (normalised, before γ)'],
  ['NH', 1, '[B][T][NP] x̂ of ĥ·U'],
  ['NC', 1, '[B][T][HP] x̂ of c̃'],
  ['RX', 1, 'rstd of x·W: layer norm [B][T][G] (one per gate block), batch norm [T][NP]'],
  ['RH', 1, 'rstd of ĥ·U, as RX'],
  ['RC', 1, 'rstd of c̃: layer norm [B][T], batch norm [T][HP]'],
  ['DAR', 1, '[B][T][NP] ∂a, the gradient at the pre-activation (∂b, ∂γ_x, ∂γ_h)'],
  ['DNC', 1, '[B][T][HP] the gradient at N_c(c̃) (∂γ_c, ∂β_c)'],
  ['DAPN', 1, 'packed ∂(x·W): panels of [B·T][8] (dW; DAP holds ∂(ĥ·U))'],
  ['NSCR', 1, '[B][2·HP] scratch of the backward step (∂ from zoneout, ∂c̃ through N_c)'],
  ['DGX', 1, '[NP] ∂γ_x'],
  ['DGH', 1, '[NP] ∂γ_h'],
  ['DGC', 1, '[HP] ∂γ_c'],
  ['DBC', 1, '[HP] ∂β_c'],
] as const;

export type WasmFieldName = (typeof WASM_CONTEXT)[number][0];

/** Fields the context block holds (room to spare past the last one). */
export const WASM_CONTEXT_FIELDS = 96;

/** Field number of each WASM_CONTEXT entry: the sum of the widths before it. */
export const WASM_FIELD: Readonly<Record<WasmFieldName, number>> = (() => {
  const at = {} as Record<WasmFieldName, number>;
  let next = 0;
  for (const [name, width] of WASM_CONTEXT) {
    at[name] = next;
    next += width;
  }
  if (next > WASM_CONTEXT_FIELDS)
    throw new Error(
      `the wasm context needs ${next} fields, more than WASM_CONTEXT_FIELDS = ${WASM_CONTEXT_FIELDS}`,
    );
  return at;
})();

/** Offset of each zoneout field inside a ZC or ZH block. */
export const ZONEOUT_FIELD: Readonly<Record<(typeof ZONEOUT_FIELDS)[number], number>> = Object.fromEntries(
  ZONEOUT_FIELDS.map((name, i) => [name, i]),
) as Record<(typeof ZONEOUT_FIELDS)[number], number>;

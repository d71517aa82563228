/**
 * Turns a FusedImpl (Float32Array kernels) into the differentiable tfjs ops of ../types.ts.
 *
 * Each op is one node on tfjs's gradient tape, recorded with the engine's custom-gradient path
 * (the mechanism behind `tf.customGrad`, which itself allows only one output): the forward pass
 * runs the whole sequence in the impl and keeps its tape when a gradient is being recorded; the
 * node's gradient runs the impl's backward through time once and hands tfjs the gradients of x,
 * h0, (c0,) kernel, recurrentKernel and bias. Masks and flags are constants of the call (no
 * gradient flows into masks, as the contract says).
 *
 * Shapes: see ../types.ts. Only float32 is accepted; shapes are checked as the reference does.
 */
import * as tf from '@tensorflow/tfjs';
import { checkShapes } from '../reference/check-shapes.js';
import type {
  GruSequenceInputs,
  GruSequenceOutputs,
  LstmSequenceInputs,
  LstmSequenceOutputs,
  RecurrentSequenceOptions,
  SeededDropout,
  SeededZoneout,
  SequenceNormalization,
  SequenceNormStats,
  ZoneoutSpec,
} from '../types.js';
import { ACTIVATION_CODE } from './impl.js';
import { peekData } from './recycled-outputs.js';
import type {
  FusedCommonArgs,
  FusedDropout,
  FusedImpl,
  FusedNorm,
  FusedNormGrads,
  FusedNormStats,
  FusedTape,
  FusedZoneout,
  GruArgs,
  LstmArgs,
} from './impl.js';

type GradMap = Record<string, () => tf.Tensor>;
interface KernelFuncParams {
  forwardFunc: (backend: unknown, save: unknown) => tf.Tensor[];
  backwardsFunc: (dys: tf.Tensor[]) => GradMap;
  inputs: Record<string, tf.Tensor>;
}
/** tfjs's engine runs custom-gradient kernels through this (private in its typings). */
function runCustomKernel(params: KernelFuncParams): tf.Tensor[] {
  const engine = tf.engine() as unknown as { runKernelFunc(p: KernelFuncParams): tf.Tensor[] };
  return engine.runKernelFunc(params);
}

/**
 * The values of a float32 tensor; `transient`: used only during this call (the gradients of the
 * backward pass), so they need not be kept from reuse (./recycled-outputs.ts).
 */
function f32(op: string, name: string, t: tf.Tensor, transient = false): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`${op}: ${name} must be float32, got ${t.dtype}`);
  const data = transient ? peekData(t) : t.dataSync();
  // tfjs's CPU backend may hold float32 tensors in other typed arrays (e.g. a cast from bool).
  return data instanceof Float32Array ? data : Float32Array.from(data);
}

function zoneoutOf(
  op: string,
  name: string,
  spec: ZoneoutSpec | undefined,
  seeded: SeededZoneout | undefined,
): FusedZoneout {
  if (seeded !== undefined) {
    if (spec !== undefined) throw new Error(`${op}: give either ${name} or zoneoutSeeded, not both`);
    if (!(seeded.rate >= 0 && seeded.rate <= 1))
      throw new Error(`${op}: zoneoutSeeded rate must lie in [0, 1], got ${seeded.rate}`);
    if (!Number.isInteger(seeded.seed))
      throw new Error(`${op}: zoneoutSeeded seed must be an integer, got ${seeded.seed}`);
    return { mode: 'seeded', rate: seeded.rate, seed: seeded.seed >>> 0 };
  }
  if (spec === undefined) return { mode: 'none' };
  if (spec.kind === 'expectation')
    return spec.rate === 0 ? { mode: 'none' } : { mode: 'expectation', rate: spec.rate };
  return { mode: 'mask', mask: f32(op, `${name}.mask`, spec.mask) };
}

function dropoutOf(
  op: string,
  name: string,
  given: tf.Tensor | undefined,
  seeded: SeededDropout | undefined,
): FusedDropout | null {
  if (seeded === undefined) return null;
  if (given !== undefined) throw new Error(`${op}: give either ${name} or dropoutSeeded, not both`);
  if (!(seeded.rate >= 0 && seeded.rate < 1))
    throw new Error(`${op}: dropoutSeeded rate must lie in [0, 1), got ${seeded.rate}`);
  if (!Number.isInteger(seeded.seed))
    throw new Error(`${op}: dropoutSeeded seed must be an integer, got ${seeded.seed}`);
  return { rate: seeded.rate, seed: seeded.seed >>> 0 };
}

/** The per-step norms of a backward call, handed to the caller's callback (when it asked). */
export function reportNorms(
  inputs: RecurrentSequenceOptions,
  dims: { steps: number; batch: number },
  h: Float32Array | undefined,
  c: Float32Array | null | undefined,
): void {
  if (inputs.stateGradientNorms === undefined || h === undefined) return;
  inputs.stateGradientNorms({ steps: dims.steps, batch: dims.batch, h, c: c ?? null });
}

function commonArgs(
  op: string,
  inputs: RecurrentSequenceOptions & {
    x: tf.Tensor3D;
    h0: tf.Tensor2D;
    kernel: tf.Tensor2D;
    recurrentKernel: tf.Tensor2D;
  },
): FusedCommonArgs {
  const [batch, steps, inputDim] = inputs.x.shape;
  const units = inputs.recurrentKernel.shape[0];
  const cand = inputs.candidateMask;
  const rec = inputs.recurrentMask;
  const seeded = inputs.dropoutSeeded;
  return {
    dims: { batch, steps, inputDim, units },
    x: f32(op, 'x', inputs.x),
    kernel: f32(op, 'kernel', inputs.kernel),
    recurrentKernel: f32(op, 'recurrentKernel', inputs.recurrentKernel),
    h0: f32(op, 'h0', inputs.h0),
    recurrentMask: rec ? f32(op, 'recurrentMask', rec) : null,
    recurrentPerStep: rec !== undefined && rec.rank === 3, // shapes checked by the op (checkShapes)
    recurrentDropout: dropoutOf(op, 'recurrentMask', rec, seeded?.recurrent),
    candidateDropout: dropoutOf(op, 'candidateMask', cand, seeded?.candidate),
    stateGradientNorms: inputs.stateGradientNorms !== undefined,
    candidateMask: cand ? f32(op, 'candidateMask', cand) : null,
    candidatePerStep: cand !== undefined && cand.rank === 3,
    zoneoutHidden: zoneoutOf(op, 'zoneoutHidden', inputs.zoneoutHidden, inputs.zoneoutSeeded?.hidden),
    stepMask: inputs.stepMask ? f32(op, 'stepMask', inputs.stepMask) : null,
    goBackwards: inputs.goBackwards === true,
    sequenceOutput: inputs.sequenceOutput !== false,
    activation: ACTIVATION_CODE[inputs.activation ?? 'tanh'],
    recurrentActivation: ACTIVATION_CODE[inputs.recurrentActivation ?? 'sigmoid'],
  };
}

/** Default ε of the normalisations (Keras's, as core's layers). */
const NORM_EPSILON = 1e-3;

/** Whether `impl` takes a normalisation in the LSTM's calls (`cell`) or the GRU's. */
export function takesNormalization(impl: FusedImpl, cell: boolean): boolean {
  return impl.normalization === true || (impl.normalization === 'lstm' && cell);
}

/**
 * A SequenceNormalization as the impl reads it (shapes checked; `gates` blocks of `units`; `cell`:
 * the LSTM's γ_c, β_c). Undefined without one; throws when the impl does not take it.
 */
function normOf(
  op: string,
  impl: FusedImpl,
  n: SequenceNormalization | undefined,
  gates: number,
  units: number,
  cell: boolean,
): FusedNorm | undefined {
  if (n === undefined) return undefined;
  if (!takesNormalization(impl, cell)) {
    throw new Error(
      `${op}: the ${impl.name} kernels take no normalization; run it through the reference op with norm hooks`,
    );
  }
  if (n.kind !== 'layer' && n.kind !== 'batch')
    throw new Error(`${op}: normalization kind must be 'layer' or 'batch', got ${String(n.kind)}`);
  const F = gates * units;
  const want: [string, tf.Tensor | undefined, number[]][] = [
    ['gammaX', n.gammaX, [F]],
    ['gammaH', n.gammaH, [F]],
  ];
  if (cell) want.push(['gammaC', n.gammaC, [units]], ['betaC', n.betaC, [units]]);
  const batchInference = n.kind === 'batch' && n.training !== true;
  const m = n.moving;
  if (batchInference) {
    if (m === undefined)
      throw new Error(`${op}: batch-norm inference (training false) needs moving statistics`);
    const rows = m.meanX.shape[0];
    want.push(['moving.meanX', m.meanX, [rows, F]], ['moving.varianceX', m.varianceX, [rows, F]]);
    want.push(['moving.meanH', m.meanH, [rows, F]], ['moving.varianceH', m.varianceH, [rows, F]]);
    if (cell)
      want.push(['moving.meanC', m.meanC, [rows, units]], ['moving.varianceC', m.varianceC, [rows, units]]);
  }
  for (const [name, t, shape] of want) {
    if (t === undefined) throw new Error(`${op}: normalization.${name} is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]) || shape[0] === 0)
      throw new Error(
        `${op}: normalization.${name} must have shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`,
      );
  }
  const moving: FusedNormStats | undefined =
    batchInference && m !== undefined
      ? {
          meanX: f32(op, 'moving.meanX', m.meanX),
          varianceX: f32(op, 'moving.varianceX', m.varianceX),
          meanH: f32(op, 'moving.meanH', m.meanH),
          varianceH: f32(op, 'moving.varianceH', m.varianceH),
          ...(cell
            ? {
                meanC: f32(op, 'moving.meanC', m.meanC!),
                varianceC: f32(op, 'moving.varianceC', m.varianceC!),
              }
            : {}),
        }
      : undefined;
  return {
    kind: n.kind,
    scope: n.scope ?? 'fused',
    training: n.training === true,
    epsilon: n.epsilon ?? NORM_EPSILON,
    gammaX: f32(op, 'gammaX', n.gammaX),
    gammaH: f32(op, 'gammaH', n.gammaH),
    ...(cell ? { gammaC: f32(op, 'gammaC', n.gammaC!), betaC: f32(op, 'betaC', n.betaC!) } : {}),
    moving,
    maxSteps: moving ? m!.meanX.shape[0] : 1,
  };
}

/** The differentiable weights of a normalisation (tfjs inputs of the op node). */
function normInputs(n: SequenceNormalization | undefined): Record<string, tf.Tensor> {
  if (n === undefined) return {};
  const out: Record<string, tf.Tensor> = { gammaX: n.gammaX, gammaH: n.gammaH };
  if (n.gammaC) out['gammaC'] = n.gammaC;
  if (n.betaC) out['betaC'] = n.betaC;
  return out;
}

/** Their gradients for the op node's backward. */
function normGradients(n: SequenceNormalization | undefined, g: FusedNormGrads | undefined): GradMap {
  if (n === undefined || g === undefined) return {};
  const out: GradMap = {
    gammaX: () => tf.tensor1d(g.dGammaX),
    gammaH: () => tf.tensor1d(g.dGammaH),
  };
  if (n.gammaC && g.dGammaC) out['gammaC'] = () => tf.tensor1d(g.dGammaC!);
  if (n.betaC && g.dBetaC) out['betaC'] = () => tf.tensor1d(g.dBetaC!);
  return out;
}

/** A call's batch statistics as tensors ([T, F]); made after the op node, so they carry no gradient. */
function statsTensors(s: FusedNormStats | undefined, steps: number): SequenceNormStats | undefined {
  if (s === undefined) return undefined;
  const t = (v: Float32Array) => tf.tensor2d(v, [steps, v.length / steps]);
  const out: SequenceNormStats = {
    meanX: t(s.meanX),
    varianceX: t(s.varianceX),
    meanH: t(s.meanH),
    varianceH: t(s.varianceH),
  };
  if (s.meanC && s.varianceC) {
    out.meanC = t(s.meanC);
    out.varianceC = t(s.varianceC);
  }
  return out;
}

/** The sequence output: [B, T, H], or [B, 0, H] without sequenceOutput (whatever the impl returned). */
function sequenceTensor(args: FusedCommonArgs, values: Float32Array): tf.Tensor3D {
  const { batch, steps, units } = args.dims;
  if (!args.sequenceOutput) return tf.tensor3d(new Float32Array(0), [batch, 0, units]);
  return tf.tensor3d(values, [batch, steps, units]);
}

/** The differentiable whole-sequence LSTM of an impl. */
export function fusedLstmSequence(impl: FusedImpl, inputs: LstmSequenceInputs): LstmSequenceOutputs {
  const op = 'lstmSequence';
  const { x, h0, c0, kernel, recurrentKernel, bias } = inputs;
  const [batch, steps, dim] = x.shape;
  const units = recurrentKernel.shape[0];
  checkShapes(op, inputs, units, [
    ['kernel', kernel.shape, [dim, 4 * units]],
    ['recurrentKernel', recurrentKernel.shape, [units, 4 * units]],
    ['bias', bias.shape, [4 * units]],
    ['h0', h0.shape, [batch, units]],
    ['c0', c0.shape, [batch, units]],
  ]);
  const args: LstmArgs = {
    ...commonArgs(op, inputs),
    c0: f32(op, 'c0', c0),
    bias: f32(op, 'bias', bias),
    zoneoutCell: zoneoutOf(op, 'zoneoutCell', inputs.zoneoutCell, inputs.zoneoutSeeded?.cell),
    norm: normOf(op, impl, inputs.normalization, 4, units, true),
  };
  const keepTape = tf.engine().isTapeOn();
  let tape: FusedTape | null = null;
  let stats: FusedNormStats | undefined;
  const [sequence, h, c] = runCustomKernel({
    inputs: { x, h0, c0, kernel, recurrentKernel, bias, ...normInputs(inputs.normalization) },
    forwardFunc: () => {
      const r = impl.lstmForward(args, keepTape);
      tape = r.tape;
      stats = r.batchStats;
      return [
        sequenceTensor(args, r.sequence),
        tf.tensor2d(r.h, [batch, units]),
        tf.tensor2d(r.c, [batch, units]),
      ];
    },
    backwardsFunc: (dys) => {
      if (tape === null) throw new Error(`${op}: gradient requested but no tape was kept (single use)`);
      const [dSeq, dh, dc] = dys.map((d, i) => f32(op, `gradient ${i}`, d, true));
      const g = impl.lstmBackward(args, tape, dSeq, dh, dc);
      tape = null;
      reportNorms(inputs, args.dims, g.dhNorms, g.dcNorms);
      return {
        x: () => tf.tensor3d(g.dx, [batch, steps, dim]),
        h0: () => tf.tensor2d(g.dh0, [batch, units]),
        c0: () => tf.tensor2d(g.dc0, [batch, units]),
        kernel: () => tf.tensor2d(g.dKernel, [dim, 4 * units]),
        recurrentKernel: () => tf.tensor2d(g.dRecurrentKernel, [units, 4 * units]),
        bias: () => tf.tensor1d(g.dBias),
        ...normGradients(inputs.normalization, g.norm),
      };
    },
  });
  const out: LstmSequenceOutputs = {
    sequence: sequence as tf.Tensor3D,
    h: h as tf.Tensor2D,
    c: c as tf.Tensor2D,
  };
  const batchStats = statsTensors(stats, steps);
  return batchStats ? { ...out, batchStats } : out;
}

/** The differentiable whole-sequence GRU of an impl. */
export function fusedGruSequence(impl: FusedImpl, inputs: GruSequenceInputs): GruSequenceOutputs {
  const op = 'gruSequence';
  const { x, h0, kernel, recurrentKernel, bias, resetAfter } = inputs;
  const [batch, steps, dim] = x.shape;
  const units = recurrentKernel.shape[0];
  checkShapes(op, inputs, units, [
    ['kernel', kernel.shape, [dim, 3 * units]],
    ['recurrentKernel', recurrentKernel.shape, [units, 3 * units]],
    ['bias', bias.shape, resetAfter ? [2, 3 * units] : [3 * units]],
    ['h0', h0.shape, [batch, units]],
  ]);
  if (inputs.zoneoutCell !== undefined || inputs.zoneoutSeeded?.cell !== undefined) {
    throw new Error(`${op}: a GRU has no cell state; use zoneoutHidden`);
  }
  const args: GruArgs = {
    ...commonArgs(op, inputs),
    bias: f32(op, 'bias', bias),
    resetAfter,
    norm: normOf(op, impl, inputs.normalization, 3, units, false),
  };
  const keepTape = tf.engine().isTapeOn();
  let tape: FusedTape | null = null;
  let stats: FusedNormStats | undefined;
  const [sequence, h] = runCustomKernel({
    inputs: { x, h0, kernel, recurrentKernel, bias, ...normInputs(inputs.normalization) },
    forwardFunc: () => {
      const r = impl.gruForward(args, keepTape);
      tape = r.tape;
      stats = r.batchStats;
      return [sequenceTensor(args, r.sequence), tf.tensor2d(r.h, [batch, units])];
    },
    backwardsFunc: (dys) => {
      if (tape === null) throw new Error(`${op}: gradient requested but no tape was kept (single use)`);
      const [dSeq, dh] = dys.map((d, i) => f32(op, `gradient ${i}`, d, true));
      const g = impl.gruBackward(args, tape, dSeq, dh);
      tape = null;
      reportNorms(inputs, args.dims, g.dhNorms, null);
      return {
        x: () => tf.tensor3d(g.dx, [batch, steps, dim]),
        h0: () => tf.tensor2d(g.dh0, [batch, units]),
        kernel: () => tf.tensor2d(g.dKernel, [dim, 3 * units]),
        recurrentKernel: () => tf.tensor2d(g.dRecurrentKernel, [units, 3 * units]),
        bias: () => tf.tensor(g.dBias, bias.shape),
        ...normGradients(inputs.normalization, g.norm),
      };
    },
  });
  const out: GruSequenceOutputs = { sequence: sequence as tf.Tensor3D, h: h as tf.Tensor2D };
  const batchStats = statsTensors(stats, steps);
  return batchStats ? { ...out, batchStats } : out;
}

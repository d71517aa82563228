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
  ZoneoutSpec,
} from '../types.js';
import { ACTIVATION_CODE } from './impl.js';
import { peekData } from './recycled-outputs.js';
import type {
  FusedCommonArgs,
  FusedDropout,
  FusedImpl,
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
  };
  const keepTape = tf.engine().isTapeOn();
  let tape: FusedTape | null = null;
  const [sequence, h, c] = runCustomKernel({
    inputs: { x, h0, c0, kernel, recurrentKernel, bias },
    forwardFunc: () => {
      const r = impl.lstmForward(args, keepTape);
      tape = r.tape;
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
      };
    },
  });
  return { sequence: sequence as tf.Tensor3D, h: h as tf.Tensor2D, c: c as tf.Tensor2D };
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
  const args: GruArgs = { ...commonArgs(op, inputs), bias: f32(op, 'bias', bias), resetAfter };
  const keepTape = tf.engine().isTapeOn();
  let tape: FusedTape | null = null;
  const [sequence, h] = runCustomKernel({
    inputs: { x, h0, kernel, recurrentKernel, bias },
    forwardFunc: () => {
      const r = impl.gruForward(args, keepTape);
      tape = r.tape;
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
      };
    },
  });
  return { sequence: sequence as tf.Tensor3D, h: h as tf.Tensor2D };
}

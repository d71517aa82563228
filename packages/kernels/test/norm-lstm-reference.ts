/**
 * A normalised LSTM problem at the FusedImpl level, and its reference: the tfjs reference op with
 * layer-norm / batch-norm hooks written here in plain tfjs ops after core's
 * recurrent/step-normalization.ts (ε 1e-3, biased variance, 'fused' = statistics over all 4H of a
 * projection, 'gate' = per H block, batch norm per feature over the batch at step k; inference
 * reads moving row min(k, maxSteps − 1); only the cell has β). Outputs and the gradients of a
 * random linear loss of (sequence, h, c) with respect to every input, γ and β included, on both
 * sides, so a fast impl's forward and backward calls are compared with tf.grads of the reference.
 */
import * as tf from '@tensorflow/tfjs';
import { ACTIVATION_CODE } from '../src/fused/abi.js';
import type { FusedImpl, FusedNorm, FusedZoneout, LstmArgs } from '../src/fused/impl.js';
import { materializeSeeded } from '../src/fused/materialize-seeded.js';
import { referenceLstmSequence } from '../src/reference/lstm-sequence.js';
import type { LstmSequenceInputs, ZoneoutSpec } from '../src/types.js';
import { type CaseOptions, caseTensors, lstmCase } from './fused-cases.js';

export const EPSILON = 1e-3;

export interface NormOptions {
  kind: 'layer' | 'batch';
  scope?: 'fused' | 'gate';
  /** Batch norm: false = inference with moving statistics of `maxSteps` rows. */
  training?: boolean;
  maxSteps?: number;
}

/** The normalisation's tensors: γ, β (random around the usual starts) and moving statistics. */
export interface NormTensors {
  gammaX: tf.Tensor1D; // [4H]
  gammaH: tf.Tensor1D; // [4H]
  gammaC: tf.Tensor1D; // [H]
  betaC: tf.Tensor1D; // [H]
  moving?: {
    meanX: tf.Tensor2D;
    varianceX: tf.Tensor2D;
    meanH: tf.Tensor2D;
    varianceH: tf.Tensor2D;
    meanC: tf.Tensor2D;
    varianceC: tf.Tensor2D;
  };
}

export interface NormCase {
  c: LstmSequenceInputs; // zoneout already materialised as masks
  n: NormTensors;
  o: NormOptions;
  created: tf.Tensor[];
}

export function normLstmCase(size: CaseOptions, o: NormOptions): NormCase {
  const raw = lstmCase(size);
  const H = size.units;
  const { inputs: c, created } = materializeSeeded('lstmSequence', raw, H);
  const s = (size.seed ?? 1) + 40;
  const around = (n: number, at: number, seed: number) =>
    tf.add(tf.randomNormal([n], 0, 0.3, 'float32', seed), at) as tf.Tensor1D;
  const n: NormTensors = {
    gammaX: around(4 * H, 1, s),
    gammaH: around(4 * H, 1, s + 1),
    gammaC: around(H, 1, s + 2),
    betaC: around(H, 0, s + 3),
  };
  if (o.kind === 'batch' && o.training === false) {
    const rows = o.maxSteps ?? size.steps;
    const mean = (f: number, seed: number) =>
      tf.randomNormal([rows, f], 0, 0.5, 'float32', seed) as tf.Tensor2D;
    const variance = (f: number, seed: number) =>
      tf.add(tf.randomUniform([rows, f], 0.2, 2, 'float32', seed), 0) as tf.Tensor2D;
    n.moving = {
      meanX: mean(4 * H, s + 4),
      varianceX: variance(4 * H, s + 5),
      meanH: mean(4 * H, s + 6),
      varianceH: variance(4 * H, s + 7),
      meanC: mean(H, s + 8),
      varianceC: variance(H, s + 9),
    };
  }
  const mine = [n.gammaX, n.gammaH, n.gammaC, n.betaC, ...Object.values(n.moving ?? {})];
  return { c, n, o, created: [...caseTensors(raw), ...created, ...mine] };
}

/** Layer norm of blocks G × [B, H] with statistics over all of them together. */
function layerNorm(v: tf.Tensor2D[], gamma: tf.Tensor1D[]): tf.Tensor2D[] {
  const all = tf.concat(v, 1); // [B, G·H]
  const { mean, variance } = tf.moments(all, 1, true); // [B, 1]
  const xh = tf.mul(tf.sub(all, mean), tf.rsqrt(tf.add(variance, EPSILON))); // [B, G·H]
  // one block: no split (tfjs's gradient of a one-output split fails)
  const parts = v.length === 1 ? [xh as tf.Tensor2D] : (tf.split(xh, v.length, 1) as tf.Tensor2D[]);
  return parts.map((p, g) => tf.mul(p, gamma[g]!) as tf.Tensor2D);
}

/** The reference's hooks for this case, and the batch statistics it records per step (training). */
function hooks(nc: NormCase, n: Record<keyof NormTensors, tf.Tensor>, stats: Record<string, tf.Tensor[]>) {
  const { kind, scope = 'fused', training = true } = nc.o;
  const split = (t: tf.Tensor, blocks: number) =>
    blocks === 1 ? [t as tf.Tensor1D] : (tf.split(t, blocks) as tf.Tensor1D[]);
  const gx = split(n.gammaX, 4),
    gh = split(n.gammaH, 4);
  const moving = nc.n.moving;
  const maxSteps = nc.o.maxSteps ?? nc.c.x.shape[1];
  const norm = (name: 'X' | 'H' | 'C', k: number, v: tf.Tensor2D[], gamma: tf.Tensor1D[]): tf.Tensor2D[] => {
    if (kind === 'layer') {
      return scope === 'fused' || v.length === 1
        ? layerNorm(v, gamma)
        : v.map((vb, g) => layerNorm([vb], [gamma[g]!])[0]!);
    }
    const all = tf.concat(v, 1); // [B, F]
    let mean: tf.Tensor, variance: tf.Tensor;
    if (training) {
      ({ mean, variance } = tf.moments(all, 0)); // [F]
      (stats[`mean${name}`] ??= []).push(tf.keep(mean));
      (stats[`variance${name}`] ??= []).push(tf.keep(variance));
    } else {
      const row = Math.min(k, maxSteps - 1);
      mean = tf.squeeze(tf.slice(moving![`mean${name}`], [row, 0], [1, -1]));
      variance = tf.squeeze(tf.slice(moving![`variance${name}`], [row, 0], [1, -1]));
    }
    const xh = tf.mul(tf.sub(all, mean), tf.rsqrt(tf.add(variance, EPSILON)));
    const parts = v.length === 1 ? [xh as tf.Tensor2D] : (tf.split(xh, v.length, 1) as tf.Tensor2D[]);
    return parts.map((p, g) => tf.mul(p, gamma[g]!) as tf.Tensor2D);
  };
  return {
    normInput: (k: number, v: tf.Tensor2D[]) => norm('X', k, v, gx),
    normRecurrent: (k: number, v: tf.Tensor2D[]) => norm('H', k, v, gh),
    normCell: (k: number, c: tf.Tensor2D) =>
      tf.add(norm('C', k, [c], [n.gammaC as tf.Tensor1D])[0]!, n.betaC) as tf.Tensor2D,
  };
}

const INPUTS = ['x', 'h0', 'c0', 'kernel', 'recurrentKernel', 'bias'] as const;
const NORM_INPUTS = ['gammaX', 'gammaH', 'gammaC', 'betaC'] as const;

/** The loss weights of sequence, h, c. */
function lossWeights(nc: NormCase) {
  const [B, T] = nc.c.x.shape;
  const H = nc.c.recurrentKernel.shape[0];
  return {
    ws: tf.randomNormal([B, T, H], 0, 1, 'float32', 99),
    wh: tf.randomNormal([B, H], 0, 1, 'float32', 98),
    wc: tf.randomNormal([B, H], 0, 1, 'float32', 97),
  };
}

/** The reference's outputs, batch statistics (training) and gradients, as arrays. */
export function referenceRun(nc: NormCase): Record<string, Float32Array> {
  return tf.tidy(() => {
    const { ws, wh, wc } = lossWeights(nc);
    const stats: Record<string, tf.Tensor[]> = {};
    const run = (ts: tf.Tensor[], record: boolean) => {
      const inputs = { ...nc.c } as Record<string, unknown>;
      INPUTS.forEach((name, i) => (inputs[name] = ts[i]));
      const n = {} as Record<keyof NormTensors, tf.Tensor>;
      NORM_INPUTS.forEach((name, i) => (n[name] = ts[INPUTS.length + i]!));
      return referenceLstmSequence(
        inputs as unknown as LstmSequenceInputs,
        hooks(nc, n, record ? stats : {}),
      );
    };
    const all = [...INPUTS.map((k) => nc.c[k] as tf.Tensor), ...NORM_INPUTS.map((k) => nc.n[k])];
    const o = run(all, true);
    const loss = (...ts: tf.Tensor[]) => {
      const r = run(ts, false);
      return tf.addN([
        tf.sum(tf.mul(r.sequence, ws)),
        tf.sum(tf.mul(r.h, wh)),
        tf.sum(tf.mul(r.c, wc)),
      ]) as tf.Scalar;
    };
    const grads = tf.grads(loss)(all);
    const out: Record<string, Float32Array> = {
      sequence: o.sequence.dataSync() as Float32Array,
      h: o.h.dataSync() as Float32Array,
      c: o.c.dataSync() as Float32Array,
    };
    [...INPUTS, ...NORM_INPUTS].forEach(
      (name, i) => (out[`d${name}`] = grads[i]!.dataSync() as Float32Array),
    );
    for (const [name, list] of Object.entries(stats)) {
      out[`stats.${name}`] = tf.stack(list).dataSync() as Float32Array; // [T, F]
      tf.dispose(list);
    }
    return out;
  });
}

const data = (t: tf.Tensor) => Float32Array.from(t.dataSync());

function zoneoutOf(z: ZoneoutSpec | undefined): FusedZoneout {
  if (z === undefined) return { mode: 'none' };
  if (z.kind === 'mask') return { mode: 'mask', mask: data(z.mask) };
  return { mode: 'expectation', rate: z.rate };
}

/** The case as FusedImpl arguments (masks as the reference sees them). */
export function lstmArgs(nc: NormCase): LstmArgs {
  const c = nc.c;
  const [B, T, D] = c.x.shape;
  const H = c.recurrentKernel.shape[0];
  const n = nc.n;
  const norm: FusedNorm = {
    kind: nc.o.kind,
    scope: nc.o.scope ?? 'fused',
    training: nc.o.training ?? true,
    epsilon: EPSILON,
    gammaX: data(n.gammaX),
    gammaH: data(n.gammaH),
    gammaC: data(n.gammaC),
    betaC: data(n.betaC),
    maxSteps: n.moving ? n.moving.meanX.shape[0] : 1,
    ...(n.moving
      ? {
          moving: {
            meanX: data(n.moving.meanX),
            varianceX: data(n.moving.varianceX),
            meanH: data(n.moving.meanH),
            varianceH: data(n.moving.varianceH),
            meanC: data(n.moving.meanC),
            varianceC: data(n.moving.varianceC),
          },
        }
      : {}),
  };
  const act = (a: string | undefined, fallback: keyof typeof ACTIVATION_CODE) =>
    ACTIVATION_CODE[(a ?? fallback) as keyof typeof ACTIVATION_CODE];
  return {
    dims: { batch: B, steps: T, inputDim: D, units: H },
    x: data(c.x),
    kernel: data(c.kernel),
    recurrentKernel: data(c.recurrentKernel),
    h0: data(c.h0),
    c0: data(c.c0),
    bias: data(c.bias),
    recurrentMask: c.recurrentMask ? data(c.recurrentMask) : null,
    recurrentPerStep: c.recurrentMask !== undefined && c.recurrentMask.rank === 3,
    candidateMask: c.candidateMask ? data(c.candidateMask) : null,
    candidatePerStep: c.candidateMask !== undefined && c.candidateMask.rank === 3,
    zoneoutCell: zoneoutOf(c.zoneoutCell),
    zoneoutHidden: zoneoutOf(c.zoneoutHidden),
    stepMask: c.stepMask ? data(c.stepMask) : null,
    goBackwards: c.goBackwards === true,
    sequenceOutput: true,
    activation: act(c.activation, 'tanh'),
    recurrentActivation: act(c.recurrentActivation, 'sigmoid'),
    norm,
  };
}

/** The impl's outputs, batch statistics and gradients, named as referenceRun's. */
export function implRun(impl: FusedImpl, nc: NormCase): Record<string, Float32Array> {
  const args = lstmArgs(nc);
  const f = impl.lstmForward(args, true);
  const w = tf.tidy(() => {
    const { ws, wh, wc } = lossWeights(nc);
    return [data(ws), data(wh), data(wc)];
  });
  const g = impl.lstmBackward(args, f.tape!, w[0]!, w[1]!, w[2]!);
  const out: Record<string, Float32Array> = {
    sequence: f.sequence,
    h: f.h,
    c: f.c,
    dx: g.dx,
    dh0: g.dh0,
    dc0: g.dc0,
    dkernel: g.dKernel,
    drecurrentKernel: g.dRecurrentKernel,
    dbias: g.dBias,
    dgammaX: g.norm!.dGammaX,
    dgammaH: g.norm!.dGammaH,
    dgammaC: g.norm!.dGammaC!,
    dbetaC: g.norm!.dBetaC!,
  };
  if (f.batchStats) for (const [k, v] of Object.entries(f.batchStats)) if (v) out[`stats.${k}`] = v;
  return out;
}

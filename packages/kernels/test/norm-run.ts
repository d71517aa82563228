/**
 * A normalised LSTM or GRU run two ways for the agreement tests (fused-norm.test.ts on the native
 * kernels, wasm-norm-agreement.test.ts on the WebAssembly ones): through a FusedImpl's op or
 * through the tfjs reference op with the independent oracle of the normalisation
 * (./norm-oracle.ts). Either gives the outputs, batch norm's per-step statistics (training) and the
 * gradients of a fixed random linear loss of every output with respect to every input, γ and β
 * included, and on request the per-step state-gradient norms of that loss.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedGruSequence, fusedLstmSequence } from '../src/fused/ops.js';
import type { FusedImpl } from '../src/fused/impl.js';
import { referenceGruSequence } from '../src/reference/gru-sequence.js';
import { referenceLstmSequence } from '../src/reference/lstm-sequence.js';
import type {
  GruSequenceInputs,
  LstmSequenceInputs,
  SequenceNormalization,
  SequenceNormStats,
  StateGradientNorms,
} from '../src/types.js';
import { gruOracle, lstmOracle } from './norm-oracle.js';

export type NormKind = Pick<SequenceNormalization, 'kind' | 'scope' | 'training'>;

/** Random γ (around 1), β and, for batch-norm inference, 2 rows of moving statistics. */
export function randomNormalization(
  k: NormKind,
  gates: number,
  units: number,
  cell: boolean,
  seed = 40,
): SequenceNormalization {
  const F = gates * units;
  const u = (shape: number[], lo: number, hi: number, s: number) =>
    tf.randomUniform(shape, lo, hi, 'float32', s);
  const n: SequenceNormalization = {
    ...k,
    gammaX: u([F], 0.5, 1.5, seed) as tf.Tensor1D,
    gammaH: u([F], 0.5, 1.5, seed + 1) as tf.Tensor1D,
  };
  if (cell) {
    n.gammaC = u([units], 0.5, 1.5, seed + 2) as tf.Tensor1D;
    n.betaC = u([units], -0.3, 0.3, seed + 3) as tf.Tensor1D;
  }
  if (k.kind === 'batch' && k.training !== true) {
    const stats = (w: number, s: number) => ({
      mean: u([2, w], -0.3, 0.3, s) as tf.Tensor2D,
      variance: u([2, w], 0.3, 1.5, s + 1) as tf.Tensor2D,
    });
    const x = stats(F, seed + 4);
    const h = stats(F, seed + 6);
    n.moving = { meanX: x.mean, varianceX: x.variance, meanH: h.mean, varianceH: h.variance };
    if (cell) {
      const c = stats(units, seed + 8);
      n.moving.meanC = c.mean;
      n.moving.varianceC = c.variance;
    }
  }
  return n;
}

export function normTensors(n: SequenceNormalization): tf.Tensor[] {
  const m = n.moving;
  return [n.gammaX, n.gammaH, n.gammaC, n.betaC, ...(m ? Object.values(m) : [])].filter(
    (t): t is tf.Tensor => t !== undefined,
  );
}

/**
 * Outputs, batch statistics and the gradients of a random linear loss of every output with
 * respect to every input (γ, β included), from a FusedImpl's op or (`impl` null) the reference op
 * with the oracle. With `stateNorms`, also the per-step state-gradient norms of the same loss
 * ([T·B], step-major): 'dNorm.h' = ‖∂L/∂h_k[b]‖ and (LSTM) 'dNorm.c' = ‖∂L/∂c_k[b]‖ — from the
 * impl's backward (stateGradientNorms), or on the reference as the gradients of zeros added to
 * the states after each step through its `state` hook (state-gradient-norms.test.ts's definition).
 */
export function runNorm(
  impl: FusedImpl | null,
  c: LstmSequenceInputs | GruSequenceInputs,
  n: SequenceNormalization,
  stateNorms = false,
): Record<string, Float32Array> {
  const lstm = 'c0' in c;
  const [B, T] = c.x.shape;
  const H = c.recurrentKernel.shape[0];
  const inputNames = lstm
    ? ['x', 'h0', 'c0', 'kernel', 'recurrentKernel', 'bias']
    : ['x', 'h0', 'kernel', 'recurrentKernel', 'bias'];
  const normNames = lstm ? ['gammaX', 'gammaH', 'gammaC', 'betaC'] : ['gammaX', 'gammaH'];
  const names = [...inputNames, ...normNames];
  const values = [
    ...inputNames.map((k) => (c as unknown as Record<string, tf.Tensor>)[k]!),
    ...normNames.map((k) => (n as unknown as Record<string, tf.Tensor>)[k]!),
  ];
  let stats: SequenceNormStats | Record<string, Float32Array> | undefined;
  let reported: StateGradientNorms | undefined; // the impl's norms, from its backward
  // The reference's zeros added to h (and c) after each step: T (2T) more inputs to differentiate.
  const zeroCount = stateNorms && impl === null ? (lstm ? 2 * T : T) : 0;
  type Outputs = { sequence: tf.Tensor; h: tf.Tensor; c?: tf.Tensor };
  const call = (ts: tf.Tensor[]): Outputs => {
    const inputs = { ...c } as Record<string, unknown>;
    const norm = { ...n } as Record<string, unknown>;
    inputNames.forEach((k, i) => (inputs[k] = ts[i]));
    normNames.forEach((k, i) => (norm[k] = ts[inputNames.length + i]));
    const zeros = ts.slice(names.length);
    const nn = norm as unknown as SequenceNormalization;
    if (impl) {
      if (stateNorms) inputs['stateGradientNorms'] = (r: StateGradientNorms) => (reported = r);
      const o = lstm
        ? fusedLstmSequence(impl, { ...(inputs as unknown as LstmSequenceInputs), normalization: nn })
        : fusedGruSequence(impl, { ...(inputs as unknown as GruSequenceInputs), normalization: nn });
      stats = o.batchStats;
      return o;
    }
    if (lstm) {
      const oracle = lstmOracle(nn, H, T);
      stats = oracle.stats as unknown as Record<string, Float32Array>;
      const state = (k: number, h: tf.Tensor2D, cc: tf.Tensor2D) => ({
        h: tf.add(h, zeros[k]!) as tf.Tensor2D,
        c: tf.add(cc, zeros[T + k]!) as tf.Tensor2D,
      });
      return referenceLstmSequence(inputs as unknown as LstmSequenceInputs, {
        ...oracle.hooks,
        ...(zeros.length > 0 ? { state } : {}),
      });
    }
    const oracle = gruOracle(nn, H, T);
    stats = oracle.stats as unknown as Record<string, Float32Array>;
    const state = (k: number, h: tf.Tensor2D) => tf.add(h, zeros[k]!) as tf.Tensor2D;
    return referenceGruSequence(inputs as unknown as GruSequenceInputs, {
      ...oracle.hooks,
      ...(zeros.length > 0 ? { state } : {}),
    });
  };
  return tf.tidy(() => {
    const ws = tf.randomNormal([B, T, H], 0, 1, 'float32', 99);
    const wh = tf.randomNormal([B, H], 0, 1, 'float32', 98);
    const wc = tf.randomNormal([B, H], 0, 1, 'float32', 97);
    const o = call(values);
    const out: Record<string, Float32Array> = {
      sequence: o.sequence.dataSync() as Float32Array,
      h: o.h.dataSync() as Float32Array,
    };
    if (o.c) out['c'] = o.c.dataSync() as Float32Array;
    if (n.kind === 'batch' && n.training === true) {
      for (const [k, v] of Object.entries(stats ?? {}))
        out[`stats.${k}`] = v instanceof tf.Tensor ? (v.dataSync() as Float32Array) : (v as Float32Array);
    }
    const f = (...ts: tf.Tensor[]) => {
      const r = call(ts);
      const terms = [tf.sum(tf.mul(r.sequence, ws)), tf.sum(tf.mul(r.h, wh))];
      if (r.c) terms.push(tf.sum(tf.mul(r.c, wc)));
      return tf.addN(terms) as tf.Scalar;
    };
    const zeros = Array.from({ length: zeroCount }, () => tf.zeros([B, H]));
    const grads = tf.grads(f)([...values, ...zeros]);
    names.forEach((k, i) => (out[`d${k}`] = grads[i]!.dataSync() as Float32Array));
    if (!stateNorms) return out;
    if (impl) {
      if (reported === undefined)
        throw new Error('runNorm: the backward pass reported no state-gradient norms');
      out['dNorm.h'] = reported.h;
      if (reported.c) out['dNorm.c'] = reported.c;
      return out;
    }
    // per example: the Euclidean norm over the units of each [B, H] gradient, steps in order
    const perExample = (gs: tf.Tensor[]) =>
      Float32Array.from(gs.flatMap((g) => Array.from(tf.norm(g, 'euclidean', 1).dataSync())));
    const zg = grads.slice(names.length);
    out['dNorm.h'] = perExample(zg.slice(0, T));
    if (lstm) out['dNorm.c'] = perExample(zg.slice(T));
    return out;
  });
}

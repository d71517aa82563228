/**
 * Which op runs a recurrent layer's sequence, for the LSTM and the GRU alike (RecurrentLayer's
 * runCellSequence): the kernels' op without normalization (asking for the per-step gradient norms
 * when a gradientNormsHook is set); normalized inside the fast kernels where they take it (then
 * moving batch norm's averages by the statistics they return); else the tfjs reference op with the
 * norm hooks, which says so once. A `state` hook (instrumentation) always takes the reference op,
 * which passes each step's states through it.
 *
 * A `statisticsSink` (rl.inference.recomputeBatchNormStatistics) makes batch norm normalise with
 * the batch's statistics even in an inference call and hands them to the sink, with the batch
 * size, instead of moving the population statistics: from the fused kernels' returned statistics
 * or from the reference op's norm hooks, whichever op runs.
 */
import {
  fusedCanNormalize,
  type GruSequenceInputs,
  backend as kernelBackend,
  kernelNotice,
  type LstmSequenceInputs,
  type RecurrentSequenceOptions,
  type SequenceNormStats,
  type StateGradientNorms,
} from '@regulab/kernels';
import type { SequenceStatsCollector } from './step-normalization.js';
import { kernelNormalization, type KernelNormTargets, moveBatchStatistics } from './kernel-normalization.js';
import type { LayerNormScope, Normalization } from './options.js';
import type { NormKind } from './step-normalization.js';

/**
 * The types of one cell's sequence op: its inputs, its outputs, its per-step hooks on the tfjs
 * reference op (with the `state` hook of instrumentation) and its normalization weights.
 */
export interface CellTypes {
  inputs: LstmSequenceInputs | GruSequenceInputs;
  outputs: { batchStats?: SequenceNormStats };
  hooks: { state?: unknown };
  norm: KernelNormTargets;
}

/** A cell's sequence ops, which RecurrentLayer runs (runCellSequence). */
export interface CellSequence<C extends CellTypes> {
  /** The sequence op of @regulab/kernels (native, wasm or reference kernels): lstmSequence, gruSequence. */
  run(inputs: C['inputs']): C['outputs'];
  /** The tfjs reference op with per-step hooks: referenceLstmSequence, referenceGruSequence. */
  reference(inputs: C['inputs'], hooks: C['hooks']): C['outputs'];
  /** One call's norm hooks on the reference op, and finish() (moving averages): lstmNormHooks, gruNormHooks. */
  normHooks(
    kind: NormKind,
    scope: LayerNormScope,
    w: C['norm'],
    training: boolean,
    momentum: number,
  ): { hooks: C['hooks']; finish(collect?: SequenceStatsCollector): void };
}

/**
 * Receives one call's per-step batch-norm statistics ([K, F] each: K = T from the fused kernels,
 * min(T, maxSteps) from the reference op; owned by the call's scope) and its batch size B.
 */
export type BatchStatisticsSink = (stats: SequenceNormStats, batch: number) => void;

/** What of a layer and its call decides the op (RecurrentLayer's fields). */
export interface CellCall<C extends CellTypes> {
  /** Names the layer in the notice (rl.layers.lstm, rl.layers.gru). */
  owner: string;
  normalization: Normalization;
  scope: LayerNormScope;
  /** The normalization weights; null without normalization. */
  norm: C['norm'] | null;
  momentum: number;
  training: boolean;
  stateHook: NonNullable<C['hooks']['state']> | null;
  gradientNormsHook: ((norms: StateGradientNorms) => void) | null;
  /** Batch norm: normalise with the batch's statistics and hand them here (module doc); null: off. */
  statisticsSink: BatchStatisticsSink | null;
}

/** Runs `cell`'s sequence on the op `call` can take (module doc). */
export function runCellSequence<C extends CellTypes>(
  cell: CellSequence<C>,
  inputs: C['inputs'],
  call: CellCall<C>,
): C['outputs'] {
  const { norm } = call;
  const state = call.stateHook ?? undefined;
  const fast = withGradientNorms(inputs, call.gradientNormsHook);
  if (call.normalization === 'none' || norm === null)
    return state ? cell.reference(inputs, { state }) : cell.run(fast);
  const sink = call.normalization === 'batch' ? call.statisticsSink : null;
  const batchStatistics = call.training || sink !== null; // normalise with the batch's statistics
  const batch = inputs.x.shape[0];
  if (!state && fusedCanNormalize(inputs)) {
    const normalization = kernelNormalization(call.normalization, call.scope, norm, batchStatistics);
    const out = cell.run({ ...fast, normalization });
    if (out.batchStats && sink) sink(out.batchStats, batch);
    else if (out.batchStats) moveBatchStatistics(norm, out.batchStats, call.momentum);
    return out;
  }
  noteNormalizationFallback(call.owner, call.normalization);
  const hooks = cell.normHooks(call.normalization, call.scope, norm, batchStatistics, call.momentum);
  const out = cell.reference(inputs, { ...hooks.hooks, state });
  hooks.finish(sink ? (stats) => sink(stats, batch) : undefined);
  return out;
}

/** A fast-kernel call's inputs, asking for the per-step gradient norms when `hook` is set. */
function withGradientNorms<I extends RecurrentSequenceOptions>(
  inputs: I,
  hook: ((norms: StateGradientNorms) => void) | null,
): I {
  return hook === null ? inputs : { ...inputs, stateGradientNorms: hook };
}

/**
 * Says once per process (stderr) that a normalized layer runs on the tfjs reference op although
 * fast kernels are loaded: kernels without normalization inside (the native and wasm ones have
 * it for both cells, with every recurrent option; a layer takes the reference path there only
 * for a zero-sized dimension or a stateHook).
 */
function noteNormalizationFallback(owner: string, normalization: string): void {
  if (kernelBackend() === 'reference') return;
  kernelNotice(
    `${owner}: normalization '${normalization}' runs on the tfjs reference kernels, not the ` +
      `${kernelBackend()} ones (they take no normalization for this call); expect it to be slower`,
  );
}

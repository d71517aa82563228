/**
 * The sampling context of Monte Carlo inference: while `withSampling(seeds, fn)` runs, every
 * stochastic Regulab layer called with `training` not true draws its training-time noise (dropout
 * masks, DropConnect and weight-drop masks, zoneout masks, concrete-dropout masks…) as in
 * training, but from a seed of the context's stream instead of its own, and otherwise behaves as
 * at inference: batch norm uses its moving statistics and nothing is added to the losses or moved
 * (moving statistics, the layers' own `seeds.state`, weights, stateful layers aside).
 *
 * Layers ask for their call's seed with `drawSeed(training, ownStream)`: a training call takes the
 * next seed of the layer's own stream; an inference call inside the context takes the next seed
 * of the context's stream (layers are called in a fixed order, so a seeded context is
 * reproducible); an inference call outside it gets null (no noise). The context is module-level
 * state for synchronous code: `fn` must not await (tfjs's `predict` and `apply` are synchronous).
 */
import type { SeedStream } from '../random/seed-stream.js';

let active: SeedStream | null = null;

/** Runs `fn` with sampling on, every layer's noise seeded from `seeds`; restores the previous context after. */
export function withSampling<T>(seeds: SeedStream, fn: () => T): T {
  const previous = active;
  active = seeds;
  try {
    return fn();
  } finally {
    active = previous;
  }
}

/** Whether a sampling context is active (inference calls draw training-time noise). */
export function samplingActive(): boolean {
  return active !== null;
}

/**
 * This call's noise seed: the layer's own next seed when training, the context's next seed when
 * sampling at inference, null (no noise) otherwise.
 */
export function drawSeed(training: boolean, own: SeedStream): number | null {
  if (training) return own.next();
  return active === null ? null : active.next();
}

/**
 * Implemented by layers whose one noise draw per call is shared by every example of the batch
 * (a weight mask: DropConnect, weight-drop, embedding dropout's word-type mask). Monte Carlo
 * inference cannot stack several samples in one call of a model holding such a layer (the samples
 * would share the mask), so it runs one call per sample there.
 */
export interface BatchSharedNoise {
  /** True when this layer, as configured, draws noise shared across the batch. */
  sharesNoiseAcrossBatch(): boolean;
}

/** Whether `layer` declares batch-shared noise (see {@link BatchSharedNoise}). */
export function sharesNoiseAcrossBatch(layer: unknown): boolean {
  const candidate = layer as Partial<BatchSharedNoise> | null;
  return typeof candidate?.sharesNoiseAcrossBatch === 'function' && candidate.sharesNoiseAcrossBatch();
}

/**
 * The one-pass optimizer step on tfjs's CPU backend: instead of a dozen tfjs ops per variable
 * (each allocating a tensor of the variable's size), one kernel call reads the gradient and updates
 * the variable and its slots in place (OptimizerUpdate of @regulab/kernels: native, or plain JS
 * with the WebAssembly kernels). Same equations as the subclass's `updateVariable`; float32
 * results agree within a few ulp (the kernel may fuse multiply-adds).
 *
 * In place only where nothing else can see it (writableStorage); otherwise the step writes a copy
 * and assigns it, as tfjs's optimizers always do. On tfjs's CPU backend,
 * `dataSync()` returns the tensor's storage itself: copy it (`Float32Array.from`) to keep a
 * snapshot across steps.
 */
import * as tf from '@tensorflow/tfjs';
import { type OptimizerUpdate, peekData } from '@regulab/kernels';
import type { Slots } from './decoupled-weight-decay.js';
import { writableStorage } from '../util/writable-storage.js';

/** A step rule as the kernel's kind and its scalars after the leading lr·λ. */
export interface FusedStep {
  kind: number;
  params: number[];
}

/**
 * Applies `step` to one variable with decay lr·λ = `decay`; false (nothing changed) when the
 * tensors are not float32 ones this path serves, so the caller runs its tfjs ops instead.
 */
export function applyFusedStep(
  update: OptimizerUpdate,
  step: FusedStep,
  decay: number,
  variable: tf.Variable,
  gradient: tf.Tensor,
  slotNames: readonly string[],
  slots: Slots,
): boolean {
  if (gradient.dtype !== 'float32' || !tf.util.arraysEqual(gradient.shape, variable.shape)) return false;
  const g = peekData(gradient); // read during this call only: its storage may be reused after
  if (!(g instanceof Float32Array)) return false;
  const w = writableStorage(variable);
  const s = slotNames.map((name) => writableStorage(slots.get(name)!));
  if (w === null || s.some((t) => t === null)) return false;
  update(
    step.kind,
    w.values,
    g,
    s[0]?.values ?? null,
    s[1]?.values ?? null,
    Float64Array.of(decay, ...step.params),
  );
  w.commit();
  for (const t of s) t!.commit();
  return true;
}

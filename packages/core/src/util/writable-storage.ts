/**
 * A float32 variable's values to update in one pass, without a tfjs op per term: on tfjs's CPU
 * backend the variable's own storage when no other tensor shares it (the backend's reference count
 * is 1, e.g. not right after `tf.variable(t)` while `t` lives, nor while a `tf.clone` of it is
 * kept); otherwise (shared storage, another backend, whose `dataSync()` is a copy) a copy that
 * `commit()` assigns back, as tfjs's own optimizers always do. Null for other dtypes.
 */
import * as tf from '@tensorflow/tfjs';

export interface WritableStorage {
  values: Float32Array;
  /** Makes the written values the variable's (nothing to do when they were its storage). */
  commit(): void;
}

export function writableStorage(v: tf.Variable): WritableStorage | null {
  if (v.dtype !== 'float32') return null;
  const values = v.dataSync();
  if (!(values instanceof Float32Array)) return null;
  const backend = tf.engine().backend as unknown as { refCount?(dataId: object): number };
  if (tf.getBackend() === 'cpu' && backend.refCount?.(v.dataId) === 1) return { values, commit: () => {} };
  const copy = values.slice();
  return { values: copy, commit: () => v.assign(tf.tensor(copy, v.shape, 'float32')) };
}

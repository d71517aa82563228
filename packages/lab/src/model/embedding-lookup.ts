/**
 * Embedding lookup with a fast gradient for the tfjs CPU backend.
 *
 *     y_n = E[ids_n]                       forward: tf.gather
 *     ∂L/∂E[v] = Σ_{n : ids_n = v} ∂L/∂y_n   backward: one scatter-add pass in plain JS
 *
 * Why: tfjs differentiates `gather` with `unsortedSegmentSum`, which the CPU backend runs as one
 * masked reduction per vocabulary entry — about half a second per batch for a 58-character
 * vocabulary, and far worse for words; the scatter-add is a single O(N·E) loop. The sum runs in
 * a fixed order, so the gradient is deterministic.
 *
 * Shapes: table [V, E], ids [N] int32 → [N, E]. Same value as `tf.gather(table, ids)` in training
 * and inference; only the gradient's implementation differs (the table gets it; ids get none).
 */
import * as tf from '@tensorflow/tfjs';

export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const [V, E] = table.shape;
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [t, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const value = tf.gather(t, ids); // [N, E]
    save([ids]); // the forward pass's scope ends before the backward pass: keep ids alive
    const gradFunc = (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]): tf.Tensor => {
      const grad = new Float32Array(V * E); // [V, E]
      const d = (dy as tf.Tensor).dataSync(); // [N, E]
      const index = saved[0]!.dataSync();
      for (let n = 0; n < index.length; n++) {
        const row = index[n]! * E;
        const src = n * E;
        for (let e = 0; e < E; e++) grad[row + e]! += d[src + e]!;
      }
      return tf.tensor2d(grad, [V, E]);
    };
    return { value, gradFunc };
  });
  return lookup(table) as tf.Tensor2D;
}

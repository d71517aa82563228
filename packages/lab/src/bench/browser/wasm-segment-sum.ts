/**
 * UnsortedSegmentSum for tfjs's wasm backend, which has none (tfjs 4.22): the gradient of
 * `tf.gather`, so of the embedding, needs it, and without it tf.layers.embedding cannot train on
 * that backend. The browser bench registers this plain-JavaScript one so that tfjs-wasm can run
 * charlm-step at all; it is one pass over the gathered gradient [B·T, E] (negligible next to the
 * LSTM).
 *
 *   out[s, ...] = Σ_{i : ids[i] = s} x[i, ...]    x [N, ...], ids [N] → out [numSegments, ...]
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export function registerWasmSegmentSum(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as BackendWasm;
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const xs = b.readSync(x.dataId) as Float32Array;
      const ids = b.readSync(segmentIds.dataId) as Int32Array;
      const inner = xs.length / ids.length;
      const out = b.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype);
      const o = b.typedArrayFromHeap(out) as Float32Array;
      o.fill(0);
      for (let i = 0; i < ids.length; i++) {
        const src = i * inner;
        const dst = ids[i] * inner;
        for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
      }
      return out;
    },
  });
}

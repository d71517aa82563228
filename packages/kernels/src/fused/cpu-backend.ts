/**
 * What the CPU kernels of ./cpu-kernels.ts, ./cpu-data-kernels.ts, ./cpu-math-kernels.ts,
 * ./cpu-conv-kernels.ts and ./cpu-pool-kernels.ts see of
 * tfjs's CPU backend (its typings keep these private), and the size below which tfjs's own kernel
 * is as fast as a call into ours.
 */
import type * as tf from '@tensorflow/tfjs';
import type { WatchableBackend } from './recycled-outputs.js';

export type KernelFunc = tf.KernelConfig['kernelFunc'];
export type Inputs = Record<string, tf.TensorInfo | undefined>;

export interface CpuBackend {
  readSync(dataId: object): tf.TypedArray;
  /** The storage by dataId (read with ./recycled-outputs.ts's peekValues). */
  data: WatchableBackend['data'];
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.TypedArray): tf.TensorInfo;
  /** One more tensor shares dataId (how tfjs's Reshape returns its input's storage). */
  incRef(dataId: object): void;
}

/** Below this many multiply-adds tfjs's own matmul or convolution is as fast (no call overhead). */
export const MIN_WORK = 32 * 32 * 32;

/** Below this many elements tfjs's own kernel is as fast (no call overhead). */
export const MIN_ELEMENTS = 2048;

/** Number of elements of a shape. */
export const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/**
 * Shared test helpers: numeric closeness, finite-difference gradient checks and leak checks.
 * Every package's tests use these, so tolerances are stated the same way everywhere.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

export interface Tolerance {
  /** Absolute tolerance. */
  atol?: number;
  /** Relative tolerance (of the expected value). */
  rtol?: number;
  /** Count NaN as close to NaN (numpy's equal_nan). Equal infinities are always close. */
  equalNan?: boolean;
}

/** Asserts |actual − expected| ≤ atol + rtol·|expected| element-wise (numpy's allclose), with a useful message. */
export function allClose(
  actual: tf.Tensor | ArrayLike<number> | number,
  expected: tf.Tensor | ArrayLike<number> | number,
  { atol = 1e-5, rtol = 1e-4, equalNan = false }: Tolerance = {},
  what = 'value',
): void {
  const a = toArray(actual);
  const e = toArray(expected);
  if (actual instanceof tf.Tensor && expected instanceof tf.Tensor) {
    expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  }
  expect(a.length, `${what}: length`).toBe(e.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === e[i] || (equalNan && Number.isNaN(a[i]) && Number.isNaN(e[i]))) continue;
    const excess = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: not close at index ${worst}: actual ${a[worst]}, expected ${e[worst]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}

function toArray(x: tf.Tensor | ArrayLike<number> | number): Float64Array {
  if (typeof x === 'number') return Float64Array.of(x);
  if (x instanceof tf.Tensor) return Float64Array.from(x.dataSync());
  return Float64Array.from(x);
}

/**
 * Central finite differences of a scalar function of one tensor, in float32.
 * Returns the numerical gradient with the input's shape. Use eps ≈ 1e-2..1e-3 for float32.
 */
export function numericGradient(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, eps = 1e-3): tf.Tensor {
  const base = Float32Array.from(x.dataSync());
  const grad = new Float32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const orig = base[i];
    base[i] = orig + eps;
    const up = tf.tidy(() => f(tf.tensor(base, x.shape)).dataSync()[0]);
    base[i] = orig - eps;
    const down = tf.tidy(() => f(tf.tensor(base, x.shape)).dataSync()[0]);
    base[i] = orig;
    grad[i] = (up - down) / (2 * eps);
  }
  return tf.tensor(grad, x.shape);
}

/**
 * Checks tf.grad of f at x against central finite differences.
 * Float32 forward passes limit accuracy: the default tolerance (atol 2e-3, rtol 2e-2) suits eps = 1e-3
 * on O(1) values.
 */
export function checkGradient(
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Tensor,
  tol: Tolerance = { atol: 2e-3, rtol: 2e-2 },
  eps = 1e-3,
  what = 'gradient',
): void {
  const analytic = tf.grad(f)(x);
  const numeric = numericGradient(f, x, eps);
  try {
    allClose(analytic, numeric, tol, what);
  } finally {
    analytic.dispose();
    numeric.dispose();
  }
}

/** Runs fn and asserts it leaves no new tensors behind (tf.memory().numTensors unchanged). */
export async function expectNoLeak(fn: () => unknown | Promise<unknown>, what = 'operation'): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  const after = tf.memory().numTensors;
  expect(after - before, `${what} leaked ${after - before} tensors`).toBe(0);
}

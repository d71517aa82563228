/**
 * Plain-JavaScript versions of the element-wise entry points of a FusedImpl (UnaryOp, BinaryOp,
 * OptimizerUpdate), for impls that have no native code for them (the WebAssembly impl, browsers).
 *
 * Why they beat tfjs's own CPU kernels: tfjs runs every unary op through one shared loop that calls
 * the op as a closure (megamorphic, never inlined; Sqrt even boxes each value), and every
 * broadcasting binary op computes a multi-index array per element. Here each op has its own loop,
 * so V8 compiles each to straight-line code. Same float32 results as tfjs, which also computes in
 * float64 and rounds on store.
 */
import type { BinaryOp, OptimizerUpdate, UnaryOp } from './impl.js';

type Loop = (x: Float32Array, out: Float32Array, n: number) => void;

// One function per op, indexed by UNARY_CODE.
const UNARY_LOOPS: readonly Loop[] = [
  (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.exp(x[i]);
  },
  (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log(x[i]);
  },
  (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = -x[i];
  },
  (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sqrt(x[i]);
  },
  (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 1 / Math.sqrt(x[i]);
  },
  (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = x[i] * x[i];
  },
  (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.abs(x[i]);
  },
  (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 1 / x[i];
  },
  (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 1 / (1 + Math.exp(-x[i]));
  },
  (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.tanh(x[i]);
  },
  (x, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i];
      o[i] = v > 0 ? v : v === v ? 0 : v; // NaN stays NaN, as in tfjs
    }
  },
];

export const jsUnary: UnaryOp = (op, x, out) => {
  const loop = UNARY_LOOPS[op];
  if (loop === undefined) throw new Error(`unary: unknown op code ${op}`);
  loop(x, out, Math.min(x.length, out.length));
};

type BinaryLoop = (a: Float32Array, b: Float32Array, o: Float32Array, m: number) => void;

/** The seven broadcast patterns of BinaryOp for one scalar operation. */
function binaryLoops(f: (x: number, y: number) => number): readonly BinaryLoop[] {
  // Each pattern is its own closure over f; V8 inlines f into each (one f per set of loops).
  return [
    (a, b, o) => {
      for (let i = 0; i < o.length; i++) o[i] = f(a[i], b[i]);
    },
    (a, b, o) => {
      const s = b[0];
      for (let i = 0; i < o.length; i++) o[i] = f(a[i], s);
    },
    (a, b, o) => {
      const s = a[0];
      for (let i = 0; i < o.length; i++) o[i] = f(s, b[i]);
    },
    (a, b, o, m) => {
      for (let r = 0, i = 0; i < o.length; r++) {
        const s = b[r];
        for (let j = 0; j < m; j++, i++) o[i] = f(a[i], s);
      }
    },
    (a, b, o, m) => {
      for (let r = 0, i = 0; i < o.length; r++) {
        const s = a[r];
        for (let j = 0; j < m; j++, i++) o[i] = f(s, b[i]);
      }
    },
    (a, b, o, m) => {
      for (let i = 0; i < o.length;) for (let j = 0; j < m; j++, i++) o[i] = f(a[i], b[j]);
    },
    (a, b, o, m) => {
      for (let i = 0; i < o.length;) for (let j = 0; j < m; j++, i++) o[i] = f(a[j], b[i]);
    },
  ];
}

const BINARY_LOOPS: readonly (readonly BinaryLoop[])[] = [
  binaryLoops((x, y) => x + y),
  binaryLoops((x, y) => x - y),
  binaryLoops((x, y) => x * y),
  binaryLoops((x, y) => x / y),
];

export const jsBinary: BinaryOp = (op, mode, a, b, out, m) => {
  const loop = BINARY_LOOPS[op]?.[mode];
  if (loop === undefined) throw new Error(`binary: unknown op ${op} or mode ${mode}`);
  loop(a, b, out, Math.max(1, m));
};

export const jsOptimizerUpdate: OptimizerUpdate = (kind, w, g, s0, s1, p) => {
  const keep = Math.fround(1 - p[0]);
  const lr = Math.fround(p[1]);
  const n = w.length;
  if (kind === 0) {
    if (s0 === null || s1 === null) throw new Error('optimizerUpdate: adam needs both slots');
    const [b1, a1, b2, a2, eps, c1, c2] = Array.from(p.subarray(2, 9), Math.fround);
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const m = (s0[i] = b1 * s0[i] + a1 * gi);
      const v = (s1[i] = b2 * s1[i] + a2 * gi * gi);
      w[i] = w[i] * keep - lr * (m / c1 / (Math.sqrt(v / c2) + eps));
    }
  } else if (kind === 1) {
    const mu = Math.fround(p[2]);
    const nesterov = p[3] !== 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      let d = gi;
      if (s0 !== null) {
        const b = (s0[i] = mu * s0[i] + gi);
        d = nesterov ? gi + mu * b : b;
      }
      w[i] = w[i] * keep - lr * d;
    }
  } else {
    throw new Error(`optimizerUpdate: unknown kind ${kind}`);
  }
};

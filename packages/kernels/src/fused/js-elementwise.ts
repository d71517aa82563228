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
import { BINARY_MODE, BINARY_OP, OPTIMIZER_KIND } from './abi.js';
import type { BinaryOp, ColumnSums, OptimizerUpdate, UnaryOp } from './impl.js';

type Loop = (x: Float32Array, out: Float32Array, n: number) => void;

// 2^k for k in [−150, 130], so exp's scale factor is a table read (subnormal results included).
const POW2 = Float64Array.from({ length: 281 }, (_, i) => 2 ** (i - 150));

/**
 * e^v in float64, without Math.exp (a C call per element in V8, ~15 ns): v = k·ln 2 + r with
 * |r| ≤ ½ ln 2, e^r by its degree-8 Taylor polynomial (relative error < 1e-9, far below float32's
 * 6e-8), times 2^k from a table. Overflow gives +∞, underflow 0, NaN stays NaN.
 */
function exp64(v: number): number {
  if (!(v > -104 && v < 89)) return v > 0 ? Infinity : v === v ? 0 : NaN;
  const k = Math.floor(v * Math.LOG2E + 0.5); // Math.round is 3× slower here
  const r = v - k * Math.LN2;
  const p =
    1 +
    r *
      (1 +
        r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040 + r / 40320)))))));
  return p * POW2[k + 150];
}

// One function per op, indexed by UNARY_CODE.
const UNARY_LOOPS: readonly Loop[] = [
  (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = exp64(x[i]);
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
    for (let i = 0; i < n; i++) {
      const v = x[i];
      const e = exp64(-Math.abs(v)); // ≤ 1: no overflow on either side
      o[i] = v >= 0 ? 1 / (1 + e) : e / (1 + e);
    }
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

// Broadcast patterns of BinaryOp, each a function whose loop per op is written out: a shared loop
// calling the op as a closure would be megamorphic in V8 (7× slower once a second op has run).
type BinaryLoop = (op: number, a: Float32Array, b: Float32Array, o: Float32Array, m: number) => void;

const sameShape: BinaryLoop = (op, a, b, o) => {
  const n = o.length;
  switch (op) {
    case BINARY_OP.add:
      for (let i = 0; i < n; i++) o[i] = a[i] + b[i];
      return;
    case BINARY_OP.sub:
      for (let i = 0; i < n; i++) o[i] = a[i] - b[i];
      return;
    case BINARY_OP.mul:
      for (let i = 0; i < n; i++) o[i] = a[i] * b[i];
      return;
    case BINARY_OP.div:
      for (let i = 0; i < n; i++) o[i] = a[i] / b[i];
      return;
    case BINARY_OP.reluGrad:
      // +(v > 0), not a branch on v's sign: for pre-activations that is a coin toss, mispredicted
      // half the time (7.3 ns per element against 1.9); v !== v (NaN) is almost never taken
      for (let i = 0; i < n; i++) {
        const v = b[i];
        o[i] = a[i] * (v === v ? +(v > 0) : NaN);
      }
      return;
  }
};

const bScalar: BinaryLoop = (op, a, b, o) => {
  const n = o.length;
  const s = b[0];
  switch (op) {
    case BINARY_OP.add:
      for (let i = 0; i < n; i++) o[i] = a[i] + s;
      return;
    case BINARY_OP.sub:
      for (let i = 0; i < n; i++) o[i] = a[i] - s;
      return;
    case BINARY_OP.mul:
      for (let i = 0; i < n; i++) o[i] = a[i] * s;
      return;
    case BINARY_OP.div:
      for (let i = 0; i < n; i++) o[i] = a[i] / s;
      return;
  }
};

const aScalar: BinaryLoop = (op, a, b, o) => {
  const n = o.length;
  const s = a[0];
  switch (op) {
    case BINARY_OP.add:
      for (let i = 0; i < n; i++) o[i] = s + b[i];
      return;
    case BINARY_OP.sub:
      for (let i = 0; i < n; i++) o[i] = s - b[i];
      return;
    case BINARY_OP.mul:
      for (let i = 0; i < n; i++) o[i] = s * b[i];
      return;
    case BINARY_OP.div:
      for (let i = 0; i < n; i++) o[i] = s / b[i];
      return;
  }
};

/** b (or a, when `aSide`) holds one value per row of m: index i uses element ⌊i / m⌋. */
function perRow(aSide: boolean): BinaryLoop {
  return (op, a, b, o, m) => {
    const rows = o.length / m;
    const row = aSide ? a : b;
    const full = aSide ? b : a;
    for (let r = 0; r < rows; r++) {
      const s = row[r];
      const o0 = r * m;
      const o1 = o0 + m;
      if (aSide) {
        if (op === BINARY_OP.add) for (let i = o0; i < o1; i++) o[i] = s + full[i];
        else if (op === BINARY_OP.sub) for (let i = o0; i < o1; i++) o[i] = s - full[i];
        else if (op === BINARY_OP.mul) for (let i = o0; i < o1; i++) o[i] = s * full[i];
        else for (let i = o0; i < o1; i++) o[i] = s / full[i];
      } else {
        if (op === BINARY_OP.add) for (let i = o0; i < o1; i++) o[i] = full[i] + s;
        else if (op === BINARY_OP.sub) for (let i = o0; i < o1; i++) o[i] = full[i] - s;
        else if (op === BINARY_OP.mul) for (let i = o0; i < o1; i++) o[i] = full[i] * s;
        else for (let i = o0; i < o1; i++) o[i] = full[i] / s;
      }
    }
  };
}

/** b (or a, when `aSide`) is one row of m repeated: index i uses element i mod m. */
function repeatedRow(aSide: boolean): BinaryLoop {
  return (op, a, b, o, m) => {
    const row = aSide ? a : b;
    const full = aSide ? b : a;
    for (let o0 = 0; o0 < o.length; o0 += m) {
      if (aSide) {
        if (op === BINARY_OP.add) for (let j = 0; j < m; j++) o[o0 + j] = row[j] + full[o0 + j];
        else if (op === BINARY_OP.sub) for (let j = 0; j < m; j++) o[o0 + j] = row[j] - full[o0 + j];
        else if (op === BINARY_OP.mul) for (let j = 0; j < m; j++) o[o0 + j] = row[j] * full[o0 + j];
        else for (let j = 0; j < m; j++) o[o0 + j] = row[j] / full[o0 + j];
      } else {
        if (op === BINARY_OP.add) for (let j = 0; j < m; j++) o[o0 + j] = full[o0 + j] + row[j];
        else if (op === BINARY_OP.sub) for (let j = 0; j < m; j++) o[o0 + j] = full[o0 + j] - row[j];
        else if (op === BINARY_OP.mul) for (let j = 0; j < m; j++) o[o0 + j] = full[o0 + j] * row[j];
        else for (let j = 0; j < m; j++) o[o0 + j] = full[o0 + j] / row[j];
      }
    }
  };
}

// The loop of each broadcast mode, indexed by its BINARY_MODE code.
const LOOP_OF_MODE: Record<keyof typeof BINARY_MODE, BinaryLoop> = {
  sameShape,
  bScalar,
  aScalar,
  bPerRow: perRow(false),
  aPerRow: perRow(true),
  bRepeatedRow: repeatedRow(false),
  aRepeatedRow: repeatedRow(true),
};
const BINARY_LOOPS: BinaryLoop[] = [];
for (const [mode, loop] of Object.entries(LOOP_OF_MODE))
  BINARY_LOOPS[BINARY_MODE[mode as keyof typeof BINARY_MODE]] = loop;
const BINARY_OPS = Object.keys(BINARY_OP).length;

export const jsBinary: BinaryOp = (op, mode, a, b, out, m) => {
  const loop = BINARY_LOOPS[mode];
  if (loop === undefined || !(Number.isInteger(op) && op >= 0 && op < BINARY_OPS))
    throw new Error(`binary: unknown op ${op} or mode ${mode}`);
  if (op === BINARY_OP.reluGrad && mode !== BINARY_MODE.sameShape)
    throw new Error(
      `binary: reluGrad takes operands of one shape (mode ${BINARY_MODE.sameShape}), got mode ${mode}`,
    );
  loop(op, a, b, out, Math.max(1, m));
};

/** ColumnSums in JavaScript: row by row, each column accumulated in float32. */
export const jsColumnSums: ColumnSums = (x, rows, width, out) => {
  out.fill(0, 0, width);
  for (let r = 0, o = 0; r < rows; r++, o += width) for (let j = 0; j < width; j++) out[j] += x[o + j];
};

export const jsOptimizerUpdate: OptimizerUpdate = (kind, w, g, s0, s1, p) => {
  const keep = Math.fround(1 - p[0]);
  const lr = Math.fround(p[1]);
  const n = w.length;
  if (kind === OPTIMIZER_KIND.adam) {
    if (s0 === null || s1 === null) throw new Error('optimizerUpdate: adam needs both slots');
    const [b1, a1, b2, a2, eps, c1, c2] = Array.from(p.subarray(2, 9), Math.fround);
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const m = (s0[i] = b1 * s0[i] + a1 * gi);
      const v = (s1[i] = b2 * s1[i] + a2 * gi * gi);
      w[i] = w[i] * keep - lr * (m / c1 / (Math.sqrt(v / c2) + eps));
    }
  } else if (kind === OPTIMIZER_KIND.sgd) {
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
  } else if (kind === OPTIMIZER_KIND.rmsprop) {
    if (s0 === null) throw new Error('optimizerUpdate: rmsprop needs its ms slot');
    const [rho, a, eps, mu] = Array.from(p.subarray(2, 6), Math.fround);
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const ms = (s0[i] = rho * s0[i] + a * gi * gi);
      let d = (lr * gi) / Math.sqrt(ms + eps);
      if (s1 !== null) {
        s1[i] = mu * s1[i] + d;
        d = s1[i];
      }
      w[i] = w[i] * keep - d;
    }
  } else {
    throw new Error(`optimizerUpdate: unknown kind ${kind}`);
  }
};

/**
 * An orthogonal initializer (Saxe et al. 2014) computed in plain JS.
 *
 *     A ~ N(0, 1)^{n×m}, n = max(rows, cols), m = min(rows, cols)
 *     A = QR (modified Gram–Schmidt, float64), Q ← Q·diag(sign(diag R))   (Haar-distributed)
 *     W = gain · Q, transposed when rows < cols
 *
 * where rows = ∏ shape[:-1], cols = shape[-1] — the same distribution and layout as
 * `tf.initializers.orthogonal`, whose tfjs implementation (op-by-op Gram–Schmidt) takes tens of
 * seconds for a 128×512 recurrent kernel on the CPU backend; this takes milliseconds.
 *
 * Shapes: any shape of rank ≥ 2. Seeded: the Gaussian draw is `tf.randomNormal(…, seed)`.
 */
import * as tf from '@tensorflow/tfjs';

type Initializer = ReturnType<typeof tf.initializers.zeros>;

/**
 * tfjs's `Initializer` base class, which @tensorflow/tfjs does not export: the parent class of a
 * built-in initializer. Extending it makes `instanceof Initializer` hold, so tfjs's own layers
 * (`tf.layers.dense({ kernelInitializer })`) and its `getInitializer` accept an Orthogonal
 * instance as they accept their own.
 */
const TfjsInitializer = Object.getPrototypeOf(
  tf.initializers.zeros().constructor,
) as (abstract new () => Initializer) & Pick<typeof tf.serialization.Serializable, 'fromConfig'>;

export class Orthogonal extends TfjsInitializer {
  static readonly className = 'RegulabOrthogonal';
  readonly gain: number;
  readonly seed: number | undefined;

  constructor(args: { gain?: number; seed?: number } = {}) {
    super();
    this.gain = args.gain ?? 1;
    this.seed = args.seed;
  }

  override apply(shape: number[], dtype: tf.DataType = 'float32'): tf.Tensor {
    if (shape.length < 2)
      throw new Error(`rl.initializers.orthogonal: shape must have rank ≥ 2, got [${shape}]`);
    const cols = shape[shape.length - 1]!;
    const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const n = Math.max(rows, cols);
    const m = Math.min(rows, cols);
    const normal = tf.tidy(() => tf.randomNormal([m, n], 0, 1, 'float32', this.seed).dataSync()); // m vectors of length n
    const q = Float64Array.from(normal); // row j = column j of A
    for (let j = 0; j < m; j++) {
      const qj = q.subarray(j * n, (j + 1) * n);
      const original = Float64Array.from(qj);
      for (let i = 0; i < j; i++) {
        const qi = q.subarray(i * n, (i + 1) * n);
        let dot = 0;
        for (let k = 0; k < n; k++) dot += qi[k]! * qj[k]!;
        for (let k = 0; k < n; k++) qj[k]! -= dot * qi[k]!;
      }
      let norm = 0;
      for (let k = 0; k < n; k++) norm += qj[k]! * qj[k]!;
      norm = Math.sqrt(norm);
      // sign(r_jj) = sign(<q_j, a_j>): flipping makes the factorisation unique (Haar measure).
      let r = 0;
      for (let k = 0; k < n; k++) r += qj[k]! * original[k]!;
      const scale = (r < 0 ? -1 : 1) / norm;
      for (let k = 0; k < n; k++) qj[k]! *= scale;
    }
    // q holds Qᵀ [m, n]; the weight is [rows, cols]: Q [n, m] when rows ≥ cols, else Qᵀ.
    const out = new Float32Array(rows * cols);
    for (let a = 0; a < rows; a++) {
      for (let b = 0; b < cols; b++) {
        out[a * cols + b] = this.gain * (rows >= cols ? q[b * n + a]! : q[a * n + b]!);
      }
    }
    return tf.tensor(out, shape, dtype);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { gain: this.gain, seed: this.seed ?? null };
  }
}
tf.serialization.registerClass(Orthogonal);

/** `rl.initializers.orthogonal({ gain?, seed? })`: the fast orthogonal initializer above. */
export function orthogonal(args: { gain?: number; seed?: number } = {}): Initializer {
  return new Orthogonal(args);
}

/**
 * The scoring shared by issue 16's Monte Carlo dropout evaluations (the mnist classifiers:
 * ./mc-evaluation.ts; the character model: ./mc-charlm-evaluation.ts). A model is given as two
 * predictors over an input set (the test inputs or an out-of-distribution set of the same shape),
 *
 *   deterministic  p = softmax(f(x))                         (dropout off: `predict`)
 *   MC mean        p̄ = (1/S) Σ_s softmax(f(x; ω_s))         (rl.inference.mcPredict, S samples)
 *
 * each giving one class distribution per prediction (a test image; a character of a window).
 * Both are scored by accuracy, NLL and calibration (ECE, reliability bins: ../../stats/calibration.ts);
 * the MC mean also for each S of a list (quality against the number of samples). Out-of-distribution
 * detection: each out-of-distribution set's items are the positives, the test items the negatives,
 * and the AUROC (../../stats/auroc.ts) of three uncertainty scores says how well each tells them
 * apart: the deterministic softmax's entropy H[p], the MC mean's entropy H[p̄] and the mutual
 * information H[p̄] − (1/S) Σ_s H[p_s] (BALD), all in nats. An item is one prediction (an image)
 * or `predictionsPerItem` consecutive ones (a window of text, scored by their mean).
 *
 * Shapes: predictions [n, C] (n = items × predictionsPerItem); entropy and MI [n] → per item [items].
 */
import { auroc, type Calibration, calibration } from '../../stats/index.js';

export const OOD_SCORES = ['deterministic entropy', 'MC entropy', 'mutual information'] as const;
export type OodScore = (typeof OOD_SCORES)[number];

export interface McEvaluationOptions {
  /** The sample counts of the quality-against-samples curve, ascending; the last is the MC mean's S. */
  samples: readonly number[];
  /** Bins of the reliability diagram. */
  bins: number;
  /** Seed of the MC noise and of the out-of-distribution sets' randomness. */
  seed: number;
}

export interface McEvaluation {
  /** Predictions scored (test images; predicted characters). */
  n: number;
  /** S of the MC mean (the last of the options' samples). */
  samples: number;
  deterministic: Calibration;
  mc: Calibration;
  /** The MC mean with each S of the options. */
  bySamples: { samples: number; accuracy: number; nll: number; ece: number }[];
  /** AUROC of each score at telling each out-of-distribution set (by name) from the test items. */
  ood: Record<string, Record<OodScore, number>>;
}

/** What the MC predictor gives for one input set: the mean [n, C], H[p̄] and the MI [n]. */
export interface McOutputs {
  mean: Float32Array;
  entropy: Float32Array;
  mi: Float32Array;
}

/** A model and its data, as the scoring needs them. */
export interface McScoringInput<X> {
  /** The in-distribution inputs (test) and each out-of-distribution set, by name. */
  test: X;
  ood: Record<string, X>;
  /** True class of each test prediction [n]. */
  labels: ArrayLike<number>;
  classes: number;
  /** Consecutive predictions that form one item of the OOD detection (1: each prediction). */
  predictionsPerItem: number;
  /** Deterministic class distributions [n, C]. */
  deterministic(x: X): Float32Array;
  /** The MC mean of `samples` samples and its uncertainty scores. */
  mc(x: X, samples: number): McOutputs;
  /** Told after each predictor call how many forward passes it made (see scoringPasses). */
  done?: (passes: number) => void;
}

/**
 * The forward passes of one scoreMc call over its input sets (the test set and `oodSets` others):
 * one deterministic pass and S MC samples per set, and the smaller S of the curve on the test set.
 * What a progress bar of the evaluation counts.
 */
export function scoringPasses(opts: McEvaluationOptions, oodSets: number): number {
  const S = opts.samples.at(-1)!;
  const curve = opts.samples.filter((s) => s !== S).reduce((a, b) => a + b, 0);
  return (1 + oodSets) * (1 + S) + curve;
}

/** Scores a model on its test inputs and out-of-distribution sets (see the module doc). */
export function scoreMc<X>(input: McScoringInput<X>, opts: McEvaluationOptions): McEvaluation {
  const { classes, labels } = input;
  const S = opts.samples.at(-1)!;
  const deterministic = (x: X) => {
    const p = input.deterministic(x);
    input.done?.(1);
    return p;
  };
  const mc = (x: X, samples: number) => {
    const out = input.mc(x, samples);
    input.done?.(samples);
    return out;
  };
  const detTest = deterministic(input.test);
  const mcTest = mc(input.test, S);
  const bySamples = opts.samples.map((s) => {
    const c = calibration(s === S ? mcTest.mean : mc(input.test, s).mean, labels, classes, opts.bins);
    return { samples: s, accuracy: c.accuracy, nll: c.nll, ece: c.ece };
  });
  const perItem = (x: Float32Array) => itemMeans(x, input.predictionsPerItem);
  const scores = (d: Float32Array, m: McOutputs): Record<OodScore, Float32Array> => ({
    'deterministic entropy': perItem(rowEntropy(d, classes)),
    'MC entropy': perItem(m.entropy),
    'mutual information': perItem(m.mi),
  });
  const inScores = scores(detTest, mcTest);
  const ood = Object.fromEntries(
    Object.entries(input.ood).map(([set, x]) => {
      const outScores = scores(deterministic(x), mc(x, S));
      return [set, Object.fromEntries(OOD_SCORES.map((k) => [k, auroc(outScores[k], inScores[k])]))];
    }),
  ) as McEvaluation['ood'];
  return {
    n: labels.length,
    samples: S,
    deterministic: calibration(detTest, labels, classes, opts.bins),
    mc: calibration(mcTest.mean, labels, classes, opts.bins),
    bySamples,
    ood,
  };
}

/** The mean of each run of `k` consecutive values of x [items·k] → [items]. */
export function itemMeans(x: Float32Array, k: number): Float32Array {
  if (k === 1) return x;
  const out = new Float32Array(x.length / k);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += x[i * k + j]!;
    out[i] = sum / k;
  }
  return out;
}

/** H[p] = −Σ_c p_c ln p_c of each row of p [n, classes], in nats (0 ln 0 = 0). */
export function rowEntropy(p: ArrayLike<number>, classes: number): Float32Array {
  const n = p.length / classes;
  const h = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const q = p[i * classes + c]!;
      if (q > 0) sum -= q * Math.log(q);
    }
    h[i] = sum;
  }
  return h;
}

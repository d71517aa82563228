/**
 * `regulab run l1-vs-l2` (issue 14, experiment 5): does L1 make the weights sparse, and what do
 * L1, L2 and the elastic net do to accuracy as their strength grows? The mnist MLP (784 → 256
 * relu → 10, no dropout) trained on a training slice small enough to overfit, with no penalty and
 * with each penalty on both dense kernels (`--penalty`: tfjs's L1L2 regularizer, added to the
 * loss) at four strengths s · base:
 *
 *   L1 λ₁ Σ|w| with λ₁ = s · 3e-5;   L2 λ₂ Σw² with λ₂ = s · 3e-4;   elastic net (Zou & Hastie
 *   2005): half of each,   s ∈ {0.3, 1, 3, 10}.
 *
 * The bases give the two penalties comparable pull on a typical initial weight (|w| ≈ 0.04 for
 * He-uniform on 784 inputs): λ₁ = 3e-5 against 2 λ₂ |w| with λ₂ = 3e-4. The report's sections
 * measure the share of kernel weights below 1e-3 (and 1e-2) of their kernel's largest
 * (./sparsity.ts), and accuracy, sparsity, weight histograms and accuracy after pruning the small
 * weights against the strength (./penalty-sweep-section.ts).
 */
import type { ExperimentDefinition, VariantDefinition } from '../definition.js';
import type { PenaltySweep } from './penalty-sweep-section.js';
import { sparsitySection } from './sparsity.js';

const L1 = 3e-5;
const L2 = 3e-4;
/** λ to 2 significant digits (0.3 · 3e-5 is 9.000000000000001e-6 in floating point). */
const round = (x: number) => Number(x.toPrecision(2));

/** The sweep, declared once: it gives the variants and the section's points. */
export const PENALTY_SWEEP: PenaltySweep = {
  baseline: 'none',
  scales: [0.3, 1, 3, 10],
  penalties: [
    { key: 'l1', label: (s) => `L1 λ₁ = ${round(s * L1)}`, penalty: (s) => [`l1=${round(s * L1)}`] },
    { key: 'l2', label: (s) => `L2 λ₂ = ${round(s * L2)}`, penalty: (s) => [`l2=${round(s * L2)}`] },
    {
      key: 'elastic',
      label: (s) => `elastic net λ₁ = ${round((s * L1) / 2)}, λ₂ = ${round((s * L2) / 2)}`,
      penalty: (s) => [`l1=${round((s * L1) / 2)}`, `l2=${round((s * L2) / 2)}`],
    },
  ],
  name: (key, scale) => `${key}-x${String(scale).replace('.', 'p')}`,
  histogramScale: 3,
  pruneRatios: [1e-3, 1e-2, 1e-1],
};

const variants: VariantDefinition[] = [
  { name: PENALTY_SWEEP.baseline, label: 'no penalty', options: {} },
  ...PENALTY_SWEEP.penalties.flatMap((p) =>
    PENALTY_SWEEP.scales.map((s) => ({
      name: PENALTY_SWEEP.name(p.key, s),
      label: `${p.label(s)} on the dense kernels`,
      options: { penalty: p.penalty(s) },
    })),
  ),
];

export const l1VsL2: ExperimentDefinition = {
  name: 'l1-vs-l2',
  description:
    'mnist MLP on 1000 images: L1, L2 and elastic net at four strengths; accuracy, sparsity, pruning',
  task: 'mnist',
  presets: {
    /** As dropout-x-decay's default (1000 training images, 500 scored, ≤ 20 epochs, patience 5), with Adam. */
    default: {
      taskPreset: 'default',
      options: { hidden: 256, trainExamples: 1000, evalExamples: 500, batch: 32, epochs: 20, patience: 5 },
    },
    quick: { taskPreset: 'quick', options: {} },
  },
  variants,
  baseline: PENALTY_SWEEP.baseline,
  seeds: 3,
  report: {
    title: 'L1 vs L2 vs elastic net: accuracy, sparsity and pruning of an MLP on 1000 MNIST digits',
    metric: 'accuracy',
    section: async (input) => {
      const sparsity = sparsitySection(input, PENALTY_SWEEP.baseline, [1e-3, 1e-2]);
      // Loaded when the report is written: pruning imports TensorFlow.js, which `--help` and `list` must not.
      const { penaltySweepSection } = await import('./penalty-sweep-section.js');
      const sweep = await penaltySweepSection(input, PENALTY_SWEEP);
      return {
        ...sweep,
        html: sparsity.html + sweep.html,
        conclusions: [...(sparsity.conclusions ?? []), ...(sweep.conclusions ?? [])],
      };
    },
  },
};

/**
 * `regulab run l1-vs-l2` (issue 14, experiment 5, one strength per penalty): does L1 make the
 * weights sparse, and what do L1, L2 and the elastic net do to accuracy? The mnist MLP (784 →
 * 256 relu → 10, no dropout) trained on a training slice small enough to overfit, with no
 * penalty, with λ₁ Σ|w|, with λ₂ Σw², and with half of each (the elastic net, Zou & Hastie 2005),
 * all on both dense kernels (`--penalty`: tfjs's L1L2 regularizer, added to the loss); the
 * report's own section measures the share of kernel weights below 1e-3 (and 1e-2) of their
 * kernel's largest (./sparsity.ts).
 *
 * The strengths give the two penalties comparable pull on a typical initial weight
 * (|w| ≈ 0.04 for He-uniform on 784 inputs): λ₁ = 3e-5 against 2 λ₂ |w| with λ₂ = 3e-4.
 */
import type { ExperimentDefinition } from '../definition.js';
import { sparsitySection } from './sparsity.js';

const L1 = 3e-5;
const L2 = 3e-4;

export const l1VsL2: ExperimentDefinition = {
  name: 'l1-vs-l2',
  description:
    'mnist MLP on 1000 images: no penalty vs L1 vs L2 vs elastic net; accuracy and weight sparsity',
  task: 'mnist',
  presets: {
    /** As dropout-x-decay's default (1000 training images, 500 scored, ≤ 20 epochs, patience 5), with Adam. */
    default: {
      taskPreset: 'default',
      options: { hidden: 256, trainExamples: 1000, evalExamples: 500, batch: 32, epochs: 20, patience: 5 },
    },
    quick: { taskPreset: 'quick', options: {} },
  },
  variants: [
    { name: 'none', label: 'no penalty', options: {} },
    { name: 'l1', label: `L1 penalty λ₁ = ${L1} on the dense kernels`, options: { penalty: [`l1=${L1}`] } },
    { name: 'l2', label: `L2 penalty λ₂ = ${L2} on the dense kernels`, options: { penalty: [`l2=${L2}`] } },
    {
      name: 'elastic',
      label: `elastic net λ₁ = ${L1 / 2}, λ₂ = ${L2 / 2} on the dense kernels`,
      options: { penalty: [`l1=${L1 / 2}`, `l2=${L2 / 2}`] },
    },
  ],
  baseline: 'none',
  seeds: 3,
  report: {
    title: 'L1 vs L2: accuracy and weight sparsity of an MLP on 1000 MNIST digits',
    metric: 'accuracy',
    section: (input) => sparsitySection(input, 'none', [1e-3, 1e-2]),
  },
};

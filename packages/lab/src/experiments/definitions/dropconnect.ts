/**
 * `regulab run dropconnect` (issue 14, experiment 3): DropConnect against dropout at the same
 * rate. The mnist `mlp-dropconnect` (../model-specs.ts: 784 → 256 relu → 10, the hidden layer a
 * RegulabDropConnectDense followed by dropout) trained on a training slice small enough to
 * overfit, three times: without regularization; with dropout RATE on the hidden layer's output
 * (Srivastava et al., JMLR 2014); with DropConnect RATE on its kernel (Wan et al., ICML 2013; one
 * mask per batch). Every run logs the spread of its gradients across minibatches (`--probe
 * gradients`); the report's own section compares accuracy per epoch, the seconds per epoch and
 * the gradient noise (./erratic-training.ts): is DropConnect's training more erratic, and dearer?
 */
import { escapeHtml } from '../../report/html.js';
import type { ExperimentDefinition } from '../definition.js';
import { bestVersusRest } from './best-vs-rest.js';
import { erraticTrainingSection } from './erratic-training.js';

const RATE = 0.5;

export const dropconnect: ExperimentDefinition = {
  name: 'dropconnect',
  description:
    'mnist MLP on 1000 images: none vs dropout vs DropConnect at the same rate; accuracy, cost, gradient noise',
  task: 'mnist',
  presets: {
    /** As dropout-x-decay's default (1000 training images, 500 scored, ≤ 20 epochs, patience 5), with Adam. */
    default: {
      taskPreset: 'default',
      options: {
        model: 'mlp-dropconnect',
        probe: ['gradients'],
        hidden: 256,
        trainExamples: 1000,
        evalExamples: 500,
        batch: 32,
        epochs: 20,
        patience: 5,
      },
    },
    quick: { taskPreset: 'quick', options: { model: 'mlp-dropconnect', probe: ['gradients'] } },
  },
  variants: [
    { name: 'none', label: 'no regularization', options: {} },
    { name: 'dropout', label: `dropout ${RATE} on the hidden layer's output`, options: { dropout: RATE } },
    {
      name: 'dropconnect',
      label: `DropConnect ${RATE} on the hidden layer's kernel (one mask per batch)`,
      options: {},
      spec: { set: [`dense_0.rate=${RATE}`] },
    },
  ],
  baseline: 'none',
  seeds: 3,
  report: {
    title: 'DropConnect vs dropout: accuracy, cost and gradient noise of an MLP on 1000 MNIST digits',
    metric: 'accuracy',
    section: (input) => {
      const s = erraticTrainingSection(input);
      const best = bestVersusRest(input);
      return {
        ...s,
        html: best.map((b) => `<p>${escapeHtml(b)}</p>`).join('') + s.html,
        conclusions: [...best, ...(s.conclusions ?? [])],
      };
    },
  },
};

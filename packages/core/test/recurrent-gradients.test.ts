/**
 * Finite-difference gradient checks of rl.layers.lstm / gru with every option, with respect to
 * every trainable weight (kernel, recurrent_kernel, bias, norm gains) and the input.
 * Masks are held fixed between evaluations by rewinding the layer's seed stream.
 * Tolerance: atol 2e-3, rtol 2e-2 with eps 1e-3 in float32 (test/helpers.ts's default);
 * batch norm uses eps 1e-2 and atol 5e-3 since its batch statistics amplify rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, it } from 'vitest';
import * as rl from 'regulab';
import { checkGradient } from '../../../test/helpers.js';
import { checkWeightGradients, run, weightedSum } from './recurrent-helpers.js';

const B = 4;
const T = 3;
const D = 2;
const H = 2;

function check(
  layer: rl.layers.Lstm | rl.layers.Gru,
  training = true,
  tol?: { atol: number; rtol: number },
  eps?: number,
) {
  const x = tf.randomUniform([B, T, D], -1, 1, 'float32', 5);
  run(layer, x); // build
  const loss = (input: tf.Tensor = x) => {
    layer.seeds.restore(0); // the same masks at every evaluation
    return weightedSum(run(layer, input, training));
  };
  checkWeightGradients(layer, () => loss(), tol, eps);
  checkGradient((v) => loss(v), x, tol, eps, 'd loss / d x');
}

const lstmCases: [string, rl.layers.LstmArgs][] = [
  ['Gal input + recurrent dropout', { units: H, dropout: 0.3, recurrentDropout: 0.3 }],
  ["Semeniuta 'step'", { units: H, recurrentDropout: 0.4, recurrentDropoutMode: 'semeniuta' }],
  [
    "Semeniuta 'sequence'",
    { units: H, recurrentDropout: 0.4, recurrentDropoutMode: 'semeniuta', semeniutaMask: 'sequence' },
  ],
  ['zoneout (cell and hidden)', { units: H, zoneoutCell: 0.5, zoneoutHidden: 0.3 }],
  ['weight-drop', { units: H, weightDrop: 0.4 }],
  ["layer norm ('fused')", { units: H, normalization: 'layer' }],
  ["layer norm ('gate')", { units: H, normalization: 'layer', layerNormScope: 'gate' }],
  ['norm stabilizer (output path; the penalty has its own test)', { units: H, normStabilizer: 1 }],
  [
    'goBackwards + returnSequences + everything',
    {
      units: H,
      goBackwards: true,
      returnSequences: true,
      dropout: 0.2,
      recurrentDropout: 0.2,
      zoneoutCell: 0.3,
      zoneoutHidden: 0.3,
      weightDrop: 0.2,
    },
  ],
];

describe('LSTM gradients (training)', () => {
  for (const [what, args] of lstmCases) it(what, () => check(rl.layers.lstm({ seed: 3, ...args })));
  it('zoneout expectation at inference', () =>
    check(rl.layers.lstm({ units: H, zoneoutCell: 0.5, zoneoutHidden: 0.2, seed: 3 }), false));
  it('recurrent batch norm (training statistics)', () =>
    check(
      rl.layers.lstm({ units: H, normalization: 'batch', seed: 3 }),
      true,
      { atol: 5e-3, rtol: 3e-2 },
      1e-2,
    ));
  it('recurrent batch norm (inference, moving statistics)', () =>
    check(rl.layers.lstm({ units: H, normalization: 'batch', seed: 3 }), false));
});

describe('GRU gradients (training)', () => {
  const cases: [string, rl.layers.GruArgs][] = [
    ['reset-before, Gal dropout', { units: H, dropout: 0.3, recurrentDropout: 0.3 }],
    ['reset-after, Gal dropout', { units: H, resetAfter: true, dropout: 0.3, recurrentDropout: 0.3 }],
    ['Semeniuta', { units: H, recurrentDropout: 0.4, recurrentDropoutMode: 'semeniuta' }],
    ['zoneout', { units: H, zoneout: 0.4 }],
    ['weight-drop, reset-after', { units: H, weightDrop: 0.4, resetAfter: true }],
  ];
  for (const [what, args] of cases) it(what, () => check(rl.layers.gru({ seed: 3, ...args })));
  for (const resetAfter of [false, true]) {
    const variant = resetAfter ? 'reset-after' : 'reset-before';
    const gru = (args: Partial<rl.layers.GruArgs>) =>
      rl.layers.gru({ units: H, resetAfter, seed: 3, ...args });
    it(`layer norm ('fused'), ${variant}`, () => check(gru({ normalization: 'layer' })));
    it(`layer norm ('gate'), ${variant}`, () =>
      check(gru({ normalization: 'layer', layerNormScope: 'gate' })));
    it(`recurrent batch norm (training statistics), ${variant}`, () =>
      check(gru({ normalization: 'batch' }), true, { atol: 5e-3, rtol: 3e-2 }, 1e-2));
    it(`recurrent batch norm (inference, moving statistics), ${variant}`, () =>
      check(gru({ normalization: 'batch' }), false));
  }
  it('layer norm with Gal dropout and zoneout, reset-after', () =>
    check(
      rl.layers.gru({
        units: H,
        resetAfter: true,
        normalization: 'layer',
        dropout: 0.3,
        recurrentDropout: 0.3,
        zoneout: 0.3,
        seed: 3,
      }),
    ));
});

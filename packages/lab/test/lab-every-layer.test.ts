/**
 * Every option reaches the lab: each layer class that `regulab` registers with tf.serialization
 * (read from the registry, so a new layer is covered without editing this file) is put in a small
 * model spec, built by the lab's one builder (SpecModel), and trained one step. A layer this test
 * cannot configure fails with a message saying which option value to add to SAMPLE_VALUES. The tfjs
 * normalization and dropout layers that go between recurrent layers take the same path.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { layerClass, regulabLayerClassNames } from '../src/model/layer-classes.js';
import type { ModelSpec } from '../src/model/model-spec.js';
import { SpecModel } from '../src/model/spec-model.js';

/**
 * Small values for the options a layer needs, keyed by option name (not by class): a layer gets
 * those of them it knows. Rates and penalties are non-zero so that each regularizer acts.
 */
const SAMPLE_VALUES: Record<string, unknown> = {
  units: 3,
  rate: 0.25,
  inputDim: 5,
  outputDim: 4,
  ar: 0.5,
  tar: 0.5,
  returnSequences: true,
  dropout: 0.2,
  weightDrop: 0.2,
  normStabilizer: 0.1,
  blockSize: 2,
  datasetSize: 100,
};

/** Options whose layers add a term to the loss (AR/TAR, the norm stabilizer, concrete dropout). */
const PENALIZING = ['ar', 'tar', 'normStabilizer', 'datasetSize'];

/** Inputs tried in order: a sequence [T=3, D=4], then an image [H=4, W=4, C=2] for 2-D layers. */
const INPUTS: number[][] = [
  [3, 4],
  [4, 4, 2],
];

/** The sample options `className` knows (asked of the layer: unknown ones are dropped). */
function sampleConfig(className: string): Record<string, unknown> {
  const cls = layerClass(className)!;
  let config = { ...SAMPLE_VALUES };
  for (;;) {
    try {
      const known = new Set(Object.keys(new cls({ ...config }).getConfig()));
      return Object.fromEntries(Object.entries(config).filter(([k]) => known.has(k)));
    } catch (e) {
      // "unknown option 'a'" or "unknown options 'a', 'b'; known options: …"
      const list = /unknown options? ((?:'[^']+'(?:, )?)+)/.exec((e as Error).message)?.[1];
      const unknown = [...(list ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]!);
      if (unknown.length === 0 || !unknown.every((k) => k in config)) {
        throw new Error(
          `${className}: cannot be built from SAMPLE_VALUES (${(e as Error).message}); add the value it needs`,
        );
      }
      config = Object.fromEntries(Object.entries(config).filter(([k]) => !unknown.includes(k)));
    }
  }
}

/** The model of `spec` on the first of INPUTS its first layer accepts (token ids for an embedding). */
function buildFirstFitting(spec: ModelSpec, takesIds: boolean): { model: SpecModel; shape: number[] } {
  if (takesIds)
    return { model: new SpecModel(spec, { seed: 3, input: { shape: [3], dtype: 'int32' } }), shape: [3] };
  const errors: string[] = [];
  for (const shape of INPUTS) {
    try {
      return { model: new SpecModel(spec, { seed: 3, input: { shape, dtype: 'float32' } }), shape };
    } catch (e) {
      errors.push(`[${shape.join(', ')}]: ${(e as Error).message}`);
    }
  }
  throw new Error(`no input in INPUTS fits ${spec.layers[0]!.className}: ${errors.join('; ')}`);
}

describe('every layer class regulab registers reaches the lab through a spec', () => {
  const names = regulabLayerClassNames();

  it('finds the registered classes in the registry', () => {
    // The recurrent layers, the dropout family and AR/TAR at least; the full list is the registry's.
    for (const name of ['RegulabLSTM', 'RegulabGRU', 'RegulabDropout', 'RegulabActivityRegularization']) {
      expect(names).toContain(name);
    }
  });

  // tfjs layers that models put between recurrent layers go through the same builder.
  const between = ['LayerNormalization', 'BatchNormalization', 'Dropout'];

  it.each([...names, ...between])('%s: builds from a JSON spec and trains one step', (className) => {
    const config = sampleConfig(className);
    const takesIds = 'outputDim' in config; // an embedding: token ids in
    const spec: ModelSpec = JSON.parse(
      JSON.stringify({
        layers: [
          { className, config },
          { className: 'Dense', config: { units: 2 } },
        ],
      }),
    );
    const { model, shape } = buildFirstFitting(spec, takesIds);
    const x = takesIds
      ? tf.tensor2d([1, 2, 4, 0, 3, 1], [2, 3], 'int32') // [B=2, T=3]
      : tf.randomNormal([2, ...shape], 0, 1, 'float32', 5); // [B=2, T=3, D=4] or [B=2, H, W, C]
    const before = model.layers[0]!.getWeights().map((w) => w.dataSync().slice());
    const variables = model.layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
    let penalized = false;
    const { value, grads } = tf.variableGrads(() => {
      const y = model.forward(x, undefined, true).output; // [2, 3, 2] or [2, 2]
      const loss = tf.mean(tf.square(tf.sub(y, 1))) as tf.Scalar;
      const penalty = model.regularizationLoss();
      penalized = penalty !== null;
      return penalty ? tf.add(loss, penalty) : loss;
    }, variables);
    expect(Number.isFinite(value.dataSync()[0]), 'loss').toBe(true);
    // A layer with a loss term (AR/TAR, the norm stabilizer) hands it to the model's loss.
    expect(penalized, 'penalty reached the loss').toBe(PENALIZING.some((k) => k in config));
    for (const [name, g] of Object.entries(grads)) {
      expect(tf.all(tf.isFinite(g)).dataSync()[0], `gradient of ${name}`).toBe(1);
    }
    tf.train.sgd(0.1).applyGradients(grads);
    const after = model.layers[0]!.getWeights().map((w) => w.dataSync());
    // Each trainable weight of the layer under test moved; a weightless layer has nothing to move.
    model.layers[0]!.getWeights().forEach((w, i) => {
      if (!model.layers[0]!.trainableWeights.some((t) => t.name === model.layers[0]!.weights[i]!.name))
        return;
      expect(
        after[i]!.some((v, j) => v !== before[i]![j]),
        `${className} weight ${i} ${w.shape} changed`,
      ).toBe(true);
    });
    tf.dispose([x, value, ...Object.values(grads)]);
  });
});

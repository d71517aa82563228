/** The layers of a model, for the rl.inference functions that inspect or instrument them. */
import * as tf from '@tensorflow/tfjs';

/** Every layer of the model, nested models and wrapped layers (timeDistributed, bidirectional) included. */
export function allLayers(root: { readonly layers: readonly tf.layers.Layer[] }): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const visit = (layer: tf.layers.Layer): void => {
    out.push(layer);
    const l = layer as unknown as Record<string, unknown>;
    const children = [
      ...(Array.isArray(l['layers']) ? (l['layers'] as tf.layers.Layer[]) : []),
      l['layer'],
      l['forwardLayer'],
      l['backwardLayer'],
    ];
    for (const child of children) if (child instanceof tf.layers.Layer) visit(child);
  };
  for (const layer of root.layers) visit(layer);
  return out;
}

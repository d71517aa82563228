/**
 * The layer classes a spec may name: every class registered with `tf.serialization` that is a
 * `tf.layers.Layer` — tfjs's built-in layers and the ones `regulab` registers on import (their
 * class names start with `Regulab`). Read from the registry, so a layer added to regulab is
 * reachable from a spec with no edit here.
 */
import * as tf from '@tensorflow/tfjs';
import 'regulab'; // registers Regulab's classes

export type LayerClass = new (config: Record<string, unknown>) => tf.layers.Layer;

/** Registered classes that are layers but not models or containers a spec cannot hold. */
const NOT_A_LAYER = new Set(['InputLayer', 'Model', 'Functional', 'Sequential']);

function registry(): Record<string, [unknown, unknown]> {
  return tf.serialization.SerializationMap.getMap().classNameMap as Record<string, [unknown, unknown]>;
}

/** Every layer class name in the registry, sorted. */
export function layerClassNames(): string[] {
  return Object.entries(registry())
    .filter(([name, [cls]]) => !NOT_A_LAYER.has(name) && isLayerClass(cls))
    .map(([name]) => name)
    .sort();
}

/** The layer classes `regulab` registers (class names `Regulab…`), sorted. */
export function regulabLayerClassNames(): string[] {
  return layerClassNames().filter((name) => name.startsWith('Regulab'));
}

/** The class registered as `className`, or undefined when it is not a layer class. */
export function layerClass(className: string): LayerClass | undefined {
  const entry = Object.hasOwn(registry(), className) ? registry()[className] : undefined;
  if (entry === undefined || NOT_A_LAYER.has(className) || !isLayerClass(entry[0])) return undefined;
  return entry[0] as LayerClass;
}

function isLayerClass(cls: unknown): boolean {
  return typeof cls === 'function' && cls.prototype instanceof tf.layers.Layer;
}

/** An initializer class registered as `className` (for seeding), or undefined. */
export function registeredClass(
  className: string,
): (new (config: object) => tf.serialization.Serializable) | undefined {
  const entry = Object.hasOwn(registry(), className) ? registry()[className] : undefined;
  return entry?.[0] as (new (config: object) => tf.serialization.Serializable) | undefined;
}

/**
 * A recurrent layer: its config has `returnState`. The lab builds it with `returnState: true` and
 * threads its state ([h, c] for an LSTM, [h] for a GRU) through `SpecModel.forward`.
 */
export function isRecurrent(layer: tf.layers.Layer): boolean {
  return 'returnState' in layer.getConfig();
}

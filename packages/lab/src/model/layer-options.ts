/**
 * Which options a layer of a spec knows, asked of the layer itself (./check-spec.ts builds it and
 * reads its config); the edits of ./spec-edits.ts use it to touch only the layers an option applies to.
 */
import type * as tf from '@tensorflow/tfjs';
import { instantiateLayer, knownOptions } from './check-spec.js';
import { isRecurrent } from './layer-classes.js';
import type { ModelSpec } from './model-spec.js';
import { CHECK_VALUES, fillTaskValues } from './task-values.js';

/** Layer `index` of `spec`, constructed (placeholders stand for CHECK_VALUES). */
export function probeLayer(spec: ModelSpec, index: number): tf.layers.Layer {
  return instantiateLayer(fillTaskValues(spec, CHECK_VALUES), index);
}

/** The options layer `index` knows. */
export function optionsOfLayer(spec: ModelSpec, index: number): Set<string> {
  return knownOptions(probeLayer(spec, index));
}

/** The options a layer of class `className` knows when built from `config`. */
export function optionsOfClass(className: string, config: Record<string, unknown>): Set<string> {
  return optionsOfLayer({ layers: [{ className, config }] }, 0);
}

/** Whether layer `index` is recurrent (has state to thread). */
export function isRecurrentLayer(spec: ModelSpec, index: number): boolean {
  return isRecurrent(probeLayer(spec, index));
}

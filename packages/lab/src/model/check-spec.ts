/**
 * Checks every layer of a model spec before any training: the class must be a registered layer
 * class, every option one the layer knows, every value one it accepts. Errors are ConfigError
 * (exit 2) naming the layer's index, class and the option, e.g.
 *
 *     model spec layers[1] (RegulabLSTM 'lstm_0'): unknown option 'zonoutCell'; known: activation, …
 *
 * The known options come from the layer itself, not from a copy kept here: an option is known when
 * the layer reports it in `getConfig()` (tfjs and Regulab layers report every option they take),
 * plus tfjs's input-shape arguments, which `getConfig` folds into `batchInputShape`. A value the
 * layer silently changes (tfjs clamps a Dropout rate of 1.5 to 1) is reported as a bad value.
 */
import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { layerClass, layerClassNames } from './layer-classes.js';
import { layerLabel, type ModelSpec } from './model-spec.js';

/** tfjs LayerArgs that a layer accepts but `getConfig` does not report under their own name. */
const INPUT_SHAPE_ARGS = ['inputShape', 'batchInputShape', 'batchSize', 'inputDim', 'dtype', 'weights'];

/** Constructs layer `index` of `spec` from `config` (default: its own), or throws a ConfigError. */
export function instantiateLayer(
  spec: ModelSpec,
  index: number,
  config: Record<string, unknown> = spec.layers[index]!.config,
): tf.layers.Layer {
  const { className } = spec.layers[index]!;
  const where = `model spec ${layerLabel(spec, index)}`;
  const cls = layerClass(className);
  if (cls === undefined) {
    const known = layerClassNames();
    const near = known.find((k) => k.toLowerCase() === className.toLowerCase());
    throw new ConfigError(
      `model spec layers[${index}]: unknown layer class '${className}'${near ? ` (did you mean '${near}'?)` : ''}; known: ${known.join(', ')}`,
    );
  }
  // A Regulab recurrent layer rejects an unknown option itself; take such options out one by one
  // so that the layer can still be built and report the options it knows.
  const unknown: string[] = [];
  let rest = { ...config };
  for (;;) {
    try {
      const layer = new cls(structuredClone(rest)); // tfjs writes into the configs it is given
      unknown.push(...Object.keys(rest).filter((k) => !knownOptions(layer).has(k)));
      if (unknown.length > 0) {
        const list = [...knownOptions(layer)].sort().join(', ');
        throw new ConfigError(`${where}: unknown option '${unknown[0]}'; known: ${list}`);
      }
      checkValuesKept(where, config, layer);
      return layer;
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      const message = e instanceof Error ? e.message : String(e);
      const named = /unknown option '([^']+)'/.exec(message);
      if (named && Object.hasOwn(rest, named[1]!)) {
        unknown.push(named[1]!);
        const { [named[1]!]: _dropped, ...others } = rest;
        rest = others;
        continue;
      }
      throw new ConfigError(`${where}: ${message.replace(/^rl\.[\w.]+: /, '')}`);
    }
  }
}

/** Checks the outer shape's content: every layer constructs from its config. */
export function checkModelSpec(spec: ModelSpec): void {
  spec.layers.forEach((_, i) => instantiateLayer(spec, i));
}

/** The options `layer` knows: the keys of its config, plus tfjs's input-shape arguments. */
export function knownOptions(layer: tf.layers.Layer): Set<string> {
  return new Set([...Object.keys(layer.getConfig()), ...INPUT_SHAPE_ARGS]);
}

/** A number, string or boolean the layer reports differently from the one it was given. */
function checkValuesKept(where: string, given: Record<string, unknown>, layer: tf.layers.Layer): void {
  const reported = layer.getConfig() as Record<string, unknown>;
  for (const [key, value] of Object.entries(given)) {
    if (!Object.hasOwn(reported, key)) continue;
    const kept = reported[key];
    const primitive = (v: unknown) => ['number', 'string', 'boolean'].includes(typeof v);
    if (primitive(value) && primitive(kept) && value !== kept) {
      throw new ConfigError(
        `${where}: option '${key}': bad value ${JSON.stringify(value)} (the layer would use ${JSON.stringify(kept)})`,
      );
    }
  }
}

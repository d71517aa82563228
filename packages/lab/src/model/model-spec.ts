/**
 * A model spec: the JSON description of a model the lab builds, as an ordered list of layers.
 *
 *     { "layers": [ { "className": "Embedding", "config": { "inputDim": 58, "outputDim": 64 } },
 *                   { "className": "RegulabLSTM", "config": { "units": 256, "zoneoutCell": 0.5 } },
 *                   { "className": "Dense", "config": { "units": 58 } } ] }
 *
 * `className` is a layer class registered with `tf.serialization` (tfjs's own, e.g. `Dense`,
 * `Conv2D`, `Flatten`, or one that `regulab` registers, e.g. `RegulabLSTM`, `RegulabGRU`,
 * `RegulabLockedDropout`), and `config` is that layer's options in the shape `layer.getConfig()`
 * returns, so a spec can be written by hand or copied from a built layer. What a Sequential
 * model's `model.toJSON()` writes (or a saved model.json) is taken too (./keras-json.ts). The outer
 * shape is checked here; each layer's class and options are checked by ./check-spec.ts.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { isKerasJson, layersFromKerasJson } from './keras-json.js';

/** One layer: a registered class name and its constructor options. */
export interface LayerSpec {
  className: string;
  config: Record<string, unknown>;
}

export interface ModelSpec {
  layers: LayerSpec[];
}

const layerSchema = z
  .object({ className: z.string().min(1), config: z.record(z.string(), z.unknown()) })
  .strict();

/** The zod schema of a spec's outer shape (a non-empty list of {className, config}). */
export const modelSpecSchema = z.object({ layers: z.array(layerSchema).min(1) }).strict();

/**
 * Checks the outer shape of a spec (from a file or a config.json) and returns a deep copy.
 * `where` names its origin in errors, e.g. "--model net.json".
 */
export function parseModelSpec(raw: unknown, where = 'model spec'): ModelSpec {
  if (isKerasJson(raw)) raw = { layers: layersFromKerasJson(raw, where) }; // what model.toJSON() writes
  const result = modelSpecSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
    throw new ConfigError(
      `${where}: ${path ? `${path.replace(/^\./, '')}: ` : ''}${issue.message} (a spec is { "layers": [{ "className": ..., "config": {...} }, ...] })`,
    );
  }
  return structuredClone(result.data) as ModelSpec;
}

/** `layers[2] (RegulabLSTM 'lstm_1')`: how errors name a layer of a spec. */
export function layerLabel(spec: ModelSpec, index: number): string {
  const layer = spec.layers[index]!;
  const name = typeof layer.config.name === 'string' ? ` '${layer.config.name}'` : '';
  return `layers[${index}] (${layer.className}${name})`;
}

/** The spec with every unnamed layer named `<class>_<index>` (e.g. `dense_3`, `lstm_1`: no `Regulab`). */
export function namedSpec(spec: ModelSpec): ModelSpec {
  return {
    layers: spec.layers.map((l, i) =>
      typeof l.config.name === 'string'
        ? l
        : { className: l.className, config: { ...l.config, name: `${snakeCase(l.className)}_${i}` } },
    ),
  };
}

function snakeCase(className: string): string {
  return className
    .replace(/^Regulab/, '')
    .replace(/([a-z])([A-Z0-9])/g, '$1_$2')
    .toLowerCase();
}

/**
 * A model spec from what `model.toJSON()` writes (and a saved model.json's `modelTopology`): the
 * Keras form, `{ class_name: 'Sequential', config: { layers: [{ class_name, config }] } }`, with
 * snake_case keys and values.
 *
 * tfjs turns it back into its own form with `convertPythonicToTs` (tfjs-layers
 * utils/serialization_utils.js), which it does not export: keys and string values go from
 * snake_case to camelCase (`recurrent_dropout_mode` → `recurrentDropoutMode`, `channels_last` →
 * `channelsLast`), except the value of a `name`. The same rule is applied here, so the result is
 * what each layer's `getConfig()` returns and what `tf.models.modelFromJSON` would build.
 */
import { ConfigError } from '../errors.js';
import type { LayerSpec } from './model-spec.js';

/** tfjs's `toCamelCase`: `a_b_c` → `aBC`; strings without `_` are unchanged. */
function camel(identifier: string): string {
  if (identifier.length <= 1 || !identifier.includes('_')) return identifier;
  return identifier.replace(/_+(\w|$)/g, (_m, c: string) => c.toUpperCase());
}

/** tfjs's `convertPythonicToTs` for layer configs. */
function pythonicToTs(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? camel(value) : value;
  if (Array.isArray(value)) return value.map(pythonicToTs);
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) =>
      k === 'name' && typeof v === 'string' ? [k, v] : [camel(k), pythonicToTs(v)],
    ),
  );
}

/** True when `raw` has the shape `model.toJSON()` writes or a model.json holds. */
export function isKerasJson(raw: unknown): boolean {
  if (raw === null || typeof raw !== 'object') return false;
  const r = raw as Record<string, unknown>;
  return 'modelTopology' in r || ('class_name' in r && 'config' in r);
}

/** The layers of a Sequential model in Keras form, as spec layers; `where` names the origin in errors. */
export function layersFromKerasJson(raw: unknown, where: string): LayerSpec[] {
  const topology = (raw as { modelTopology?: unknown }).modelTopology ?? raw;
  const model = (topology as { model_config?: unknown }).model_config ?? topology; // a Keras HDF5-style wrapper
  const { class_name: className, config } = model as { class_name?: unknown; config?: unknown };
  if (className !== 'Sequential') {
    throw new ConfigError(
      `${where}: a model.toJSON() spec must be of a Sequential model, got class_name ${JSON.stringify(className)} (a functional model's graph is not a layer list)`,
    );
  }
  const layers = (config as { layers?: unknown } | null)?.layers;
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new ConfigError(`${where}: config.layers must be a non-empty list of { class_name, config }`);
  }
  return layers.map((layer, i) => {
    const l = layer as { class_name?: unknown; config?: unknown };
    if (typeof l.class_name !== 'string' || l.config === null || typeof l.config !== 'object') {
      throw new ConfigError(`${where}: config.layers[${i}] must be { class_name, config }`);
    }
    return { className: l.class_name, config: pythonicToTs(l.config) as Record<string, unknown> };
  });
}

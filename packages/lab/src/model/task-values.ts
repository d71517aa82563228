/**
 * Values a spec cannot know before the data is loaded, written as placeholders: `"$vocab"` (the
 * language model's vocabulary size), `"$classes"` (the classifier's number of classes) and
 * `"$examples"` (the classifier's number of training examples, the N of concrete dropout's
 * `datasetSize`). The
 * task fills them in once it has its data; before that, the spec is checked with each placeholder
 * standing for 2.
 *
 *     { "className": "Dense", "config": { "units": "$vocab" } }
 */
import { ConfigError } from '../errors.js';
import { layerLabel, type ModelSpec } from './model-spec.js';

export const TASK_VALUES = ['vocab', 'classes', 'examples'] as const;
export type TaskValues = Partial<Record<(typeof TASK_VALUES)[number], number>>;

/** The value the spec is checked with before the data is loaded. */
export const CHECK_VALUES: TaskValues = { vocab: 2, classes: 2, examples: 2 };

/** `spec` with every `"$name"` config value replaced by `values[name]`. */
export function fillTaskValues(spec: ModelSpec, values: TaskValues): ModelSpec {
  return {
    layers: spec.layers.map((layer, i) => ({
      className: layer.className,
      config: Object.fromEntries(
        Object.entries(layer.config).map(([key, v]) => {
          if (typeof v !== 'string' || !v.startsWith('$')) return [key, v];
          const name = v.slice(1) as keyof TaskValues;
          const value = (TASK_VALUES as readonly string[]).includes(name) ? values[name] : undefined;
          if (value === undefined) {
            const known = TASK_VALUES.filter((k) => values[k] !== undefined).map((k) => `$${k}`);
            throw new ConfigError(
              `model spec ${layerLabel(spec, i)}: option '${key}': unknown placeholder '${v}' for this task (known: ${known.join(', ') || 'none'})`,
            );
          }
          return [key, value];
        }),
      ),
    })),
  };
}

/**
 * Seeds of a spec's layers: one run seed makes the initial weights and every mask reproducible,
 * without writing seeds into the spec (so `--seed` alone changes them).
 *
 * With M = SeedStream(runSeed).fork('model'), the layers are visited in order and each takes
 *
 * - if it has a `seed` option (Regulab's stochastic and recurrent layers): its own stream
 *   S = SeedStream(M.fork(name).next()), so adding a layer does not move another's seeds;
 * - otherwise: M itself.
 *
 * From that stream, in the order its `getConfig()` lists them, every initializer given as an
 * object ({className, config}) whose seed is empty takes `next()`; then the layer's own empty
 * `seed` takes `next()`. Initializers given by name (`'glorotUniform'`) to a Regulab layer are
 * seeded by that layer from its seed. Seeds already in the spec are kept.
 *
 * This is the order the lab's models used before specs (embedding initializer M₁, LSTM l:
 * orthogonal recurrent initializer then layer seed from its stream, softmax kernel M₂), so their
 * default specs reproduce those models' numbers exactly.
 */
import type * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { registeredClass } from './layer-classes.js';

interface SerializedObject {
  className: string;
  config: Record<string, unknown>;
}

function isSerialized(v: unknown): v is SerializedObject {
  return typeof v === 'object' && v !== null && typeof (v as SerializedObject).className === 'string';
}

/** True when `v` is an initializer whose class has a seed and none is set. */
function unseededInitializer(v: unknown): v is SerializedObject {
  if (!isSerialized(v) || (v.config?.seed ?? null) !== null) return false;
  const cls = registeredClass(v.className);
  if (cls === undefined) return false;
  const probe = new cls(v.config ?? {}) as unknown as { getConfig(): Record<string, unknown> };
  return 'seed' in probe.getConfig();
}

/**
 * The configs of `layers` (already constructed once from `configs`, for their getConfig) with
 * seeds drawn as described above.
 */
export function seedConfigs(
  configs: readonly Record<string, unknown>[],
  layers: readonly tf.layers.Layer[],
  runSeed: number,
): Record<string, unknown>[] {
  const model = new rl.SeedStream(runSeed).fork('model');
  return configs.map((given, i) => {
    const reported = layers[i]!.getConfig() as Record<string, unknown>;
    const takesSeed = 'seed' in reported;
    const stream = takesSeed ? new rl.SeedStream(model.fork(layers[i]!.name).next()) : model;
    const out: Record<string, unknown> = { ...given };
    for (const [key, value] of Object.entries(reported)) {
      if (unseededInitializer(value)) {
        out[key] = { className: value.className, config: { ...value.config, seed: stream.next() } };
      }
    }
    if (takesSeed && (given.seed ?? null) === null) out.seed = stream.next();
    return out;
  });
}

/**
 * Initializers named in a layer's options: a tfjs identifier string ('glorotUniform',
 * 'orthogonal', …), an Initializer instance, or its serialized form ({className, config}).
 * Serialization keeps instances as {className, config}, which tfjs registers for every built-in.
 */
import * as tf from '@tensorflow/tfjs';
import { RegulabConfigError } from '../../util/validate.js';
import { Orthogonal } from '../../initializers/orthogonal.js';

export type Initializer = ReturnType<typeof tf.initializers.zeros>;
export interface SerializedInitializer {
  className: string;
  config: tf.serialization.ConfigDict;
}
export type InitializerSpec = string | Initializer | SerializedInitializer;

type SeededFactory = (args: { seed?: number }) => Initializer;
const NAMED: Record<string, SeededFactory> = {
  glorotUniform: (a) => tf.initializers.glorotUniform(a),
  glorotNormal: (a) => tf.initializers.glorotNormal(a),
  heUniform: (a) => tf.initializers.heUniform(a),
  heNormal: (a) => tf.initializers.heNormal(a),
  leCunUniform: (a) => tf.initializers.leCunUniform(a),
  leCunNormal: (a) => tf.initializers.leCunNormal(a),
  // Same distribution as tf.initializers.orthogonal, milliseconds instead of minutes for 256 units.
  orthogonal: (a) => new Orthogonal({ gain: 1, ...a }) as unknown as Initializer,
  zeros: () => tf.initializers.zeros(),
  ones: () => tf.initializers.ones(),
};

/** Builds the initializer an option names; `seed` seeds the named random ones. */
export function resolveInitializer(
  owner: string,
  option: string,
  spec: InitializerSpec,
  seed?: number,
): Initializer {
  if (typeof spec === 'string') {
    const factory = NAMED[spec];
    if (factory === undefined) {
      throw new RegulabConfigError(
        `${owner}: option '${option}' must be one of ${Object.keys(NAMED).join(', ')} or an Initializer, got '${spec}'`,
      );
    }
    return factory(seed === undefined ? {} : { seed });
  }
  if (spec instanceof tf.serialization.Serializable) return spec as Initializer;
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[spec.className];
  if (entry === undefined) {
    throw new RegulabConfigError(
      `${owner}: option '${option}': unknown initializer class '${spec.className}'`,
    );
  }
  const [cls, fromConfig] = entry;
  return fromConfig(cls, spec.config) as Initializer;
}

/** The JSON form of an initializer option (strings stay strings). */
export function serializeInitializer(spec: InitializerSpec): string | SerializedInitializer {
  if (typeof spec === 'string') return spec;
  if (spec instanceof tf.serialization.Serializable) {
    return { className: spec.getClassName(), config: spec.getConfig() };
  }
  return spec;
}

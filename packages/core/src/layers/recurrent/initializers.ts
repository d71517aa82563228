/**
 * Initializers named in a recurrent layer's options: anything tfjs's `getInitializer` resolves (a
 * name such as 'glorotUniform', 'randomNormal', 'varianceScaling', 'identity', an Initializer
 * instance, or its serialized {className, config}), resolved by tfjs itself (../tfjs-identifiers.ts).
 *
 * Two Regulab rules on top: the name 'orthogonal' builds Regulab's Orthogonal (the same
 * distribution as tfjs's, milliseconds instead of minutes for 256 units), and a seeded layer seeds
 * every initializer it builds from a name (when that initializer has a seed) with its own offset of
 * the layer seed. Instances and {className, config} are used as given. Serialization keeps names as
 * names and instances as {className, config}, which tfjs registers for every built-in.
 */
import * as tf from '@tensorflow/tfjs';
import { Orthogonal } from '../../initializers/orthogonal.js';
import {
  type Initializer,
  type SerializedIdentifier,
  serializeIdentifier,
  tfjsInitializer,
} from '../tfjs-identifiers.js';

export type { Initializer };
export type InitializerSpec = string | Initializer | SerializedIdentifier;

/** Builds the initializer an option names; `seed` seeds one built from a name. */
export function resolveInitializer(
  owner: string,
  option: string,
  spec: InitializerSpec,
  seed?: number,
): Initializer {
  if (spec === 'orthogonal') {
    return new Orthogonal(seed === undefined ? {} : { seed }) as unknown as Initializer;
  }
  const init = tfjsInitializer(owner, option, spec);
  if (typeof spec !== 'string' || seed === undefined) return init;
  const config = init.getConfig();
  if (!('seed' in config)) return init; // deterministic (zeros, ones, identity, …)
  const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap[init.getClassName()]!;
  return fromConfig(cls, { ...config, seed }) as Initializer;
}

/** The JSON form of an initializer option: names stay names, instances become {className, config}. */
export function serializeInitializer(spec: string | Initializer): string | SerializedIdentifier {
  return typeof spec === 'string' ? spec : serializeIdentifier(spec)!;
}

/**
 * TensorFlow.js's own resolution of the identifiers a layer option may hold: an initializer,
 * regularizer or constraint given as a name ('varianceScaling', 'l1l2', 'maxNorm', …), an instance,
 * or its serialized form ({className, config}).
 *
 * tfjs keeps `getInitializer` / `getRegularizer` / `getConstraint` internal, and importing them from
 * tfjs-layers' own files would load a second copy of its classes. Its `Dense` constructor calls
 * exactly these three functions on `kernelInitializer`, `kernelRegularizer` and `kernelConstraint`
 * (and builds no weight), so a Dense constructed with the identifier and read back resolves it as
 * any tfjs layer would: whatever name tfjs accepts is accepted, with tfjs's defaults (e.g. 'l1l2'
 * is L1L2 with l1 = l2 = 0.01), and whatever it refuses is refused with its reason. Instances (any
 * Serializable with `apply`, e.g. rl.initializers.orthogonal) are used as given.
 */
import * as tf from '@tensorflow/tfjs';
import type { Constraint } from '../constraints/norm-constraints.js';
import type { Regularizer } from '../regularizers/weight-penalties.js';
import { RegulabConfigError } from '../util/validate.js';
import { TfjsDense } from './tfjs-bases.js';

export type { Constraint, Regularizer };
/** tfjs's initializer base class (not exported under a type name by @tensorflow/tfjs). */
export type Initializer = ReturnType<typeof tf.initializers.zeros>;

/** The serialized form tfjs writes for each of them (`serializeKerasObject`). */
export interface SerializedIdentifier {
  className: string;
  config: tf.serialization.ConfigDict;
}

/** The three fields tfjs's Dense resolves in its constructor (private in tfjs's types). */
interface ResolvedDenseFields {
  kernelInitializer: Initializer;
  kernelRegularizer: Regularizer | null | undefined;
  kernelConstraint: Constraint | null | undefined;
}

type Kind = 'initializer' | 'regularizer' | 'constraint';
const DENSE_OPTION: Record<Kind, keyof ResolvedDenseFields> = {
  initializer: 'kernelInitializer',
  regularizer: 'kernelRegularizer',
  constraint: 'kernelConstraint',
};
const EXAMPLES: Record<Kind, string> = {
  initializer: "a tfjs initializer name ('glorotUniform', 'randomNormal', 'varianceScaling', …)",
  regularizer: "'l1l2', an rl.regularizers / tf.regularizers instance",
  constraint: "'maxNorm', 'unitNorm', 'minMaxNorm', 'nonNeg', an rl.constraints / tf.constraints instance",
};

function resolve<T>(kind: Kind, owner: string, option: string, spec: unknown): T {
  // Instances are used as given, as tfjs does with its own classes; this also admits those that
  // are not tfjs subclasses (rl.initializers.orthogonal, custom ones), which tfjs's instanceof
  // check would send to its deserializer.
  if (
    spec instanceof tf.serialization.Serializable &&
    typeof (spec as { apply?: unknown }).apply === 'function'
  ) {
    return spec as T;
  }
  const field = DENSE_OPTION[kind];
  let resolved: unknown;
  try {
    const probe = new TfjsDense({ units: 1, name: 'regulab_identifier_probe', [field]: spec });
    resolved = (probe as unknown as ResolvedDenseFields)[field];
  } catch (e) {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be ${EXAMPLES[kind]} or its {className, config}, got ${describe(spec)} (tfjs: ${(e as Error).message.split('\n')[0]})`,
    );
  }
  if (resolved == null || typeof (resolved as { apply?: unknown }).apply !== 'function') {
    throw new RegulabConfigError(
      `${owner}: option '${option}' must be ${EXAMPLES[kind]} or its {className, config}, got ${describe(spec)}`,
    );
  }
  return resolved as T;
}

/** The initializer `spec` names, as tfjs's `getInitializer` builds it. */
export function tfjsInitializer(owner: string, option: string, spec: unknown): Initializer {
  return resolve<Initializer>('initializer', owner, option, spec);
}

/** The regularizer `spec` names (null for null/undefined: no penalty), as tfjs's `getRegularizer`. */
export function tfjsRegularizer(owner: string, option: string, spec: unknown): Regularizer | null {
  return spec == null ? null : resolve<Regularizer>('regularizer', owner, option, spec);
}

/** The constraint `spec` names (null for null/undefined: none), as tfjs's `getConstraint`. */
export function tfjsConstraint(owner: string, option: string, spec: unknown): Constraint | null {
  return spec == null ? null : resolve<Constraint>('constraint', owner, option, spec);
}

/** tfjs's `serializeKerasObject`: {className, config}, or null for none. */
export function serializeIdentifier(
  instance: tf.serialization.Serializable | null,
): SerializedIdentifier | null {
  return instance == null ? null : { className: instance.getClassName(), config: instance.getConfig() };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value !== null && typeof value === 'object') {
    const className = (value as { className?: unknown }).className;
    if (className !== undefined) return `{className: ${JSON.stringify(className)}, …}`;
    return `an object of class ${value.constructor?.name ?? 'Object'}`;
  }
  return String(value);
}

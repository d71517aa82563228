/**
 * Gradient clipping for any `tf.Optimizer` (RMSProp, Adam, SGD…): a wrapper that clips the gradients
 * and hands them to the wrapped optimizer. tfjs's optimizers have no clipping option.
 */
import * as tf from '@tensorflow/tfjs';
import { RegulabConfigError } from '../util/validate.js';
import type { NamedTensor } from './decoupled-weight-decay.js';
import { type ClipOptions, checkClipOptions, clipGradients } from './gradient-clipping.js';

/**
 * An optimizer whose `applyGradients` first clips the gradients, then calls the wrapped optimizer:
 *
 *     g ← clip(g, −value, value)                       (element-wise, if `value`)
 *     g ← g · globalNorm / max(‖g‖_global, globalNorm)  (all gradients together, if `globalNorm`)
 *
 * Step count, state (`getWeights`/`setWeights`) and `dispose` are the wrapped optimizer's. Serializes
 * as `RegulabClippedOptimizer` with the wrapped optimizer's `{className, config}` inside (the wrapped
 * class must be registered, as all of tfjs's are).
 */
export class ClippedOptimizer extends tf.Optimizer {
  static readonly className = 'RegulabClippedOptimizer';
  readonly optimizer: tf.Optimizer;
  readonly globalNorm: number | undefined;
  readonly value: number | undefined;

  constructor(optimizer: tf.Optimizer, options: ClipOptions) {
    super();
    if (!(optimizer instanceof tf.Optimizer)) {
      throw new RegulabConfigError(
        `rl.optimizers.clipped: first argument must be a tf.Optimizer, got ${String(optimizer)}`,
      );
    }
    if (options == null || typeof options !== 'object') {
      throw new RegulabConfigError(
        `rl.optimizers.clipped: expected an options object, got ${String(options)}`,
      );
    }
    checkClipOptions('rl.optimizers.clipped', options as Record<string, unknown>, ['globalNorm', 'value']);
    if (options.globalNorm == null && options.value == null) {
      throw new RegulabConfigError(`rl.optimizers.clipped: set at least one of 'globalNorm' and 'value'`);
    }
    this.optimizer = optimizer;
    this.globalNorm = options.globalNorm;
    this.value = options.value;
  }

  override get iterations(): number {
    return this.optimizer.iterations;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const isList = Array.isArray(variableGradients);
    const entries: [string, tf.Tensor | undefined][] = isList
      ? variableGradients.map(({ name, tensor }) => [name, tensor])
      : Object.entries(variableGradients);
    const clipped = clipGradients(
      entries.map(([, g]) => g),
      { globalNorm: this.globalNorm, value: this.value },
    );
    try {
      if (isList) {
        this.optimizer.applyGradients(
          entries.map(([name], i) => ({ name, tensor: clipped[i] })) as Parameters<
            tf.Optimizer['applyGradients']
          >[0],
        );
      } else {
        const map: tf.NamedTensorMap = {};
        entries.forEach(([name], i) => {
          if (clipped[i] != null) map[name] = clipped[i]!;
        });
        this.optimizer.applyGradients(map);
      }
    } finally {
      tf.dispose(clipped.filter((g): g is tf.Tensor => g != null));
    }
  }

  override async getWeights(): Promise<NamedTensor[]> {
    return this.optimizer.getWeights();
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    return this.optimizer.setWeights(weightValues);
  }

  override dispose(): void {
    this.optimizer.dispose();
  }

  getConfig(): tf.serialization.ConfigDict {
    const config: tf.serialization.ConfigDict = {
      optimizer: { className: this.optimizer.getClassName(), config: this.optimizer.getConfig() },
    };
    if (this.globalNorm != null) config.globalNorm = this.globalNorm;
    if (this.value != null) config.value = this.value;
    return config;
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const inner = config.optimizer as { className: string; config: tf.serialization.ConfigDict };
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[inner?.className];
    if (entry == null) {
      throw new RegulabConfigError(
        `rl.optimizers.clipped: optimizer class '${String(inner?.className)}' is not registered`,
      );
    }
    const [innerCls, innerFromConfig] = entry;
    const optimizer = innerFromConfig(innerCls, inner.config);
    return new cls(optimizer, {
      globalNorm: config.globalNorm ?? undefined,
      value: config.value ?? undefined,
    });
  }
}
tf.serialization.registerClass(ClippedOptimizer);

/**
 * Wraps any tf.Optimizer with gradient clipping (see `ClippedOptimizer`).
 *
 * ```ts
 * // pMNIST setup of the zoneout paper: RMSProp, clip 1
 * const opt = rl.optimizers.clipped(tf.train.rmsprop(1e-3), { globalNorm: 1 });
 * ```
 */
export function clipped(optimizer: tf.Optimizer, options: ClipOptions): ClippedOptimizer {
  return new ClippedOptimizer(optimizer, options);
}

/**
 * The one builder: a checked model spec becomes a `SpecModel`, an ordered stack of built layers
 * with a forward pass that threads recurrent state.
 *
 *     x⁰ = input,  xⁱ⁺¹ = layerᵢ(xⁱ)                 (non-recurrent layer)
 *     xⁱ⁺¹, sⁱ' = layerᵢ(xⁱ, initialState = sⁱ)      (recurrent layer: sⁱ = [h, c] for an LSTM, [h] for a GRU)
 *
 * Shapes: whatever the spec's layers make of the input; e.g. the LM spec maps token ids [B, T] to
 * logits [B, T, V], the sequential-MNIST spec [b, T, p] to [b, 10]. Each recurrent layer's state
 * is numStates × [B, H]; the caller passes it in and gets the final one back, so it decides
 * whether state carries across windows.
 *
 * Training vs inference: `training` goes to every layer (dropout, zoneout, batch norm follow it).
 * `regularizationLoss()` collects what the layers added with `addLoss` during the last training
 * forward (weight penalties, AR/TAR, the norm stabilizer); the task adds it to its loss.
 *
 * A tfjs `Embedding` runs as `embeddingLookup` on its table (same value, a scatter-add gradient
 * that is much faster on the CPU backend). Recurrent layers are built with `returnState: true`.
 * Layer names default to `<class>_<index>` (checkpoints and mask streams are keyed by name);
 * seeds come from the run seed (./seed-layers.ts). All layers are built by one forward pass of a
 * one-example input, so the weights exist before a checkpoint is restored; a spec whose layers do
 * not fit together fails there with a ConfigError naming the layer.
 */
import * as tf from '@tensorflow/tfjs';
import { embeddingLookup } from './embedding-lookup.js';
import { ConfigError } from '../errors.js';
import { instantiateLayer } from './check-spec.js';
import { isRecurrent } from './layer-classes.js';
import { layerLabel, type ModelSpec, namedSpec } from './model-spec.js';
import { seedConfigs } from './seed-layers.js';

/** The state of one recurrent layer: numStates tensors [B, H]. */
export type RecurrentState = tf.Tensor2D[];

export interface ModelInput {
  /** The shape of one example, e.g. [T, p] for pixels or [T] for token ids. */
  shape: number[];
  dtype: 'float32' | 'int32';
}

export class SpecModel {
  /** Every layer, in spec order (the checkpoint order). */
  readonly layers: tf.layers.Layer[];
  /** The spec as given (names filled in, seeds not written into it). */
  readonly spec: ModelSpec;
  private readonly recurrent: boolean[];
  /** Per recurrent layer, the width of each of its states. */
  private stateUnits: number[][] = [];
  /** The output shape for the one-example build input, e.g. [1, 1, V] or [1, 10]. */
  outputShape: number[] = [];

  constructor(spec: ModelSpec, options: { seed: number; input: ModelInput }) {
    this.spec = namedSpec(spec);
    const probes = this.spec.layers.map((_, i) => instantiateLayer(this.spec, i));
    const configs = seedConfigs(
      this.spec.layers.map((l) => l.config),
      probes,
      options.seed,
    );
    this.recurrent = probes.map(isRecurrent);
    this.layers = configs.map((config, i) =>
      instantiateLayer(this.spec, i, this.recurrent[i] ? { ...config, returnState: true } : config),
    );
    this.build(options.input);
  }

  /** Zero state for every recurrent layer, batch `batch`. */
  zeroState(batch: number): RecurrentState[] {
    return this.stateUnits.map((units) => units.map((u) => tf.zeros([batch, u]) as tf.Tensor2D));
  }

  /**
   * The output for input x and each recurrent layer's final state. `state` undefined: every
   * recurrent layer starts from its own zero state. `afterLayer(i, out)` sees each layer's output
   * (a recurrent layer's sequence output) as it is computed (probes measure activations with it;
   * the tensor belongs to the forward pass: read it, do not keep or dispose it).
   */
  forward(
    x: tf.Tensor,
    state: readonly RecurrentState[] | undefined,
    training: boolean,
    afterLayer?: (index: number, output: tf.Tensor) => void,
  ): { output: tf.Tensor; state: RecurrentState[] } {
    const next: RecurrentState[] = [];
    let h = x;
    this.layers.forEach((layer, i) => {
      if (this.recurrent[i]) {
        const initial = state?.[next.length];
        const kwargs = initial ? { initialState: [...initial], training } : { training };
        const [out, ...states] = layer.apply(h, kwargs) as tf.Tensor[];
        h = out!;
        next.push(states as tf.Tensor2D[]);
      } else if (layer.getClassName() === 'Embedding' && layer.built) {
        const table = layer.weights[0]!.read() as tf.Tensor2D; // [V, E]
        const ids = tf.reshape(h.dtype === 'int32' ? h : tf.cast(h, 'int32'), [-1]) as tf.Tensor1D; // [N]
        h = tf.reshape(embeddingLookup(table, ids), [...h.shape, -1]); // [..., E]
      } else {
        h = layer.apply(h, { training }) as tf.Tensor;
      }
      afterLayer?.(i, h);
    });
    return { output: h, state: next };
  }

  /** The sum of the penalties the layers added during the last training forward, or null if none. */
  regularizationLoss(): tf.Scalar | null {
    const losses = this.layers.flatMap((l) => l.calculateLosses());
    return losses.length > 0 ? (tf.addN(losses) as tf.Scalar) : null;
  }

  /** The run's `forward` on a one-example input: builds every layer, records state widths. */
  private build(input: ModelInput): void {
    tf.tidy(() => {
      let h: tf.Tensor = tf.zeros([1, ...input.shape], input.dtype);
      this.layers.forEach((layer, i) => {
        try {
          const out = layer.apply(h, { training: false }) as tf.Tensor | tf.Tensor[];
          if (this.recurrent[i]) {
            const [seq, ...states] = out as tf.Tensor[];
            this.stateUnits.push(states.map((s) => s.shape[1]!));
            h = seq!;
          } else h = out as tf.Tensor;
        } catch (e) {
          if (e instanceof ConfigError) throw e;
          const message = e instanceof Error ? e.message : String(e);
          throw new ConfigError(
            `model spec ${layerLabel(this.spec, i)}: cannot take input of shape [${h.shape.join(', ')}]: ${message}`,
          );
        }
      });
      this.outputShape = h.shape;
    });
  }
}

/**
 * Moving a training state between live objects and plain arrays (what a checkpoint stores):
 * layer weights, optimizer slots and the layers' mask-stream counters.
 *
 * Optimizer slots are named after tfjs variable names (`lstm_0/kernel/m`), which carry
 * process-dependent suffixes (`lstm_0_1/kernel` when a second model is built in the same process);
 * they are stored under the variable's position instead (`#3/m`), so a checkpoint loads into a
 * model built in any process.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import type { StoredTensor } from '../store/checkpoint-file.js';

/** A layer's per-call seed stream (`rl.SeedStream`), as far as checkpoints need it. */
interface RandomStream {
  readonly state: number;
  restore(counter: number): void;
}

function streamOf(layer: tf.layers.Layer): RandomStream | undefined {
  const s = (layer as unknown as { seeds?: Partial<RandomStream> }).seeds;
  return s && typeof s.state === 'number' && typeof s.restore === 'function'
    ? (s as RandomStream)
    : undefined;
}

/** The mask-stream counter of every layer that draws masks, by layer name. */
export function captureStreams(layers: readonly tf.layers.Layer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const layer of layers) {
    const s = streamOf(layer);
    if (s) out[layer.name] = s.state;
  }
  return out;
}

export function restoreStreams(layers: readonly tf.layers.Layer[], saved: Record<string, number>): void {
  for (const layer of layers) {
    const s = streamOf(layer);
    if (s && saved[layer.name] !== undefined) s.restore(saved[layer.name]!);
  }
}

function store(t: tf.Tensor): StoredTensor {
  const dtype = t.dtype === 'int32' ? 'int32' : 'float32';
  const data = dtype === 'int32' ? Int32Array.from(t.dataSync()) : Float32Array.from(t.dataSync());
  return { dtype, shape: [...t.shape], data };
}

function load(s: StoredTensor): tf.Tensor {
  return tf.tensor(s.data, s.shape, s.dtype);
}

/** Copies of every layer's weights, keyed `<prefix>/<layer>/<i>`. */
export function captureWeights(
  layers: readonly tf.layers.Layer[],
  prefix: string,
): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const layer of layers) {
    layer.getWeights().forEach((w, i) => out.set(`${prefix}/${layer.name}/${i}`, store(w)));
  }
  return out;
}

export function restoreWeights(
  layers: readonly tf.layers.Layer[],
  saved: ReadonlyMap<string, StoredTensor>,
  prefix: string,
): void {
  for (const layer of layers) {
    const values = layer.getWeights().map((_, i) => {
      const s = saved.get(`${prefix}/${layer.name}/${i}`);
      if (!s)
        throw new ConfigError(
          `the checkpoint has no weight ${prefix}/${layer.name}/${i} (config.json changed?)`,
        );
      const shape = layer.getWeights()[i]!.shape;
      if (s.shape.join() !== shape.join())
        throw new ConfigError(
          `the checkpoint's weight ${prefix}/${layer.name}/${i} has shape [${s.shape.join(', ')}], the model built from ` +
            `config.json [${shape.join(', ')}]: config.json was changed after the run started; put it back to resume`,
        );
      return load(s);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** The trainable tf.Variables of `layers`, in a fixed order (the gradient order). */
export function trainableVariables(layers: readonly tf.layers.Layer[]): tf.Variable[] {
  return layers.flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
}

/**
 * tf.train.rmsprop's slot names (`/rms`, `/momentum`) as rl.optimizers.rmsprop names them (`/ms`,
 * `/mom`): the lab's `--optimizer rmsprop` was tf.train.rmsprop before it became
 * rl.optimizers.rmsprop, so checkpoints of older smnist/pmnist runs hold the old names. The update
 * rule is the same; a momentum slot is dropped when the optimizer keeps none (momentum 0, where
 * tf.train.rmsprop still stored zeros).
 */
const RMSPROP_LEGACY: Readonly<Record<string, string>> = { rms: 'ms', momentum: 'mom' };

function legacySlots(optimizer: tf.Optimizer, order: readonly string[]): { key: string; slot: string }[] {
  const slots = order.map((key) => ({ key, slot: key.slice(key.lastIndexOf('/') + 1) }));
  if (optimizer.getClassName() !== 'RegulabRMSProp') return slots;
  const kept = new Set((optimizer as unknown as { slotNames: readonly string[] }).slotNames);
  return slots
    .map(({ key, slot }) => ({ key, slot: RMSPROP_LEGACY[slot] ?? slot }))
    .filter(({ key, slot }) => !key.startsWith('#') || kept.has(slot));
}

/** The optimizer's state, slot names rewritten to variable positions; `order` keeps getWeights' order. */
export async function captureOptimizer(
  optimizer: tf.Optimizer,
  variables: readonly tf.Variable[],
): Promise<{ tensors: Map<string, StoredTensor>; order: string[] }> {
  const position = new Map(variables.map((v, i) => [v.name, i]));
  const tensors = new Map<string, StoredTensor>();
  const order: string[] = [];
  for (const { name, tensor } of await optimizer.getWeights()) {
    const cut = name.lastIndexOf('/');
    const index = cut > 0 ? position.get(name.slice(0, cut)) : undefined;
    const key = index === undefined ? name : `#${index}${name.slice(cut)}`;
    tensors.set(`optimizer/${key}`, store(tensor));
    order.push(key);
  }
  return { tensors, order };
}

export async function restoreOptimizer(
  optimizer: tf.Optimizer,
  variables: readonly tf.Variable[],
  saved: ReadonlyMap<string, StoredTensor>,
  order: readonly string[],
): Promise<void> {
  if (order.length === 0) return; // saved before the first step: nothing to restore
  const named = legacySlots(optimizer, order).map(({ key, slot }) => {
    const s = saved.get(`optimizer/${key}`);
    if (!s) throw new Error(`checkpoint has no optimizer slot ${key}`);
    const m = /^#(\d+)(\/.*)$/.exec(key);
    const name = m ? `${variables[Number(m[1])]!.name}/${slot}` : key;
    return { name, tensor: load(s) };
  });
  await optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
}

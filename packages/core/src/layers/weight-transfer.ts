/**
 * Moving recurrent weights between Regulab (= TensorFlow.js = Keras layout) and PyTorch.
 *
 * Regulab / tfjs / Keras: kernel [D, G·H], recurrent_kernel [H, G·H], bias; LSTM gates i, f, c, o;
 * GRU gates z, r, h with bias [3H] (reset-before) or [2, 3H] (reset-after: input row, recurrent row).
 * Keras's `layer.get_weights()` is already in this layout and order: `layer.setWeights(ws.map(tf.tensor))`.
 *
 * PyTorch nn.LSTM: weight_ih [4H, D], weight_hh [4H, H] (gates i, f, g, o — the same order),
 * bias_ih and bias_hh [4H] (only their sum matters). nn.GRU: weight_ih [3H, D], weight_hh [3H, H],
 * gates r, z, n, and n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)) — the reset-after form, so a
 * PyTorch GRU maps exactly onto `rl.layers.gru({resetAfter: true})` (recurrentActivation 'sigmoid',
 * activation 'tanh', the defaults) and onto Keras's default GRU.
 *
 * PyTorch weights may come as tensors (copied, never consumed), nested arrays (`tensor.tolist()`
 * sent as JSON), or typed arrays (a vector as one, a matrix as an array of rows, e.g.
 * Float32Array or Float64Array); they become float32. Shapes are checked; every function returns
 * new tensors the caller owns. A PyTorch module built with bias=False (no biasIh/biasHh) maps to a
 * layer built with `useBias: false` ([kernel, recurrent_kernel]); such a layer goes to PyTorch with
 * zero biases, which an nn.LSTM/nn.GRU with biases computes alike.
 */
import * as tf from '@tensorflow/tfjs';
import { RegulabConfigError } from '../util/validate.js';

/** Numbers of one row: a plain array or any typed array. */
type Row = readonly number[] | ArrayLike<number>;
type Matrix = tf.Tensor2D | readonly Row[];
type Vector = tf.Tensor1D | Row;

/**
 * PyTorch's parameters of a one-layer, one-direction nn.LSTM / nn.GRU (`weight_ih_l0` etc.). A
 * module built with `bias=False` has no biases: leave both out (it maps to a layer built with
 * `useBias: false`, whose weights are [kernel, recurrent_kernel]).
 */
export interface TorchRecurrentWeights<M = Matrix, V = Vector> {
  weightIh: M; // [G·H, D]
  weightHh: M; // [G·H, H]
  biasIh?: V; // [G·H]
  biasHh?: V; // [G·H]
}

/** PyTorch nn.LSTM parameters → [kernel, recurrent_kernel, bias] for `rl.layers.lstm(...).setWeights`. */
export function fromTorchLstm(w: TorchRecurrentWeights): tf.Tensor[] {
  return tf.tidy(() => {
    const { ih, hh, bih, bhh } = torchTensors('fromTorchLstm', w, 4);
    const weights = [tf.transpose(ih), tf.transpose(hh)]; // [D, 4H], [H, 4H]
    return bih && bhh ? [...weights, tf.add(bih, bhh)] : weights; // + [4H]
  });
}

/** [kernel, recurrent_kernel, bias] of an LSTM → PyTorch parameters (bias_hh = 0). */
export function toTorchLstm(weights: tf.Tensor[]): Required<TorchRecurrentWeights<tf.Tensor2D, tf.Tensor1D>> {
  const [kernel, recurrent, bias] = checkLayerWeights('toTorchLstm', weights, 4);
  return tf.tidy(() => ({
    weightIh: tf.transpose(kernel) as tf.Tensor2D, // [4H, D]
    weightHh: tf.transpose(recurrent) as tf.Tensor2D, // [4H, H]
    // useBias: false has no bias: zeros, which nn.LSTM(bias=True) computes alike (or drop them for bias=False).
    biasIh: (bias ? tf.clone(bias) : tf.zeros([kernel.shape[1]!])) as tf.Tensor1D,
    biasHh: tf.zeros([kernel.shape[1]!]) as tf.Tensor1D,
  }));
}

/** PyTorch nn.GRU parameters → [kernel, recurrent_kernel, bias [2, 3H]] for `rl.layers.gru({resetAfter: true})`. */
export function fromTorchGru(w: TorchRecurrentWeights): tf.Tensor[] {
  return tf.tidy(() => {
    const { ih, hh, bih, bhh } = torchTensors('fromTorchGru', w, 3);
    const swap = (t: tf.Tensor) => swapFirstTwoBlocks(t, 0); // r, z, n → z, r, h
    const weights = [tf.transpose(swap(ih)), tf.transpose(swap(hh))]; // [D, 3H], [H, 3H]
    return bih && bhh ? [...weights, tf.stack([swap(bih), swap(bhh)])] : weights; // + [2, 3H]
  });
}

/** [kernel, recurrent_kernel, bias [2, 3H]] of a reset-after GRU → PyTorch parameters. */
export function toTorchGru(weights: tf.Tensor[]): Required<TorchRecurrentWeights<tf.Tensor2D, tf.Tensor1D>> {
  const [kernel, recurrent, bias] = checkLayerWeights('toTorchGru', weights, 3);
  // Without a bias the weights cannot show the form: the layer must have been built resetAfter: true.
  if (bias && bias.rank !== 2) {
    throw new RegulabConfigError(
      `toTorchGru: PyTorch's GRU is the reset-after form: build the layer with resetAfter: true (bias [2, 3H]), got bias [${bias.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const swap = (t: tf.Tensor, axis: number) => swapFirstTwoBlocks(t, axis); // z, r, h → r, z, n
    const weightIh = tf.transpose(swap(kernel, 1)) as tf.Tensor2D; // [3H, D]
    const weightHh = tf.transpose(swap(recurrent, 1)) as tf.Tensor2D; // [3H, H]
    // useBias: false has no bias: zeros, which nn.GRU(bias=True) computes alike (or drop them for bias=False).
    const [bIn, bRec] = tf.unstack(bias ?? tf.zeros([2, kernel.shape[1]!]));
    return {
      weightIh,
      weightHh,
      biasIh: swap(bIn!, 0) as tf.Tensor1D,
      biasHh: swap(bRec!, 0) as tf.Tensor1D,
    };
  });
}

/** Swaps the first two of three equal blocks along `axis` (GRU gate orders r,z,n ↔ z,r,h). */
function swapFirstTwoBlocks(t: tf.Tensor, axis: number): tf.Tensor {
  const [a, b, c] = tf.split(t, 3, axis);
  return tf.concat([b!, a!, c!], axis);
}

/**
 * A float32 tensor of `values`: a copy of a tensor (the caller keeps its own), or a new tensor of
 * nested arrays or typed arrays (tf.tensor takes neither Float64Array nor rows of them, and would
 * keep an Int32Array's dtype, so rows become plain arrays first).
 */
function float32Tensor(values: Matrix | Vector): tf.Tensor {
  if (values instanceof tf.Tensor) return tf.cast(values, 'float32');
  const plain = (row: Row): number[] => Array.from(row);
  const isMatrix = Array.isArray(values) && values.length > 0 && typeof values[0] !== 'number';
  return isMatrix
    ? tf.tensor((values as readonly Row[]).map(plain), undefined, 'float32')
    : tf.tensor(plain(values as Row), undefined, 'float32');
}

function torchTensors(fn: string, w: TorchRecurrentWeights, gates: number) {
  if ((w.biasIh == null) !== (w.biasHh == null)) {
    throw new RegulabConfigError(
      `${fn}: give both biasIh and biasHh, or neither (a module built with bias=False); got only ${w.biasIh == null ? 'biasHh' : 'biasIh'}`,
    );
  }
  // Typed by what they must be; the check below says when they are not.
  const ih = float32Tensor(w.weightIh) as tf.Tensor2D;
  const hh = float32Tensor(w.weightHh) as tf.Tensor2D;
  const bih = w.biasIh == null ? null : (float32Tensor(w.biasIh) as tf.Tensor1D);
  const bhh = w.biasHh == null ? null : (float32Tensor(w.biasHh) as tf.Tensor1D);
  const units = hh.shape[1];
  const vector = (b: tf.Tensor1D | null) => b === null || (b.rank === 1 && b.shape[0] === gates * units);
  const ok =
    ih.rank === 2 &&
    hh.rank === 2 &&
    ih.shape[0] === gates * units &&
    hh.shape[0] === gates * units &&
    vector(bih) &&
    vector(bhh);
  if (!ok) {
    const shape = (b: tf.Tensor | null) => (b === null ? 'none' : `[${b.shape.join(', ')}]`);
    throw new RegulabConfigError(
      `${fn}: expected weightIh [${gates}H, D], weightHh [${gates}H, H], biasIh/biasHh [${gates}H]; got [${ih.shape.join(', ')}], [${hh.shape.join(', ')}], ${shape(bih)}, ${shape(bhh)}`,
    );
  }
  return { ih, hh, bih, bhh };
}

/** [kernel, recurrent_kernel, bias] of a layer, or [kernel, recurrent_kernel] of one built with useBias: false. */
function checkLayerWeights(
  fn: string,
  weights: tf.Tensor[],
  gates: number,
): [tf.Tensor, tf.Tensor, tf.Tensor | undefined] {
  const [kernel, recurrent, bias] = weights;
  if ((weights.length !== 2 && weights.length !== 3) || !kernel || !recurrent) {
    throw new RegulabConfigError(
      `${fn}: expected [kernel, recurrent_kernel, bias] (or [kernel, recurrent_kernel] with useBias: false), got ${weights.length} tensors`,
    );
  }
  const units = recurrent.shape[0]!;
  if (kernel.rank !== 2 || kernel.shape[1] !== gates * units || recurrent.shape[1] !== gates * units) {
    throw new RegulabConfigError(
      `${fn}: expected kernel [D, ${gates}H] and recurrent_kernel [H, ${gates}H], got [${kernel.shape.join(', ')}], [${recurrent.shape.join(', ')}]`,
    );
  }
  return [kernel, recurrent, bias];
}

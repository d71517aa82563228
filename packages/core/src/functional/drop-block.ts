/**
 * DropBlock: dropout of contiguous square regions of a convolutional feature map.
 */
import * as tf from '@tensorflow/tfjs';
import { checkPositiveInt, checkRate, RegulabConfigError } from '../util/validate.js';
import { seedOrFresh, type CallSeed } from './dropout.js';
import { checkDataFormat, type DataFormat, imageDims } from './spatial-dropout-2d.js';

/**
 * γ, the probability that a valid position is the centre of a dropped block, chosen so that about
 * a fraction `rate` of the map is dropped (ignoring overlaps; Ghiasi et al., eq. 1, for an H × W map):
 *
 *     γ = rate / bs² · (H · W) / ((H − bs + 1)(W − bs + 1))
 */
export function dropBlockGamma(rate: number, blockSize: number, height: number, width: number): number {
  return (
    ((rate / (blockSize * blockSize)) * (height * width)) /
    ((height - blockSize + 1) * (width - blockSize + 1))
  );
}

/**
 * The keep mask of DropBlock for maps [B, H, W, C] (channels last): 1 where kept, 0 inside any
 * dropped block. Block centres are drawn as uniform(seed) < γ on [B, H, W, C], only where a whole
 * bs × bs block fits inside the map (rows i with ⌊bs/2⌋ ≤ i < H − ⌊(bs − 1)/2⌋, columns alike);
 * each centre then zeroes the bs × bs square around it (a min-pool of the mask, stride 1, 'same').
 */
function keepMask(
  shape: [number, number, number, number],
  gamma: number,
  blockSize: number,
  seed: number,
): tf.Tensor4D {
  const [, height, width] = shape;
  return tf.tidy(() => {
    const lo = Math.floor(blockSize / 2);
    const rows = tf.logicalAnd(
      tf.greaterEqual(tf.range(0, height), lo),
      tf.less(tf.range(0, height), height - Math.floor((blockSize - 1) / 2)),
    ); // [H]
    const cols = tf.logicalAnd(
      tf.greaterEqual(tf.range(0, width), lo),
      tf.less(tf.range(0, width), width - Math.floor((blockSize - 1) / 2)),
    ); // [W]
    const valid = tf.logicalAnd(tf.reshape(rows, [1, height, 1, 1]), tf.reshape(cols, [1, 1, width, 1])); // [1, H, W, 1]
    const centres = tf.logicalAnd(valid, tf.less(tf.randomUniform(shape, 0, 1, 'float32', seed), gamma)); // [B, H, W, C]
    const drop = tf.maxPool(tf.cast(centres, 'float32') as tf.Tensor4D, blockSize, 1, 'same'); // [B, H, W, C]
    return tf.sub(1, drop) as tf.Tensor4D; // [B, H, W, C]
  });
}

/**
 * DropBlock (Ghiasi, Lin & Le, 2018, "DropBlock: A regularization method for convolutional
 * networks", NeurIPS; algorithm 1, as in the authors' TPU ResNet code).
 *
 * Training: centres z ~ Bernoulli(γ) at the positions where a whole block fits (γ from
 * `dropBlockGamma`), independently per example and channel; M = 1 outside every bs × bs block
 * around a centre, 0 inside; y = x ⊙ M · count(M) / count_ones(M), the normalization taken over the
 * whole batch (so E[y] ≈ x). Dropping contiguous regions removes the spatially correlated
 * information that element-wise dropout leaves to the neighbours of a dropped unit. With
 * `blockSize` 1 it is dropout with a batch-wide rescaling.
 * Inference (`training` false) or rate 0: y = x (the input tensor itself).
 *
 * Shapes: x [B, H, W, C] (channelsLast, default) or [B, C, H, W] (channelsFirst) → the same
 * shape; blockSize ≤ min(H, W).
 *
 * The same `seed` gives the same blocks. The mask is a constant for the gradient:
 * ∂y/∂x = M · count(M) / count_ones(M). Throws `RegulabConfigError` for a rate outside [0, 1), a
 * block size that is not a positive integer or exceeds the map, or an input that is not rank 4.
 */
export function dropBlock(
  x: tf.Tensor,
  rate: number,
  blockSize: number,
  training: boolean,
  seed?: CallSeed,
  dataFormat: DataFormat = 'channelsLast',
): tf.Tensor {
  const owner = 'rl.functional.dropBlock';
  checkRate(owner, 'rate', rate);
  checkPositiveInt(owner, 'blockSize', blockSize);
  const format = checkDataFormat(owner, dataFormat);
  checkMap(owner, x.shape, blockSize, format);
  if (!training || rate === 0) return x;
  return tf.tidy(() => {
    const last = format === 'channelsLast' ? x : tf.transpose(x, [0, 2, 3, 1]); // [B, H, W, C]
    const shape = last.shape as [number, number, number, number];
    const gamma = dropBlockGamma(rate, blockSize, shape[1], shape[2]);
    const mask = keepMask(shape, gamma, blockSize, seedOrFresh(seed)); // [B, H, W, C]
    const scaled = tf.div(tf.mul(mask, mask.size), tf.maximum(tf.sum(mask), 1)); // [B, H, W, C]: M · count(M) / count_ones(M)
    const y = tf.mul(last, scaled); // [B, H, W, C]
    return format === 'channelsLast' ? y : tf.transpose(y, [0, 3, 1, 2]); // x's shape
  });
}

/** Checks that x is a rank-4 batch of maps at least blockSize × blockSize. */
export function checkMap(
  owner: string,
  shape: readonly number[],
  blockSize: number,
  format: DataFormat,
): void {
  const { height, width } = imageDims(owner, shape, format);
  if (blockSize > Math.min(height, width)) {
    throw new RegulabConfigError(
      `${owner}: option 'blockSize' ${blockSize} is larger than the ${height} × ${width} feature map; use at most ${Math.min(height, width)}`,
    );
  }
}

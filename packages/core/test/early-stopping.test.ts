import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as rl from 'regulab';
import { allClose } from '../../../test/helpers.js';

const x = tf.tensor2d([
  [1, 2],
  [0, -1],
  [2, 1],
  [-1, 0],
]);
const y = tf.tensor2d([[1], [0], [2], [-1]]);
afterAll(() => tf.dispose([x, y]));

function tinyModel(): tf.Sequential {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
  m.compile({ optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError' });
  return m;
}

/**
 * Trains for up to `epochs` with a scripted monitored value: a callback placed before early stopping
 * writes `score = values[epoch]` into the epoch logs (tfjs hands the same logs object to each callback
 * in order) and records the weights at the end of every epoch. The weights really change every epoch
 * (SGD on a regression), so "restored the best epoch" is observable.
 */
async function runScripted(values: number[], args: rl.callbacks.EarlyStoppingArgs, epochs = values.length) {
  const model = tinyModel();
  const weightsAtEpoch: number[][] = [];
  const script = new tf.CustomCallback({
    onEpochEnd: async (epoch, logs) => {
      (logs as Record<string, number>).score = values[epoch];
      weightsAtEpoch.push(model.getWeights().flatMap((w) => Array.from(w.dataSync())));
    },
  });
  const stop = rl.callbacks.earlyStopping({ monitor: 'score', ...args });
  const history = await model.fit(x, y, { epochs, batchSize: 4, verbose: 0, callbacks: [script, stop] });
  const finalWeights = model.getWeights().flatMap((w) => Array.from(w.dataSync()));
  model.optimizer.dispose();
  model.dispose();
  return { stop, epochsRun: history.epoch.length, weightsAtEpoch, finalWeights };
}

describe('rl.callbacks.earlyStopping: restoreBestWeights (Keras 3)', () => {
  it('stopped early: restores the best epoch, not the last', async () => {
    // best 3 at epoch 1; epochs 2 and 3 do not improve → wait 2 ≥ patience 2 at epoch 3 → stop
    const r = await runScripted([5, 3, 4, 4.5, 6, 7, 8, 9], { patience: 2, restoreBestWeights: true });
    expect(r.stop.stoppedEpoch).toBe(3);
    expect(r.epochsRun).toBe(4);
    expect(r.stop.bestEpoch).toBe(1);
    allClose(r.finalWeights, r.weightsAtEpoch[1], { atol: 0, rtol: 0 }, 'restored = epoch 1');
    expect(r.finalWeights).not.toEqual(r.weightsAtEpoch[3]);
  });

  it('ran to the end without stopping: still restores the best epoch', async () => {
    const r = await runScripted([5, 3, 4, 3.5], { patience: 10, restoreBestWeights: true });
    expect(r.stop.stopped).toBe(false);
    expect(r.epochsRun).toBe(4);
    allClose(r.finalWeights, r.weightsAtEpoch[1], { atol: 0, rtol: 0 }, 'restored = epoch 1');
    expect(r.finalWeights).not.toEqual(r.weightsAtEpoch[3]);
  });

  it('without restoreBestWeights the last weights stay', async () => {
    const r = await runScripted([5, 3, 4, 4.5], { patience: 2 });
    expect(r.stop.stoppedEpoch).toBe(3);
    allClose(r.finalWeights, r.weightsAtEpoch[3], { atol: 0, rtol: 0 });
  });

  it('frees its weight snapshots (no tensors left after fit)', async () => {
    await runScripted([1, 2], { restoreBestWeights: true }); // warm-up: tfjs caches a few tensors on first fit
    const before = tf.memory().numTensors;
    await runScripted([5, 3, 4, 4.5, 6], { patience: 2, restoreBestWeights: true });
    await runScripted([5, 3, 4, 3.5], { patience: 10, restoreBestWeights: true });
    expect(tf.memory().numTensors - before).toBe(0);
  });
});

describe('rl.callbacks.earlyStopping: patience, minDelta, baseline, startFromEpoch, mode', () => {
  it('patience counts epochs without improvement (patience 0 stops at the first non-improvement)', async () => {
    expect((await runScripted([3, 2, 2.5, 1], { patience: 0 })).stop.stoppedEpoch).toBe(2);
    expect((await runScripted([3, 2, 2.5, 1, 1.5, 1.6], { patience: 1 })).stop.stoppedEpoch).toBe(2);
    const patient = await runScripted([3, 2, 2.5, 1, 1.5, 1.6], { patience: 2 });
    expect(patient.stop.stoppedEpoch).toBe(5); // 2.5 resets nothing, 1 improves, 1.5 and 1.6 do not
  });

  it('minDelta: improvements smaller than minDelta do not count', async () => {
    const values = [1, 0.95, 0.92, 0.91];
    // 0.95 + 0.1 ≥ 1 and 0.92 + 0.1 ≥ 1: two epochs without a real improvement → stop at epoch 2
    expect((await runScripted(values, { patience: 2, minDelta: 0.1 })).stop.stoppedEpoch).toBe(2);
    // negative minDelta means the same (Keras takes |minDelta|)
    expect((await runScripted(values, { patience: 2, minDelta: -0.1 })).stop.stoppedEpoch).toBe(2);
    expect((await runScripted(values, { patience: 2 })).stop.stopped).toBe(false);
  });

  it('baseline: values that improve but miss the baseline do not reset the counter', async () => {
    const values = [1, 0.9, 0.95, 0.96];
    // Keras 3: e0 wait 1 (1 misses 0.5), e1 wait 2 (improves: no stop check), e2 wait 3 → stop
    expect((await runScripted(values, { patience: 2, baseline: 0.5 })).stop.stoppedEpoch).toBe(2);
    expect((await runScripted(values, { patience: 2 })).stop.stoppedEpoch).toBe(3);
  });

  it('startFromEpoch: warm-up epochs are ignored', async () => {
    const values = [1, 5, 5, 3, 4];
    expect((await runScripted(values, { patience: 1 })).stop.stoppedEpoch).toBe(1);
    const late = await runScripted(values, { patience: 1, startFromEpoch: 2, restoreBestWeights: true });
    expect(late.stop.stoppedEpoch).toBe(4);
    expect(late.stop.bestEpoch).toBe(3);
    allClose(late.finalWeights, late.weightsAtEpoch[3], { atol: 0, rtol: 0 });
  });

  it("mode 'max', and 'auto' infers max for accuracy-like names", async () => {
    expect((await runScripted([0.5, 0.7, 0.6, 0.65], { patience: 1, mode: 'max' })).stop.stoppedEpoch).toBe(
      2,
    );
    expect(rl.callbacks.earlyStopping({ monitor: 'val_acc' }).mode).toBe('max');
    expect(rl.callbacks.earlyStopping({ monitor: 'val_loss' }).mode).toBe('min');
  });

  it('a missing monitor warns once and never stops', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const model = tinyModel();
    const stop = rl.callbacks.earlyStopping({ monitor: 'val_loss', patience: 0 });
    const history = await model.fit(x, y, { epochs: 3, verbose: 0, callbacks: [stop] });
    expect(history.epoch).toHaveLength(3);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/'val_loss' is not in the logs/);
    warn.mockRestore();
    model.dispose();
  });

  it('works with real validation loss (val_loss)', async () => {
    const model = tinyModel();
    const stop = rl.callbacks.earlyStopping({ patience: 1, restoreBestWeights: true });
    await model.fit(x, y, { epochs: 3, verbose: 0, validationData: [x, y], callbacks: [stop] });
    expect(stop.best).toBeTypeOf('number');
    model.dispose();
  });

  it('clear errors for bad options', () => {
    expect(() => rl.callbacks.earlyStopping({ patience: -1 })).toThrow(
      /earlyStopping: option 'patience'.*-1/,
    );
    expect(() => rl.callbacks.earlyStopping({ patience: 1.5 })).toThrow(rl.RegulabConfigError);
    expect(() => rl.callbacks.earlyStopping({ mode: 'lowest' as never })).toThrow(/option 'mode'/);
    expect(() => rl.callbacks.earlyStopping({ baseline: Number.NaN })).toThrow(/'baseline'/);
    expect(() => rl.callbacks.earlyStopping({ startFromEpoch: -2 })).toThrow(/'startFromEpoch'/);
    expect(() => rl.callbacks.earlyStopping({ monitor: '' })).toThrow(/'monitor'/);
  });
});

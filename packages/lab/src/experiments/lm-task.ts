/**
 * Training and evaluating a language model (`charlm`, `wordlm`) with truncated BPTT.
 *
 * Protocol (always state it next to a number; papers.md: it moves char-PTB BPC by ~0.1):
 * - Training: epoch e drops the first o_e tokens of the training slice, o_e ∈ [0, seqLen) drawn from
 *   (seed, e), so window edges move from epoch to epoch; the rest is cut into `--batch` contiguous
 *   streams and walked in windows of `--seq-len` steps. The LSTM state is carried from window to
 *   window (gradients stop at the window edge) and reset to zero at the start of each epoch. The
 *   order is a pure function of (seed, epoch), so a resumed epoch replays the same data.
 * - Evaluation (valid, test): the split (or its first `--eval-tokens` tokens) is cut into
 *   `--eval-batch` contiguous streams, scored window by window with the state carried, no dropout
 *   and zoneout replaced by its expectation; every token except the first of each stream is
 *   predicted once and the loss is averaged over predicted tokens.
 * - The train row of metrics.jsonl is the token-weighted mean of the training windows' losses,
 *   measured with the regularizers active (as Keras reports `loss`).
 */
import * as tf from '@tensorflow/tfjs';
import { batchify, bpttWindows, takeFirst, type WindowSequence } from '../datasets/lm-batching.js';
import { mixSeeds, uniformGenerator } from '../datasets/seeded-random.js';
import type { TextCorpus, TokenIds } from '../datasets/types.js';
import { ConfigError } from '../errors.js';
import { createProbes } from '../probes/index.js';
import type { TrainingProbe } from '../train/probe.js';
import { metricFromLoss, type SplitScore, type TrainingTask } from '../train/task.js';
import type { LmConfig } from './config.js';
import type { RecurrentState } from '../model/spec-model.js';
import { LmModel, sparseCrossEntropy } from './lm-model.js';

const DATA_ORDER_TAG = 0xda7a;

export class LmTask implements TrainingTask {
  readonly metric: 'bpc' | 'perplexity';
  readonly model: LmModel;
  readonly probes: TrainingProbe[];
  private readonly config: LmConfig;
  private readonly splits: { train: TokenIds; valid: TokenIds; test: TokenIds };
  private windows: WindowSequence | undefined;
  private state: RecurrentState[] = [];
  private pending: RecurrentState[] = [];
  private current = { tokens: 0 };
  private lossSum = 0;
  private tokenSum = 0;

  constructor(config: LmConfig, corpus: TextCorpus) {
    this.config = config;
    this.metric = corpus.level === 'char' ? 'bpc' : 'perplexity';
    const trainTokens = 'trainChars' in config ? config.trainChars : config.trainWords;
    const limit = (ids: TokenIds, n: number): TokenIds => (n > 0 ? takeFirst(ids, n) : ids);
    this.splits = {
      train: limit(corpus.train, trainTokens),
      valid: limit(corpus.valid, config.evalTokens),
      test: limit(corpus.test, config.evalTokens),
    };
    const needTrain = config.batch * (config.seqLen + 1) + config.seqLen;
    if (this.splits.train.length < needTrain) {
      throw new ConfigError(
        `the training slice has ${this.splits.train.length} tokens; --batch ${config.batch} × --seq-len ${config.seqLen} needs at least ${needTrain}`,
      );
    }
    for (const split of ['valid', 'test'] as const) {
      if (this.splits[split].length < 2 * config.evalBatch) {
        throw new ConfigError(
          `the ${split} split has ${this.splits[split].length} tokens, too few for --eval-batch ${config.evalBatch}`,
        );
      }
    }
    if (corpus.vocab.size < 2)
      throw new ConfigError(
        `the vocabulary has ${corpus.vocab.size} entry${'minCount' in config ? ` with --min-count ${config.minCount}: lower it` : ''}`,
      );
    this.model = new LmModel(config.spec, config.seed, corpus.vocab.size);
    this.probes = createProbes(config.probe, {
      model: this.model.model,
      seed: config.seed,
      probeBatch: () => {
        // The first training window of unshifted streams: inputs [B, L], targets [B·L].
        const w = bpttWindows(batchify(this.splits.train, config.batch), config.seqLen).window(0);
        return {
          input: tf.tensor2d(w.inputs, [w.batchSize, w.length], 'int32'),
          labels: tf.tensor1d(w.targets, 'int32'),
        };
      },
    });
  }

  get layers(): tf.layers.Layer[] {
    return this.model.layers;
  }

  beginEpoch(epoch: number): number {
    const { seed, seqLen, batch } = this.config;
    const offset = Math.floor(uniformGenerator(mixSeeds(seed, epoch, DATA_ORDER_TAG))() * seqLen);
    this.windows = bpttWindows(batchify(this.splits.train.subarray(offset), batch), seqLen);
    this.resetState(batch);
    this.lossSum = 0;
    this.tokenSum = 0;
    return this.windows.count;
  }

  batchLoss(index: number): tf.Scalar {
    const w = this.windows!.window(index);
    this.current = { tokens: w.tokens };
    const inputs = tf.tensor2d(w.inputs, [w.batchSize, w.length], 'int32'); // [B, L]
    const targets = tf.tensor1d(w.targets, 'int32'); // [B·L]
    const { logits, state } = this.model.forward(inputs, this.state, true); // [B·L, V]
    // The next window starts from this one's final state (kept past variableGrads' tidy).
    this.pending = state.map((s) => s.map((t) => tf.keep(t)));
    const loss = sparseCrossEntropy(logits, targets);
    const penalty = this.model.model.regularizationLoss(); // weight penalties, AR/TAR, norm stabilizer
    return penalty ? tf.add(loss, penalty) : loss;
  }

  endBatch(loss: number): void {
    this.disposeState(this.state);
    this.state = this.pending;
    this.pending = [];
    this.lossSum += loss * this.current.tokens;
    this.tokenSum += this.current.tokens;
  }

  trainScore(): SplitScore {
    const loss = this.lossSum / this.tokenSum;
    return { loss, metric: metricFromLoss(this.metric, loss) };
  }

  async evaluate(
    split: 'valid' | 'test',
    tick?: (done: number, total: number) => void | Promise<void>,
  ): Promise<SplitScore> {
    const { evalBatch, seqLen } = this.config;
    const windows = bpttWindows(batchify(this.splits[split], evalBatch), seqLen);
    let state = this.model.zeroState(evalBatch);
    let lossSum = 0;
    let tokens = 0;
    for (const w of windows) {
      const [loss, next] = tf.tidy(() => {
        const inputs = tf.tensor2d(w.inputs, [w.batchSize, w.length], 'int32'); // [B, L]
        const out = this.model.forward(inputs, state, false);
        const l = sparseCrossEntropy(out.logits, tf.tensor1d(w.targets, 'int32'));
        return [l, out.state] as [tf.Scalar, RecurrentState[]];
      });
      this.disposeState(state);
      state = next;
      lossSum += loss.dataSync()[0]! * w.tokens;
      tokens += w.tokens;
      loss.dispose();
      await tick?.(w.index + 1, windows.count);
    }
    this.disposeState(state);
    const loss = lossSum / tokens;
    return { loss, metric: metricFromLoss(this.metric, loss) };
  }

  dispose(): void {
    for (const p of this.probes) p.dispose?.();
    this.disposeState(this.state);
    this.disposeState(this.pending);
    for (const layer of this.layers) for (const w of layer.weights) w.dispose();
  }

  private resetState(batch: number): void {
    this.disposeState(this.state);
    this.disposeState(this.pending);
    this.pending = [];
    this.state = this.model.zeroState(batch);
  }

  private disposeState(state: RecurrentState[]): void {
    for (const s of state) tf.dispose(s);
  }
}

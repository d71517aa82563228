/**
 * The lab's training loop (a custom loop, not `model.fit`, for exact control over state):
 *
 *     for each epoch e (1-based) until --epochs or early stopping:
 *       for each batch: loss, grads = tf.variableGrads(task.batchLoss)      (NaN/∞ loss → stop)
 *                       optimizer.applyGradients(grads)   (clipping, decoupled decay inside)
 *                       rl.constraints.applyConstraints(weights)            (always: tfjs never does)
 *       score train (running mean), valid and test → metrics.jsonl
 *       early stopping on the validation loss (snapshot the best weights)
 *       checkpoint (atomic): weights, optimizer slots, mask-stream counters, early-stopping state,
 *                            best weights, epoch
 *     restore the best weights
 *
 * Resume and exactness: the loop always starts from the run directory's checkpoint when there is
 * one (fresh runs have none), drops the metrics rows after its epoch, and replays from the next
 * epoch; the data order is a function of (seed, epoch) and the carried LSTM state restarts at zero
 * each epoch, so nothing else is needed. The uninterrupted run reloads its optimizer from the
 * checkpoint it just wrote, exactly as a resumed run does, so an optimizer whose state round trip
 * is not bit-exact (tfjs's Adam recomputes β^t) still gives identical numbers either way.
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { ConfigError, InterruptedError, RunFailedError, RunFileError } from '../errors.js';
import type { StoredTensor } from '../store/checkpoint-file.js';
import { loadCheckpoint, saveCheckpoint } from '../store/checkpoints.js';
import { describeFsError, isFsError } from '../store/fs-errors.js';
import { type MetricRecord, readMetrics, writeMetrics } from '../store/metrics-log.js';
import { type ProbeRecord, readProbes, writeProbes } from '../store/probes-log.js';
import type { RunPaths } from '../store/run-dir.js';
import { type EarlyStoppingState, initialEarlyStopping, observe } from './early-stopping.js';
import type { Progress } from './progress.js';
import { runEta } from './run-eta.js';
import type { SplitScore, TrainingTask } from './task.js';
import {
  captureOptimizer,
  captureStreams,
  captureWeights,
  restoreOptimizer,
  restoreStreams,
  restoreWeights,
  trainableVariables,
} from './training-state.js';

export interface TrainerOptions {
  paths: RunPaths;
  maxEpochs: number;
  /** Early-stopping patience in epochs (0: never stop early). */
  patience: number;
  progress: Progress;
  /** One human-readable line per epoch (not called with --json). */
  log?: (line: string) => void;
  /**
   * The run's config (as in config.json), stored in each checkpoint: a resume whose config.json
   * has been edited since is refused, naming the changed keys, rather than training a different
   * model or schedule on top of the old state.
   */
  config?: Record<string, unknown>;
  /** Notes on repairs made while loading (a damaged checkpoint passed over, a torn metrics line). */
  warn?: (line: string) => void;
  /**
   * Polled before every batch; true aborts the run (InterruptedError) without touching its files.
   * The loop yields to the event loop at least every `YIELD_MS` of work, so a signal handler that
   * sets the flag gets to run.
   */
  interrupted?: () => boolean;
  /**
   * Pause after this epoch (successive halving's rungs): the run stops with its checkpoint as
   * after any epoch, not finished, so a later call trains on from it exactly as an uninterrupted
   * run would. Default: no pause (train to `maxEpochs` or early stopping).
   */
  untilEpoch?: number;
}

/** At most this much synchronous work (ms) between two turns of the event loop. */
const YIELD_MS = 50;
/** The most values of one probe shown on an epoch line (probes.jsonl holds them all). */
const PROBE_WORDS = 4;

/** What the checkpoint's JSON header holds. */
export interface CheckpointMeta {
  version: 1;
  /** Epochs completed. */
  epoch: number;
  finished: boolean;
  stoppedEarly: boolean;
  early: EarlyStoppingState;
  streams: Record<string, number>;
  optimizerOrder: string[];
  /** The config the run was trained with (absent in checkpoints written before it was stored). */
  config?: Record<string, unknown>;
}

export interface TrainOutcome {
  /** False when the run paused at `untilEpoch` before its end. */
  finished: boolean;
  epochs: number;
  stoppedEarly: boolean;
  bestEpoch: number;
  rows: MetricRecord[];
}

export async function train(
  task: TrainingTask,
  optimizer: tf.Optimizer,
  opts: TrainerOptions,
): Promise<TrainOutcome> {
  const { paths, progress } = opts;
  const variables = trainableVariables(task.layers);
  const weights = { weights: task.layers.flatMap((l) => l.weights) };

  let meta: CheckpointMeta = {
    version: 1,
    epoch: 0,
    finished: false,
    stoppedEarly: false,
    early: initialEarlyStopping(),
    streams: {},
    optimizerOrder: [],
  };
  let best = new Map<string, StoredTensor>();
  const note = opts.warn ?? (() => {});
  const ckpt = loadCheckpoint<CheckpointMeta>(paths, note);
  if (ckpt) {
    meta = ckpt.meta;
    checkSameConfig(paths, meta.config, opts.config);
    restoreWeights(task.layers, ckpt.tensors, 'weights');
    await restoreOptimizer(optimizer, variables, ckpt.tensors, meta.optimizerOrder);
    restoreStreams(task.layers, meta.streams);
    best = new Map([...ckpt.tensors].filter(([k]) => k.startsWith('best/')));
  }
  // Rows written after the checkpoint (a run killed mid-epoch-end) are replayed, so drop them.
  const stored = readMetrics(paths.metrics, note);
  const rows = stored.filter((r) => r.epoch <= meta.epoch);
  const replayed = [...new Set(stored.filter((r) => r.epoch > meta.epoch).map((r) => r.epoch))];
  if (replayed.length > 1 || (replayed.length === 1 && replayed[0] !== meta.epoch + 1))
    note(
      `note: ${paths.metrics} has epochs ${replayed.join(', ')}, past the checkpoint's epoch ${meta.epoch}: ` +
        `they are trained again${ckpt ? '' : ' (no checkpoint was found)'}`,
    );
  const missing = missingEpochs(rows, meta.epoch);
  if (missing.length > 0)
    throw new RunFileError(
      paths.metrics,
      `no valid/test rows for epoch(s) ${missing.join(', ')}, which the checkpoint has completed; ` +
        'restore the file from a copy, or start a new run with the options of config.json',
    );
  if (meta.epoch > 0 && !meta.finished)
    opts.log?.(`resuming after epoch ${meta.epoch} (its checkpoint), at epoch ${meta.epoch + 1}`);
  saving(paths, meta.epoch, 'the metrics', () => writeMetrics(paths.metrics, rows));
  const probes = task.probes ?? [];
  // Probe rows of epochs past the checkpoint are measured again, like the metrics rows.
  const probeRows = readProbes(paths.probes, note).filter((r) => r.epoch <= meta.epoch);
  const measure = (at: ProbeRecord['at'], epoch: number, batch: number, which = probes): void => {
    for (const p of which) probeRows.push({ probe: p.name, at, epoch, batch, values: p.measure() });
  };
  const saveProbes = () => {
    if (probes.length > 0 || probeRows.length > 0) writeProbes(paths.probes, probeRows);
  };
  saving(paths, meta.epoch, 'the probes', saveProbes);
  if (meta.epoch === 0 && !probeRows.some((r) => r.at === 'start')) measure('start', 0, 0);

  let yielded = performance.now();
  const checkInterrupted = async (epoch: number): Promise<void> => {
    if (performance.now() - yielded >= YIELD_MS) {
      await new Promise(setImmediate);
      yielded = performance.now();
    }
    if (opts.interrupted?.()) throw new InterruptedError(paths.dir, { epoch, kept: meta.epoch });
  };

  const epochSeconds: number[] = []; // wall time of each epoch finished here, for the run's ETA
  const lastEpoch = Math.min(opts.maxEpochs, opts.untilEpoch ?? Infinity);
  for (let epoch = meta.epoch + 1; !meta.finished && epoch <= lastEpoch; epoch++) {
    const started = performance.now();
    const batches = task.beginEpoch(epoch);
    for (const p of probes) p.beginEpoch?.(epoch);
    progress.start(batches, `epoch ${epoch}/${opts.maxEpochs}${runEta(epochSeconds, epoch, opts.maxEpochs)}`);
    try {
      for (let i = 0; i < batches; i++) {
        await checkInterrupted(epoch);
        const { value, grads } = tf.variableGrads(() => task.batchLoss(i), variables);
        const loss = value.dataSync()[0]!;
        if (!Number.isFinite(loss)) {
          tf.dispose([value, grads]);
          throw diverged(
            paths,
            meta.epoch,
            `epoch ${epoch}, batch ${i + 1}/${batches}: the training loss is ${loss}`,
          );
        }
        for (const p of probes) p.observeGradients?.(grads, epoch, i);
        optimizer.applyGradients(grads);
        tf.dispose([value, grads]);
        rl.constraints.applyConstraints(weights);
        task.endBatch(loss);
        measure(
          'batch',
          epoch,
          i + 1,
          probes.filter((p) => p.measureAfterBatch?.(epoch, i)),
        );
        progress.update(i + 1, task.trainScore().loss);
      }
    } finally {
      progress.stop();
    }
    const trainSeconds = (performance.now() - started) / 1000;
    await checkInterrupted(epoch);
    // Evaluation checks for Ctrl-C after every batch too (whole splits take a while).
    const evaluate = (split: 'valid' | 'test') =>
      timed(() => task.evaluate(split, () => checkInterrupted(epoch)));
    const scores = { train: task.trainScore(), valid: await evaluate('valid') };
    if (!Number.isFinite(scores.valid.score.loss)) {
      throw diverged(paths, meta.epoch, `epoch ${epoch}: the validation loss is ${scores.valid.score.loss}`);
    }
    const test = await evaluate('test');
    rows.push(
      row(task, epoch, 'train', scores.train, trainSeconds),
      row(task, epoch, 'valid', scores.valid.score, scores.valid.seconds),
      row(task, epoch, 'test', test.score, test.seconds),
    );

    measure('epoch', epoch, batches);

    const seen = observe(meta.early, epoch, scores.valid.score.loss, opts.patience);
    if (seen.improved) best = captureWeights(task.layers, 'best');
    const finished = seen.stop || epoch === opts.maxEpochs;
    if (finished) restoreWeights(task.layers, best, 'best'); // Keras 3: restore whether or not stopped early
    const opt = await captureOptimizer(optimizer, variables);
    meta = {
      version: 1,
      epoch,
      finished,
      stoppedEarly: seen.stop,
      early: seen.state,
      streams: captureStreams(task.layers),
      optimizerOrder: opt.order,
      ...(opts.config && { config: opts.config }),
    };
    opts.log?.(
      epochLine(task, epoch, scores.train, scores.valid.score, test.score, seen.improved, trainSeconds) +
        probeWords(probeRows.filter((r) => r.at === 'epoch' && r.epoch === epoch)),
    );
    const tensors = new Map([...captureWeights(task.layers, 'weights'), ...opt.tensors, ...best]);
    saving(paths, epoch - 1, `epoch ${epoch}'s metrics`, () => writeMetrics(paths.metrics, rows));
    saving(paths, epoch - 1, `epoch ${epoch}'s probes`, saveProbes);
    saving(paths, epoch - 1, `epoch ${epoch}'s checkpoint`, () => saveCheckpoint(paths, { meta, tensors }));
    await restoreOptimizer(optimizer, variables, opt.tensors, opt.order); // the resumed run's path
    epochSeconds.push((performance.now() - started) / 1000);
  }
  return {
    finished: meta.finished,
    epochs: meta.epoch,
    stoppedEarly: meta.stoppedEarly,
    bestEpoch: meta.early.bestEpoch,
    rows,
  };
}

/** Runs a write of the run's files; a file-system failure (a full disk) becomes a RunFailedError. */
function saving(paths: RunPaths, kept: number, what: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    if (!isFsError(e)) throw e;
    const checkpoint =
      kept > 0
        ? `the checkpoint of epoch ${kept} is kept`
        : 'no epoch had completed, so there is no checkpoint';
    throw new RunFailedError(
      `could not save ${what} in ${paths.dir}: ${describeFsError(e)}; ${checkpoint}. ` +
        `Fix the cause, then run 'regulab resume ${paths.dir}'.`,
      paths.dir,
    );
  }
}

function checkSameConfig(
  paths: RunPaths,
  trained?: Record<string, unknown>,
  now?: Record<string, unknown>,
): void {
  if (trained === undefined || now === undefined) return;
  const keys = [...new Set([...Object.keys(trained), ...Object.keys(now)])];
  const changed = keys.filter((k) => JSON.stringify(trained[k]) !== JSON.stringify(now[k]));
  if (changed.length === 0) return;
  const what = changed.map((k) => `"${k}" is ${JSON.stringify(now[k])}, was ${JSON.stringify(trained[k])}`);
  throw new ConfigError(
    `${paths.config} was changed after the run started (${what.join('; ')}); ` +
      'put the old values back to resume, or start a new run with the new ones',
  );
}

/** Epochs 1…`upTo` lacking their valid or test row. */
function missingEpochs(rows: readonly MetricRecord[], upTo: number): number[] {
  const missing: number[] = [];
  for (let e = 1; e <= upTo; e++) {
    const has = (split: string) => rows.some((r) => r.epoch === e && r.split === split);
    if (!has('valid') || !has('test')) missing.push(e);
  }
  return missing;
}

function diverged(paths: RunPaths, lastGood: number, what: string): RunFailedError {
  const kept =
    lastGood > 0
      ? `The checkpoint of epoch ${lastGood} is kept in ${paths.checkpoint}`
      : 'No epoch had completed, so there is no checkpoint';
  return new RunFailedError(
    `${what}; training stopped (diverged: try a lower --lr or --clip 1). ${kept}.`,
    paths.dir,
  );
}

async function timed(f: () => Promise<SplitScore>): Promise<{ score: SplitScore; seconds: number }> {
  const t0 = performance.now();
  const score = await f();
  return { score, seconds: (performance.now() - t0) / 1000 };
}

function row(
  task: TrainingTask,
  epoch: number,
  split: MetricRecord['split'],
  s: SplitScore,
  seconds: number,
): MetricRecord {
  return { epoch, split, loss: s.loss, [task.metric]: s.metric, seconds: Math.round(seconds * 1000) / 1000 };
}

/**
 * What the probes measured after the epoch, for its line: `  dropout-rates: dense_1 0.213,
 * softmax 0.0871` (each value to 3 significant digits, at most PROBE_WORDS of them per probe).
 */
function probeWords(rows: readonly ProbeRecord[]): string {
  return rows
    .map((r) => {
      const values = Object.entries(r.values);
      const shown = values.slice(0, PROBE_WORDS).map(([k, v]) => `${k} ${v.toPrecision(3)}`);
      return `  ${r.probe}: ${shown.join(', ')}${values.length > PROBE_WORDS ? ', …' : ''}`;
    })
    .join('');
}

function epochLine(
  task: TrainingTask,
  epoch: number,
  train: SplitScore,
  valid: SplitScore,
  test: SplitScore,
  improved: boolean,
  seconds: number,
): string {
  const f = (s: SplitScore) =>
    task.metric === 'accuracy' ? `${(100 * s.metric).toFixed(2)}%` : s.metric.toFixed(4);
  return (
    `epoch ${String(epoch).padStart(3)}  ${task.metric}: train ${f(train)}  valid ${f(valid)}${improved ? ' *' : '  '}` +
    `  test ${f(test)}  (${seconds.toFixed(1)} s)`
  );
}

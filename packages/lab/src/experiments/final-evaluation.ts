/**
 * The final evaluation of a finished run whose model has recurrent batch norm and whose config asks
 * for population statistics (`--bn-statistics population`): the best weights are in place (the
 * trainer restored them); the task recomputes each batch-normalized layer's per-step statistics
 * from the training data (rl.inference.recomputeBatchNormStatistics, Cooijmans et al. 2017 §3),
 * then validation and test are scored again. The epoch rows of metrics.jsonl stay as training
 * measured them (with the momentum averages; early stopping chose the epoch on them); the new
 * scores go into summary.json's `final`, beside the best epoch's, and the run's log.
 *
 * The checkpoint is not rewritten: a resumed finished run repeats the pass from the same weights
 * and gets the same scores.
 */
import type { MetricName } from '../store/metrics-log.js';
import type { SplitScore, TrainingTask } from '../train/task.js';

/** summary.json's `final`: the scores after the statistics pass, and the best epoch's before it. */
export interface FinalScores {
  /** What was done before scoring: batch norm's population statistics recomputed. */
  bnStatistics: 'population';
  /** The layers whose statistics were recomputed, and over how many training examples. */
  layers: string[];
  examples: number;
  metric: MetricName;
  valid: SplitScore;
  test: SplitScore;
  /** The best epoch's scores, with training's moving averages. */
  before: { valid: SplitScore; test: SplitScore };
}

/**
 * Runs the pass and scores valid and test; undefined when the task had nothing to recompute.
 * `before`: the best epoch's scores; `log` gets one line saying what changed.
 */
export async function finalEvaluation(
  task: TrainingTask,
  before: { valid: SplitScore; test: SplitScore },
  log?: (line: string) => void,
): Promise<FinalScores | undefined> {
  const pass = task.recomputeNormStatistics?.() ?? null;
  if (pass === null) return undefined;
  const valid = await task.evaluate('valid');
  const test = await task.evaluate('test');
  const m = task.metric;
  const f = (x: number) => x.toFixed(4);
  log?.(
    `final evaluation with batch norm's population statistics (recomputed over ${pass.examples} training examples, layer(s) ${pass.layers.join(', ')}): ` +
      `valid ${m} ${f(before.valid.metric)} → ${f(valid.metric)}, loss ${f(before.valid.loss)} → ${f(valid.loss)}; ` +
      `test ${m} ${f(before.test.metric)} → ${f(test.metric)}, loss ${f(before.test.loss)} → ${f(test.loss)} (before: training's moving averages)`,
  );
  return { bnStatistics: 'population', ...pass, metric: m, valid, test, before };
}

/**
 * Conclusions as sentences computed from the summaries: the best run and its margin, the test
 * score, the distance of each run from the baseline, which runs overfit, which were still
 * improving, the generalization gaps and the time. Nothing here is pre-written: every sentence
 * is built from measured numbers, and a sentence whose numbers are missing is left out.
 */
import { better, gapWords, type MetricInfo } from './metrics.js';
import type { RunSummary } from './summarize.js';

/** Options of `computeConclusions`. */
export interface ConclusionOptions {
  /** Index of the baseline run in `summaries` (null: no baseline sentences). */
  baseline?: number | null;
  /** A relative margin between the two best runs below which the report warns about seed noise. Default 0.01. */
  smallMargin?: number;
  /** The overfitting tolerance used by summarizeRuns, for the sentence that says none overfit. */
  overfitTolerance?: number;
}

/** The report's conclusions, one sentence each, in reading order (see the module doc). */
export function computeConclusions(
  summaries: RunSummary[],
  metric: MetricInfo,
  opts: ConclusionOptions = {},
): string[] {
  const out: string[] = [];
  const m = metric.short;
  const fmt = metric.format;
  const delta = (d: number) =>
    metric.name === 'accuracy' ? `${(Math.abs(d) * 100).toFixed(2)} percentage points` : fmt(Math.abs(d));
  const pct = (a: number, b: number) => `${((Math.abs(a - b) / Math.abs(b)) * 100).toFixed(1)}%`;
  const q = (name: string) => `“${name}”`;

  const ranked = summaries
    .filter((s) => s.best !== null)
    .sort((a, b) =>
      better(metric, a.best!.value, b.best!.value)
        ? -1
        : better(metric, b.best!.value, a.best!.value)
          ? 1
          : 0,
    );
  if (ranked.length === 0) return [`No run has a validation ${m} yet.`];

  const top = ranked[0]!;
  out.push(
    `${summaries.length > 1 ? `${q(top.name)} has the best validation ${m} at the epoch of lowest validation loss` : `Validation ${m} at the epoch of lowest validation loss`}: ` +
      `${fmt(top.best!.value)} at epoch ${top.best!.epoch} of ${top.epochs}.`,
  );
  if (ranked.length > 1) {
    const second = ranked[1]!;
    const d = top.best!.value - second.best!.value;
    out.push(
      d === 0
        ? `It ties with ${q(second.name)} (${fmt(second.best!.value)}).`
        : `It beats the runner-up, ${q(second.name)} (${fmt(second.best!.value)}), by ${delta(d)} (${pct(top.best!.value, second.best!.value)}).`,
    );
    const rel = Math.abs(d) / Math.abs(second.best!.value);
    const small = opts.smallMargin ?? 0.01;
    if (d !== 0 && rel < small)
      out.push(
        `That margin is under ${(small * 100).toFixed(0)}%: with one seed per run it may be within ` +
          'seed-to-seed variation; repeat with other seeds before concluding.',
      );
  }
  const tested = summaries.filter((s) => s.test !== null);
  if (tested.length > 0) {
    const bestTest = tested.reduce((a, b) => (better(metric, b.test!, a.test!) ? b : a));
    if (top.test !== null) out.push(`Test ${m} of ${q(top.name)}: ${fmt(top.test)}.`);
    if (bestTest.name !== top.name && tested.length > 1)
      out.push(`Ranked by test ${m} instead, ${q(bestTest.name)} is best (${fmt(bestTest.test!)}).`);
  }

  const b = opts.baseline ?? null;
  const base = b === null ? null : summaries[b];
  if (base && base.best && summaries.length > 1) {
    const parts = summaries
      .filter((s) => s !== base && s.best)
      .map((s) => {
        const d = s.best!.value - base.best!.value;
        const verdict =
          d === 0
            ? 'the same'
            : `${pct(s.best!.value, base.best!.value)} ${better(metric, s.best!.value, base.best!.value) ? 'better' : 'worse'}`;
        return `${q(s.name)} ${fmt(s.best!.value)} (${d >= 0 ? '+' : '−'}${delta(d)}, ${verdict})`;
      });
    out.push(
      `Against the baseline ${q(base.name)} (validation ${m} at its lowest-loss epoch ${fmt(base.best.value)}): ${parts.join('; ')}.`,
    );
  }

  const overfit = summaries.filter((s) => s.overfits);
  for (const s of overfit) {
    out.push(
      `${q(s.name)} overfits: validation ${m} went from ${fmt(s.best!.value)} at epoch ${s.best!.epoch} to ` +
        `${fmt(s.lastValid!.value)} at epoch ${s.lastValid!.epoch} (${(s.validWorsening * 100).toFixed(1)}% worse) ` +
        `while training ${m} kept improving, from ${fmt(s.trainAtBest!)} to ${fmt(s.lastTrain!.value)}.`,
    );
  }
  if (overfit.length === 0)
    out.push(
      `${summaries.length > 1 ? 'No run overfits' : 'The run does not overfit'} (validation ${m} more than ` +
        `${((opts.overfitTolerance ?? 0.01) * 100).toFixed(1)}% worse than its best while training ${m} improves).`,
    );
  const improving = summaries.filter((s) => s.stillImproving && s.epochs > 1);
  if (improving.length > 0)
    out.push(
      `${improving.map((s) => q(s.name)).join(', ')} ${improving.length > 1 ? 'were' : 'was'} still improving at the last epoch: more epochs may help.`,
    );

  const gaps = summaries
    .filter((s) => s.best && s.trainAtBest !== null)
    .map((s) => ({ name: s.name, gap: (metric.higherIsBetter ? -1 : 1) * (s.best!.value - s.trainAtBest!) }));
  if (gaps.length > 1) {
    gaps.sort((x, y) => x.gap - y.gap);
    const lo = gaps[0]!;
    const hi = gaps.at(-1)!;
    out.push(
      `Generalization gap at the best epoch (${gapWords(metric)}): ` +
        `smallest for ${q(lo.name)} (${fmt(lo.gap)}), largest for ${q(hi.name)} (${fmt(hi.gap)}).`,
    );
  } else if (gaps.length === 1) {
    out.push(`Generalization gap at the best epoch (${gapWords(metric)}): ${fmt(gaps[0]!.gap)}.`);
  }

  const timed = summaries.filter((s) => s.seconds !== null);
  if (timed.length > 1) {
    timed.sort((x, y) => x.seconds! - y.seconds!);
    out.push(
      `Time: from ${formatSeconds(timed[0]!.seconds!)} (${q(timed[0]!.name)}) to ` +
        `${formatSeconds(timed.at(-1)!.seconds!)} (${q(timed.at(-1)!.name)}).`,
    );
  }
  return out;
}

/** 42.0 s, 3 min 41 s, or 2.5 h. */
export function formatSeconds(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  const min = Math.floor(s / 60);
  return min < 120 ? `${min} min ${Math.round(s - 60 * min)} s` : `${(s / 3600).toFixed(1)} h`;
}

/**
 * The report section of `mc-dropout`: every run's best checkpoint evaluated with Monte Carlo
 * dropout (./mc-evaluation.ts), then per variant, over its seeds,
 *
 *   - the MC mean against the deterministic net on the test images: NLL, accuracy and ECE, with
 *     the paired difference MC − deterministic of each (95% interval over the seeds);
 *   - out-of-distribution detection: the AUROC of each uncertainty score on each set (mean);
 *   - quality against the number of samples: the MC mean's NLL for each S (mean), and the first S
 *     whose NLL is within 1% of the largest S's;
 *
 * two figures (the reliability diagram, pooled over seeds; NLL against S) and sentences that say
 * what the numbers show. Every run's numbers are kept in `<reportDir>/mc-dropout.json`.
 */
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeJson } from '../../store/run-dir.js';
import { CONFIG, type Figure } from '../../report/index.js';
import { escapeHtml } from '../../report/html.js';
import { mean, pairedDifference, type PairedDifference } from '../../stats/index.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import {
  evaluateMc,
  type McEvaluation,
  type McEvaluationOptions,
  OOD_SCORES,
  OOD_SETS,
} from './mc-evaluation.js';

/** A variant's evaluated runs. */
export interface McVariantRuns {
  name: string;
  label: string;
  runs: { seed: number; evaluation: McEvaluation }[];
}

/** What `<reportDir>/mc-dropout.json` holds. */
export interface McDropoutNumbers {
  options: McEvaluationOptions;
  variants: McVariantRuns[];
}

/** A variant's numbers over its seeds (what the sentences and tables say). */
export interface McVariantSummary {
  name: string;
  seeds: number;
  samples: number;
  deterministic: { nll: number; accuracy: number; ece: number };
  mc: { nll: number; accuracy: number; ece: number };
  /** MC − deterministic, paired over the seeds. */
  difference: { nll: PairedDifference; accuracy: PairedDifference; ece: PairedDifference };
  /** Mean AUROC of each score on each set. */
  ood: Record<(typeof OOD_SETS)[number], Record<(typeof OOD_SCORES)[number], number>>;
  /** Mean NLL of the MC mean for each S. */
  nllBySamples: { samples: number; nll: number }[];
  /** The smallest S whose mean NLL is within 1% of the largest S's. */
  enoughSamples: number;
}

/** The numbers of one variant over its seeds (see McVariantSummary). */
export function summarizeVariant(v: McVariantRuns): McVariantSummary {
  const runs = v.runs;
  const avg = (f: (e: McEvaluation) => number) => mean(runs.map((r) => f(r.evaluation)));
  const bySeed = (f: (e: McEvaluation) => number) => new Map(runs.map((r) => [r.seed, f(r.evaluation)]));
  const diff = (k: 'nll' | 'accuracy' | 'ece') =>
    pairedDifference(
      bySeed((e) => e.mc[k]),
      bySeed((e) => e.deterministic[k]),
    );
  const curve = runs[0]!.evaluation.bySamples.map((p, i) => ({
    samples: p.samples,
    nll: avg((e) => e.bySamples[i]!.nll),
  }));
  const last = curve.at(-1)!.nll;
  return {
    name: v.name,
    seeds: runs.length,
    samples: runs[0]!.evaluation.samples,
    deterministic: {
      nll: avg((e) => e.deterministic.nll),
      accuracy: avg((e) => e.deterministic.accuracy),
      ece: avg((e) => e.deterministic.ece),
    },
    mc: { nll: avg((e) => e.mc.nll), accuracy: avg((e) => e.mc.accuracy), ece: avg((e) => e.mc.ece) },
    difference: { nll: diff('nll'), accuracy: diff('accuracy'), ece: diff('ece') },
    ood: Object.fromEntries(
      OOD_SETS.map((set) => [set, Object.fromEntries(OOD_SCORES.map((k) => [k, avg((e) => e.ood[set][k])]))]),
    ) as McVariantSummary['ood'],
    nllBySamples: curve,
    enoughSamples: curve.find((p) => Math.abs(p.nll - last) <= 0.01 * Math.abs(last))!.samples,
  };
}

const f3 = (x: number) => x.toFixed(3);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const signed = (x: number, digits: number, scale = 1) =>
  `${x >= 0 ? '+' : '−'}${Math.abs(x * scale).toFixed(digits)}`;
const interval = (d: PairedDifference, digits: number, scale = 1, unit = '') =>
  d.halfWidth === null
    ? `${signed(d.mean, digits, scale)}${unit}, one seed`
    : `${signed(d.mean, digits, scale)} ± ${(d.halfWidth * scale).toFixed(digits)}${unit}, ${d.supported ? 'supported' : 'not supported'}`;

/** The sentences of one variant's summary. */
export function variantConclusions(s: McVariantSummary): string[] {
  const q = `“${s.name}”`;
  const ood = OOD_SETS.map((set) => {
    const scores = OOD_SCORES.map((k) => `${k} ${s.ood[set][k].toFixed(3)}`).join(', ');
    const best = OOD_SCORES.reduce((a, b) => (s.ood[set][b] > s.ood[set][a] ? b : a));
    return `${set === 'rotated' ? 'digits rotated 90°' : 'uniform noise'}: ${scores} (best: ${best})`;
  });
  const first = s.nllBySamples[0]!;
  return [
    `${q}: the MC mean of ${s.samples} samples against the deterministic net on the test images (${s.seeds} seed${s.seeds === 1 ? '' : 's'}): ` +
      `NLL ${f3(s.mc.nll)} vs ${f3(s.deterministic.nll)} (MC − deterministic ${interval(s.difference.nll, 3)}), ` +
      `accuracy ${pct(s.mc.accuracy)} vs ${pct(s.deterministic.accuracy)} (${interval(s.difference.accuracy, 1, 100, ' pp')}), ` +
      `ECE ${f3(s.mc.ece)} vs ${f3(s.deterministic.ece)} (${interval(s.difference.ece, 3)}).`,
    `${q}: out-of-distribution AUROC (mean over seeds) — ${ood.join('; ')}.`,
    `${q}: the MC mean's NLL is ${f3(first.nll)} with S = ${first.samples} and ${f3(s.nllBySamples.at(-1)!.nll)} with S = ${s.samples}; ` +
      `within 1% of the latter from S = ${s.enoughSamples}.`,
  ];
}

/** The reliability diagram: accuracy against confidence per bin, pooled over the seeds. */
function reliabilityFigure(variants: readonly McVariantRuns[]): Figure {
  const values = variants.flatMap((v) =>
    (['deterministic', 'mc'] as const).flatMap((kind) => {
      const bins = v.runs[0]!.evaluation[kind].bins.map((_, b) => {
        const all = v.runs.map((r) => r.evaluation[kind].bins[b]!);
        const count = all.reduce((a, x) => a + x.count, 0);
        const sum = (f: (x: (typeof all)[number]) => number) =>
          all.reduce((a, x) => a + (x.count === 0 ? 0 : x.count * f(x)), 0);
        return {
          count,
          confidence: sum((x) => x.confidence) / count,
          accuracy: sum((x) => x.accuracy) / count,
        };
      });
      const line = `${v.name}, ${kind === 'mc' ? 'MC mean' : 'deterministic'}`;
      return bins.filter((b) => b.count > 0).map((b) => ({ line, ...b }));
    }),
  );
  return {
    id: 'mc-reliability',
    title: 'Reliability diagram (test images, all seeds pooled)',
    caption:
      'Accuracy against mean confidence in each confidence bin, per model and prediction; the diagonal is perfect calibration (below it: overconfident).',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 420,
      height: 360,
      config: CONFIG,
      layer: [
        {
          data: { values: [{ x: 0 }, { x: 1 }] },
          mark: { type: 'line', color: '#999', strokeDash: [4, 4] },
          encoding: {
            x: { field: 'x', type: 'quantitative' },
            y: { field: 'x', type: 'quantitative' },
          },
        },
        {
          data: { values },
          mark: { type: 'line', point: true, strokeWidth: 2 },
          encoding: {
            x: { field: 'confidence', type: 'quantitative', title: 'Confidence', scale: { domain: [0, 1] } },
            y: { field: 'accuracy', type: 'quantitative', title: 'Accuracy', scale: { domain: [0, 1] } },
            color: { field: 'line', type: 'nominal', title: 'Model, prediction' },
          },
        },
      ],
    } as TopLevelSpec,
  };
}

/** The MC mean's NLL against S, the deterministic NLL as a dashed level. */
function samplesFigure(summaries: readonly McVariantSummary[]): Figure {
  const values = summaries.flatMap((s) =>
    s.nllBySamples.flatMap((p) => [
      { variant: s.name, prediction: 'MC mean', samples: p.samples, nll: p.nll },
      { variant: s.name, prediction: 'deterministic', samples: p.samples, nll: s.deterministic.nll },
    ]),
  );
  return {
    id: 'mc-nll-by-samples',
    title: 'Test NLL against the number of samples (mean over seeds)',
    caption:
      "The MC mean's negative log-likelihood for each number of samples S (solid), and the deterministic net's (dashed), one colour per model.",
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 520,
      height: 300,
      config: CONFIG,
      data: { values },
      mark: { type: 'line', point: true, strokeWidth: 2 },
      encoding: {
        x: { field: 'samples', type: 'quantitative', title: 'Samples S', scale: { type: 'log', base: 2 } },
        y: { field: 'nll', type: 'quantitative', title: 'Test NLL (nats)', scale: { zero: false } },
        color: { field: 'variant', type: 'nominal', title: 'Model' },
        strokeDash: {
          field: 'prediction',
          type: 'nominal',
          title: 'Prediction',
          scale: {
            domain: ['MC mean', 'deterministic'],
            range: [
              [1, 0],
              [6, 4],
            ],
          },
        },
      },
    } as TopLevelSpec,
  };
}

/** Evaluates every run of `input` and writes the section (see the module doc). */
export async function mcDropoutSection(
  input: ReportSectionInput,
  options: McEvaluationOptions,
): Promise<ExperimentSection> {
  const variants: McVariantRuns[] = [];
  for (const v of input.variants) {
    const runs = [];
    for (const r of v.runs) runs.push({ seed: r.seed, evaluation: await evaluateMc(r.dir, options) });
    variants.push({ name: v.name, label: v.label, runs });
  }
  const numbers: McDropoutNumbers = { options, variants };
  writeJson(join(input.reportDir, 'mc-dropout.json'), numbers);
  const summaries = variants.map(summarizeVariant);
  const said = summaries.flatMap(variantConclusions);
  const row = (s: McVariantSummary) =>
    `<tr><td>${escapeHtml(s.name)}</td>` +
    [s.deterministic.nll, s.mc.nll, s.deterministic.accuracy, s.mc.accuracy, s.deterministic.ece, s.mc.ece]
      .map((x, i) => `<td>${i === 2 || i === 3 ? pct(x) : f3(x)}</td>`)
      .join('') +
    OOD_SETS.flatMap((set) => OOD_SCORES.map((k) => `<td>${f3(s.ood[set][k])}</td>`)).join('') +
    `</tr>`;
  const oodHead = OOD_SETS.flatMap((set) => OOD_SCORES.map((k) => `<th>AUROC ${set}: ${k}</th>`)).join('');
  const html =
    `<p>Each run's best-epoch weights on its test images: deterministic (dropout off) and the mean of ` +
    `${options.samples.at(-1)} Monte Carlo dropout samples (rl.inference.mcPredict); out-of-distribution ` +
    `sets: the test digits rotated 90° and uniform noise. Means over seeds.</p>` +
    `<table><thead><tr><th>model</th><th>NLL det.</th><th>NLL MC</th><th>acc. det.</th><th>acc. MC</th>` +
    `<th>ECE det.</th><th>ECE MC</th>${oodHead}</tr></thead><tbody>${summaries.map(row).join('')}</tbody></table>` +
    said.map((s) => `<p>${escapeHtml(s)}</p>`).join('');
  return {
    id: 'mc-dropout',
    title: 'Monte Carlo dropout: calibration, OOD detection, samples',
    html,
    figures: [reliabilityFigure(variants), samplesFigure(summaries)],
    conclusions: said,
  };
}

/**
 * The report section of `mc-dropout` (mnist MLP and CNN) and `mc-dropout-charlm` (the character
 * model): every run's best checkpoint evaluated with Monte Carlo dropout (./mc-evaluation.ts,
 * ./mc-charlm-evaluation.ts; both score through ./mc-scores.ts), then per variant, over its seeds,
 *
 *   - the MC mean against the deterministic net on the test images: NLL, accuracy and ECE, with
 *     the paired difference MC − deterministic of each (95% interval over the seeds);
 *   - out-of-distribution detection: the AUROC of each uncertainty score on each set (mean);
 *   - quality against the number of samples: the MC mean's NLL for each S (mean), and the first S
 *     whose NLL is within 1% of the largest S's;
 *
 * two figures (the reliability diagram, pooled over seeds; NLL against S) and sentences that say
 * what the numbers show. Every run's numbers are kept in `<reportDir>/<experiment>.json`. The
 * NLL is shown in nats (images) or in bits per character (NLL / ln 2: the character model).
 */
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeJson } from '../../store/run-dir.js';
import { CONFIG, type Figure } from '../../report/index.js';
import { type Cell, type Column, tableSectionHtml } from '../../report/section-html.js';
import { mean, pairedDifference, type PairedDifference } from '../../stats/index.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { keptEvaluations, runDigest } from './mc-kept-evaluations.js';
import {
  type McEvaluation,
  type McEvaluationOptions,
  OOD_SCORES,
  type OodScore,
  scoringPasses,
} from './mc-scores.js';

/** What differs between the experiments that share this section. */
export interface McSectionSetup {
  /** The experiment's name: the section's id and the numbers' file `<reportDir>/<experiment>.json`. */
  experiment: string;
  title: string;
  /** The first paragraph: what was evaluated on what. */
  intro: string;
  /** Evaluates one run directory, telling `done` of its forward passes as they are made. */
  evaluate(
    runDir: string,
    options: McEvaluationOptions,
    done?: (passes: number) => void,
  ): Promise<McEvaluation>;
  /** The out-of-distribution sets, in order: their key in McEvaluation.ood and their name in sentences. */
  oodSets: readonly { key: string; words: string }[];
  /** 'nats' (NLL as computed) or 'bpc' (bits per character: NLL / ln 2). */
  nll: 'nats' | 'bpc';
}

/** A variant's evaluated runs. */
export interface McVariantRuns {
  name: string;
  label: string;
  /** `digest`: which weights were evaluated (./mc-kept-evaluations.ts), so a rewrite reuses it. */
  runs: { seed: number; digest?: string; evaluation: McEvaluation }[];
}

/** What `<reportDir>/mc-dropout.json` holds. */
export interface McDropoutNumbers {
  options: McEvaluationOptions;
  /** NLLs here are in nats whatever the section shows. */
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
  ood: Record<string, Record<OodScore, number>>;
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
      Object.keys(runs[0]!.evaluation.ood).map((set) => [
        set,
        Object.fromEntries(OOD_SCORES.map((k) => [k, avg((e) => e.ood[set]![k])])),
      ]),
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

/** How the NLL is shown: its name and the factor from nats. */
export function nllUnit(nll: McSectionSetup['nll']): { name: string; scale: number } {
  return nll === 'bpc' ? { name: 'bpc', scale: 1 / Math.LN2 } : { name: 'NLL', scale: 1 };
}

/** The sentences of one variant's summary. */
export function variantConclusions(
  s: McVariantSummary,
  setup: Pick<McSectionSetup, 'oodSets' | 'nll'>,
): string[] {
  const q = `“${s.name}”`;
  const u = nllUnit(setup.nll);
  const n3 = (x: number) => f3(x * u.scale);
  const ood = setup.oodSets.map(({ key, words }) => {
    const scores = OOD_SCORES.map((k) => `${k} ${s.ood[key]![k].toFixed(3)}`).join(', ');
    const best = OOD_SCORES.reduce((a, b) => (s.ood[key]![b] > s.ood[key]![a] ? b : a));
    return `${words}: ${scores} (best: ${best})`;
  });
  const first = s.nllBySamples[0]!;
  return [
    `${q}: the MC mean of ${s.samples} samples against the deterministic net on the test set (${s.seeds} seed${s.seeds === 1 ? '' : 's'}): ` +
      `${u.name} ${n3(s.mc.nll)} vs ${n3(s.deterministic.nll)} (MC − deterministic ${interval(s.difference.nll, 3, u.scale)}), ` +
      `accuracy ${pct(s.mc.accuracy)} vs ${pct(s.deterministic.accuracy)} (${interval(s.difference.accuracy, 1, 100, ' pp')}), ` +
      `ECE ${f3(s.mc.ece)} vs ${f3(s.deterministic.ece)} (${interval(s.difference.ece, 3)}).`,
    `${q}: out-of-distribution AUROC (mean over seeds) — ${ood.join('; ')}.`,
    `${q}: the MC mean's ${u.name} is ${n3(first.nll)} with S = ${first.samples} and ${n3(s.nllBySamples.at(-1)!.nll)} with S = ${s.samples}; ` +
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
function samplesFigure(summaries: readonly McVariantSummary[], nll: McSectionSetup['nll']): Figure {
  const u = nllUnit(nll);
  const values = summaries.flatMap((s) =>
    s.nllBySamples.flatMap((p) => [
      { variant: s.name, prediction: 'MC mean', samples: p.samples, nll: p.nll * u.scale },
      {
        variant: s.name,
        prediction: 'deterministic',
        samples: p.samples,
        nll: s.deterministic.nll * u.scale,
      },
    ]),
  );
  return {
    id: 'mc-nll-by-samples',
    title: `Test ${u.name} against the number of samples (mean over seeds)`,
    caption: `The MC mean's ${nll === 'bpc' ? 'bits per character' : 'negative log-likelihood'} for each number of samples S (solid), and the deterministic net's (dashed), one colour per model.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: 520,
      height: 300,
      config: CONFIG,
      data: { values },
      mark: { type: 'line', point: true, strokeWidth: 2 },
      encoding: {
        x: { field: 'samples', type: 'quantitative', title: 'Samples S', scale: { type: 'log', base: 2 } },
        y: {
          field: 'nll',
          type: 'quantitative',
          title: nll === 'bpc' ? 'Test bits per character' : 'Test NLL (nats)',
          scale: { zero: false },
        },
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

/**
 * Evaluates every run of `input` and writes the section (see the module doc). A run whose
 * evaluation the numbers file already keeps (same options, same weights) is not evaluated again;
 * the others' forward passes advance `input.progress`.
 */
export async function mcDropoutSection(
  input: ReportSectionInput,
  options: McEvaluationOptions,
  setup: McSectionSetup,
): Promise<ExperimentSection> {
  const file = join(input.reportDir, `${setup.experiment}.json`);
  const kept = keptEvaluations(file, options);
  const digests = new Map(input.variants.flatMap((v) => v.runs.map((r) => [r.dir, runDigest(r.dir)])));
  const toEvaluate = [...digests.values()].filter((d) => !kept.has(d)).length;
  const progress = input.progress;
  let passes = 0;
  if (toEvaluate > 0)
    progress?.start(
      toEvaluate * scoringPasses(options, setup.oodSets.length),
      `MC evaluation of ${toEvaluate} run(s)`,
    );
  const done = (n: number) => progress?.update((passes += n));
  const variants: McVariantRuns[] = [];
  try {
    for (const v of input.variants) {
      const runs = [];
      for (const r of v.runs) {
        const digest = digests.get(r.dir)!;
        const evaluation = kept.get(digest) ?? (await setup.evaluate(r.dir, options, done));
        runs.push({ seed: r.seed, digest, evaluation });
      }
      variants.push({ name: v.name, label: v.label, runs });
    }
  } finally {
    if (toEvaluate > 0) progress?.stop();
  }
  const numbers: McDropoutNumbers = { options, variants };
  writeJson(file, numbers);
  const summaries = variants.map(summarizeVariant);
  const said = summaries.flatMap((s) => variantConclusions(s, setup));
  const u = nllUnit(setup.nll);
  const num = (title: string): Column => ({ title, num: true });
  const columns = [
    'model',
    ...[`${u.name} det.`, `${u.name} MC`, 'acc. det.', 'acc. MC', 'ECE det.', 'ECE MC'].map(num),
    ...setup.oodSets.flatMap(({ key }) => OOD_SCORES.map((k) => num(`AUROC ${key}: ${k}`))),
  ];
  const rows = summaries.map((s): Cell[] => [
    s.name,
    f3(s.deterministic.nll * u.scale),
    f3(s.mc.nll * u.scale),
    pct(s.deterministic.accuracy),
    pct(s.mc.accuracy),
    f3(s.deterministic.ece),
    f3(s.mc.ece),
    ...setup.oodSets.flatMap(({ key }) => OOD_SCORES.map((k) => f3(s.ood[key]![k]))),
  ]);
  return {
    id: setup.experiment,
    title: setup.title,
    html: tableSectionHtml(setup.intro, { columns, rows }, said),
    figures: [reliabilityFigure(variants), samplesFigure(summaries, setup.nll)],
    conclusions: said,
  };
}

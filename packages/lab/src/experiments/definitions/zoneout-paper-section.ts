/**
 * The report section of `zoneout-paper`: the measured test accuracies beside the paper's (Krueger
 * et al., ICLR 2017, table 1, permuted MNIST), and every difference of setup, read from the runs'
 * configs where it depends on them (data, epochs, batch, pixels per step, seeds) and stated where
 * it is the lab's (zoneout masks, RMSProp's decay); and whether the paper's ranking holds here,
 * with which differences the test set can resolve (paperComparison).
 */
import { readRun } from '../../report/index.js';
import { listHtml, paragraphsHtml, tableHtml } from '../../report/section-html.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { type BySeed, metricBySeed } from './seed-values.js';

/** The paper's test accuracy (%) per variant of zoneout-paper.ts. */
export const PAPER_TEST_ACCURACY: Readonly<Record<string, number>> = {
  unregularized: 89.8,
  'recurrent-dropout': 92.5,
  zoneout: 93.1,
  'recurrent-bn': 95.4,
  'bn-zoneout': 95.9,
};

/** The paper's setup (papers.md): what each difference is measured against. */
const PAPER = { train: 50_000, valid: 10_000, test: 10_000, epochs: 150, pixelsPerStep: 1 };

/** The differences of setup between a run's config and the paper's, in words. */
export function setupDifferences(config: Record<string, unknown>, seeds: number): string[] {
  const out: string[] = [];
  const train = config['trainExamples'];
  const evaluated = Number(config['evalExamples']) || 997;
  if (config['data'] === 'mnist') {
    const se = 100 * Math.sqrt((0.93 * 0.07) / evaluated);
    out.push(
      `Data: the embedded 10,000 digits split 8,006 / 997 / 997${train ? ` (training on the first ${String(train)})` : ''}, not the full MNIST split ${PAPER.train} / ${PAPER.valid} / ${PAPER.test}: at least 6× less training data, and a test accuracy on ${evaluated} digits has a standard error of about ${se.toFixed(1)} points at 93%.`,
    );
  } else {
    out.push(
      `Data: '${String(config['data'])}' (the paper: full MNIST ${PAPER.train} / ${PAPER.valid} / ${PAPER.test}).`,
    );
  }
  const epochs = config['epochs'];
  const patience = config['patience'];
  if (epochs !== PAPER.epochs || (typeof patience === 'number' && patience > 0)) {
    out.push(
      `Training: at most ${String(epochs)} epochs${typeof patience === 'number' && patience > 0 ? `, early stopping with patience ${patience}` : ''} (the paper: ${PAPER.epochs} epochs).`,
    );
  }
  if (config['pixelsPerStep'] !== PAPER.pixelsPerStep) {
    out.push(
      `Sequence: ${String(config['pixelsPerStep'])} pixels per step (${784 / Number(config['pixelsPerStep'])} steps), not 1 pixel per step (784 steps).`,
    );
  }
  if (config['hidden'] !== 100) out.push(`Model: ${String(config['hidden'])} units, not 100.`);
  if (config['bnStatistics'] !== 'population') {
    out.push(
      `Batch norm statistics: test scored with training's per-step moving averages (momentum 0.99), not with population statistics estimated after training as Cooijmans et al. do (--bn-statistics population).`,
    );
  }
  out.push(
    `Zoneout: separate masks for c and h (the paper's pMNIST model shares one mask between them).`,
    `Optimizer: RMSProp lr ${String(config['lr'])} with tfjs's decay ρ = 0.9 (papers.md lists “decay 0.5” for the paper's RMSProp, which the lab's options cannot set); batches of ${String(config['batch'])}; gradient norm clipped to ${String(config['clip'])}.`,
    `Recurrent dropout: Semeniuta's (mask on the candidate, new every step) at 0.5; the paper's table names the method, the rate is assumed.`,
    `Seeds: ${seeds} per variant, the paper reports one number per model.`,
  );
  return out;
}

const pct = (x: number) => (x * 100).toFixed(1);
const meanSd = (x: BySeed): string => {
  const v = [...x.values()];
  const m = v.reduce((p, q) => p + q, 0) / v.length;
  if (v.length < 2) return pct(m);
  const sd = Math.sqrt(v.reduce((p, q) => p + (q - m) ** 2, 0) / (v.length - 1));
  return `${pct(m)} ± ${pct(sd)}`;
};

/**
 * Sentences comparing the measured ranking with the paper's: the variants in order of mean test
 * accuracy (`accuracy`: fractions per variant), the paper's order, and each variant against the
 * first of the definition (the baseline) with its difference d and the 95% half-width of a
 * difference of two accuracies measured on `digits` test digits each (1.96·√(p₁q₁/n + p₂q₂/n), n =
 * digits × seeds: binomial sampling of the test set only; seed-to-seed variation comes on top).
 */
export function paperComparison(
  accuracy: ReadonlyMap<string, number>,
  digits: number,
  seeds: number,
): string[] {
  const names = [...accuracy.keys()];
  if (names.length === 0) return [];
  const n = digits * Math.max(1, seeds);
  const byOurs = [...names].sort((a, b) => accuracy.get(b)! - accuracy.get(a)!);
  const byPaper = names
    .filter((v) => PAPER_TEST_ACCURACY[v] !== undefined)
    .sort((a, b) => PAPER_TEST_ACCURACY[b]! - PAPER_TEST_ACCURACY[a]!);
  const ours = byOurs.filter((v) => PAPER_TEST_ACCURACY[v] !== undefined);
  const same = ours.length === byPaper.length && ours.every((v, i) => v === byPaper[i]);
  const out = [
    `Ranking by test accuracy here: ${byOurs.join(' > ')}; the paper's: ${byPaper.join(' > ')}${same ? ' (the same order)' : ' (a different order)'}.`,
  ];
  const base = names[0]!;
  const p0 = accuracy.get(base)!;
  for (const v of names.slice(1)) {
    const p = accuracy.get(v)!;
    const d = p - p0;
    const h = 1.96 * Math.sqrt((p * (1 - p) + p0 * (1 - p0)) / n);
    const verdict =
      Math.abs(d) > h
        ? `${d > 0 ? 'better' : 'worse'} than ${base}, beyond the test set's sampling error`
        : `not distinguishable from ${base} on ${n} test digits`;
    out.push(`“${v}” − “${base}”: ${d >= 0 ? '+' : '−'}${pct(Math.abs(d))} ± ${pct(h)} points: ${verdict}.`);
  }
  return out;
}

/** The section (see the module doc). */
export function zoneoutPaperSection(input: ReportSectionInput): ExperimentSection {
  const test = metricBySeed(input, 'accuracy', 'test');
  const rows = input.variants.map((v) => {
    const ours = test.get(v.name)!;
    const paper = PAPER_TEST_ACCURACY[v.name];
    return {
      v,
      ours: ours.size > 0 ? meanSd(ours) : '—',
      paper: paper === undefined ? '—' : paper.toFixed(1),
    };
  });
  const first = input.variants[0]?.runs[0];
  const seeds = Math.max(0, ...input.variants.map((v) => v.runs.length));
  const differences = first ? setupDifferences(readRun(first.dir).config, seeds) : [];
  const said = rows
    .filter((r) => r.ours !== '—' && r.paper !== '—')
    .map((r) => `“${r.v.name}”: test accuracy ${r.ours}% here against the paper's ${r.paper}%.`);
  const means = new Map<string, number>();
  for (const v of input.variants) {
    const values = [...test.get(v.name)!.values()];
    if (values.length > 0) means.set(v.name, values.reduce((p, q) => p + q, 0) / values.length);
  }
  const digits = first ? Number(readRun(first.dir).config['evalExamples']) || 997 : 997;
  said.push(...paperComparison(means, digits, seeds));
  const html =
    tableHtml(
      [
        'variant',
        'what',
        { title: 'test accuracy %, here', num: true },
        { title: 'paper (full MNIST)', num: true },
      ],
      rows.map((r) => [r.v.name, r.v.label, r.ours, r.paper]),
    ) +
    paragraphsHtml(['Differences of setup from the paper (Krueger et al., ICLR 2017, table 1):']) +
    listHtml(differences);
  return { id: 'zoneout-paper', title: "Beside the paper's table", html, conclusions: said };
}

/**
 * The report section of a two-factor grid (./factor-grid.ts): heatmaps of the validation loss
 * and accuracy of every cell (at its best validation epoch, mean over seeds), and for every cell
 * with both factors on, the interaction
 *
 *   I = gain(both) − gain(A) − gain(B)   (test accuracy, paired over the seeds, 95% interval)
 *
 * classified by ./interaction.ts's rules (additive, diminishing, harmful, more than additive). A
 * harmful cell is also checked for underfitting: its training accuracy at its best epoch (masks
 * on) below that of the better single regularizer.
 */
import { heatmapFigure } from '../../report/heatmap.js';
import { escapeHtml } from '../../report/html.js';
import { type Cell, tableSectionHtml } from '../../report/section-html.js';
import type { ExperimentSection, ReportSectionInput } from '../definition.js';
import { type FactorGrid, cellName, gridCells } from './factor-grid.js';
import { percent, ppWithInterval, quoted, seedCount, signedPp, pp } from './format.js';
import { type InteractionResult, interaction } from './interaction.js';
import { type BySeed, accuracyBySeed, atBestEpoch, runValuesBySeed } from './seed-values.js';

/** One combination's interaction, with the names of the variants it is computed from. */
interface Combination {
  i: number;
  j: number;
  names: { none: string; a: string; b: string; both: string };
  result: InteractionResult;
  /** Training accuracy at the best epoch, mean over seeds: the combination's, the better single one's. */
  train: { both: number; better: number } | null;
}

const mean = (x: BySeed) => [...x.values()].reduce((p, q) => p + q, 0) / x.size;

/** The section (see the module doc). */
export function gridSection(input: ReportSectionInput, grid: FactorGrid): ExperimentSection {
  const validLoss = runValuesBySeed(input, (run) => atBestEpoch(run, 'valid', 'loss'));
  const validAcc = runValuesBySeed(input, (run) => atBestEpoch(run, 'valid', 'accuracy'));
  const trainAcc = runValuesBySeed(input, (run) => atBestEpoch(run, 'train', 'accuracy'));
  const test = accuracyBySeed(input, 'test');
  const has = (m: Map<string, BySeed>, name: string) => (m.get(name)?.size ?? 0) > 0;
  const cells = gridCells(grid).filter((c) => has(validLoss, c.name));
  const at = (i: number, j: number) => ({ x: grid.a.levels[i]!.short, y: grid.b.levels[j]!.short });

  const combinations: Combination[] = [];
  for (const { i, j, name } of gridCells(grid)) {
    if (i === 0 || j === 0) continue;
    const names = {
      none: cellName(grid, 0, 0),
      a: cellName(grid, i, 0),
      b: cellName(grid, 0, j),
      both: name,
    };
    if (!Object.values(names).every((n) => has(test, n))) continue;
    const result = interaction(test, names);
    const better = mean(test.get(names.a)!) >= mean(test.get(names.b)!) ? names.a : names.b;
    const train =
      has(trainAcc, name) && has(trainAcc, better)
        ? { both: mean(trainAcc.get(name)!), better: mean(trainAcc.get(better)!) }
        : null;
    combinations.push({ i, j, names, result, train });
  }

  const said: string[] = [];
  const best = (m: Map<string, BySeed>, lowest: boolean) =>
    cells.reduce((a, b) => (mean(m.get(b.name)!) < mean(m.get(a.name)!) === lowest ? b : a));
  if (cells.length > 0) {
    const byLoss = best(validLoss, true);
    const byAcc = best(validAcc, false);
    said.push(
      `Lowest mean validation loss: ${quoted(byLoss.name)} (${mean(validLoss.get(byLoss.name)!).toFixed(3)}); ` +
        `highest mean validation accuracy: ${quoted(byAcc.name)} (${percent(mean(validAcc.get(byAcc.name)!))}).`,
    );
  }
  for (const c of combinations) said.push(combinationSentence(c, grid));
  if (combinations.length > 0 && combinations[0]!.result.verdict !== 'unknown (one seed)') {
    const counts = new Map<string, number>();
    for (const c of combinations) counts.set(c.result.verdict, (counts.get(c.result.verdict) ?? 0) + 1);
    said.push(
      `Of the ${combinations.length} combinations, ` +
        [...counts].map(([verdict, n]) => `${n} ${verdict}`).join(', ') +
        ` (${seedCount(combinations[0]!.result.interaction.n)}; "additive" means the seeds cannot separate the combination from the sum of the single gains).`,
    );
  }

  const figures = [
    heatmapFigure({
      id: 'grid-valid-loss',
      title: 'Validation loss',
      caption: `Validation cross-entropy at each cell's best validation epoch, mean over seeds (lower is better).`,
      cells: cells.map((c) => ({ ...at(c.i, c.j), value: mean(validLoss.get(c.name)!) })),
      xTitle: grid.a.title,
      yTitle: grid.b.title,
      valueTitle: 'valid loss',
    }),
    heatmapFigure({
      id: 'grid-valid-accuracy',
      title: 'Validation accuracy',
      caption: `Validation accuracy at each cell's best validation epoch, mean over seeds (higher is better).`,
      cells: cells
        .filter((c) => has(validAcc, c.name))
        .map((c) => {
          const v = mean(validAcc.get(c.name)!);
          return { ...at(c.i, c.j), value: v, text: percent(v, 1) };
        }),
      xTitle: grid.a.title,
      yTitle: grid.b.title,
      valueTitle: 'valid accuracy',
    }),
    ...(combinations.length > 0
      ? [
          heatmapFigure({
            id: 'grid-interaction',
            title: 'Interaction on test accuracy',
            caption:
              'gain(both) − gain(A) − gain(B) in percentage points of test accuracy, with the half-width of its 95% interval and the verdict; 0 is additive.',
            cells: combinations.map((c) => {
              const I = c.result.interaction;
              return {
                ...at(c.i, c.j),
                value: I.mean * 100,
                text: `${signedPp(I.mean)}${I.halfWidth === null ? '' : ` ± ${pp(I.halfWidth)}`}\n${c.result.verdict}`,
              };
            }),
            xTitle: grid.a.title,
            yTitle: grid.b.title,
            valueTitle: 'interaction (pp)',
          }),
        ]
      : []),
  ];

  const num = (title: string) => ({ title, num: true });
  const row = (c: Combination): Cell[] => [
    c.names.both,
    ...[c.result.gains.a, c.result.gains.b, c.result.gains.both, c.result.interaction].map(ppWithInterval),
    { html: `<strong>${escapeHtml(c.result.verdict)}</strong>` },
  ];
  const html = tableSectionHtml(
    `Every cell of ${grid.a.title} × ${grid.b.title}; gains are in test accuracy over ` +
      `${cellName(grid, 0, 0)}, paired over the seeds, with 95% intervals.`,
    {
      columns: [
        'combination',
        num('gain(A)'),
        num('gain(B)'),
        num('gain(both)'),
        num('interaction'),
        'verdict',
      ],
      rows: combinations.map(row),
    },
    said,
  );
  return { id: 'grid', title: 'Do they add up?', html, conclusions: said, figures };
}

/** The sentence of one combination: its interaction, the verdict, and what the verdict rests on. */
function combinationSentence(c: Combination, grid: FactorGrid): string {
  const { names, result: r } = c;
  const head =
    `${grid.a.levels[c.i]!.label} with ${grid.b.levels[c.j]!.label} (${quoted(names.both)}): ` +
    `gain(both) − gain(${names.a}) − gain(${names.b}) = ${ppWithInterval(r.interaction)}`;
  const n = r.interaction.n;
  switch (r.verdict) {
    case 'unknown (one seed)':
      return `${head} with one seed: run with --seeds 3 (or more) to learn whether they add up.`;
    case 'additive':
      return `${head} (95% CI): additive as far as ${seedCount(n)} can tell — the interval includes 0, so the seeds cannot separate the combination from the sum of the single gains.`;
    case 'diminishing':
      return `${head} (95% CI): diminishing returns — together they gain less than the sum of their gains (the combination is ${ppWithInterval(r.overBest)} from the better one alone).`;
    case 'more than additive':
      return `${head} (95% CI): more than additive — together they gain more than the sum of their gains.`;
    case 'harmful': {
      const fit =
        c.train === null
          ? ''
          : c.train.both < c.train.better
            ? `; it underfits: training accuracy at its best epoch (masks on) ${percent(c.train.both)} against ${percent(c.train.better)}`
            : `; not by underfitting: its training accuracy at its best epoch (masks on) is ${percent(c.train.both)} against ${percent(c.train.better)}`;
      return `${head} (95% CI): harmful — the combination is worse than the better single one: ${ppWithInterval(r.overBest)} from it${fit}.`;
    }
  }
}

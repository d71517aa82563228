/**
 * The report of a sweep (`<dir>/report.html`, figures in `<dir>/plots/`): conclusions drawn from
 * the numbers (the best cell with its 95% interval, whether the seeds separate it from the
 * runner-up, failed runs, what successive halving saved), the sweep's figures (sweep-figures.ts),
 * a table of every cell, then — as in every report — the learning curves, results table and
 * configurations of one run per cell (the first seed).
 */
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { prefixSvgIds, renderSvg, svgToPng } from '../report/charts.js';
import { escapeHtml } from '../report/html.js';
import { ReportInputError, writeReport } from '../report/index.js';
import { writeFileAtomic } from '../store/atomic.js';
import { makeDirectory } from '../store/make-directory.js';
import { rungOf, stopWords } from './halving.js';
import { describeCell, type SweepConfig } from './sweep-config.js';
import { sweepFigures } from './sweep-figures.js';
import { type CellRun, interval, meanSd, type SweepStatistics, sweepStatistics } from './sweep-statistics.js';

/** Where a run of the sweep ended, in words. */
export function runEnd(sweep: SweepConfig, run: CellRun): string {
  const { state } = run;
  if (sweep.halving) {
    const status =
      state.status === 'failed'
        ? 'failed'
        : state.stoppedEarly
          ? 'stoppedEarly'
          : state.status === 'finished'
            ? 'finished'
            : 'stopped';
    return stopWords({ epochs: state.epochs, status }, sweep.halving.rungs);
  }
  if (state.status === 'failed') return `failed after ${state.epochs} epoch(s)`;
  if (state.status === 'finished')
    return state.stoppedEarly ? `stopped early at epoch ${state.epochs}` : `${state.epochs} epochs`;
  return state.epochs === 0 ? 'not started' : `incomplete (${state.epochs} epochs)`;
}

/** The sentences the report opens with. */
export function sweepConclusions(
  sweep: SweepConfig,
  stats: SweepStatistics,
  failures: ReadonlyMap<string, string>,
): string[] {
  const m = stats.metric;
  const out: string[] = [];
  if (stats.best === null) return ['No run of the sweep completed an epoch: there is nothing to compare.'];
  const best = stats.cells[stats.best]!;
  const v = best.valid!;
  const ci = interval(v, m);
  const seeds = v.n === 1 ? '1 run' : `mean ± sd over ${v.n} seeds`;
  out.push(
    `The best cell is “${best.cell.name}” (${describeCell(best.cell.values)}): validation ${m.short} at the best-loss epoch ` +
      `${meanSd(v, m)} (${seeds}${ci ? `; 95% CI ${ci}` : ''})` +
      (best.test ? `, test ${meanSd(best.test, m)}.` : '.'),
  );
  const others = stats.cells.filter((c, i) => i !== stats.best && c.valid !== null);
  const runnerUp = others.sort((a, b) => (m.higherIsBetter ? -1 : 1) * (a.valid!.mean - b.valid!.mean))[0];
  if (runnerUp && v.halfWidth !== null) {
    const inside = Math.abs(runnerUp.valid!.mean - v.mean) <= v.halfWidth;
    out.push(
      `The runner-up “${runnerUp.cell.name}” (${meanSd(runnerUp.valid!, m)}) ` +
        (inside
          ? `lies inside the best cell's 95% interval: the ${v.n} seeds do not separate the two.`
          : `lies outside the best cell's 95% interval.`),
    );
  } else if (runnerUp) {
    out.push(
      'With one seed per cell there is no interval: run with --seeds 3 or more to tell real differences from seed noise.',
    );
  }
  if (failures.size > 0)
    out.push(
      `${failures.size} run(s) failed and are not averaged: ${[...failures].map(([k, e]) => `${k} (${e.split(';')[0]})`).join('; ')}.`,
    );
  if (sweep.halving) {
    const { rungs } = sweep.halving;
    const runs = stats.cells.flatMap((c) => c.runs);
    const trained = runs.reduce((a, r) => a + r.state.epochs, 0);
    const full = runs.length * rungs.at(-1)!;
    const byRung = rungs.map(
      (_, k) =>
        runs.filter(
          (r) => rungOf({ ...r.state, name: '', done: false, running: false, scores: [] }, rungs) === k,
        ).length,
    );
    out.push(
      `Successive halving trained ${trained} epochs in all, ${((100 * trained) / full).toFixed(0)}% of the ${full} ` +
        `that training every trial to epoch ${rungs.at(-1)} would take; trials by the last rung reached: ` +
        rungs.map((r, k) => `${byRung[k]} at epoch ${r}`).join(', ') +
        '.',
    );
  }
  return out;
}

function cellTable(sweep: SweepConfig, stats: SweepStatistics): string {
  const m = stats.metric;
  const head = ['Cell', ...sweep.axes, 'Runs', `Valid ${m.short}`, '95% CI', `Test ${m.short}`, 'Ended'];
  const rows = stats.cells.map((c, i) => {
    const cells = [
      `${escapeHtml(c.cell.name)}${i === stats.best ? ' <span class="badge best">best</span>' : ''}`,
      ...sweep.axes.map((a) => `<code>${escapeHtml(c.cell.values[a] ?? '')}</code>`),
      `${c.runs.filter((r) => r.state.status === 'finished').length}/${c.runs.length}`,
      c.valid ? escapeHtml(meanSd(c.valid, m)) : '—',
      c.valid ? escapeHtml(interval(c.valid, m) ?? '—') : '—',
      c.test ? escapeHtml(meanSd(c.test, m)) : '—',
      escapeHtml([...new Set(c.runs.map((r) => runEnd(sweep, r)))].join('; ')),
    ];
    return `<tr>${cells.map((x, j) => (j === 0 ? `<th scope="row">${x}</th>` : `<td>${x}</td>`)).join('')}</tr>`;
  });
  return `<div class="table-wrap"><table>
<thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
}

/** Writes the report of the sweep in `dir`; returns its statistics and conclusions. */
export async function writeSweepReport(
  sweep: SweepConfig,
  dir: string,
  failures: ReadonlyMap<string, string>,
  notes: readonly string[] = [],
): Promise<{ stats: SweepStatistics; conclusions: string[]; report: string }> {
  const stats = sweepStatistics(sweep, dir);
  const conclusions = [...sweepConclusions(sweep, stats, failures), ...notes];
  const plots = join(dir, 'plots');
  makeDirectory(plots, 'the plots directory');
  const figures: string[] = [];
  for (const f of sweepFigures(sweep, stats)) {
    const svg = await renderSvg(f.spec);
    writeFileAtomic(join(plots, `${f.id}.svg`), svg);
    writeFileAtomic(join(plots, `${f.id}.png`), svgToPng(svg));
    figures.push(`<figure id="fig-${escapeHtml(f.id)}" aria-label="${escapeHtml(f.title)}">
${prefixSvgIds(svg, f.id)}
<figcaption>${escapeHtml(f.caption)}</figcaption>
</figure>`);
  }
  const shown = stats.cells
    .map((c) => ({ name: c.cell.name, run: c.runs.find((r) => r.best !== null) }))
    .filter((c) => c.run !== undefined);
  const report = join(dir, 'report.html');
  const title = `Sweep of ${sweep.target}: ${sweep.axes.join(' × ')}`;
  if (shown.length === 0) return { stats, conclusions, report };
  try {
    await writeReport(
      shown.map((c) => c.run!.dir),
      report,
      {
        title,
        metric: stats.metric.name,
        names: shown.map((c) => c.name),
        conclusions,
        sections: [
          {
            id: 'sweep',
            title: `${stats.cells.length} cells × seeds ${sweep.seeds.join(', ')}`,
            html: `${figures.join('\n')}\n${cellTable(sweep, stats)}`,
          },
        ],
        runsNote: sweep.seeds.length > 1 ? 'one seed per cell' : undefined,
        plotsDir: plots,
      },
    );
  } catch (e) {
    if (e instanceof ReportInputError) throw new ConfigError(e.message);
    throw e;
  }
  return { stats, conclusions, report };
}

/**
 * `writeReport` (one HTML page comparing runs, plus its figures as SVG and PNG) and
 * `renderRunPlots` (the figures of one run into its `plots/` directory).
 */
import { dirname, join, resolve } from 'node:path';

import { writeFileAtomic } from '../store/atomic.js';
import { makeDirectory } from '../store/make-directory.js';
import { gapFigure, learningCurveFigure, prefixSvgIds, renderSvg, svgToPng, type Figure } from './charts.js';
import { computeConclusions } from './conclusions.js';
import { figureHtml, renderPage, type ReportSection } from './html.js';
import { chooseMetric, type MetricInfo, type MetricName } from './metrics.js';
import { readRun, type RunData } from './run-data.js';
import { findBaseline, summarizeRuns, type RunSummary } from './summarize.js';

/** Options of `writeReport`. */
export interface ReportOptions {
  title?: string;
  /** The baseline run (name or directory); default: see findBaseline. */
  baseline?: string;
  /** Relative worsening of valid since its best epoch that counts as overfitting. Default 0.01. */
  overfitTolerance?: number;
  /** Margin between the two best runs under which a seed-noise caution is added. Default 0.01 (1%). */
  smallMargin?: number;
  /** Where the figures go. Default `<dirname(outFile)>/plots`. */
  plotsDir?: string;
  /** Force the headline metric (default: bpc, perplexity, accuracy, loss — the first all runs have). */
  metric?: MetricName;
  /** PNG scale factor. Default 2. */
  pngScale?: number;
  /** Names of the runs, in `runDirs` order (default: config.name, else the directory name). */
  names?: string[];
  /** Conclusions to show instead of the per-run ones (e.g. those of a multi-seed experiment). */
  conclusions?: string[];
  /** Conclusions said after those (computed or given), e.g. an experiment's own section's. */
  moreConclusions?: readonly string[];
  /** Extra sections after the conclusions. */
  sections?: ReportSection[];
  /** Said after the headings of the figures and results, e.g. "seed 1". */
  runsNote?: string;
}

/** What `writeReport` wrote and concluded (the CLI prints it with --json). */
export interface ReportSummary {
  outFile: string;
  /** The SVG and PNG files written. */
  plots: string[];
  metric: MetricName;
  conclusions: string[];
  summaries: RunSummary[];
  baseline: string | null;
}

/** Disambiguates runs with the same name by appending their parent directory. */
function uniqueNames(runs: RunData[]): void {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  for (const r of runs)
    if (counts.get(r.name)! > 1) r.name = `${r.name} (${r.dir.split('/').slice(-2).join('/')})`;
}

function figuresFor(runs: RunData[], summaries: RunSummary[], metric: MetricInfo): Figure[] {
  return [learningCurveFigure(runs, summaries, metric), gapFigure(runs, metric)];
}

/** Renders `figures` and writes each as SVG and PNG into `plotsDir`; returns the SVGs and the files. */
export async function writeFigures(
  figures: Figure[],
  plotsDir: string,
  scale: number,
): Promise<{ svgs: string[]; files: string[] }> {
  const svgs: string[] = [];
  const files: string[] = [];
  makeDirectory(plotsDir, 'the plots directory');
  for (const f of figures) {
    const svg = await renderSvg(f.spec);
    svgs.push(svg);
    const svgPath = join(plotsDir, `${f.id}.svg`);
    const pngPath = join(plotsDir, `${f.id}.png`);
    writeFileAtomic(svgPath, svg);
    writeFileAtomic(pngPath, svgToPng(svg, scale));
    files.push(svgPath, pngPath);
  }
  return { svgs, files };
}

/**
 * Writes one self-contained HTML report comparing `runDirs` to `outFile` (atomically), and every
 * figure as SVG and PNG into `opts.plotsDir` (default `<dirname(outFile)>/plots`).
 */
export async function writeReport(
  runDirs: string[],
  outFile: string,
  opts: ReportOptions = {},
): Promise<ReportSummary> {
  if (runDirs.length === 0) throw new Error('writeReport: give at least one run directory');
  const runs = runDirs.map(readRun);
  if (opts.names) runs.forEach((r, i) => (r.name = opts.names![i] ?? r.name));
  uniqueNames(runs);
  const metric = chooseMetric(runs, opts.metric);
  const summaries = summarizeRuns(runs, metric, { overfitTolerance: opts.overfitTolerance });
  const baseline = findBaseline(runs, opts.baseline);
  const conclusions = [
    ...(opts.conclusions ??
      computeConclusions(summaries, metric, {
        baseline,
        overfitTolerance: opts.overfitTolerance,
        smallMargin: opts.smallMargin,
      })),
    ...(opts.moreConclusions ?? []),
  ];
  const figures = figuresFor(runs, summaries, metric);
  const sectionFigures = (opts.sections ?? []).flatMap((s) => s.figures ?? []);
  const out = resolve(outFile);
  makeDirectory(dirname(out), `the report's directory`);
  const { svgs, files } = await writeFigures(
    [...figures, ...sectionFigures],
    opts.plotsDir ?? join(dirname(out), 'plots'),
    opts.pngScale ?? 2,
  );
  // Each figure's SVG, its ids made unique within the page, in the order rendered.
  const inline = svgs.map((svg, i) => prefixSvgIds(svg, `f${i}`));
  let next = figures.length;
  const sections = opts.sections?.map((s) => ({
    ...s,
    html: s.html + (s.figures ?? []).map((f) => figureHtml({ ...f, svg: inline[next++]! })).join('\n'),
  }));
  const html = renderPage({
    title:
      opts.title ??
      (runs.length === 1 ? `Run report: ${runs[0]!.name}` : `Comparison of ${runs.length} runs`),
    generatedAt: new Date(),
    metric,
    runs,
    summaries,
    conclusions,
    figures: figures.map((f, i) => ({ ...f, svg: inline[i]! })),
    baseline,
    warnings: runs.flatMap((r) => r.warnings),
    sections,
    runsNote: opts.runsNote,
  });
  writeFileAtomic(out, html);
  return {
    outFile: out,
    plots: files,
    metric: metric.name,
    conclusions,
    summaries,
    baseline: baseline === null ? null : runs[baseline]!.name,
  };
}

/** Writes the figures of one run (SVG and PNG) into `<runDir>/plots/`; returns the files. */
export async function renderRunPlots(
  runDir: string,
  opts: Pick<ReportOptions, 'metric' | 'pngScale'> = {},
): Promise<string[]> {
  const run = readRun(runDir);
  const metric = chooseMetric([run], opts.metric);
  const summaries = summarizeRuns([run], metric);
  const { files } = await writeFigures(
    figuresFor([run], summaries, metric),
    join(run.dir, 'plots'),
    opts.pngScale ?? 2,
  );
  return files;
}

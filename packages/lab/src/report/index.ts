/**
 * Reports: learning curves, a results table and conclusions computed from the measured numbers,
 * for one or more run directories (each holding `config.json` and `metrics.jsonl`).
 *
 * API summary:
 *   writeReport(runDirs, outFile, opts?): Promise<ReportSummary>
 *       one self-contained HTML file (inline SVG and CSS, no scripts, no network); every figure is
 *       also written as SVG and PNG into `<dirname(outFile)>/plots/` (override: opts.plotsDir).
 *       opts: { title?, baseline?: run dir or run name (default: the run whose config has the fewest
 *               regularizers switched on, else the first), overfitTolerance?: relative worsening
 *               of the validation metric since its best epoch that counts as overfitting (default 0.01 = 1%) }
 *   renderRunPlots(runDir, opts?): Promise<string[]>        the plots of one run into `<runDir>/plots/`
 *   readRun(runDir): RunData                                 parsed + validated config.json and metrics.jsonl
 *   summarizeRuns(runs, metric, opts?): RunSummary[]         best/last/test numbers per run
 *   computeConclusions(summaries, metric, opts?): string[]   sentences built from the numbers
 *   chooseMetric(runs, prefer?): MetricInfo                  the headline metric and its direction
 *
 * Types:
 *   MetricRow { epoch, split: 'train' | 'valid' | 'test', loss, bpc?, perplexity?, accuracy?, seconds? }
 *   RunData { dir, name, config, rows: MetricRow[] }
 *   ReportSummary { outFile, plots: string[], metric, conclusions: string[], summaries: RunSummary[], baseline }
 *
 * The headline metric is chosen from the rows: bpc, else perplexity (lower is better), else accuracy
 * (higher is better), else loss.
 */
export {
  writeReport,
  renderRunPlots,
  writeFigures,
  type ReportOptions,
  type ReportSummary,
} from './write-report.js';
export { readRun, MetricRowSchema, ReportInputError, type MetricRow, type RunData } from './run-data.js';
export {
  summarizeRuns,
  findBaseline,
  configDifferences,
  flattenConfig,
  activeRegularizers,
  type RunSummary,
  type SummaryOptions,
} from './summarize.js';
export { computeConclusions, formatSeconds, type ConclusionOptions } from './conclusions.js';
export { chooseMetric, metricInfo, series, type MetricInfo, type MetricName } from './metrics.js';
export {
  renderSvg,
  svgToPng,
  prefixSvgIds,
  learningCurveFigure,
  gapFigure,
  CONFIG,
  type Figure,
} from './charts.js';
export {
  writeSeedReport,
  seedReportStatistics,
  type SeedReportOptions,
  type SeedReportVariant,
} from './write-seed-report.js';
export {
  seedStatistics,
  measureOf,
  type SeedGroup,
  type SeedMeasure,
  type SeedStatistics,
  type MeasureStats,
  type SeedComparison,
} from './seeds.js';
export { seedConclusions } from './seed-conclusions.js';
export { seedTableHtml } from './seed-table.js';
export { type ReportSection } from './html.js';

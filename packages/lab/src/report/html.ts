/**
 * The report page: one self-contained HTML document (inline CSS and SVG; no scripts, no fonts or
 * images from the network), readable on screen and in print.
 */
import type { Figure } from './charts.js';
import { formatSeconds } from './conclusions.js';
import { better, type MetricInfo } from './metrics.js';
import type { RunData } from './run-data.js';
import type { RunSummary } from './summarize.js';

/** Everything the page shows. */
export interface PageInput {
  title: string;
  generatedAt: Date;
  metric: MetricInfo;
  runs: RunData[];
  summaries: RunSummary[];
  conclusions: string[];
  figures: { id: string; title: string; caption: string; svg: string }[];
  baseline: number | null;
  warnings: string[];
  /** Extra sections after the conclusions (an experiment's own, the multi-seed table). */
  sections?: ReportSection[];
  /** Said after the headings of the figures and the results, e.g. "seed 1" when other seeds are not drawn. */
  runsNote?: string;
}

/**
 * A section of the report page: its anchor, its heading, its HTML (no scripts) and the figures
 * drawn after it (writeReport renders them, inline and into plots/ as the learning curves).
 */
export interface ReportSection {
  id: string;
  title: string;
  html: string;
  figures?: readonly Figure[];
}

/** A figure as the page shows it: its rendered SVG and caption. */
export function figureHtml(f: { id: string; title: string; caption: string; svg: string }): string {
  return `<figure id="fig-${escapeHtml(f.id)}" aria-label="${escapeHtml(f.title)}">
${f.svg}
<figcaption>${escapeHtml(f.caption)}</figcaption>
</figure>`;
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** Escapes a sentence and sets “quoted” run names in bold. */
function sentence(s: string): string {
  return escapeHtml(s).replace(/“([^”]+)”/g, '<strong>$1</strong>');
}

function configValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** For each differing config key, its most common value among the runs (the first on ties). */
function usualValues(summaries: readonly RunSummary[]): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const s of summaries)
    for (const [k, v] of Object.entries(s.configDiff)) {
      const c = counts.get(k) ?? new Map<string, number>();
      c.set(configValue(v), (c.get(configValue(v)) ?? 0) + 1);
      counts.set(k, c);
    }
  return new Map(
    [...counts].map(([k, c]) => [k, [...c].reduce((a, b) => (b[1] > a[1] ? b : a))[0]] as [string, string]),
  );
}

function resultsTable(p: PageInput): string {
  const { metric: m, summaries } = p;
  const fmt = (v: number | null) => (v === null ? '—' : m.format(v));
  const withBest = summaries.filter((s) => s.best);
  const top = withBest.reduce<RunSummary | null>(
    (a, s) => (!a || better(m, s.best!.value, a.best!.value) ? s : a),
    null,
  );
  const base = p.baseline === null ? null : summaries[p.baseline]!;
  const showBase = base !== null && summaries.length > 1;
  const showDiff = summaries.some((s) => Object.keys(s.configDiff).length > 0);
  const usual = usualValues(summaries);
  const rows = summaries.map((s) => {
    const badges = [
      s === top && summaries.length > 1 ? '<span class="badge best">best</span>' : '',
      base === s ? '<span class="badge">baseline</span>' : '',
      s.overfits ? '<span class="badge warn">overfits</span>' : '',
      s.stillImproving && s.epochs > 1 ? '<span class="badge info">still improving</span>' : '',
    ].join('');
    let delta = '—';
    if (base?.best && s.best && s !== base) {
      const d = s.best.value - base.best.value;
      const rel = ((d / Math.abs(base.best.value)) * 100).toFixed(1);
      const good = better(m, s.best.value, base.best.value);
      delta = `<span class="${good ? 'good' : 'bad'}">${d >= 0 ? '+' : '−'}${m.name === 'accuracy' ? (Math.abs(d) * 100).toFixed(2) + ' pp' : m.format(Math.abs(d))} (${d >= 0 ? '+' : '−'}${Math.abs(Number(rel))}%)</span>`;
    }
    // Only what sets this run apart: the keys where its value is not the most common one.
    const diff = Object.entries(s.configDiff)
      .filter(([k, v]) => configValue(v) !== usual.get(k))
      .map(([k, v]) => `<code>${escapeHtml(k)}=${escapeHtml(configValue(v))}</code>`)
      .join(' ');
    return `<tr>
  <th scope="row">${escapeHtml(s.name)} ${badges}</th>
  <td class="num">${s.best ? fmt(s.best.value) : '—'}</td>
  <td class="num">${s.best ? `${s.best.epoch} / ${s.epochs}` : '—'}</td>
  <td class="num">${fmt(s.trainAtBest)}</td>
  <td class="num">${fmt(s.test)}${s.testAfterBnStatistics ? ` <span class="badge info" title="${BN_POPULATION_NOTE}">BN population</span>` : ''}</td>
  ${showBase ? `<td class="num">${delta}</td>` : ''}
  <td class="num">${s.seconds === null ? '—' : escapeHtml(formatSeconds(s.seconds))}</td>
  ${showDiff ? `<td class="cfg">${diff || '<span class="muted">—</span>'}</td>` : ''}
</tr>`;
  });
  return `<table>
<thead><tr>
  <th scope="col">Run</th><th scope="col" class="num">Valid ${escapeHtml(m.short)} at best-loss epoch</th>
  <th scope="col" class="num">Best-loss epoch</th><th scope="col" class="num">Train ${escapeHtml(m.short)} at best</th>
  <th scope="col" class="num">Test ${escapeHtml(m.short)}</th>${showBase ? '<th scope="col" class="num">vs baseline</th>' : ''}
  <th scope="col" class="num">Time</th>${showDiff ? '<th scope="col">Config differences</th>' : ''}
</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** The test cell's note when the run's test score came after recomputing batch norm's statistics. */
const BN_POPULATION_NOTE =
  "scored after recomputing recurrent batch norm's per-step population statistics from the training data (--bn-statistics population); the validation columns are the epoch's, with training's moving averages";

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1f2328;
  font: 15px/1.55 -apple-system, "Segoe UI", "Helvetica Neue", Helvetica, Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 32px 28px 56px; }
header h1 { font-size: 26px; line-height: 1.25; margin: 0 0 6px; letter-spacing: -0.01em; }
header p { margin: 0; color: #59636e; font-size: 13.5px; }
section { background: #fff; border: 1px solid #e1e4e8; border-radius: 10px; padding: 20px 24px; margin-top: 22px; }
h2 { font-size: 17px; margin: 0 0 12px; }
ul.conclusions { margin: 0; padding-left: 20px; }
ul.conclusions li { margin: 4px 0; }
figure { margin: 0 0 18px; }
figure:last-child { margin-bottom: 0; }
figure svg { width: 100%; max-width: 920px; height: auto; display: block; }
figcaption { color: #59636e; font-size: 13px; margin-top: 4px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
th, td { padding: 8px 10px; border-bottom: 1px solid #eaecef; text-align: left; vertical-align: top; }
thead th { font-size: 12px; text-transform: uppercase; letter-spacing: 0.03em; color: #59636e; border-bottom: 2px solid #d0d7de; }
tbody tr:hover { background: #f9fafb; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.cfg { min-width: 12em; overflow-wrap: anywhere; }
td.cfg code { display: inline-block; max-width: 100%; overflow-wrap: anywhere; background: #f3f4f6; border-radius: 4px; padding: 0 5px; margin: 1px 2px; font-size: 12px; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 10px; background: #eef1f4; color: #444; margin-left: 4px; vertical-align: 1px; }
.badge.best { background: #dafbe1; color: #116329; }
.badge.warn { background: #fff1e5; color: #9a4a00; }
.badge.info { background: #ddf4ff; color: #0550ae; }
.good { color: #116329; } .bad { color: #b42318; } .muted { color: #8c959f; }
details { margin: 6px 0; } summary { cursor: pointer; font-weight: 600; font-size: 14px; }
pre { background: #f6f8fa; border-radius: 6px; padding: 10px 12px; overflow-x: auto; font-size: 12px; }
.warnings { color: #9a4a00; font-size: 13px; }
@media print { body { background: #fff; } section { border: none; padding: 0; } }
`;

/** The whole report page as an HTML string. */
export function renderPage(p: PageInput): string {
  const runs = p.runs.length === 1 ? `run ${p.runs[0]!.name}` : `${p.runs.length} runs`;
  const figures = p.figures.map(figureHtml).join('\n');
  const configs = p.runs
    .map(
      (r) => `<details><summary>${escapeHtml(r.name)}</summary>
<p class="muted">${escapeHtml(r.dir)}</p>
<pre>${escapeHtml(JSON.stringify(r.config, null, 2))}</pre></details>`,
    )
    .join('\n');
  const note = p.runsNote ? ` (${escapeHtml(p.runsNote)})` : '';
  const warnings = p.warnings.length
    ? `<p class="warnings">${p.warnings.map(escapeHtml).join('<br>')}</p>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(p.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(p.title)}</h1>
<p>${escapeHtml(runs)} · headline metric: ${escapeHtml(p.metric.label.toLowerCase())} (${p.metric.higherIsBetter ? 'higher' : 'lower'} is better) · generated ${escapeHtml(p.generatedAt.toISOString().replace('T', ' ').slice(0, 16))} UTC</p>
</header>
<section id="conclusions">
<h2>Conclusions</h2>
<ul class="conclusions">
${p.conclusions.map((c) => `<li>${sentence(c)}</li>`).join('\n')}
</ul>
${warnings}
</section>
${(p.sections ?? [])
  .map(
    (x) => `<section id="${escapeHtml(x.id)}">
<h2>${escapeHtml(x.title)}</h2>
${x.html}
</section>
`,
  )
  .join('')}<section id="figures">
<h2>Learning curves${note}</h2>
${figures}
</section>
<section id="results">
<h2>Results${note}</h2>
<div class="table-wrap">${resultsTable(p)}</div>
</section>
<section id="configs">
<h2>Configurations</h2>
${configs}
</section>
</main>
</body>
</html>
`;
}

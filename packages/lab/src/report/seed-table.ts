/**
 * The table of a multi-seed experiment: per variant and measure, mean ± standard deviation, the
 * 95% interval of the mean, and the paired difference from the baseline with its interval
 * (green/red where the seeds support it, grey where they cannot separate the two).
 */
import { escapeHtml } from './html.js';
import type { MetricInfo } from './metrics.js';
import type { SeedStatistics } from './seeds.js';

const MEASURE_TITLE = { test: 'Test', valid: 'Valid at best-loss epoch' } as const;

/** The section's HTML (a table; no scripts). */
export function seedTableHtml(stats: SeedStatistics, metric: MetricInfo): string {
  const f = (v: number) => escapeHtml(metric.format(v));
  const d = (v: number) =>
    metric.name === 'accuracy'
      ? `${(Math.abs(v) * 100).toFixed(2)} pp`
      : escapeHtml(metric.format(Math.abs(v)));
  const pct = `${Math.round(stats.level * 100)}%`;
  const head = stats.measures
    .map(
      (m) =>
        `<th scope="col" class="num">${MEASURE_TITLE[m]} ${escapeHtml(metric.short)}: mean ± sd</th>` +
        `<th scope="col" class="num">${pct} CI</th>` +
        (stats.baseline !== null ? `<th scope="col" class="num">vs baseline (paired ${pct} CI)</th>` : ''),
    )
    .join('');
  const rows = stats.variants.map((v) => {
    const cells = stats.measures.map((m) => {
      const s = v.measures[m];
      const main = !s
        ? '—'
        : s.sd === null
          ? `${f(s.mean)} <span class="muted">(1 seed)</span>`
          : `${f(s.mean)} ± ${f(s.sd)} <span class="muted">(n=${s.n})</span>`;
      const ci = s && s.halfWidth !== null ? `${f(s.mean - s.halfWidth)} to ${f(s.mean + s.halfWidth)}` : '—';
      let vs = '';
      if (stats.baseline !== null) {
        const c = stats.comparisons.find((c) => c.variant === v.name && c.measure === m);
        if (v.name === stats.baseline) vs = '<span class="muted">baseline</span>';
        else if (!c) vs = '—';
        else {
          const diff = c.difference;
          const text = `${diff.mean >= 0 ? '+' : '−'}${d(diff.mean)}${diff.halfWidth !== null ? ` ± ${d(diff.halfWidth)}` : ''}`;
          const good = diff.mean < 0 !== metric.higherIsBetter;
          const cls = diff.supported ? (good ? 'good' : 'bad') : 'muted';
          vs = `<span class="${cls}">${text}</span>`;
        }
        vs = `<td class="num">${vs}</td>`;
      }
      return `<td class="num">${main}</td><td class="num">${ci}</td>${vs}`;
    });
    return `<tr><th scope="row">${escapeHtml(v.name)}${v.label ? `<br><span class="muted">${escapeHtml(v.label)}</span>` : ''}</th>${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table>
<thead><tr><th scope="col">Variant</th>${head}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>
<p class="muted">Seeds ${escapeHtml(stats.seeds.join(', '))}; each value is the run's ${escapeHtml(metric.label.toLowerCase())} at its epoch of lowest validation loss (test: after recomputing batch norm's statistics where the run did). Intervals: Student t over the seeds; differences: paired over the seeds both variants ran (coloured where the interval excludes 0).</p>`;
}

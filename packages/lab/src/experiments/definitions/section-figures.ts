/**
 * Figures of an experiment's own report section: written as SVG and PNG into the report's plots/
 * like the report's own figures, and inlined in the section's HTML.
 */
import { escapeHtml } from '../../report/html.js';
import { type Figure, prefixSvgIds, writeFigures } from '../../report/index.js';

export { CHART_CONFIG } from '../../report/index.js';

/** Writes `figures` into `plotsDir` and returns their HTML (ids prefixed with `prefix`). */
export async function sectionFiguresHtml(
  figures: Figure[],
  plotsDir: string,
  prefix: string,
): Promise<string> {
  const { svgs } = await writeFigures(figures, plotsDir, 2);
  return figures
    .map(
      (f, i) => `<figure id="fig-${escapeHtml(f.id)}" aria-label="${escapeHtml(f.title)}">
${prefixSvgIds(svgs[i]!, `${prefix}${i}`)}
<figcaption>${escapeHtml(f.caption)}</figcaption>
</figure>`,
    )
    .join('\n');
}

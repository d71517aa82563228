/**
 * The figures of an experiment's own report section: written into the report's plots/ directory
 * as SVG and PNG like the report's other figures, and drawn inline in the section's HTML.
 */
import { type Figure, prefixSvgIds } from './charts.js';
import { escapeHtml } from './html.js';
import { writeFigures } from './write-report.js';

/** Writes `figures` into `plotsDir` and returns their HTML (ids prefixed with `idPrefix`). */
export async function sectionFiguresHtml(
  figures: readonly Figure[],
  plotsDir: string,
  idPrefix: string,
): Promise<string> {
  const { svgs } = await writeFigures([...figures], plotsDir, 2);
  return figures
    .map(
      (f, i) => `<figure id="fig-${escapeHtml(f.id)}" aria-label="${escapeHtml(f.title)}">
<h3>${escapeHtml(f.title)}</h3>
${prefixSvgIds(svgs[i]!, `${idPrefix}${i}`)}
<figcaption>${escapeHtml(f.caption)}</figcaption>
</figure>`,
    )
    .join('\n');
}

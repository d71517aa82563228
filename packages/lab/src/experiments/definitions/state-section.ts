/**
 * The frame of the per-step state sections (`variance-over-time`: ./variance-over-time-section.ts,
 * `gradient-flow-*`: ./gradient-flow-section.ts): the section that says there is nothing to report
 * when no run has rows of the section's probe, and the table whose rows start with the layer, the
 * variant, the state (h, c) and the mode (train, inference), followed by the section's own values,
 * with its conclusions under it and its figures after it.
 */
import type { Figure } from '../../report/index.js';
import { type Cell, type Column, paragraphsHtml, tableSectionHtml } from '../../report/section-html.js';
import type { ExperimentSection } from '../definition.js';

/** The section of runs without rows of `probe`. */
export function noStateRowsSection(id: string, title: string, probe: string): ExperimentSection {
  const said = [`No ${probe} measurements to report (the runs have no ${probe} rows).`];
  return { id, title, html: paragraphsHtml(said), conclusions: said };
}

/** The section: `intro`, the table (layer, variant, state, mode, then `columns`), `said`, `figures`. */
export function stateTableSection(section: {
  id: string;
  title: string;
  intro: string;
  columns: readonly Column[];
  rows: readonly (readonly Cell[])[];
  said: readonly string[];
  figures: readonly Figure[];
}): ExperimentSection {
  const { id, title, intro, columns, rows, said, figures } = section;
  const html = tableSectionHtml(
    intro,
    { columns: ['layer', 'variant', 'state', 'mode', ...columns], rows },
    said,
  );
  return { id, title, html, figures, conclusions: said };
}

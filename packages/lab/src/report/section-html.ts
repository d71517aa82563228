/**
 * The HTML of an experiment's report section, declared once: an introduction, a table and one
 * paragraph per conclusion. Sections build rows of cells; the markup (escaping, numeric columns,
 * the scrolling wrapper) is written here only.
 */
import { escapeHtml } from './html.js';

/** A column: its heading (plain text) and whether it holds numbers (right-aligned as `num`). */
export interface Column {
  title: string;
  num?: boolean;
}

/** A cell: plain text or a number (escaped), or HTML already built (e.g. `<strong>`). */
export type Cell = string | number | { html: string };

function cellHtml(c: Cell): string {
  return typeof c === 'object' ? c.html : escapeHtml(String(c));
}

/**
 * A table in a horizontally scrolling wrapper. A column given as a string is a text column; the
 * cells of a `num` column get class "num". Throws when a row's length differs from the columns'.
 */
export function tableHtml(columns: readonly (string | Column)[], rows: readonly (readonly Cell[])[]): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { title: c } : c));
  const cls = (c: Column): string => (c.num ? ' class="num"' : '');
  const head = cols.map((c) => `<th scope="col"${cls(c)}>${escapeHtml(c.title)}</th>`).join('');
  const body = rows
    .map((row, i) => {
      if (row.length !== cols.length)
        throw new Error(`table row ${i} has ${row.length} cells but the table has ${cols.length} columns`);
      return `<tr>${row.map((cell, j) => `<td${cls(cols[j]!)}>${cellHtml(cell)}</td>`).join('')}</tr>`;
    })
    .join('');
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

/** One paragraph per sentence, escaped. */
export function paragraphsHtml(sentences: readonly string[]): string {
  return sentences.map((s) => `<p>${escapeHtml(s)}</p>`).join('');
}

/** A bulleted list, one item per sentence, escaped. */
export function listHtml(items: readonly string[]): string {
  return `<ul>${items.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>`;
}

/** A section's HTML: the introduction (plain text), the table, then the conclusions. */
export function tableSectionHtml(
  intro: string,
  table: { columns: readonly (string | Column)[]; rows: readonly (readonly Cell[])[] },
  conclusions: readonly string[],
): string {
  return paragraphsHtml([intro]) + tableHtml(table.columns, table.rows) + paragraphsHtml(conclusions);
}

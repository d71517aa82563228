/**
 * Two regularizers crossed in a grid (issue 14, experiment 2): A at levels a₀ = off, a₁ … (the
 * columns), B at b₀ = off, b₁ … (the rows), one variant per cell, all trained with the same
 * seeds. Each cell (aᵢ, bⱼ) with both switched on is the corner of a 2 × 2 factorial
 * {(a₀, b₀), (aᵢ, b₀), (a₀, bⱼ), (aᵢ, bⱼ)}, whose interaction ./interaction.ts measures.
 *
 * The grid is declared once (its levels) and gives both the experiment's variants and the report
 * section's cells, so the two cannot disagree.
 */
import type { Options, VariantDefinition } from '../definition.js';

/** One level of a factor: its part of the variant name ('' when off), its words, its options. */
export interface FactorLevel {
  /** Part of the variant name: lowercase letters, digits and dashes; '' for the off level. */
  key: string;
  /** Short, for a heatmap's axis: "0.2", "L2 weak". */
  short: string;
  /** In words, for labels: "dropout 0.2 after the hidden layer". */
  label: string;
  options: Options;
}

/** A factor: its name and its levels, the first of which is off. */
export interface Factor {
  title: string;
  levels: readonly FactorLevel[];
}

/** Two factors crossed; `a` gives the columns, `b` the rows. */
export interface FactorGrid {
  a: Factor;
  b: Factor;
}

/** The variant name of cell (i, j): the levels' keys joined by '-', or 'none' when both are off. */
export function cellName(grid: FactorGrid, i: number, j: number): string {
  return [grid.a.levels[i]!.key, grid.b.levels[j]!.key].filter((k) => k !== '').join('-') || 'none';
}

/** Every cell of the grid, row by row (b outer, a inner). */
export function gridCells(grid: FactorGrid): { i: number; j: number; name: string }[] {
  return grid.b.levels.flatMap((_, j) => grid.a.levels.map((_, i) => ({ i, j, name: cellName(grid, i, j) })));
}

/** The variants of the grid: one per cell, its options those of its two levels. */
export function gridVariants(grid: FactorGrid): VariantDefinition[] {
  return gridCells(grid).map(({ i, j, name }) => {
    const a = grid.a.levels[i]!;
    const b = grid.b.levels[j]!;
    const on = [a, b].filter((l) => l.key !== '');
    return {
      name,
      label: on.length === 0 ? 'no regularization' : on.map((l) => l.label).join(' and '),
      options: { ...a.options, ...b.options },
    };
  });
}

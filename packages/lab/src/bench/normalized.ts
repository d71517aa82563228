/**
 * Issue 13's normalised step cases (`charlm-ln-step`, `pmnist-bn-step`) in the bench: the
 * unnormalised case each one runs beside, how a normalised Regulab step is timed when it may run
 * on the tfjs reference op (seconds to minutes a step) or on the fused kernels (milliseconds), and
 * the two ratios the issue's targets are stated in:
 *
 *   vs_pytorch_cell_loop = ms(impl, case) ÷ ms(pytorch-zoneout, case)   target ≤ 0.3 (regulab-native)
 *   vs_unnormalized      = ms(impl, case) ÷ ms(impl, base case)         target ≤ 1.5 (regulab-native)
 *
 * PyTorch has no fused normalised LSTM, so its peer is the cell loop (`pytorch-zoneout`: the
 * loop a PyTorch user writes, here with the same normalisation and zoneout; bench/pytorch_peer.py).
 */
import { type AnyCase, type BenchLine, CASES, type CaseName } from './cases.js';

export const TARGET_VS_PYTORCH_CELL_LOOP = 0.3;
export const TARGET_VS_UNNORMALIZED = 1.5;

/** The PyTorch peer of a normalised case: the cell loop (there is no fused one). */
export const PYTORCH_CELL_LOOP = 'pytorch-zoneout';

/** Impls a normalised case does not run, and why (the table and JSON leave them out). */
export function skippedForNormalized(c: AnyCase, impl: string): string | null {
  if (c.kind !== 'recurrent' || c.normalized === undefined) return null;
  if (impl === 'pytorch-fused') return 'PyTorch has no fused normalised LSTM (its peer is the cell loop)';
  if (impl === 'tfjs-layers') return 'tfjs-layers has no normalised LSTM';
  return null;
}

/** The cases in order, each normalised one preceded by its unnormalised base when the list lacks it. */
export function withBaseCases(cases: CaseName[]): CaseName[] {
  const out: CaseName[] = [];
  for (const name of cases) {
    const c = CASES[name];
    const base = c.kind === 'recurrent' ? c.normalized?.base : undefined;
    if (base !== undefined && !cases.includes(base) && !out.includes(base)) out.push(base);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** How many steps of the sequence, warm-up and timed runs a worker does. */
export interface StepRun {
  steps: number;
  warmup: number;
  repeats: number;
}

/**
 * A step is slow above this much CPU time per example and time step (ms): the tfjs reference op
 * costs ~1.8 (charlm-ln, 2.9 s a step) and ~0.55 (pmnist-bn, ~43 s), the fused kernels ≤ 0.09
 * (wasm: charlm-ln 0.14 s, pmnist-bn 2.4 s), all on 2 loaded cores (2026-12-03). Per example and
 * step, one bound separates both cases although a pmnist step does 50 times the work of a charlm one.
 */
export const SLOW_CPU_MS_PER_ROW_STEP = 0.25;
/** Timed runs at most when slow: each is seconds (or, extrapolated, a prefix of the sequence). */
export const SLOW_REPEATS = 3;

/**
 * The run after one probe step of `probeSteps` time steps (batch `batch`) took `probeCpuMs` of CPU
 * time (the probe counts as a warm-up). Fast (estimated whole step ≤ SLOW_CPU_MS_PER_ROW_STEP per
 * example and step): the planned run over the whole sequence. Slow: at most SLOW_REPEATS timed
 * steps of the probe's length, no further warm-up (the worker extrapolates to the whole
 * sequence), so a run stays short.
 */
export function runAfterProbe(
  planned: StepRun,
  probeSteps: number,
  probeCpuMs: number,
  batch: number,
): StepRun & { slow: boolean; estimatedCpuMs: number } {
  const estimatedCpuMs = (probeCpuMs * planned.steps) / probeSteps;
  if (estimatedCpuMs <= SLOW_CPU_MS_PER_ROW_STEP * batch * planned.steps)
    return { ...planned, slow: false, estimatedCpuMs };
  return {
    steps: probeSteps,
    warmup: 0,
    repeats: Math.min(planned.repeats, SLOW_REPEATS),
    slow: true,
    estimatedCpuMs,
  };
}

const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

/**
 * Adds to each line of a normalised case `unnormalized_case`, `vs_unnormalized` and
 * `cpu_vs_unnormalized` (the same impl on the base case), `vs_pytorch_cell_loop` and
 * `cpu_vs_pytorch_cell_loop`, and on regulab-native `meets_targets` (both targets, wall time),
 * where the lines they need are there without error.
 */
export function addNormalizedRatios(lines: BenchLine[]): void {
  const find = (name: string | undefined, impl: string) =>
    lines.find(
      (l) => l.case === name && l.impl === impl && l.error === undefined && l.ms_per_step !== undefined,
    );
  for (const l of lines) {
    const c = CASES[l.case as CaseName] as AnyCase | undefined;
    if (c?.kind !== 'recurrent' || c.normalized === undefined || l.ms_per_step === undefined) continue;
    const base = find(c.normalized.base, l.impl);
    const torch = find(l.case, PYTORCH_CELL_LOOP);
    l.unnormalized_case = c.normalized.base;
    const vsBase = base ? ratio(l.ms_per_step, base.ms_per_step!) : undefined;
    const vsTorch =
      torch && l.impl !== PYTORCH_CELL_LOOP ? ratio(l.ms_per_step, torch.ms_per_step!) : undefined;
    if (base && vsBase !== undefined) {
      l.vs_unnormalized = vsBase;
      if (l.cpu_ms_per_step !== undefined && base.cpu_ms_per_step !== undefined)
        l.cpu_vs_unnormalized = ratio(l.cpu_ms_per_step, base.cpu_ms_per_step);
    }
    if (torch && vsTorch !== undefined) {
      l.vs_pytorch_cell_loop = vsTorch;
      if (l.cpu_ms_per_step !== undefined && torch.cpu_ms_per_step !== undefined)
        l.cpu_vs_pytorch_cell_loop = ratio(l.cpu_ms_per_step, torch.cpu_ms_per_step);
    }
    if (l.impl === 'regulab-native' && vsBase !== undefined && vsTorch !== undefined)
      l.meets_targets = vsTorch <= TARGET_VS_PYTORCH_CELL_LOOP && vsBase <= TARGET_VS_UNNORMALIZED;
  }
}

/** The table's note on a normalised case's line: its ratios and, on regulab-native, the targets. */
export function normalizedNote(l: BenchLine): string | undefined {
  if (l.unnormalized_case === undefined) return undefined;
  const native = l.impl === 'regulab-native';
  const parts = [
    l.vs_pytorch_cell_loop !== undefined
      ? `${String(l.vs_pytorch_cell_loop)} × PyTorch's cell loop${native ? ` (target ≤ ${TARGET_VS_PYTORCH_CELL_LOOP})` : ''}`
      : undefined,
    l.vs_unnormalized !== undefined
      ? `${String(l.vs_unnormalized)} × ${l.unnormalized_case}${native ? ` (target ≤ ${TARGET_VS_UNNORMALIZED})` : ''}`
      : undefined,
    l.meets_targets !== undefined ? (l.meets_targets ? 'targets met' : 'targets not met') : undefined,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

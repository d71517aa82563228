/**
 * Argument checks of the WebAssembly impl (clear errors instead of wrong answers or traps), and
 * how work is split between the threads.
 */
import type { FusedCommonArgs } from '../fused/impl.js';

function check(op: string, cond: boolean, msg: string): void {
  if (!cond) throw new Error(`${op}: ${msg}`);
}

export function checkArray(op: string, name: string, a: unknown, length: number): void {
  check(op, a instanceof Float32Array, `${name} must be a Float32Array (float32), got ${describe(a)}`);
  check(
    op,
    (a as Float32Array).length === length,
    `${name} must have ${length} elements, got ${(a as Float32Array).length}`,
  );
}

function describe(a: unknown): string {
  if (a === null || a === undefined) return String(a);
  return (a as object).constructor?.name ?? typeof a;
}

/**
 * The gradient of the sequence output as the backward kernel reads it: [B·T·H] as given, or zeros
 * when it comes empty (the forward ran without sequenceOutput); null for any other length.
 */
export function sequenceGradient(d: Float32Array, length: number): Float32Array | null {
  if (d.length === length) return d;
  return d.length === 0 ? new Float32Array(length) : null;
}

/** Checks dims, array types and lengths of the arguments every call shares. */
export function checkCommon(op: string, args: FusedCommonArgs, gates: number, biasLength: number): void {
  const { batch: B, steps: T, inputDim: D, units: H } = args.dims;
  for (const [name, v] of Object.entries(args.dims)) {
    check(op, Number.isInteger(v) && v >= 0, `dims.${name} must be a non-negative integer, got ${v}`);
  }
  check(op, B >= 1 && D >= 1 && H >= 1, `batch, inputDim and units must be ≥ 1, got ${B}, ${D}, ${H}`);
  checkArray(op, 'x', args.x, B * T * D);
  checkArray(op, 'kernel', args.kernel, D * gates * H);
  checkArray(op, 'recurrentKernel', args.recurrentKernel, H * gates * H);
  checkArray(op, 'h0', args.h0, B * H);
  checkArray(op, 'bias', (args as unknown as { bias: unknown }).bias, biasLength);
  if (args.recurrentMask !== null)
    checkArray(op, 'recurrentMask', args.recurrentMask, (args.recurrentPerStep === true ? T : 1) * B * H);
  if (args.candidateMask !== null) {
    checkArray(op, 'candidateMask', args.candidateMask, (args.candidatePerStep ? T : 1) * B * H);
  }
  if (args.stepMask !== null) checkArray(op, 'stepMask', args.stepMask, B * T);
  if (args.zoneoutHidden.mode === 'mask')
    checkArray(op, 'zoneoutHidden.mask', args.zoneoutHidden.mask, T * B * H);
  for (const [name, code] of [
    ['activation', args.activation],
    ['recurrentActivation', args.recurrentActivation],
  ] as const) {
    check(
      op,
      Number.isInteger(code) && code >= 0 && code <= 4,
      `${name} must be an ACTIVATION_CODE (0–4), got ${code}`,
    );
  }
}

/**
 * Rows [0, mid) run on this thread and [mid, B) on the helper: halves rounded to the 4-row GEMM
 * tile (so no thread gets a ragged tile it need not have); mid = B on one thread.
 */
export function rowSplit(batch: number, threads: number): [number] {
  if (threads < 2 || batch < 2) return [batch];
  return [Math.min(batch, Math.max(1, Math.round(batch / 8) * 4))];
}

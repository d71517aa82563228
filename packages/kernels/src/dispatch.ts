/**
 * Chooses the implementation of the fused sequence ops: the native addon, the WebAssembly build,
 * or the tfjs reference.
 *
 * - Default: native if the addon loads, else WebAssembly (with a one-line notice), else reference.
 * - `REGULAB_KERNELS=reference|wasm|native` forces one (a forced one that cannot load falls back
 *   the same way, with a notice; `backend()` always says what actually runs).
 * - `REGULAB_THREADS=n` sets the kernels' threads (default: all cores, `os.availableParallelism()`).
 * - In a browser (#platform resolves to ./platform/browser.ts there) the environment variables do
 *   not exist and there is no native addon: the WebAssembly kernels run, on two threads in a
 *   cross-origin-isolated page. `await ready()` compiles them off the main thread and waits for
 *   their helper thread; without it they compile on first use and take up the helper once it runs.
 * - Calls the fast kernels cannot serve run on the reference: zero-sized dimensions. Per-step
 *   recurrent masks run in the fast kernels: a [T, B, H] recurrentMask / candidateMask as given,
 *   or `dropoutSeeded`, drawn inside the kernels from the seed (the reference materializes the
 *   same masks, fused/dropout-hash.ts). `stateGradientNorms` (per-step ‖∂L/∂h_t‖, ‖∂L/∂c_t‖) is
 *   computed by the fast kernels' backward only.
 * - With a fast backend (native or wasm), tfjs's CPU matmul, convolution (Conv2D and its
 *   gradients), pooling, arithmetic, element-wise math, comparison, reduction and data-movement
 *   kernels are routed through fast versions too
 *   (./fused/cpu-kernels.ts), since once the recurrence is fused they dominate a training step.
 *   This holds for the whole process, from the first Regulab call on, plain `tf.matMul` included
 *   (results move by float32 rounding). `cpuKernels(false)` or `REGULAB_CPU_KERNELS=0` keeps
 *   tfjs's own; switching to the reference restores them too.
 * - `fusedOptimizerUpdate()` gives Regulab's optimizers their one-pass update on the CPU backend.
 */
import type {
  GruSequenceInputs,
  GruSequenceOutputs,
  KernelBackend,
  LstmSequenceInputs,
  LstmSequenceOutputs,
} from './types.js';
import * as tf from '@tensorflow/tfjs';
import type { FusedImpl, OptimizerUpdate } from './fused/impl.js';
import { jsOptimizerUpdate } from './fused/js-elementwise.js';
import { aleaState, jsUniformMask } from './fused/alea-mask.js';
import { cpuKernelsInstalled, installCpuKernels, uninstallCpuKernels } from './fused/cpu-kernels.js';
import { materializeSeeded } from './fused/materialize-seeded.js';
import { fusedGruSequence, fusedLstmSequence, takesNormalization } from './fused/ops.js';
import { nativeImpl } from './native/native-impl.js';
import { wasmImpl } from './wasm/impl.js';
import { platform } from '#platform';
import { referenceLstmSequence } from './reference/lstm-sequence.js';
import { referenceGruSequence } from './reference/gru-sequence.js';

/** What runs (`name`, `impl`) and what was asked for (`want`), which ready() may retry. */
type Resolved = { name: KernelBackend; impl: FusedImpl | null; want: KernelBackend | 'auto' };
let resolved: Resolved | undefined;
/** Whether tfjs's CPU kernels should be replaced: set by cpuKernels(on), else REGULAB_CPU_KERNELS. */
let cpuKernelsWanted: boolean | undefined;
const noticed = new Set<string>();

/** Prints a one-line notice once per distinct message (stderr). */
export function kernelNotice(message: string): void {
  if (noticed.has(message)) return;
  noticed.add(message);
  console.warn(`regulab: ${message}`);
}

function envThreads(): number {
  const raw = platform.env('REGULAB_THREADS');
  const n = raw === undefined || raw === '' ? NaN : Number(raw);
  if (raw !== undefined && raw !== '' && !(Number.isInteger(n) && n >= 1)) {
    kernelNotice(`REGULAB_THREADS=${raw} is not a positive integer; using ${platform.defaultThreads()}`);
  }
  return Number.isInteger(n) && n >= 1 ? n : platform.defaultThreads();
}

function tryNative(): FusedImpl | null {
  const { binding, reason } = platform.loadNativeBinding();
  if (binding === null) {
    kernelNotice(`native kernels unavailable (${reason}); falling back`);
    return null;
  }
  return nativeImpl(binding);
}

function tryWasm(): FusedImpl | null {
  try {
    return wasmImpl();
  } catch (e) {
    kernelNotice(
      `WebAssembly kernels failed to load (${e instanceof Error ? e.message : String(e)}); using the reference`,
    );
    return null;
  }
}

function resolve(want: KernelBackend | 'auto'): Resolved {
  const order: KernelBackend[] =
    want === 'reference'
      ? ['reference']
      : want === 'wasm' || (want === 'auto' && platform.name === 'browser') // no addon to try there
        ? ['wasm', 'reference']
        : ['native', 'wasm', 'reference'];
  for (const name of order) {
    const impl = name === 'native' ? tryNative() : name === 'wasm' ? tryWasm() : null;
    if (name === 'reference' || impl !== null) {
      impl?.setThreads(envThreads());
      applyCpuKernels(impl);
      return { name, impl, want };
    }
  }
  return { name: 'reference', impl: null, want };
}

/** Installs the fast tfjs CPU kernels of `impl` when wanted and possible, else restores tfjs's. */
function applyCpuKernels(impl: FusedImpl | null): void {
  cpuKernelsWanted ??= platform.env('REGULAB_CPU_KERNELS') !== '0';
  if (cpuKernelsWanted && impl?.sgemm)
    installCpuKernels(impl.sgemm, impl.binary, impl.unary, impl.conv2d, {
      pool: impl.pool2d,
      depthwise: impl.depthwiseConv2d,
      columnSums: impl.columnSums,
    });
  else uninstallCpuKernels();
}

/** The backend REGULAB_KERNELS asks for ('auto' when unset or invalid, with a notice). */
function envWant(): KernelBackend | 'auto' {
  const env = platform.env('REGULAB_KERNELS');
  const valid = env === 'native' || env === 'wasm' || env === 'reference';
  if (env !== undefined && env !== '' && !valid) {
    kernelNotice(`REGULAB_KERNELS=${env} is not one of native, wasm, reference; choosing automatically`);
  }
  return valid ? env : 'auto';
}

function current(): Resolved {
  resolved ??= resolve(envWant());
  return resolved;
}

/**
 * Loads the fast kernels where that takes an asynchronous step, and settles once they run. In a
 * browser: compiles the WebAssembly kernels off the main thread and, in a cross-origin-isolated
 * page, waits for their helper thread; a backend that had fallen back to the reference (e.g. a
 * first call before ready()) is chosen again. In Node: the same as the first synchronous call.
 * Resolves to what runs, as kernelDescription() says it.
 *
 * ```ts
 * await rl.kernels.ready(); // 'wasm simd128+relaxed, 2 threads' in an isolated page
 * ```
 */
export async function ready(): Promise<string> {
  const want = resolved?.want ?? envWant();
  if (want !== 'reference' && want !== 'native') {
    try {
      await platform.prepareWasm();
    } catch (e) {
      kernelNotice(`WebAssembly kernels failed to compile (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  if (resolved === undefined || (resolved.name === 'reference' && want !== 'reference'))
    resolved = resolve(want);
  await resolved.impl?.ready?.();
  return kernelDescription();
}

/** What runs, in one line: 'reference', or e.g. 'wasm simd128+relaxed, 2 threads', 'native avx2, 2 threads'. */
export function kernelDescription(): string {
  return current().impl?.describe() ?? 'reference';
}

/**
 * The one-pass optimizer step (OptimizerUpdate) for variables on tfjs's CPU backend: the fast
 * impl's (native), or plain JavaScript with the wasm impl; null with the reference kernels or on
 * any other tfjs backend, where optimizers use tfjs ops.
 */
export function fusedOptimizerUpdate(): OptimizerUpdate | null {
  const { impl } = current();
  if (impl === null) return null;
  if (tf.getBackend() === undefined) void tf.engine().backend; // initializes the default backend
  if (tf.getBackend() !== 'cpu') return null;
  return impl.optimizerUpdate ?? jsOptimizerUpdate;
}

/**
 * n values of a seeded Bernoulli mask, value where tfjs's randomUniform(…, seed) draws below keep,
 * else 0: the bits of `mul(cast(less(randomUniform([n], 0, 1, 'float32', seed), keep), 'float32'),
 * value)` in one pass (./fused/alea-mask.ts), natively when the addon is loaded, else in
 * JavaScript (the same bits either way, on any tfjs backend).
 */
export function seededMaskValues(
  n: number,
  keep: number,
  value: number,
  seed: number | string,
): Float32Array {
  const draw = current().impl?.uniformMask ?? jsUniformMask;
  const out = new Float32Array(n);
  draw(aleaState(seed), keep, value, out);
  return out;
}

/** The implementation the fused ops use in this process. */
export function backend(): KernelBackend {
  return current().name;
}

/**
 * Switches the implementation at run time (benchmarks, tests). Returns what actually runs, which
 * differs from the request when that backend cannot load.
 */
export function setKernelBackend(want: KernelBackend | 'auto'): KernelBackend {
  resolved = resolve(want);
  return resolved.name;
}

/**
 * Whether tfjs's own CPU kernels (matmul, arithmetic, element-wise math, reductions, transposes,
 * gathers) are replaced by the fast ones of the native or WebAssembly kernels, for every tfjs
 * call in the process: `cpuKernels()` says whether they are now; `cpuKernels(false)` restores
 * tfjs's originals (exactly tfjs's results, e.g. for comparing against plain tfjs) and keeps them
 * across `setKernelBackend`; `cpuKernels(true)` installs the fast ones again. Returns whether they
 * are installed after the call: false with the reference kernels, which have none. The default is
 * on, unless the environment sets `REGULAB_CPU_KERNELS=0`. The fused LSTM/GRU ops and the
 * optimizers' one-pass update do not depend on it.
 */
export function cpuKernels(on?: boolean): boolean {
  if (on !== undefined && typeof on !== 'boolean')
    throw new Error(
      `cpuKernels: expected true, false or nothing, got ${JSON.stringify(on) ?? String(on)} (a ${typeof on})`,
    );
  if (on !== undefined) {
    cpuKernelsWanted = on;
    if (resolved !== undefined) applyCpuKernels(resolved.impl);
  }
  current(); // resolving the backend (the first Regulab call) applies them as wanted
  return cpuKernelsInstalled();
}

/** The fast implementation in use (null on the reference), for threads, ISA and diagnostics. */
export function fusedImpl(): FusedImpl | null {
  return current().impl;
}

/** Threads of the fast kernels (1 on the reference). */
export function kernelThreads(): number {
  return current().impl?.threads() ?? 1;
}

/** Sets the threads of the fast kernels (no effect on the reference). */
export function setKernelThreads(n: number): void {
  if (!(Number.isInteger(n) && n >= 1))
    throw new Error(`setKernelThreads: expected a positive integer, got ${n}`);
  current().impl?.setThreads(n);
}

/** The reference always builds the sequence; with sequenceOutput false it is replaced by [B, 0, H]. */
function withoutSequence<T extends { sequence: tf.Tensor3D }>(
  inputs: { sequenceOutput?: boolean },
  out: T,
): T {
  if (inputs.sequenceOutput !== false) return out;
  const [b, , h] = out.sequence.shape;
  out.sequence.dispose();
  return { ...out, sequence: tf.zeros([b, 0, h]) as tf.Tensor3D };
}

/** Whether the fast kernels can run this call: no zero-sized dimension. */
function fastCanServe(inputs: LstmSequenceInputs | GruSequenceInputs): boolean {
  const [batch, steps, dim] = inputs.x.shape;
  return batch * steps * dim * inputs.recurrentKernel.shape[0] !== 0;
}

/**
 * Whether `lstmSequence` / `gruSequence` can run these inputs with a `normalization` (layer norm or
 * recurrent batch norm) in the fast kernels: ones that take it (native and wasm, both cells) and
 * no zero-sized dimension. Every recurrent option runs there, per-step recurrent masks (given
 * [T, B, H] or seeded) and `stateGradientNorms` included. Otherwise a normalised layer runs the
 * reference op with norm hooks.
 */
export function fusedCanNormalize(inputs: LstmSequenceInputs | GruSequenceInputs): boolean {
  const { impl } = current();
  if (impl === null || !takesNormalization(impl, 'c0' in inputs)) return false;
  return fastCanServe(inputs);
}

/** A normalised call the fast kernels cannot serve: the caller should have asked fusedCanNormalize. */
function normalizationRefused(op: string): Error {
  return new Error(
    `${op}: normalization runs only in fast kernels that take it (now: ${current().name}) and without empty dimensions; check fusedCanNormalize() and otherwise use the reference op with norm hooks`,
  );
}

/**
 * Whole-sequence LSTM forward; differentiable with respect to x, h0, c0, kernel, recurrentKernel
 * and bias (and, with `normalization`, its γ and β).
 */
export function lstmSequence(inputs: LstmSequenceInputs): LstmSequenceOutputs {
  const { impl } = current();
  const units = inputs.recurrentKernel.shape[0];
  if (inputs.normalization !== undefined) {
    if (!fusedCanNormalize(inputs)) throw normalizationRefused('lstmSequence');
    return fusedLstmSequence(impl!, inputs);
  }
  if (impl !== null && fastCanServe(inputs)) return fusedLstmSequence(impl, inputs);
  const m = materializeSeeded('lstmSequence', inputs, units);
  try {
    return withoutSequence(inputs, referenceLstmSequence(m.inputs));
  } finally {
    m.created.forEach((t) => t.dispose());
  }
}

/**
 * Whole-sequence GRU forward; differentiable with respect to x, h0, kernel, recurrentKernel and
 * bias (and, with `normalization`, its γ).
 */
export function gruSequence(inputs: GruSequenceInputs): GruSequenceOutputs {
  const { impl } = current();
  const units = inputs.recurrentKernel.shape[0];
  if (inputs.normalization !== undefined) {
    if (!fusedCanNormalize(inputs)) throw normalizationRefused('gruSequence');
    return fusedGruSequence(impl!, inputs);
  }
  if (impl !== null && fastCanServe(inputs)) return fusedGruSequence(impl, inputs);
  const m = materializeSeeded('gruSequence', inputs, units);
  try {
    return withoutSequence(inputs, referenceGruSequence(m.inputs));
  } finally {
    m.created.forEach((t) => t.dispose());
  }
}

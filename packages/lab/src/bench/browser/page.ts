/**
 * The page of the browser bench (bundled by ./run-browser-bench.ts): one `charlm-step` training
 * step (../models.ts, the model of the Node bench) timed in Chromium, for the implementation in the
 * query string, and reported as globalThis.__bench:
 * - `regulab-wasm`: rl.layers.lstm with zoneout on tfjs's cpu backend, Regulab's WebAssembly
 *   kernels loaded by `rl.kernels.ready()` (2 threads in a cross-origin-isolated page, else 1);
 * - `regulab-webgl`: the same on tfjs's webgl backend: the LSTM's recurrence still runs in the
 *   WebAssembly kernels (inputs read back from the GPU), everything else in WebGL;
 * - `tfjs-webgl`, `tfjs-wasm`, `tfjs-cpu`: tf.layers.lstm (no zoneout: tfjs has none) on that tfjs
 *   backend, Regulab's kernels off (the reference: tfjs's own cpu kernels stay in place); on
 *   wasm with ./wasm-segment-sum.ts, the one kernel that backend lacks for this model.
 * Query: ?impl=...&repeats=N&warmup=N. Times are medians over `repeats` steps after `warmup`
 * steps, each step waited for (a sum of every variable read back after it, so webgl's queue has drained).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as rl from 'regulab';
import { CHARLM_STEP } from '../cases.js';
import { buildStep } from '../models.js';
import { registerWasmSegmentSum } from './wasm-segment-sum.js';

export const BROWSER_IMPLS = [
  'regulab-wasm',
  'regulab-webgl',
  'tfjs-webgl',
  'tfjs-wasm',
  'tfjs-cpu',
] as const;
export type BrowserImpl = (typeof BROWSER_IMPLS)[number];

/** The WebGL renderer string (e.g. 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device ...))'), or null. */
function webglRenderer(): string | null {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return null;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

/**
 * Waits until the step has run: reads back a sum over every variable, which depends on the whole
 * step (the optimizer's updates included). A read-back of an unrelated small tensor does not do
 * that on webgl, whose CPU forwarding computes small ops on the CPU without touching the GPU queue.
 */
async function drain(): Promise<void> {
  const vars = Object.values(tf.engine().registeredVariables);
  const t = tf.tidy(() => tf.addN(vars.map((v) => tf.sum(tf.cast(v, 'float32')))));
  await t.data();
  t.dispose();
}

async function main(): Promise<Record<string, unknown>> {
  const q = new URLSearchParams(location.search);
  const impl = q.get('impl') as BrowserImpl;
  if (!BROWSER_IMPLS.includes(impl)) throw new Error(`impl must be one of ${BROWSER_IMPLS.join(', ')}`);
  const repeats = Number(q.get('repeats') ?? 5);
  const warmup = Number(q.get('warmup') ?? 2);
  const c = CHARLM_STEP;
  let kernels = 'tfjs ops';
  if (impl === 'regulab-wasm' || impl === 'regulab-webgl') {
    if (!(await tf.setBackend(impl === 'regulab-wasm' ? 'cpu' : 'webgl')))
      throw new Error(`no ${impl} backend`);
    kernels = await rl.kernels.ready();
  } else {
    rl.kernels.setKernelBackend('reference'); // tfjs's own kernels throughout
    const backend = impl.slice('tfjs-'.length);
    if (backend === 'wasm') {
      setWasmPaths('./'); // the page's folder holds tfjs-backend-wasm*.wasm
      registerWasmSegmentSum(); // the embedding's gradient, missing from tfjs's wasm backend
    }
    if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} failed to start`);
  }
  const step = buildStep(c, c.steps, impl.startsWith('regulab') ? 'regulab' : 'tfjs');
  for (let i = 0; i < warmup; i++) {
    step();
    await drain();
  }
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    step();
    await drain();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return {
    case: c.name,
    impl,
    ms_per_step: Math.round(median * 10) / 10,
    repeats,
    tfjs_backend: tf.getBackend(),
    kernels,
    isolated: globalThis.crossOriginIsolated === true,
    webgl_renderer: impl.endsWith('webgl') ? webglRenderer() : undefined,
  };
}

const g = globalThis as { __bench?: unknown };
main().then(
  (r) => (g.__bench = r),
  (e) => (g.__bench = { error: e instanceof Error ? e.message : String(e) }),
);

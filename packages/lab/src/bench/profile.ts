/**
 * Where a training step's time goes, by tfjs CPU kernel: every kernel registered for the CPU
 * backend (Regulab's replacements included) is wrapped with a timer for `steps` steps, then
 * restored. Wall time and CPU time (user + system of the whole process, so a kernel's own threads
 * count) per step; on a loaded machine CPU time is the steadier measure of the work done.
 * Time outside the kernels (random numbers drawn in JavaScript, Regulab's one-pass optimizer
 * update, the engine's bookkeeping) is the step's time minus the kernels' sum. `calls` lists the
 * dearest single calls of a step (the n-th kernel call of every step is the same op on the same
 * shapes): kernel, input shapes and the median and least wall time over the profiled steps.
 *
 *   node packages/lab/dist/bench/worker.js --case cnn-step --impl regulab-native --profile 10
 */
import * as tf from '@tensorflow/tfjs';

export interface KernelTime {
  wallMs: number;
  cpuMs: number;
  calls: number;
}

export interface CallTime {
  /** Position of the call in the step (0 = the step's first kernel call). */
  at: number;
  kernel: string;
  /** Shapes of the call's tensor inputs, in the kernel's input order. */
  inputs: number[][];
  medianMs: number;
  minMs: number;
}

export interface StepProfile {
  stepWallMs: number;
  stepCpuMs: number;
  /** Per kernel name, per step, largest wall time first. */
  kernels: Record<string, KernelTime>;
  /** The dearest calls of a step by median wall time (at most CALLS_LISTED), when every step made the same calls. */
  calls: CallTime[];
}

/** How many single calls StepProfile.calls lists. */
export const CALLS_LISTED = 12;

const round = (v: number) => Math.round(v * 1000) / 1000;

/** The dearest call positions of `seq` (steps × the same calls), or [] if the steps differ. */
function dearestCalls(seq: { kernel: string; inputs: number[][]; ms: number }[], steps: number): CallTime[] {
  const per = seq.length / steps;
  if (!Number.isInteger(per) || per === 0) return [];
  const out: CallTime[] = [];
  for (let at = 0; at < per; at++) {
    const same = Array.from({ length: steps }, (_, k) => seq[k * per + at]);
    if (same.some((c) => c.kernel !== same[0].kernel)) return []; // the steps made different calls
    const ms = same.map((c) => c.ms).sort((a, b) => a - b);
    out.push({
      at,
      kernel: same[0].kernel,
      inputs: same[0].inputs,
      medianMs: round(ms[ms.length >> 1]),
      minMs: round(ms[0]),
    });
  }
  return out.sort((a, b) => b.medianMs - a.medianMs).slice(0, CALLS_LISTED);
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** Profiles `steps` runs of `step` (run a warm-up first: the first steps are slower). */
export function profileSteps(step: () => void, steps: number): StepProfile {
  const times = new Map<string, KernelTime>();
  const seq: { kernel: string; inputs: number[][]; ms: number }[] = [];
  let recording = false;
  const originals = tf.getKernelsForBackend('cpu');
  for (const k of originals) {
    const inner = k.kernelFunc;
    const t: KernelTime = { wallMs: 0, cpuMs: 0, calls: 0 };
    times.set(k.kernelName, t);
    tf.unregisterKernel(k.kernelName, 'cpu');
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const out = inner(args);
        const ms = performance.now() - t0;
        t.wallMs += ms;
        if (recording) {
          const inputs = Object.values(args.inputs)
            .filter((x): x is tf.TensorInfo => x !== undefined && x !== null)
            .map((x) => [...x.shape]);
          seq.push({ kernel: k.kernelName, inputs, ms });
        }
        t.cpuMs += cpuMs(process.cpuUsage(c0));
        t.calls++;
        return out;
      },
    });
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    recording = true;
    for (let i = 0; i < steps; i++) step();
  } finally {
    recording = false;
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, 'cpu');
      tf.registerKernel(k);
    }
  }
  const per = (v: number) => Math.round((v / steps) * 100) / 100;
  const kernels = [...times.entries()]
    .filter(([, t]) => t.calls > 0)
    .sort((a, b) => b[1].wallMs - a[1].wallMs)
    .map(
      ([name, t]) => [name, { wallMs: per(t.wallMs), cpuMs: per(t.cpuMs), calls: t.calls / steps }] as const,
    );
  return {
    stepWallMs: per(performance.now() - t0),
    stepCpuMs: per(cpuMs(process.cpuUsage(c0))),
    kernels: Object.fromEntries(kernels),
    calls: dearestCalls(seq, steps),
  };
}

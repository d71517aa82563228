/**
 * Where a training step's time goes, by tfjs CPU kernel: every kernel registered for the CPU
 * backend (Regulab's replacements included) is wrapped with a timer for `steps` steps, then
 * restored. Wall time and CPU time (user + system of the whole process, so a kernel's own threads
 * count) per step; on a loaded machine CPU time is the steadier measure of the work done.
 * Time outside the kernels (random numbers drawn in JavaScript, Regulab's one-pass optimizer
 * update, the engine's bookkeeping) is the step's time minus the kernels' sum.
 *
 *   node packages/lab/dist/bench/worker.js --case cnn-step --impl regulab-native --profile 10
 */
import * as tf from '@tensorflow/tfjs';

export interface KernelTime {
  wallMs: number;
  cpuMs: number;
  calls: number;
}

export interface StepProfile {
  stepWallMs: number;
  stepCpuMs: number;
  /** Per kernel name, per step, largest wall time first. */
  kernels: Record<string, KernelTime>;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** Profiles `steps` runs of `step` (run a warm-up first: the first steps are slower). */
export function profileSteps(step: () => void, steps: number): StepProfile {
  const times = new Map<string, KernelTime>();
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
        t.wallMs += performance.now() - t0;
        t.cpuMs += cpuMs(process.cpuUsage(c0));
        t.calls++;
        return out;
      },
    });
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    for (let i = 0; i < steps; i++) step();
  } finally {
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
  };
}

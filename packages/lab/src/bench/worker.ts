/**
 * Runs one implementation of one benchmark case in this process and prints one JSON line
 * (a separate process per implementation, so peak RSS is each one's own).
 *
 *   node dist/bench/worker.js --case charlm-step --impl regulab-native --repeats 20 --warmup 3 [--steps 50]
 *   node dist/bench/worker.js --impl sgemm      (best native sgemm rate, GFLOP/s)
 *   node dist/bench/worker.js --case cnn-step --impl regulab-native --profile 10
 *     (per tfjs kernel: wall and CPU ms per step over 10 profiled steps after the warm-up; ./profile.ts)
 *   node dist/bench/worker.js --case mc-predict --impl regulab-native --repeats 3 --warmup 1
 *     (ms_per_step: one mcPredict of 32 samples; sequential_ms: 32 predict calls; their ratio;
 *     the same in CPU time, steadier on a shared machine)
 *   node dist/bench/worker.js --case pmnist-bn-step --impl regulab-native --repeats 5 --warmup 1 --probe-steps 49
 *     (issue 13: one probe step of 49 time steps decides between the whole sequence as planned and,
 *     when the step is slow (the tfjs reference op), a few steps of 49 extrapolated: ./normalized.ts)
 */
import * as tf from '@tensorflow/tfjs';
import * as rl from 'regulab';
import { CASES, type CaseName } from './cases.js';
import { peakRssMb, timeInterleaved, timeSteps } from './measure.js';
import { buildFeedforwardStep } from './feedforward.js';
import { buildMcPredict, buildStep } from './models.js';
import { runAfterProbe } from './normalized.js';
import { profileSteps } from './profile.js';
import { adamPassRate } from './optimizer-rate.js';
import { sgemmRate } from './sgemm.js';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  if (fallback === undefined) throw new Error(`bench worker: --${name} is required`);
  return fallback;
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const impl = arg('impl');
  if (impl === 'sgemm') {
    console.log(JSON.stringify({ impl, ...sgemmRate(), ...adamPassRate() }));
    return;
  }
  const c = CASES[arg('case') as CaseName];
  if (!c) throw new Error(`bench worker: unknown case ${arg('case')}`);
  const want = impl === 'regulab-native' ? 'native' : impl === 'regulab-wasm' ? 'wasm' : 'reference';
  const got = rl.kernels.setKernelBackend(want);
  if (impl.startsWith('regulab-') && got !== want) {
    console.log(JSON.stringify({ case: c.name, impl, error: `${want} kernels unavailable (got ${got})` }));
    return;
  }
  if (c.kind === 'feedforward') {
    const step = buildFeedforwardStep(c, impl === 'tfjs-layers' ? 'tfjs' : 'regulab');
    const profiled = Number(arg('profile', '0'));
    if (profiled > 0) {
      for (let i = 0; i < Number(arg('warmup', '5')); i++) step();
      console.log(JSON.stringify({ case: c.name, impl, profile: profileSteps(step, profiled) }));
      return;
    }
    const t = await timeSteps(step, Number(arg('repeats', '10')), Number(arg('warmup', '2')));
    console.log(
      JSON.stringify({
        case: c.name,
        impl,
        ms_per_step: round(t.msPerStep),
        cpu_ms_per_step: round(t.cpuMsPerStep),
        peak_rss_mb: round(t.peakRssMb),
        repeats: t.repeats,
        kernels: rl.kernels.fusedImpl()?.describe() ?? 'tfjs CPU kernels',
      }),
    );
    return;
  }
  const steps = Number(arg('steps', String(c.steps)));
  if (c.samples !== undefined) {
    // Both ways in this one process, run by run in turn, so they see the same machine load.
    const { mc, sequential } = buildMcPredict(c, steps);
    const repeats = Number(arg('repeats', '3'));
    const t = timeInterleaved({ sequential, mc }, repeats, Number(arg('warmup', '1')));
    console.log(
      JSON.stringify({
        case: c.name,
        impl,
        ms_per_step: round(t['mc']!.wallMs),
        sequential_ms: round(t['sequential']!.wallMs),
        mc_over_sequential: round3(t['mc']!.wallMs / t['sequential']!.wallMs),
        cpu_ms: round(t['mc']!.cpuMs),
        sequential_cpu_ms: round(t['sequential']!.cpuMs),
        mc_over_sequential_cpu: round3(t['mc']!.cpuMs / t['sequential']!.cpuMs),
        samples: c.samples,
        peak_rss_mb: round(peakRssMb()),
        repeats,
        kernels: rl.kernels.fusedImpl()?.describe() ?? 'reference (tfjs ops)',
      }),
    );
    return;
  }
  const kind = impl === 'tfjs-layers' ? 'tfjs' : 'regulab';
  let run = { steps, warmup: Number(arg('warmup', '2')), repeats: Number(arg('repeats', '10')) };
  let step: (() => void) | null = null;
  let probe: Record<string, unknown> = {};
  const probeSteps = Math.min(Number(arg('probe-steps', '0')), steps);
  if (probeSteps > 0) {
    // One step at the probe's length (its warm-up too) says whether this step is slow.
    const probed = buildStep(c, probeSteps, kind);
    const c0 = process.cpuUsage();
    probed();
    const used = process.cpuUsage(c0);
    const next = runAfterProbe(run, probeSteps, (used.user + used.system) / 1000, c.batch);
    probe = { probe_steps: probeSteps, probe_estimated_cpu_ms: round(next.estimatedCpuMs), slow: next.slow };
    if (next.steps === probeSteps) step = probed;
    run = next;
  }
  step ??= buildStep(c, run.steps, kind);
  const t = await timeSteps(step, run.repeats, run.warmup);
  const scale = c.steps / run.steps;
  console.log(
    JSON.stringify({
      case: c.name,
      impl,
      ms_per_step: round(t.msPerStep * scale),
      cpu_ms_per_step: round(t.cpuMsPerStep * scale),
      peak_rss_mb: round(t.peakRssMb),
      repeats: t.repeats,
      ...(scale !== 1 ? { steps_run: run.steps, extrapolated: `×${scale} from ${run.steps} steps` } : {}),
      ...probe,
      kernels: rl.kernels.fusedImpl()?.describe() ?? 'reference (tfjs ops)',
    }),
  );
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

main().catch((e: unknown) => {
  console.log(JSON.stringify({ impl: process.argv[process.argv.indexOf('--impl') + 1], error: String(e) }));
  process.exitCode = 1;
});

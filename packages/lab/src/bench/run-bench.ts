/**
 * `npm run bench` / `regulab bench`: runs the step benchmarks of issue 4, each implementation in
 * its own process (so peak RSS is its own), and prints one JSON line per implementation (--json)
 * or a table. Each line has case, impl, ms_per_step (median) and peak_rss_mb, plus
 * `vs_pytorch_fused` (ms ÷ pytorch-fused's ms), `cpu_ms_per_step` and `cpu_vs_pytorch_fused` (the
 * same in CPU time, steadier when other work loads the machine) and, for regulab-native, `x_faster_than_tfjs`,
 * `sgemm_gflops` (best rate of the native GEMM measured in the same run) and
 * `step_over_flop_bound` (step time ÷ (matmul FLOPs of the step ÷ that rate)), and the same in CPU
 * time: `sgemm_cpu_gflops` (FLOPs per second of CPU time, all threads) and
 * `cpu_step_over_flop_bound` (the step's CPU time ÷ (its matmul FLOPs ÷ that rate)). The
 * feed-forward steps also get `adam_gbps` (the fused Adam pass's bytes per second, ./optimizer-rate.ts),
 * `adam_bound_ms` (their weights' Adam pass at that rate) and `step_over_flop_and_adam_bound` (step
 * time ÷ (FLOP bound + Adam bound): the products and the optimizer run one after the other).
 *
 *   npm run bench -- --case charlm-step --json
 *   npm run bench -- --case all --impl regulab-native,pytorch-fused --repeats 20
 *   npm run bench -- --case mc-predict --impl regulab-native   (issue 16: mcPredict vs sequential predicts)
 *   npm run bench -- --case cnn-step,mlp-step --json   (issue 12: feed-forward steps, ./feedforward.ts)
 *   npm run bench -- --case charlm-ln-step,pmnist-bn-step --impl regulab-native,regulab-wasm,pytorch-zoneout
 *     (issue 13: normalised LSTM steps beside the same cases without normalization, against PyTorch's
 *     cell loop; `vs_pytorch_cell_loop`, `vs_unnormalized` and the targets: ./normalized.ts)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { type BenchLine, CASES, type CaseName, stepMatmulFlops } from './cases.js';
import { feedforwardWeights } from './feedforward.js';
import { ADAM_BYTES_PER_WEIGHT } from './optimizer-rate.js';
import {
  addNormalizedRatios,
  normalizedNote,
  PYTORCH_CELL_LOOP,
  skippedForNormalized,
  withBaseCases,
} from './normalized.js';

export const IMPLS = [
  'regulab-native',
  'regulab-wasm',
  'regulab-reference',
  'tfjs-layers',
  'pytorch-fused',
  'pytorch-zoneout',
] as const;
export type Impl = (typeof IMPLS)[number];
type Line = BenchLine;

const PYTHON = '/usr/bin/python3';
const PEER = fileURLToPath(new URL('../../../../bench/pytorch_peer.py', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

/**
 * How long each implementation runs: slow ones run fewer repeats and, on pmnist, fewer steps. Fast
 * ones warm up for 20 steps on charlm-step: a process's first ~30 steps run slower (JIT tiers,
 * and the allocator's heap still growing: fresh pages fault on first touch) — 34 → 21 ms median
 * over steps 0–10 vs 30–80 for regulab-native — and training runs in the steady state.
 */
function plan(
  c: CaseName,
  impl: Impl,
  repeats: number,
): { repeats: number; warmup: number; steps?: number; probeSteps?: number } {
  const slow = impl === 'regulab-reference' || impl === 'tfjs-layers';
  const k = CASES[c];
  if (k.kind === 'recurrent' && k.normalized !== undefined) {
    const pmnist = k.normalized.base === 'pmnist-step';
    // PyTorch's cell loop: ~0.4 s (charlm) to seconds (pmnist, 784 Python iterations) a step.
    if (impl.startsWith('pytorch')) return { repeats: Math.min(repeats, pmnist ? 3 : 5), warmup: 1 };
    // Regulab: one probe step of 49 (pmnist) or all 50 (charlm) time steps decides how it is timed
    // (./normalized.ts's runAfterProbe): the reference op's seconds-long steps briefly, a fused
    // kernel's like the unnormalised case.
    const base = plan(k.normalized.base, impl, repeats);
    return { ...base, steps: undefined, probeSteps: pmnist ? 49 : k.steps };
  }
  // tfjs's own convolutions take ~26 s per cnn-step: one timed step, no warm-up.
  if (c === 'cnn-step' && slow) return { repeats: 1, warmup: 0 };
  // Each repeat is 32 × 32 sequences forward, twice (mcPredict and the sequential loop).
  if (c === 'mc-predict') return { repeats: Math.min(repeats, slow ? 1 : 3), warmup: 1 };
  if (c === 'pmnist-step') {
    if (slow) return { repeats: 2, warmup: 1, steps: 49 }; // 1/16 of the sequence, extrapolated
    if (impl.startsWith('pytorch')) return { repeats: Math.min(repeats, 3), warmup: 1 };
    return { repeats: Math.min(repeats, 5), warmup: 1 };
  }
  return slow ? { repeats: 3, warmup: 1 } : { repeats, warmup: 20 };
}

function lastJson(stdout: string): Line | null {
  const lines = stdout.trim().split('\n').reverse();
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try {
      return JSON.parse(l) as Line;
    } catch {
      // not ours
    }
  }
  return null;
}

function runWorker(args: string[], threads: number): Line {
  const r = spawnSync(process.execPath, [WORKER, ...args], {
    encoding: 'utf8',
    env: { ...process.env, REGULAB_THREADS: String(threads) },
    maxBuffer: 1 << 24,
  });
  return (
    lastJson(r.stdout ?? '') ?? {
      impl: args[args.indexOf('--impl') + 1],
      error: (r.stderr ?? '').slice(-300),
    }
  );
}

function runPeer(c: CaseName, impl: Impl, repeats: number, warmup: number): Line {
  if (!existsSync(PYTHON)) return { case: c, impl, error: `${PYTHON} not found` };
  const which = impl === 'pytorch-fused' ? 'fused' : 'zoneout';
  let best: Line | null = null;
  // PyTorch's best thread setting on 2 cores is 1 torch thread (OpenBLAS keeps its own); try both.
  for (const threads of [1, 2]) {
    const r = spawnSync(
      PYTHON,
      [
        PEER,
        '--case',
        c,
        '--impl',
        which,
        '--threads',
        String(threads),
        '--repeats',
        String(repeats),
        '--warmup',
        String(warmup),
      ],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    const line = lastJson(r.stdout ?? '');
    if (line === null)
      return { case: c, impl, error: (r.stderr ?? '').trim().split('\n').slice(-1)[0] || 'no output' };
    if (best === null || (line.ms_per_step ?? Infinity) < (best.ms_per_step ?? Infinity)) best = line;
  }
  return best!;
}

export interface BenchOptions {
  cases: CaseName[];
  impls: Impl[];
  repeats: number;
  threads: number;
  json: boolean;
}

/** Runs the benchmarks and returns the lines (also printed). */
export function runBenchWith(o: BenchOptions, print: (s: string) => void = console.log): Line[] {
  const all: Line[] = [];
  const sgemm = o.impls.includes('regulab-native') ? runWorker(['--impl', 'sgemm'], o.threads) : null;
  // A normalised case runs beside its unnormalised base (issue 13's second ratio).
  for (const c of withBaseCases(o.cases)) {
    const lines: Line[] = [];
    for (const impl of impls(c, o.impls)) {
      const p = plan(c, impl, o.repeats);
      const line = impl.startsWith('pytorch')
        ? runPeer(c, impl, p.repeats, p.warmup)
        : runWorker(
            ['--case', c, '--impl', impl, '--repeats', String(p.repeats), '--warmup', String(p.warmup)]
              .concat(p.steps ? ['--steps', String(p.steps)] : [])
              .concat(p.probeSteps ? ['--probe-steps', String(p.probeSteps)] : []),
            o.threads,
          );
      lines.push({ ...line, case: c, impl });
      if (!o.json) print(`  ${c} ${impl}: ${line.error ?? `${line.ms_per_step} ms`}`);
    }
    addRatios(c, lines, sgemm);
    all.push(...lines);
  }
  addNormalizedRatios(all);
  if (o.json) for (const l of all) print(JSON.stringify(l));
  else print(table(all));
  return all;
}

/**
 * The impls that run a case, in the order asked: Monte Carlo prediction is Regulab's alone; the
 * feed-forward steps have no reference op of Regulab's (tfjs-layers is theirs) and no zoneout;
 * a normalised case has no fused PyTorch peer and no tfjs-layers one (./normalized.ts), and it
 * always runs PyTorch's cell loop when PyTorch is asked for at all.
 */
export function impls(c: CaseName, asked: readonly Impl[]): Impl[] {
  const k = CASES[c];
  const out = asked.filter((impl) => {
    if (k.kind === 'recurrent' && k.samples !== undefined) return impl.startsWith('regulab-');
    if (k.kind === 'feedforward') return impl !== 'regulab-reference' && impl !== 'pytorch-zoneout';
    return skippedForNormalized(k, impl) === null;
  });
  const normalized = k.kind === 'recurrent' && k.normalized !== undefined;
  if (normalized && asked.includes('pytorch-fused') && !out.includes(PYTORCH_CELL_LOOP))
    out.push(PYTORCH_CELL_LOOP);
  return out;
}

function addRatios(c: CaseName, lines: Line[], sgemm: Line | null): void {
  const ms = (impl: string) => lines.find((l) => l.impl === impl && l.error === undefined)?.ms_per_step;
  const torch = ms('pytorch-fused');
  const torchCpu = lines.find((l) => l.impl === 'pytorch-fused' && l.error === undefined)?.cpu_ms_per_step as
    number | undefined;
  const tfjs = ms('tfjs-layers');
  for (const l of lines) {
    if (l.ms_per_step === undefined) continue;
    if (torch !== undefined) l.vs_pytorch_fused = round(l.ms_per_step / torch, 3);
    const cpu = l.cpu_ms_per_step as number | undefined;
    if (torchCpu !== undefined && cpu !== undefined) l.cpu_vs_pytorch_fused = round(cpu / torchCpu, 3);
    if (l.impl === 'regulab-native') {
      if (tfjs !== undefined) l.x_faster_than_tfjs = round(tfjs / l.ms_per_step, 1);
      const rate = sgemm?.sgemm_gflops as number | undefined;
      const k = CASES[c];
      if (rate && (k.kind === 'feedforward' || k.samples === undefined)) {
        const boundMs = stepMatmulFlops(CASES[c]) / (rate * 1e6);
        l.sgemm_gflops = rate;
        l.flop_bound_ms = round(boundMs, 2);
        l.step_over_flop_bound = round(l.ms_per_step / boundMs, 2);
        const adamRate = sgemm?.adam_gbps as number | undefined;
        if (k.kind === 'feedforward' && adamRate) {
          // the products and the optimizer pass run one after the other (./optimizer-rate.ts)
          const adamMs = (ADAM_BYTES_PER_WEIGHT * feedforwardWeights(k)) / (adamRate * 1e6);
          l.adam_gbps = adamRate;
          l.adam_bound_ms = round(adamMs, 2);
          l.step_over_flop_and_adam_bound = round(l.ms_per_step / (boundMs + adamMs), 2);
        }
        const cpuRate = sgemm?.sgemm_cpu_gflops as number | undefined;
        const cpu = l.cpu_ms_per_step as number | undefined;
        if (cpuRate && cpu !== undefined) {
          const cpuBoundMs = stepMatmulFlops(CASES[c]) / (cpuRate * 1e6);
          l.sgemm_cpu_gflops = cpuRate;
          l.cpu_flop_bound_ms = round(cpuBoundMs, 2);
          l.cpu_step_over_flop_bound = round(cpu / cpuBoundMs, 2);
        }
      }
    }
  }
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function table(lines: Line[]): string {
  const head =
    '| case | impl | ms/step | peak RSS MB | × pytorch-fused | notes |\n| --- | --- | --- | --- | --- | --- |';
  const rows = lines.map((l) => {
    const notes = [
      l.extrapolated,
      normalizedNote(l),
      l.threads !== undefined ? `torch threads ${String(l.threads)}` : undefined,
      l.x_faster_than_tfjs !== undefined
        ? `${String(l.x_faster_than_tfjs)}× faster than tfjs-layers`
        : undefined,
      l.step_over_flop_bound !== undefined
        ? `step ÷ FLOP bound ${String(l.step_over_flop_bound)}` +
          (l.cpu_step_over_flop_bound !== undefined
            ? ` (CPU time: ${String(l.cpu_step_over_flop_bound)})`
            : '')
        : undefined,
      l.mc_over_sequential !== undefined
        ? `${String(l.samples)} samples: ${String(l.mc_over_sequential)} × the ${String(l.sequential_ms)} ms of sequential predicts (CPU time: ${String(l.mc_over_sequential_cpu)} ×)`
        : undefined,
      l.error,
    ].filter(Boolean);
    return `| ${l.case} | ${l.impl} | ${l.ms_per_step ?? '–'} | ${String(l.peak_rss_mb ?? '–')} | ${String(l.vs_pytorch_fused ?? '–')} | ${notes.join('; ')} |`;
  });
  return [head, ...rows].join('\n');
}

/** Parses bench arguments (as `npm run bench -- …` passes them) and runs. */
export function runBench(argv: string[]): Line[] {
  const cmd = new Command('bench')
    .option('--case <names>', `comma-separated subset of ${Object.keys(CASES).join(', ')}, or all`, 'all')
    .option('--impl <list>', `comma-separated subset of ${IMPLS.join(', ')}`, IMPLS.join(','))
    .option('--repeats <n>', 'timed steps per implementation (median reported)', '20')
    .option('--threads <n>', 'kernel threads for Regulab (REGULAB_THREADS)', '2')
    .option('--json', 'one JSON line per implementation', false)
    .exitOverride();
  cmd.parse(argv, { from: 'user' });
  const opts = cmd.opts<{ case: string; impl: string; repeats: string; threads: string; json: boolean }>();
  const cases =
    opts.case === 'all'
      ? (Object.keys(CASES) as CaseName[])
      : (opts.case.split(',').map((s) => s.trim()) as CaseName[]);
  for (const c of cases)
    if (!(c in CASES)) throw new Error(`bench: unknown case ${c} (${Object.keys(CASES).join(', ')}, all)`);
  const impls = opts.impl.split(',').map((s) => s.trim()) as Impl[];
  for (const i of impls)
    if (!IMPLS.includes(i)) throw new Error(`bench: unknown impl ${i} (${IMPLS.join(', ')})`);
  return runBenchWith({
    cases,
    impls,
    repeats: Number(opts.repeats),
    threads: Number(opts.threads),
    json: opts.json,
  });
}

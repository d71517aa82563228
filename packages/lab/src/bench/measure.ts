/** Timing helpers of the step benchmarks: median of repeated runs after a warm-up, peak RSS. */

export interface Timing {
  msPerStep: number;
  /** Median CPU time of a step (user + system, every thread of the process): steadier than wall time on a loaded machine. */
  cpuMsPerStep: number;
  repeats: number;
  peakRssMb: number;
}

/** Runs `step` warmup + repeats times and returns the median time of the timed runs. */
export async function timeSteps(
  step: () => void | Promise<void>,
  repeats: number,
  warmup: number,
): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await step();
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { msPerStep: median(times), cpuMsPerStep: median(cpu), repeats, peakRssMb: peakRssMb() };
}

export interface InterleavedTiming {
  /** Median wall-clock time of one run, ms. */
  wallMs: number;
  /** Median CPU time (user + system, every thread of the process) of one run, ms: the work done, steadier than wall time on a shared machine. */
  cpuMs: number;
}

/**
 * Times several ways of doing the same work, alternating them run by run (after `warmup` runs
 * of each), so a change in the machine's load hits them alike. Medians of `repeats` runs each.
 */
export function timeInterleaved(
  ways: Record<string, () => void>,
  repeats: number,
  warmup: number,
): Record<string, InterleavedTiming> {
  const names = Object.keys(ways);
  for (let i = 0; i < warmup; i++) for (const n of names) ways[n]!();
  const wall: Record<string, number[]> = {};
  const cpu: Record<string, number[]> = {};
  for (const n of names) {
    wall[n] = [];
    cpu[n] = [];
  }
  for (let i = 0; i < repeats; i++) {
    for (const n of names) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      ways[n]!();
      wall[n]!.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[n]!.push((c.user + c.system) / 1000);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { wallMs: median(wall[n]!), cpuMs: median(cpu[n]!) }]));
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** This process's peak resident set size, in MiB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

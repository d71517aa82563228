/** Timing helpers of the step benchmarks: median of repeated runs after a warm-up, peak RSS. */

export interface Timing {
  msPerStep: number;
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
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return { msPerStep: median, repeats, peakRssMb: peakRssMb() };
}

/** This process's peak resident set size, in MiB. */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

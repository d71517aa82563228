/**
 * The time left in a whole run, for the progress bar's label (the bar's own ETA covers only the
 * current epoch): the mean wall time of the epochs this process has finished (training and
 * evaluation) times the epochs left, counting the current one. An upper bound when early
 * stopping may end the run sooner, hence "at most".
 */
export function runEta(secondsPerEpoch: readonly number[], epoch: number, maxEpochs: number): string {
  if (secondsPerEpoch.length === 0) return '';
  const mean = secondsPerEpoch.reduce((a, b) => a + b, 0) / secondsPerEpoch.length;
  return `, run ≤ ${duration(mean * (maxEpochs - epoch + 1))} left`;
}

/** 95 → "1m35s", 7260 → "2h01m". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

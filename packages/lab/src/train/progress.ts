/**
 * The progress bar of long work (cli-progress): batches done, ETA and the running loss. Drawn on
 * stderr only when it is a terminal, and never with `--json`, so piped output stays clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  start(total: number, label: string): void;
  update(done: number, loss?: number): void;
  stop(): void;
}

/** A bar on stderr, or a silent stand-in when `enabled` is false or stderr is not a terminal. */
export function progressBar(enabled: boolean): Progress {
  if (!enabled || !process.stderr.isTTY) return { start() {}, update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{label} |{bar}| {value}/{total} | loss {loss} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let active = false;
  return {
    start(total, label) {
      bar.start(total, 0, { label, loss: '…' });
      active = true;
    },
    update(done, loss) {
      bar.update(done, loss === undefined ? {} : { loss: loss.toFixed(4) });
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}

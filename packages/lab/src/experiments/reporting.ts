/**
 * The runner's one call into the reports module: `writeReport(runDirs, outFile, opts)`.
 */
import * as report from '../report/index.js';

type WriteReport = (
  runDirs: string[],
  outFile: string,
  opts?: { title?: string; baseline?: string },
) => Promise<unknown>;

/** Writes the HTML report (and plots/) of one or more runs. */
export async function writeRunReport(
  runDirs: string[],
  outFile: string,
  opts: { title?: string; baseline?: string } = {},
): Promise<void> {
  const write = (report as unknown as { writeReport?: WriteReport }).writeReport;
  if (typeof write !== 'function') {
    throw new Error('the reports module (packages/lab/src/report) does not export writeReport yet');
  }
  await write(runDirs, outFile, opts);
}

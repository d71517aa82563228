/**
 * The lab's one call into the reports module. A report problem caused by its input (a run
 * directory without metrics) is a usage error for the CLI.
 */
import { ConfigError } from '../errors.js';
import { ReportInputError, writeReport, type ReportOptions } from '../report/index.js';

/** Writes the HTML report (and plots/) of one or more runs; returns the conclusions it drew. */
export async function writeRunReport(
  runDirs: string[],
  outFile: string,
  opts: ReportOptions = {},
): Promise<string[]> {
  try {
    return (await writeReport(runDirs, outFile, opts)).conclusions;
  } catch (e) {
    if (e instanceof ReportInputError) throw new ConfigError(e.message);
    throw e;
  }
}

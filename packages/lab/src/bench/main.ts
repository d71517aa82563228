/** Entry point of `npm run bench` (the lab CLI's `regulab bench` calls runBench too); `--browser`: the Chromium bench. */
import { runBrowserBench } from './browser/run-browser-bench.js';
import { runBench } from './run-bench.js';

const fail = (e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
};
const argv = process.argv.slice(2);
if (argv.includes('--browser')) runBrowserBench(argv).catch(fail);
else {
  try {
    runBench(argv);
  } catch (e) {
    fail(e);
  }
}

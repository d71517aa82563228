/** Entry point of `npm run bench` (the lab CLI's `regulab bench` calls runBench too). */
import { runBench } from './run-bench.js';

try {
  runBench(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
}

#!/usr/bin/env node
/**
 * The `regulab` executable (packages/lab/dist/cli.js). See cli/program.ts for the commands and
 * errors.ts for the exit codes.
 */
import { handleInterrupts } from './cli/interrupt.js';
import { main } from './cli/main.js';
import { silenceTfjsNodeBanner } from './cli/quiet-tfjs.js';

silenceTfjsNodeBanner();

handleInterrupts((line) => process.stderr.write(line + '\n'));

// Started by `compare` as a worker: stop when the parent goes away (even if it was SIGKILLed),
// so no orphan keeps writing to a run directory that a `regulab resume` is about to take over.
// The channel must not keep this process alive once the command is done (hence unref).
if (process.send) {
  process.on('disconnect', () => process.exit(130));
  process.channel?.unref();
}

process.exitCode = await main(process.argv.slice(2));

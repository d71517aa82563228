#!/usr/bin/env node
/**
 * The `regulab` executable (packages/lab/dist/cli.js). See cli/program.ts for the commands and
 * errors.ts for the exit codes.
 */
import { main } from './cli/main.js';

process.on('SIGINT', () => {
  process.stderr.write(
    '\ninterrupted: resume from the last completed epoch with `regulab resume <run-dir>`\n',
  );
  process.exit(130);
});

process.exitCode = await main(process.argv.slice(2));

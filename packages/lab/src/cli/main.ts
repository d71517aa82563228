/**
 * The `regulab` process: parse, run the command, turn any error into a message and an exit code
 * (errors.ts documents the codes). With `--json`, a failure also prints one JSON line on stdout:
 * `{"ok": false, "exitCode": 2, "error": "…"}`.
 */
import { CommanderError } from 'commander';
import { ExitCode, exitCodeOf } from '../errors.js';
import { describeFsError, isFsError } from '../store/fs-errors.js';
import { commands, type Io } from './commands.js';
import { buildProgram } from './program.js';

const processIo: Io = {
  stdout: (line) => process.stdout.write(line + '\n'),
  stderr: (line) => process.stderr.write(line + '\n'),
};

/** Runs `regulab <argv>` and returns the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const json = argv.includes('--json');
  const program = buildProgram(commands(io), io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every parse error (unknown option, missing argument…) is usage.
      if (e.exitCode === 0) return ExitCode.ok;
      if (json) io.stdout(JSON.stringify({ ok: false, exitCode: ExitCode.usage, error: e.message }));
      return ExitCode.usage;
    }
    const code = exitCodeOf(e);
    const message = isFsError(e)
      ? `cannot ${e.syscall}${e.path ? ` ${e.path}` : ''}: ${describeFsError(e)}`
      : e instanceof Error
        ? e.message
        : String(e);
    io.stderr(`regulab: error: ${message}`);
    // An unexpected error is a bug: its stack trace goes with it.
    if (code === ExitCode.runFailed && e instanceof Error && e.name !== 'RunFailedError' && !isFsError(e)) {
      io.stderr(e.stack ?? '');
    }
    if (json) io.stdout(JSON.stringify({ ok: false, exitCode: code, error: message }));
    return code;
  }
}

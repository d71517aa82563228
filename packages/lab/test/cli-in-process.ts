/** `regulab <argv>` run in this process through `main`, its output captured line by line. */
import { main } from '../src/cli/main.js';

export async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n'), lines: out, errLines: err };
}

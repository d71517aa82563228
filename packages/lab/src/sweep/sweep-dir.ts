/** Whether a directory is a sweep's: it holds sweep.json (the layout is in sweep-config.ts). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const SWEEP_FILE = 'sweep.json';

export function isSweepDir(dir: string): boolean {
  return existsSync(join(dir, SWEEP_FILE));
}

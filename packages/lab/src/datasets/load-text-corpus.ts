/**
 * One entry point for the CLI's `--data brown|ptb|text8|<path>`.
 *
 * - `brown`: the embedded Brown corpus (char or word level).
 * - `ptb`: Penn Treebank from `opts.ptbDir` (default `$REGULAB_PTB_DIR`), else downloaded to the cache.
 * - `text8`: Text8 (char level only) from `opts.text8Path`, else downloaded to the cache.
 * - a directory: PTB-format files (PTB_FILES) in it; a file named `text8` or `*.zip`: Text8.
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';

import { loadBrown } from './brown.js';
import { DatasetError } from './errors.js';
import { loadPtb } from './ptb.js';
import { loadText8 } from './text8.js';
import type { TextCorpus } from './types.js';

/** Options of `loadTextCorpus`. */
export interface TextCorpusOptions {
  /** Brown word level: the `<unk>` threshold. */
  minCount?: number;
  ptbDir?: string;
  text8Path?: string;
  /** Allow downloads to the cache for ptb/text8 (default true). */
  download?: boolean;
  cacheDir?: string;
}

/** Resolves the CLI's `--data` value (see the module doc) to a corpus of the given level. */
export async function loadTextCorpus(
  spec: string,
  level: 'char' | 'word',
  opts: TextCorpusOptions = {},
): Promise<TextCorpus> {
  const download = opts.download ?? true;
  if (spec === 'brown') return loadBrown({ level, minCount: opts.minCount });
  if (spec === 'ptb') {
    const dir = opts.ptbDir ?? process.env.REGULAB_PTB_DIR;
    return loadPtb({ level, dir, download, cacheDir: opts.cacheDir });
  }
  if (spec === 'text8' || (existsSync(spec) && statSync(spec).isFile())) {
    if (level !== 'char') throw new DatasetError(spec, 'Text8 is a character-level corpus; use level "char"');
    if (spec !== 'text8' && basename(spec) !== 'text8' && !spec.endsWith('.zip'))
      throw new DatasetError(spec, 'a data file must be text8 or text8.zip; for PTB give the directory');
    return loadText8({ path: spec === 'text8' ? opts.text8Path : spec, download, cacheDir: opts.cacheDir });
  }
  if (existsSync(spec)) return loadPtb({ level, dir: spec });
  throw new DatasetError(spec, 'unknown data: expected brown, ptb, text8, a PTB directory or a text8 file');
}

/**
 * The names of the per-step LSTM / GRU state values in probes.jsonl (`--probe state-variance` and
 * `--probe state-gradients`), apart from the probes themselves (they import TensorFlow.js) so that
 * report sections, which `regulab --help` and `list` load, can read them without loading it.
 *
 *   `<layer>/<mode>/<state>/<k>`   the value of state h or c of LSTM layer `<layer>` (h alone for
 *                                  a GRU layer) at processing step k (0-based), measured in mode
 *                                  `train` (masks drawn) or `inference`
 */
export type StateMode = 'train' | 'inference';
export type StateName = 'h' | 'c';

export const STATE_MODES: readonly StateMode[] = ['train', 'inference'];
export const STATE_NAMES: readonly StateName[] = ['h', 'c'];

/** The key of one step's value. */
export function stateKey(layer: string, mode: StateMode, state: StateName, step: number): string {
  return `${layer}/${mode}/${state}/${step}`;
}

/** The values of steps 0, 1, … of one layer, mode and state in a row (stops at the first missing step). */
export function perStep(
  values: Readonly<Record<string, number>>,
  layer: string,
  mode: StateMode,
  state: StateName,
): number[] {
  const out: number[] = [];
  for (let k = 0; values[stateKey(layer, mode, state, k)] !== undefined; k++)
    out.push(values[stateKey(layer, mode, state, k)]!);
  return out;
}

/** The layers a row has values of, in the order first seen. */
export function stateLayers(values: Readonly<Record<string, number>>): string[] {
  const layers = new Set<string>();
  for (const key of Object.keys(values)) {
    const m = /^(.*)\/(train|inference)\/[hc]\/\d+$/.exec(key);
    if (m) layers.add(m[1]!);
  }
  return [...layers];
}

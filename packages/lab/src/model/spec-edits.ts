/**
 * Edits of a model spec from the command line: `--set`, `--cell`, `--penalty`, `--constraint`, and
 * the shorthand flags (`--hidden`, `--dropout`, `--zoneout-cell`, …), each one setting an option on
 * the layers that have it. Which layers have an option is asked of the layers (./layer-options.ts).
 *
 * `--set <layers>.<option>=<value>`: `<layers>` is a layer index (`2`, or the long form
 * `layers.2.config`), a layer name or class name (`lstm_0`, `RegulabLSTM`), or a glob over names
 * and class names (`lstm*`, `*`); a glob sets the option on the matching layers that have it.
 * `<option>` may go deeper (`recurrentInitializer.config.gain`). `<value>` is read as JSON when it
 * parses (`0.3`, `true`, `[3, 3]`, `{"className": …}`), else as a string (`layer`).
 */
import { ConfigError } from '../errors.js';
import { knownOptions } from './check-spec.js';
import { isRecurrentLayer, optionsOfClass, optionsOfLayer, probeLayer } from './layer-options.js';
import { type LayerSpec, type ModelSpec, namedSpec } from './model-spec.js';

/** Sets `option` = `value` on each layer `pick` selects that has the option; returns how many. */
export function setWhereKnown(
  spec: ModelSpec,
  pick: (layer: LayerSpec, index: number) => boolean,
  option: string,
  value: unknown,
): number {
  let count = 0;
  spec.layers.forEach((layer, i) => {
    if (pick(layer, i) && optionsOfLayer(spec, i).has(option)) {
      layer.config[option] = structuredClone(value);
      count++;
    }
  });
  return count;
}

/** Applies one `--set` argument (see the module comment); returns the edited copy. */
export function applySet(spec: ModelSpec, text: string): ModelSpec {
  const where = `--set '${text}'`;
  const m = /^(?:layers\.(\d+)\.config|([^.=]+))\.([^=]+)=(.*)$/s.exec(text);
  if (!m) {
    throw new ConfigError(
      `${where}: expected <layers>.<option>=<value>, e.g. '2.rate=0.3', 'lstm*.normalization=layer' or 'layers.2.config.rate=0.3'`,
    );
  }
  const selector = m[1] ?? m[2]!;
  const path = m[3]!.split('.');
  const value = parseValue(m[4]!);
  const out = namedSpec(structuredClone(spec));
  const glob = /[*?]/.test(selector);
  const matches = (l: LayerSpec, i: number) =>
    /^\d+$/.test(selector)
      ? i === Number(selector)
      : globMatch(selector, [String(l.config.name), l.className]);
  const chosen = out.layers.map((l, i) => [l, i] as const).filter(([l, i]) => matches(l, i));
  if (chosen.length === 0) {
    throw new ConfigError(`${where}: no layer matches '${selector}' (layers: ${describeLayers(out)})`);
  }
  let count = 0;
  for (const [layer, i] of chosen) {
    if (glob && !optionsOfLayer(out, i).has(path[0]!)) continue;
    setPath(layer.config, path, value);
    count++;
  }
  if (count === 0) {
    throw new ConfigError(
      `${where}: none of the layers matching '${selector}' (${chosen.map(([l]) => `${l.config.name} (${l.className})`).join(', ')}) has option '${path[0]}'`,
    );
  }
  return out;
}

/** The recurrent cells `--cell` switches between, and their Regulab classes. */
export const CELLS = { lstm: 'RegulabLSTM', gru: 'RegulabGRU' } as const;
export type Cell = keyof typeof CELLS;

/**
 * `--cell`: every Regulab LSTM or GRU layer becomes `cell`, keeping the options the new cell has.
 * The hidden-state zoneout carries over (LSTM `zoneoutHidden` ↔ GRU `zoneout`); a cell-state
 * zoneout cannot (a GRU has no cell) and is an error. Names `lstm_N` ↔ `gru_N` follow.
 */
export function changeCell(spec: ModelSpec, cell: Cell): ModelSpec {
  const target = CELLS[cell];
  const out = namedSpec(structuredClone(spec));
  let count = 0;
  out.layers.forEach((layer, i) => {
    if (!(Object.values(CELLS) as string[]).includes(layer.className)) return;
    count++;
    if (layer.className === target) return;
    const config = { ...layer.config };
    if (cell === 'gru') {
      if (typeof config.zoneoutCell === 'number' && config.zoneoutCell > 0) {
        throw new ConfigError(
          `--cell gru: layers[${i}] '${config.name}' has zoneoutCell ${config.zoneoutCell}, and a GRU has no cell state; set --zoneout-cell 0 (a GRU's zoneout is --zoneout-hidden)`,
        );
      }
      if ('zoneoutHidden' in config) config.zoneout = config.zoneoutHidden;
    } else if ('zoneout' in config) config.zoneoutHidden = config.zoneout;
    const known = optionsOfClass(target, { units: 1 });
    const kept = Object.fromEntries(Object.entries(config).filter(([k]) => known.has(k)));
    if (typeof kept.name === 'string') kept.name = kept.name.replace(/^(lstm|gru)(?=_|$)/, cell);
    out.layers[i] = { className: target, config: kept };
  });
  if (count === 0) throw new ConfigError(`--cell ${cell}: the model has no LSTM or GRU layer`);
  return out;
}

/**
 * `--penalty [<weights>:]l1=<λ>` or `l2=<λ>` (repeatable): an L1/L2 penalty λ·Σ|w| or λ·Σw² on
 * the chosen weights of every layer that takes a regularizer for them, i.e. has the option
 * `<weights>Regularizer` (`kernel`, the default; `recurrent`, `bias`, `embeddings`, …).
 * An l1 and an l2 on the same weights add up (one L1L2 regularizer).
 */
export function applyPenalty(spec: ModelSpec, text: string): ModelSpec {
  const m = /^(?:(\w+):)?(l1|l2)=(.+)$/.exec(text.trim());
  const lambda = m ? Number(m[3]) : NaN;
  if (!m || !Number.isFinite(lambda) || lambda < 0) {
    throw new ConfigError(
      `--penalty '${text}': expected [<weights>:]l1=<λ> or [<weights>:]l2=<λ> with λ ≥ 0, e.g. 'l2=1e-4' or 'recurrent:l2=1e-4'`,
    );
  }
  const option = `${m[1] ?? 'kernel'}Regularizer`;
  const out = namedSpec(structuredClone(spec));
  let count = 0;
  out.layers.forEach((layer, i) => {
    if (!optionsOfLayer(out, i).has(option)) return;
    const prior = layer.config[option] as { className?: string; config?: Record<string, number> } | null;
    const base = prior?.className === 'L1L2' ? { l1: 0, l2: 0, ...prior.config } : { l1: 0, l2: 0 };
    layer.config[option] = { className: 'L1L2', config: { ...base, [m[2]!]: lambda } };
    count++;
  });
  if (count === 0) throw new ConfigError(`--penalty '${text}': no layer of the model has option '${option}'`);
  return out;
}

/**
 * `--constraint [<weights>:]maxnorm=<c>` (repeatable): the max-norm constraint ‖w‖ ≤ c on the
 * chosen weights of every layer that has the option `<weights>Constraint` (default `kernel`),
 * applied after every optimizer step. The norm is over each output unit's incoming weights: axis
 * 0 of a matrix [in, out]; axes 0 … k of a k-dimensional convolution's kernel [k₁, …, k_k, in, out].
 */
export function applyConstraint(spec: ModelSpec, text: string): ModelSpec {
  const m = /^(?:(\w+):)?maxnorm=(.+)$/i.exec(text.trim());
  const c = m ? Number(m[2]) : NaN;
  if (!m || !Number.isFinite(c) || c <= 0) {
    throw new ConfigError(
      `--constraint '${text}': expected [<weights>:]maxnorm=<c> with c > 0, e.g. 'maxnorm=3' or 'recurrent:maxnorm=3'`,
    );
  }
  const option = `${m[1] ?? 'kernel'}Constraint`;
  const out = namedSpec(structuredClone(spec));
  let count = 0;
  out.layers.forEach((layer, i) => {
    const probe = probeLayer(out, i);
    if (!knownOptions(probe).has(option)) return;
    const kernelSize = (probe.getConfig() as { kernelSize?: unknown }).kernelSize;
    const convolution = option === 'kernelConstraint' && Array.isArray(kernelSize);
    const axis = convolution ? Array.from({ length: kernelSize.length + 1 }, (_, a) => a) : 0;
    layer.config[option] = { className: 'MaxNorm', config: { maxValue: c, axis } };
    count++;
  });
  if (count === 0)
    throw new ConfigError(`--constraint '${text}': no layer of the model has option '${option}'`);
  return out;
}

/** Sets `option` on every recurrent layer that has it (the recurrent shorthand flags). */
export function setOnRecurrent(spec: ModelSpec, options: readonly string[], value: unknown): ModelSpec {
  const out = structuredClone(spec);
  for (const option of options) setWhereKnown(out, (_, i) => isRecurrentLayer(out, i), option, value);
  return out;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function setPath(config: Record<string, unknown>, path: string[], value: unknown): void {
  let node = config;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

/** Case-insensitive glob (`*`: any run of characters, `?`: one) against any of `names`. */
function globMatch(pattern: string, names: string[]): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return names.some((n) => re.test(n));
}

function describeLayers(spec: ModelSpec): string {
  return spec.layers.map((l, i) => `${i}: ${String(l.config.name)} (${l.className})`).join(', ');
}

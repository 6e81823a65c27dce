/**
 * What the Compare Runs view computes from the runs it is given: the curves
 * of each run (training loss, validation perplexity and BLEU, against the
 * optimiser step and against wall-clock seconds), the hyper-parameters that
 * differ between the runs, each run's final scores, and the table's sort
 * order. Pure (no DOM, no `vscode`): bundled into webview/compare/ and
 * unit-tested in Node.
 */
import type { CompareEvent } from '../protocol/compareRuns';

/** One curve: x values (step or seconds, increasing) and y values (`null`: no value at that x). */
export interface Curve {
  steps: number[];
  seconds: number[];
  values: (number | null)[];
}

/** The three curves of a run. */
export interface RunCurves {
  loss: Curve;
  perplexity: Curve;
  bleu: Curve;
}

const finiteOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * The curves of one run from its metrics.jsonl events, in file order:
 * `progress` events give the training loss (mean per-token cross-entropy,
 * nats), `validation` events the perplexity (only values > 0, for the log
 * axis) and the BLEU (0–100). x is the event's `step` and `elapsedSeconds`.
 * A resumed run repeats the steps after its checkpoint: a point whose step is
 * not after the previous one replaces the points from that step on (the
 * later, resumed values win), so x stays increasing. Non-finite values are
 * `null` (gaps).
 */
export function runCurves(events: readonly CompareEvent[]): RunCurves {
  const empty = (): Curve => ({ steps: [], seconds: [], values: [] });
  const curves: RunCurves = { loss: empty(), perplexity: empty(), bleu: empty() };
  const push = (c: Curve, step: number, seconds: number, value: number | null) => {
    while (c.steps.length && c.steps[c.steps.length - 1] >= step) {
      c.steps.pop();
      c.seconds.pop();
      c.values.pop();
    }
    c.steps.push(step);
    c.seconds.push(seconds);
    c.values.push(value);
  };
  for (const e of events) {
    if (e.type !== 'progress' && e.type !== 'validation') continue;
    if (!Number.isFinite(e.step)) continue;
    const seconds = Number.isFinite(e.elapsedSeconds) ? e.elapsedSeconds : NaN;
    if (e.type === 'progress') push(curves.loss, e.step, seconds, finiteOrNull(e.loss));
    else {
      const ppl = finiteOrNull(e.perplexity);
      push(curves.perplexity, e.step, seconds, ppl !== null && ppl > 0 ? ppl : null);
      push(curves.bleu, e.step, seconds, finiteOrNull(e.bleu));
    }
  }
  return curves;
}

/** A config value shown in a table cell. */
export type ParamValue = string | number | boolean | null;

/**
 * A config as dotted keys (`model.attention`, `train.learningRate`,
 * `data.train.src`): nested objects are flattened, arrays become JSON text.
 * `undefined` members are left out.
 */
export function flattenConfig(config: unknown, prefix = ''): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return out;
  for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v === undefined) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flattenConfig(v, key));
    else if (Array.isArray(v)) out[key] = JSON.stringify(v);
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) out[key] = v;
    else out[key] = String(v);
  }
  return out;
}

/** Keys never shown as hyper-parameters: the run's name is its own column. */
const NOT_PARAMETERS = new Set(['name']);

/**
 * The hyper-parameter keys to show for `configs` (one flattened config per
 * run, `undefined` for a run without a readable config, which is left out
 * of the comparison): with `all`, every key any config has; otherwise only
 * those whose value is not the same in every config (a key some configs lack
 * differs). Sorted: `model.*`, then `train.*`, then `data.*`, then others,
 * each alphabetically.
 */
export function parameterKeys(configs: readonly (Record<string, ParamValue> | undefined)[], all: boolean): string[] {
  const known = configs.filter((c): c is Record<string, ParamValue> => c !== undefined);
  const keys = new Set<string>();
  for (const c of known) for (const k of Object.keys(c)) if (!NOT_PARAMETERS.has(k)) keys.add(k);
  const shown = [...keys].filter((k) => all || known.some((c) => !(k in c) || c[k] !== known[0][k]));
  const group = (k: string) => ['model', 'train', 'data'].indexOf(k.split('.')[0]);
  const rank = (k: string) => (group(k) < 0 ? 3 : group(k));
  return shown.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A run's final scores (undefined: not recorded). */
export interface RunScores {
  /** Highest validation BLEU (0–100). */
  bestBleu?: number;
  /** Lowest validation perplexity. */
  lowestPerplexity?: number;
  /** Last optimiser step reached. */
  steps?: number;
  /** Wall-clock training seconds (the `done` event's, else the latest recorded). */
  seconds?: number;
  /** Mean training throughput (target tokens / s) over the progress reports. */
  tokensPerSecond?: number;
}

/** The scores of one run from its events (see {@link RunScores}); a run without events has none. */
export function runScores(events: readonly CompareEvent[]): RunScores {
  const s: RunScores = {};
  let tokSum = 0;
  let tokN = 0;
  for (const e of events) {
    if (e.type === 'validation') {
      if (Number.isFinite(e.bleu) && !(e.bleu <= (s.bestBleu ?? -Infinity))) s.bestBleu = e.bleu;
      if (Number.isFinite(e.perplexity) && e.perplexity > 0 && !(e.perplexity >= (s.lowestPerplexity ?? Infinity))) s.lowestPerplexity = e.perplexity;
    }
    if (e.type === 'progress' || e.type === 'validation' || e.type === 'done') {
      if (Number.isFinite(e.step)) s.steps = e.step;
      if (Number.isFinite(e.elapsedSeconds)) s.seconds = e.elapsedSeconds;
    }
    if (e.type === 'progress' && Number.isFinite(e.tokensPerSecond) && e.tokensPerSecond > 0) {
      tokSum += e.tokensPerSecond;
      tokN++;
    }
  }
  if (tokN > 0) s.tokensPerSecond = tokSum / tokN;
  return s;
}

/** A table cell's value for sorting. */
export type SortValue = string | number | boolean | null | undefined;
export type SortDirection = 'asc' | 'desc';

/**
 * Compare two cells for sorting in `dir`: numbers numerically, booleans
 * false < true, strings by locale with numeric parts compared as numbers
 * ("run-2" < "run-10"); a missing value (`undefined`, `null`, NaN) sorts last
 * in both directions; a number sorts before a string.
 */
export function compareCells(a: SortValue, b: SortValue, dir: SortDirection): number {
  const missing = (v: SortValue) => v === undefined || v === null || (typeof v === 'number' && Number.isNaN(v));
  if (missing(a) || missing(b)) return missing(a) === missing(b) ? 0 : missing(a) ? 1 : -1;
  const sign = dir === 'asc' ? 1 : -1;
  const kind = (v: SortValue) => (typeof v === 'string' ? 1 : 0);
  if (kind(a) !== kind(b)) return kind(a) - kind(b);
  if (typeof a === 'string' && typeof b === 'string') return sign * a.localeCompare(b, undefined, { numeric: true, sensitivity: 'base' });
  return sign * (Number(a) - Number(b));
}

/**
 * The indices of `rows` in the order of column `key` (stable: equal cells
 * keep the given order).
 */
export function sortOrder<T extends Record<string, SortValue>>(rows: readonly T[], key: string, dir: SortDirection): number[] {
  return rows
    .map((r, i) => ({ v: r[key], i }))
    .sort((x, y) => compareCells(x.v, y.v, dir) || x.i - y.i)
    .map((x) => x.i);
}

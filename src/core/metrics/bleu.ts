/**
 * Corpus-level BLEU (Papineni et al., 2002, "BLEU: a Method for Automatic
 * Evaluation of Machine Translation", ACL) computed exactly as sacreBLEU 2.x
 * does by default (Post, 2018, "A Call for Clarity in Reporting BLEU Scores"):
 *
 *   signature `nrefs:N|case:mixed|eff:no|tok:13a|smooth:exp|version:2.x`
 *
 * - tokenisation: `13a` (the mteval-v13a.pl rules used by WMT), see {@link tokenize13a};
 * - maximum n-gram order 4, uniform weights;
 * - modified (clipped) n-gram precision p_n, clipped against the per-n-gram
 *   maximum count over all references of a segment;
 * - brevity penalty BP = exp(1 − r/c) if c < r else 1, with c the total
 *   hypothesis length and r the sum over segments of the reference length
 *   closest to the hypothesis length (ties → the shorter reference);
 * - BLEU = BP · exp( (1/4) Σ_n log p_n ), reported on a 0–100 scale;
 * - `exp` smoothing (NIST / mteval "method 3" of Chen & Cherry, 2014): the
 *   k-th n-gram order with zero matches gets precision 1 / (2^k · total_n).
 *
 * This is an independent TypeScript implementation written from the published
 * description of sacreBLEU's behaviour; test/bleu.test.ts pins its outputs to
 * values printed by sacreBLEU itself.
 */

/** Whitespace exactly as Python's `str.isspace()` / `str.split()` define it
 * (differs from JS `\s`: includes U+001C–U+001F and U+0085, excludes U+FEFF). */
const PY_WS_CLASS = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_WS_RUN = new RegExp(`${PY_WS_CLASS}+`, 'gu');
const PY_WS_ONE = new RegExp(`^${PY_WS_CLASS}$`, 'u');

/** Python `str.isspace()` for a single UTF-16 code unit (all Python
 * whitespace characters are in the BMP). */
function isPyWhitespace(ch: string): boolean {
  return PY_WS_ONE.test(ch);
}

/** Python `s.rstrip()` (no argument). */
function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPyWhitespace(s[end - 1]!)) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Python `s.split()` (no argument): split on whitespace runs, drop empties. */
function pySplit(s: string): string[] {
  const parts = s.split(PY_WS_RUN);
  // Leading/trailing whitespace produce empty first/last parts.
  let lo = 0;
  let hi = parts.length;
  if (hi > 0 && parts[0] === '') lo = 1;
  if (hi > lo && parts[hi - 1] === '') hi--;
  return lo === 0 && hi === parts.length ? parts : parts.slice(lo, hi);
}

// The mteval-v13a "language-dependent part (assuming Western languages)".
// 1. Pad every ASCII symbol in { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
//    (i.e. ranges {-~, [-`, space-&, (-+, :-@ and '/') with spaces.
//    Not padded here: apostrophe, hyphen, period, comma, digits, letters.
const RE_SYMBOLS = /([{-~[-` -&(-+:-@/])/gu;
// 2. Period/comma preceded by a non-digit.
const RE_PUNCT_AFTER_NONDIGIT = /([^0-9])([.,])/gu;
// 3. Period/comma followed by a non-digit.
const RE_PUNCT_BEFORE_NONDIGIT = /([.,])([^0-9])/gu;
// 4. Dash preceded by a digit.
const RE_DASH_AFTER_DIGIT = /([0-9])(-)/gu;

/**
 * The `13a` tokenizer of sacreBLEU, which reproduces the tokenisation of the
 * NIST `mteval-v13a.pl` script:
 *
 * 1. remove `<skipped>`, join lines split by `-\n`, turn other `\n` into spaces;
 * 2. unescape `&quot;` `&amp;` `&lt;` `&gt;` (in that order, each once, left to right);
 * 3. split off ASCII punctuation/symbols (but not `'` or `-`), split `.` and `,`
 *    unless they sit between digits (`3.5`, `1,000` stay whole), split `-` after a digit;
 * 4. collapse whitespace to single spaces and trim.
 *
 * Character classes are ASCII-only (non-ASCII letters and punctuation such as
 * `«` or `’` are never split off), exactly as in the reference implementation.
 *
 * @param line one segment (detokenised text)
 * @returns the tokens joined by single spaces ('' for a blank line)
 */
export function tokenize13a(line: string): string {
  let s = line;
  if (s.includes('<skipped>')) s = s.replaceAll('<skipped>', '');
  if (s.includes('\n')) s = s.replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) {
    s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  s = ` ${s} `;
  s = s.replace(RE_SYMBOLS, ' $1 ');
  s = s.replace(RE_PUNCT_AFTER_NONDIGIT, '$1 $2 ');
  s = s.replace(RE_PUNCT_BEFORE_NONDIGIT, ' $1 $2');
  s = s.replace(RE_DASH_AFTER_DIGIT, '$1 $2 ');
  return pySplit(s).join(' ');
}

/** Sufficient statistics and score of a BLEU computation (sacreBLEU's `BLEUScore`). */
export interface BleuResult {
  /** BLEU on a 0–100 scale. */
  score: number;
  /** Modified n-gram precisions for n = 1..4, in percent (after smoothing; 0 for an order with no hypothesis n-grams). */
  precisions: number[];
  /** Clipped matching n-gram counts for n = 1..4 (with `add-k`, orders ≥ 2 include the added k, as in sacreBLEU). */
  counts: number[];
  /** Hypothesis n-gram counts for n = 1..4 (with `add-k`, orders ≥ 2 include the added k, as in sacreBLEU). */
  totals: number[];
  /** Brevity penalty in [0, 1]. */
  bp: number;
  /** Total hypothesis length c in tokens. */
  sysLen: number;
  /** Total effective reference length r in tokens (closest reference per segment). */
  refLen: number;
}

/** Options for {@link corpusBleu} / {@link sentenceBleu}. Defaults are sacreBLEU 2.x's. */
export interface BleuOptions {
  /** Smoothing (Chen & Cherry, 2014): `exp` (default, NIST), `none`, `floor` (method 1), `add-k` (method 2). */
  smooth?: 'exp' | 'none' | 'floor' | 'add-k';
  /** Value for `floor` (default 0.1) and `add-k` (default 1); ignored otherwise. */
  smoothValue?: number;
  /** `13a` (default) or `none` (input already tokenised; split on whitespace only). */
  tokenize?: '13a' | 'none';
  /** Lowercase hypotheses and references before tokenising (default false = case-sensitive). */
  lowercase?: boolean;
  /** Drop n-gram orders from the geometric mean starting at the first order with no hypothesis n-grams
   * (default false for corpus BLEU; {@link sentenceBleu} defaults to true, like sacreBLEU). */
  effectiveOrder?: boolean;
}

const MAX_ORDER = 4;
const SMOOTH_DEFAULTS = { none: 0, floor: 0.1, 'add-k': 1, exp: 0 } as const;

/** Python `sacrebleu.utils.my_log`: log floored at −9999999999 for 0. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/** Count all 1..MAX_ORDER-grams of a token list; keys are tokens joined by ' '
 * (tokens never contain whitespace, so the key is unambiguous). */
function countNgrams(tokens: string[], into: Map<string, number>): void {
  const len = tokens.length;
  for (let i = 0; i < len; i++) {
    let key = tokens[i]!;
    into.set(key, (into.get(key) ?? 0) + 1);
    const last = Math.min(len, i + MAX_ORDER);
    for (let j = i + 1; j < last; j++) {
      key += ' ' + tokens[j]!;
      into.set(key, (into.get(key) ?? 0) + 1);
    }
  }
}

/** sacreBLEU's closest-reference-length rule: minimal |c − r|, ties broken towards the shorter reference. */
function closestRefLen(hypLen: number, refLens: number[]): number {
  let bestDiff = -1;
  let best = -1;
  for (const r of refLens) {
    const d = Math.abs(hypLen - r);
    if (bestDiff === -1 || d < bestDiff) {
      bestDiff = d;
      best = r;
    } else if (d === bestDiff && r < best) {
      best = r;
    }
  }
  return best;
}

/**
 * Turn the sufficient statistics into a BLEU score, mirroring
 * `sacrebleu.metrics.bleu.BLEU.compute_bleu` (same floating-point operation order).
 */
function computeBleu(
  counts: number[],
  totals: number[],
  sysLen: number,
  refLen: number,
  smooth: NonNullable<BleuOptions['smooth']>,
  smoothValue: number,
  effectiveOrder: boolean,
): BleuResult {
  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  if (!counts.some((c) => c !== 0)) {
    return { score: 0, precisions, counts, totals, bp, sysLen, refLen };
  }
  let smoothMteval = 1.0;
  let effOrder = MAX_ORDER;
  for (let n = 1; n <= MAX_ORDER; n++) {
    if (smooth === 'add-k' && n > 1) {
      counts[n - 1]! += smoothValue;
      totals[n - 1]! += smoothValue;
    }
    if (totals[n - 1] === 0) break;
    if (effectiveOrder) effOrder = n;
    if (counts[n - 1] === 0) {
      if (smooth === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100.0 / (smoothMteval * totals[n - 1]!);
      } else if (smooth === 'floor') {
        precisions[n - 1] = (100.0 * smoothValue) / totals[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100.0 * counts[n - 1]!) / totals[n - 1]!;
    }
  }
  let logSum = 0;
  for (let n = 0; n < effOrder; n++) logSum += myLog(precisions[n]!);
  const score = bp * Math.exp(logSum / effOrder);
  return { score, precisions, counts, totals, bp, sysLen, refLen };
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/**
 * Corpus BLEU, numerically equal to sacreBLEU 2.x `corpus_bleu` / `BLEU().corpus_score`
 * (defaults: 13a tokenisation, case-sensitive, `exp` smoothing, max order 4, no effective order).
 *
 * Statistics are summed over all segments before the precisions are formed
 * (corpus BLEU ≠ mean of sentence BLEU).
 *
 * @param hypotheses system outputs, one detokenised segment each, length N
 * @param references either one reference stream (`string[]`, length N) or, as in
 *   sacreBLEU, a list of reference streams `string[][]` of shape `[numRefs][N]`
 *   (`references[k][i]` is the k-th reference of hypothesis i)
 * @param opts see {@link BleuOptions}
 * @returns score (0–100) with its sufficient statistics; an empty corpus gives
 *   score 0 with all counts 0 and bp 1
 * @throws Error if a reference stream's length differs from the number of
 *   hypotheses, if `references` is an empty list of streams, if any entry is not
 *   a string, or if an option value is unknown
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[] | readonly string[],
  opts: BleuOptions = {},
): BleuResult {
  const smooth = opts.smooth ?? 'exp';
  if (!(smooth in SMOOTH_DEFAULTS)) {
    throw new Error(`corpusBleu: unknown smooth method ${JSON.stringify(smooth)}; expected 'exp', 'none', 'floor' or 'add-k'`);
  }
  const smoothValue = opts.smoothValue ?? SMOOTH_DEFAULTS[smooth];
  const tokenizeName = opts.tokenize ?? '13a';
  if (tokenizeName !== '13a' && tokenizeName !== 'none') {
    throw new Error(`corpusBleu: unknown tokenizer ${JSON.stringify(tokenizeName)}; expected '13a' or 'none'`);
  }
  const lowercase = opts.lowercase ?? false;
  const effectiveOrder = opts.effectiveOrder ?? false;

  if (!Array.isArray(hypotheses)) {
    throw new Error(`corpusBleu: hypotheses must be an array of strings, got ${describe(hypotheses)}`);
  }
  if (!Array.isArray(references)) {
    throw new Error(`corpusBleu: references must be a string[] or string[][], got ${describe(references)}`);
  }
  const n = hypotheses.length;
  let streams: (readonly string[])[];
  if (references.length > 0 && Array.isArray(references[0])) {
    streams = references as (readonly string[])[];
  } else if (references.length === 0 && n > 0) {
    throw new Error(`corpusBleu: no references given for ${n} hypotheses`);
  } else {
    streams = [references as readonly string[]];
  }
  streams.forEach((stream, k) => {
    if (!Array.isArray(stream)) {
      throw new Error(`corpusBleu: reference stream ${k} must be an array of strings, got ${describe(stream)}`);
    }
    if (stream.length !== n) {
      throw new Error(
        `corpusBleu: reference stream ${k} has ${stream.length} segments but there are ${n} hypotheses ` +
          `(references must be string[] of length N or string[][] of shape [numRefs][N])`,
      );
    }
  });

  const preprocess = (sent: unknown, what: string): string[] => {
    if (typeof sent !== 'string') throw new Error(`corpusBleu: ${what} must be a string, got ${describe(sent)}`);
    let s = lowercase ? sent.toLowerCase() : sent;
    s = pyRstrip(s);
    return pySplit(tokenizeName === '13a' ? tokenize13a(s) : s);
  };

  let sysLen = 0;
  let refLen = 0;
  const counts = [0, 0, 0, 0];
  const totals = [0, 0, 0, 0];
  const refLens: number[] = [];
  const refNgrams = new Map<string, number>();
  const tmp = new Map<string, number>();
  const hypNgrams = new Map<string, number>();

  for (let i = 0; i < n; i++) {
    refNgrams.clear();
    refLens.length = 0;
    for (let k = 0; k < streams.length; k++) {
      const toks = preprocess(streams[k]![i], `references[${k}][${i}]`);
      refLens.push(toks.length);
      if (k === 0) {
        countNgrams(toks, refNgrams);
      } else {
        tmp.clear();
        countNgrams(toks, tmp);
        for (const [g, c] of tmp) {
          const prev = refNgrams.get(g);
          if (prev === undefined || c > prev) refNgrams.set(g, c);
        }
      }
    }
    const hypToks = preprocess(hypotheses[i], `hypotheses[${i}]`);
    hypNgrams.clear();
    countNgrams(hypToks, hypNgrams);
    const hypLen = hypToks.length;
    sysLen += hypLen;
    refLen += closestRefLen(hypLen, refLens);
    for (const [g, c] of hypNgrams) {
      // order = number of separating spaces + 1
      let order = 0;
      for (let p = g.indexOf(' '); p !== -1; p = g.indexOf(' ', p + 1)) order++;
      totals[order]! += c;
      const r = refNgrams.get(g);
      if (r !== undefined) counts[order]! += Math.min(c, r);
    }
  }
  return computeBleu(counts, totals, sysLen, refLen, smooth, smoothValue, effectiveOrder);
}

/**
 * Sentence BLEU as sacreBLEU 2.x `sentence_bleu` computes it: corpus BLEU over a
 * single segment, with effective order on by default (orders with no hypothesis
 * n-grams are left out of the geometric mean) and `exp` smoothing.
 * BLEU is a corpus metric; use this only for per-sentence diagnostics.
 *
 * @param hypothesis one system output segment
 * @param references one or more references for it
 * @param opts see {@link BleuOptions} (`effectiveOrder` defaults to true here)
 * @throws Error as {@link corpusBleu}, or if `references` is empty
 */
export function sentenceBleu(hypothesis: string, references: readonly string[] | string, opts: BleuOptions = {}): BleuResult {
  const refs = typeof references === 'string' ? [references] : references;
  if (!Array.isArray(refs) || refs.length === 0) {
    throw new Error('sentenceBleu: at least one reference string is required');
  }
  return corpusBleu(
    [hypothesis],
    refs.map((r) => [r]),
    { ...opts, effectiveOrder: opts.effectiveOrder ?? true },
  );
}

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
// All Python whitespace characters are in the BMP, so no `u` flag is needed
// (non-`u` regexes are markedly faster in V8).
const PY_WS_RUN = new RegExp(`${PY_WS_CLASS}+`, 'g');
const PY_WS_ONE = new RegExp(`^${PY_WS_CLASS}$`);

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
//    The space itself (also in that class) is left out: padding a space with spaces
//    only changes whitespace run lengths, which passes 2–4 treat alike and the final
//    whitespace collapse removes, so the output is identical (and this is ~3× faster).
const RE_SYMBOLS = /[{-~[-`!-&(-+:-@/]/g;
// 2. Period/comma preceded by a non-digit.
const RE_PUNCT_AFTER_NONDIGIT = /([^0-9])([.,])/g;
// 3. Period/comma followed by a non-digit.
const RE_PUNCT_BEFORE_NONDIGIT = /([.,])([^0-9])/g;
// 4. Dash preceded by a digit.
const RE_DASH_AFTER_DIGIT = /([0-9])(-)/g;
// No `u` flag: Python matches code points, these match UTF-16 code units, but
// `[^0-9]` taking one surrogate half of an astral character instead of the whole
// character inserts the spaces at the same places, so the output is identical
// (checked against sacreBLEU on random strings with emoji).

/**
 * The `13a` tokenizer of sacreBLEU, which reproduces the tokenisation of the
 * NIST `mteval-v13a.pl` script:
 *
 * 1. remove `<skipped>`, join lines split by `-\n`, turn other `\n` into spaces;
 * 2. unescape `&quot;` `&amp;` `&lt;` `&gt;`, one replace-all after another in that
 *    order (so `&amp;lt;` becomes `<`, as in sacreBLEU);
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
  return tokens13a(line).join(' ');
}

/** {@link tokenize13a} returning the token list (avoids a join + re-split). */
function tokens13a(line: string): string[] {
  let s = line;
  if (s.includes('<skipped>')) s = s.replaceAll('<skipped>', '');
  if (s.includes('\n')) s = s.replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) {
    s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  s = ` ${s} `;
  s = s.replace(RE_SYMBOLS, ' $& ');
  // Passes 2–4 cannot match without their punctuation: skip them (same output, faster).
  if (s.includes('.') || s.includes(',')) {
    s = s.replace(RE_PUNCT_AFTER_NONDIGIT, '$1 $2 ');
    s = s.replace(RE_PUNCT_BEFORE_NONDIGIT, ' $1 $2');
  }
  if (s.includes('-')) s = s.replace(RE_DASH_AFTER_DIGIT, '$1 $2 ');
  return pySplit(s);
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

/**
 * Reusable scratch space that counts clipped n-gram matches of one segment with
 * integer n-gram ids instead of string keys (no per-n-gram string allocation).
 *
 * Per segment: every distinct reference token gets a unigram id; an n-gram id is
 * found from (id of its (n−1)-gram prefix, unigram id of its last token) through
 * one numeric-keyed Map. Hypothesis n-grams are only looked up: an n-gram absent
 * from every reference cannot match, so it only adds to the totals.
 */
class SegmentMatcher {
  private readonly tokIds = new Map<string, number>();
  private readonly ext = new Map<number, number>();
  private order = new Uint8Array(1024); // n-gram id -> order n (1..4)
  private refMax = new Int32Array(1024); // n-gram id -> max count over references
  private tmp = new Int32Array(1024); // n-gram id -> count in the current reference / hypothesis
  private readonly seen: number[] = [];
  private readonly hypIds: number[] = [];
  private nextId = 0;
  private radix = 1;

  private grow(min: number): void {
    let size = this.order.length;
    while (size < min) size *= 2;
    if (size === this.order.length) return;
    const o = new Uint8Array(size);
    o.set(this.order);
    this.order = o;
    const r = new Int32Array(size);
    r.set(this.refMax);
    this.refMax = r;
    const t = new Int32Array(size);
    t.set(this.tmp);
    this.tmp = t;
  }

  /** Start a segment whose references total `refTokens` tokens. */
  begin(refTokens: number): void {
    this.refMax.fill(0, 0, this.nextId);
    this.tokIds.clear();
    this.ext.clear();
    this.nextId = 0;
    // Ids (unigrams and longer n-grams share one counter) stay below
    // MAX_ORDER * refTokens + 1, so prefixId * radix + unigramId is a unique key
    // (and exact in float64 for any segment below ~10^7 reference tokens).
    this.radix = MAX_ORDER * refTokens + 1;
    this.grow(this.radix);
  }

  /** Add one reference; counts are merged by per-n-gram maximum (sacreBLEU's multi-reference rule). */
  addReference(tokens: readonly string[]): void {
    const { tokIds, ext, seen } = this;
    const len = tokens.length;
    const uni: number[] = new Array<number>(len);
    for (let i = 0; i < len; i++) {
      const t = tokens[i]!;
      let id = tokIds.get(t);
      if (id === undefined) {
        id = this.nextId++;
        tokIds.set(t, id);
        this.order[id] = 1;
      }
      uni[i] = id;
    }
    const tmp = this.tmp;
    for (let i = 0; i < len; i++) {
      let g = uni[i]!;
      if (tmp[g]++ === 0) seen.push(g);
      const last = Math.min(len, i + MAX_ORDER);
      for (let j = i + 1; j < last; j++) {
        const key = g * this.radix + uni[j]!;
        let h = ext.get(key);
        if (h === undefined) {
          h = this.nextId++;
          ext.set(key, h);
          this.order[h] = j - i + 1;
        }
        g = h;
        if (tmp[g]++ === 0) seen.push(g);
      }
    }
    const refMax = this.refMax;
    for (const g of seen) {
      if (tmp[g]! > refMax[g]!) refMax[g] = tmp[g]!;
      tmp[g] = 0;
    }
    seen.length = 0;
  }

  /** Add the clipped match counts of the hypothesis to `counts[n-1]` and its n-gram counts to `totals[n-1]`. */
  scoreHypothesis(tokens: readonly string[], counts: number[], totals: number[]): void {
    const { tokIds, ext, seen, hypIds, tmp } = this;
    const len = tokens.length;
    for (let n = 1; n <= MAX_ORDER; n++) if (len >= n) totals[n - 1]! += len - n + 1;
    hypIds.length = len;
    for (let i = 0; i < len; i++) hypIds[i] = tokIds.get(tokens[i]!) ?? -1;
    for (let i = 0; i < len; i++) {
      let g = hypIds[i]!;
      if (g < 0) continue;
      if (tmp[g]++ === 0) seen.push(g);
      const last = Math.min(len, i + MAX_ORDER);
      for (let j = i + 1; j < last; j++) {
        const u = hypIds[j]!;
        if (u < 0) break;
        const h = ext.get(g * this.radix + u);
        if (h === undefined) break;
        g = h;
        if (tmp[g]++ === 0) seen.push(g);
      }
    }
    const { refMax, order } = this;
    for (const g of seen) {
      counts[order[g]! - 1]! += Math.min(tmp[g]!, refMax[g]!);
      tmp[g] = 0;
    }
    seen.length = 0;
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
    return tokenizeName === '13a' ? tokens13a(s) : pySplit(s);
  };

  let sysLen = 0;
  let refLen = 0;
  const counts = [0, 0, 0, 0];
  const totals = [0, 0, 0, 0];
  const refLens: number[] = [];
  const refToks: string[][] = new Array<string[]>(streams.length);
  const matcher = new SegmentMatcher();

  for (let i = 0; i < n; i++) {
    let refTokens = 0;
    refLens.length = 0;
    for (let k = 0; k < streams.length; k++) {
      const toks = preprocess(streams[k]![i], `references[${k}][${i}]`);
      refToks[k] = toks;
      refLens.push(toks.length);
      refTokens += toks.length;
    }
    matcher.begin(refTokens);
    for (let k = 0; k < streams.length; k++) matcher.addReference(refToks[k]!);
    const hypToks = preprocess(hypotheses[i], `hypotheses[${i}]`);
    const hypLen = hypToks.length;
    sysLen += hypLen;
    refLen += closestRefLen(hypLen, refLens);
    matcher.scoreHypothesis(hypToks, counts, totals);
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

/**
 * Subword units by byte-pair encoding (BPE) — Sennrich, Haddow & Birch 2016,
 * "Neural Machine Translation of Rare Words with Subword Units", ACL,
 * section 3.2 and algorithm 1 — learned from the training data and applied
 * at training and translation time (`data.tokenizer: "bpe"`).
 *
 * ## Pre-tokenisation and the word-start marker
 * The text is normalised as for the other tokenizers ({@link normalizeBpeText}:
 * NFC, optional lowercasing, whitespace runs → one space, trimmed; a literal
 * `▁` U+2581 counts as a space) and split by the `word` tokenizer's rules
 * ({@link wordTokenize}): words, clitics and punctuation marks are the
 * *pre-tokens*; merges never cross them. A pre-token that follows a space,
 * and the first of the sentence, starts with `▁` (SentencePiece's
 * word-start marker, Kudo & Richardson 2018), glued to its first character:
 * `Go home!` → `▁Go` `▁home` `!`. Subwords of a pre-token carry no marker:
 * `▁lower` may become `▁low` `er`.
 *
 * Why `▁` and not subword-nmt's `@@ ` continuation marker: the marker records
 * where the *spaces* were, so detokenisation is concatenation with `▁` → space
 * (and the sentence's first space dropped) — exact for every normalised text,
 * in any language, with no spacing rules (`Va !`, `l'homme`, `don't` come back
 * as written). `@@ ` records only which subwords form a pre-token; the spaces
 * between pre-tokens would have to be guessed by the `word` detokenizer's
 * punctuation rules, which are not lossless for arbitrary text. So
 * `detokenize(tokenize(s)) === normalizeBpeText(s, lowercase)` for every
 * string `s` (property-tested with fast-check in `test/bpe.test.ts`).
 *
 * ## Learning (algorithm 1)
 * Every pre-token of the training text, with its count, starts as a sequence
 * of symbols (characters; the `▁` joined to the first). Repeatedly the most
 * frequent pair of adjacent symbols (counted over all occurrences, weighted
 * by the pre-token's count) is replaced everywhere by a new symbol, left to
 * right without overlaps, until `merges` merges were made or no pair occurs
 * at least `minPairCount` (default 2) times. Ties go to the pair that occurs
 * first in the corpus (pre-tokens in order of first appearance, then left to
 * right), as the paper's reference code does with insertion-ordered
 * dictionaries. Pair counts are kept incrementally with an index from each
 * pair to the pre-tokens containing it, so a merge only touches the
 * pre-tokens that contain its pair (no rescan of the vocabulary per merge).
 *
 * ## Application
 * A pre-token is split into its initial symbols, then the adjacent pair
 * with the lowest merge rank is merged (every occurrence, left to right),
 * until no adjacent pair is a learned merge (as subword-nmt's `apply_bpe`).
 * Deterministic; results are cached per pre-token. Characters never seen in
 * training stay single-character tokens (the vocabulary maps them to
 * `<unk>`).
 */

import type { TokenizerJSON } from './tokenizer';
import { normalizeText, SPACE_TOKEN, wordTokenize, type Tokenizer } from './tokenizer';
import { SPECIAL_TOKENS } from './vocabulary';

/** The word-start marker (U+2581, the same character the `char` tokenizer shows for a space). */
export const WORD_START = SPACE_TOKEN;

/** One learned merge: the two symbols that become one. */
export type BpeMerge = readonly [left: string, right: string];

/**
 * Normalisation of the `bpe` tokenizer: `▁` (U+2581) → space, then
 * {@link normalizeText} (NFC, optional lowercase, whitespace runs → one
 * space, trimmed).
 */
export function normalizeBpeText(text: string, lowercase: boolean): string {
  return normalizeText(text.includes(WORD_START) ? text.split(WORD_START).join(' ') : text, lowercase);
}

/**
 * Pre-tokens of a normalised text: the `word` tokenizer's split, each token
 * that follows a space (and the first) prefixed with `▁`.
 * @param normalised output of {@link normalizeBpeText}
 */
export function preTokenize(normalised: string): string[] {
  const words = wordTokenize(normalised);
  const out: string[] = new Array(words.length);
  let pos = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    let spaced = pos === 0;
    while (normalised.charCodeAt(pos) === 32) {
      spaced = true;
      pos++;
    }
    out[i] = spaced ? WORD_START + w : w;
    pos += w.length;
  }
  return out;
}

/**
 * The symbols a pre-token starts from: its code points, a leading `▁` glued
 * to the first (`▁low` → `▁l` `o` `w`). A pre-token that is only `▁` (which
 * {@link preTokenize} never produces) is one symbol.
 */
export function initialSymbols(preToken: string): string[] {
  const cs = Array.from(preToken);
  if (cs.length > 1 && cs[0] === WORD_START) {
    cs.splice(0, 2, WORD_START + cs[1]);
  }
  return cs;
}

/**
 * Counts of pre-tokens over sentences, in order of first appearance (the
 * order {@link learnBpe} breaks ties by).
 * @param sentences each sentence's pre-tokens (see {@link preTokenize})
 */
export function countPreTokens(sentences: Iterable<readonly string[]>, into = new Map<string, number>()): Map<string, number> {
  for (const s of sentences) for (const t of s) into.set(t, (into.get(t) ?? 0) + 1);
  return into;
}

/** Options of {@link learnBpe}. */
export interface LearnBpeOptions {
  /** Most merge operations to learn (the paper's "number of merge operations", its only hyperparameter). */
  merges: number;
  /** Stop when the most frequent pair occurs fewer times than this (default 2, as subword-nmt). */
  minPairCount?: number;
}

/** Multiplier of a pair key `left · PAIR_KEY + right` (symbol ids stay below 2^26, so keys stay exact doubles). */
const PAIR_KEY = 2 ** 26;

/**
 * Learns BPE merges from word (pre-token) counts — algorithm 1 of Sennrich
 * et al. 2016 with incremental pair counts (see the module documentation).
 * Time: the initial count is linear in the total number of symbols; each
 * merge costs the length of the pre-tokens containing its pair.
 * @param words pre-token → count, iterated in corpus order (ties go to the earlier pair)
 * @returns the merges, in the order learned (rank 0 first); fewer than
 *   `opts.merges` when pairs ran out
 * @throws RangeError for a negative or non-integer `merges` or `minPairCount` < 1
 */
export function learnBpe(words: ReadonlyMap<string, number> | Iterable<readonly [string, number]>, opts: LearnBpeOptions): BpeMerge[] {
  if (!Number.isSafeInteger(opts.merges) || opts.merges < 0) throw new RangeError(`BPE merges must be a whole number ≥ 0 (got ${opts.merges})`);
  const minCount = opts.minPairCount ?? 2;
  if (!(minCount >= 1)) throw new RangeError(`BPE minPairCount must be ≥ 1 (got ${minCount})`);

  const symId = new Map<string, number>();
  const symStr: string[] = [];
  const intern = (s: string): number => {
    let id = symId.get(s);
    if (id === undefined) {
      id = symStr.length;
      if (id >= PAIR_KEY) throw new RangeError('too many BPE symbols');
      symId.set(s, id);
      symStr.push(s);
    }
    return id;
  };
  const seqs: number[][] = [];
  const freqs: number[] = [];
  for (const [w, c] of words) {
    if (!(c > 0)) continue;
    seqs.push(initialSymbols(w).map(intern));
    freqs.push(c);
  }

  const count = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  for (let w = 0; w < seqs.length; w++) {
    const s = seqs[w];
    for (let k = 0; k + 1 < s.length; k++) {
      const p = s[k] * PAIR_KEY + s[k + 1];
      count.set(p, (count.get(p) ?? 0) + freqs[w]);
      let ws = where.get(p);
      if (!ws) where.set(p, (ws = new Set()));
      ws.add(w);
    }
  }
  // Buckets of pairs by count, and the largest non-empty count (never increases: a new pair is no more frequent than the merged one).
  const buckets = new Map<number, Set<number>>();
  let maxCount = 0;
  const bucketAdd = (p: number, c: number) => {
    let b = buckets.get(c);
    if (!b) buckets.set(c, (b = new Set()));
    b.add(p);
    if (c > maxCount) maxCount = c;
  };
  const bucketRemove = (p: number, c: number) => {
    const b = buckets.get(c);
    if (!b) return;
    b.delete(p);
    if (b.size === 0) buckets.delete(c);
  };
  for (const [p, c] of count) bucketAdd(p, c);

  /** First occurrence of pair p: [pre-token index, symbol position]. */
  const firstOccurrence = (p: number): [number, number] => {
    let w = Infinity;
    for (const x of where.get(p)!) if (x < w) w = x;
    const a = Math.floor(p / PAIR_KEY);
    const b = p - a * PAIR_KEY;
    const s = seqs[w];
    for (let k = 0; k + 1 < s.length; k++) if (s[k] === a && s[k + 1] === b) return [w, k];
    return [w, s.length];
  };

  const merges: BpeMerge[] = [];
  while (merges.length < opts.merges) {
    while (maxCount >= minCount && !buckets.has(maxCount)) maxCount--;
    if (maxCount < minCount) break;
    const tied = buckets.get(maxCount)!;
    let best = -1;
    if (tied.size === 1) best = tied.values().next().value!;
    else {
      let bestAt: [number, number] = [Infinity, Infinity];
      for (const p of tied) {
        const at = firstOccurrence(p);
        if (at[0] < bestAt[0] || (at[0] === bestAt[0] && at[1] < bestAt[1])) {
          best = p;
          bestAt = at;
        }
      }
    }
    const a = Math.floor(best / PAIR_KEY);
    const b = best - a * PAIR_KEY;
    merges.push([symStr[a], symStr[b]]);
    const z = intern(symStr[a] + symStr[b]);

    const delta = new Map<number, number>();
    const affected = [...where.get(best)!];
    for (const w of affected) {
      const old = seqs[w];
      const f = freqs[w];
      const next: number[] = [];
      for (let k = 0; k < old.length; k++) {
        if (k + 1 < old.length && old[k] === a && old[k + 1] === b) {
          next.push(z);
          k++;
        } else next.push(old[k]);
      }
      const oldPairs = new Set<number>();
      for (let k = 0; k + 1 < old.length; k++) {
        const p = old[k] * PAIR_KEY + old[k + 1];
        delta.set(p, (delta.get(p) ?? 0) - f);
        oldPairs.add(p);
      }
      const newPairs = new Set<number>();
      for (let k = 0; k + 1 < next.length; k++) {
        const p = next[k] * PAIR_KEY + next[k + 1];
        delta.set(p, (delta.get(p) ?? 0) + f);
        newPairs.add(p);
      }
      for (const p of oldPairs) if (!newPairs.has(p)) where.get(p)!.delete(w);
      for (const p of newPairs) {
        if (oldPairs.has(p)) continue;
        let ws = where.get(p);
        if (!ws) where.set(p, (ws = new Set()));
        ws.add(w);
      }
      seqs[w] = next;
    }
    for (const [p, d] of delta) {
      if (d === 0) continue;
      const before = count.get(p) ?? 0;
      const after = before + d;
      if (before > 0) bucketRemove(p, before);
      if (after > 0) {
        count.set(p, after);
        bucketAdd(p, after);
      } else {
        count.delete(p);
        where.delete(p);
      }
    }
  }
  return merges;
}

/** Most pre-tokens whose segmentation a {@link BpeCodes} caches (then the cache starts over). */
const CACHE_LIMIT = 200_000;

/** Learned merges ready to apply (see the module documentation, "Application"). */
export class BpeCodes {
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, readonly string[]>();

  /** @param merges merges in rank order (as {@link learnBpe} returns them) */
  constructor(readonly merges: readonly BpeMerge[]) {
    merges.forEach(([l, r], i) => {
      const k = l + ' ' + r;
      if (!this.ranks.has(k)) this.ranks.set(k, i);
    });
  }

  /** Subwords of one pre-token (concatenated, they are the pre-token). */
  segment(preToken: string): readonly string[] {
    const hit = this.cache.get(preToken);
    if (hit) return hit;
    const syms = initialSymbols(preToken);
    for (;;) {
      let bestRank = Infinity;
      let bestL = '';
      let bestR = '';
      for (let k = 0; k + 1 < syms.length; k++) {
        const r = this.ranks.get(syms[k] + ' ' + syms[k + 1]);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          bestL = syms[k];
          bestR = syms[k + 1];
        }
      }
      if (bestRank === Infinity) break;
      let out = 0;
      for (let k = 0; k < syms.length; k++) {
        if (k + 1 < syms.length && syms[k] === bestL && syms[k + 1] === bestR) {
          syms[out++] = bestL + bestR;
          k++;
        } else syms[out++] = syms[k];
      }
      syms.length = out;
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(preToken, syms);
    return syms;
  }
}

/** The `bpe` tokenizer: normalise, pre-tokenise, segment (see the module documentation). */
export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  /** Unused by `bpe` (the word-start marker restores spacing exactly); kept for the common {@link TokenizerJSON} shape. */
  readonly spaceBeforeHighPunctuation = false;
  constructor(
    readonly codes: BpeCodes,
    readonly lowercase: boolean,
  ) {}

  /** Pre-tokens of a raw text (normalised, split, `▁`-marked); no merges applied. */
  preTokens(text: string): string[] {
    return preTokenize(normalizeBpeText(text, this.lowercase));
  }

  /** Subword tokens of a raw text: never empty strings; concatenated with `▁` → space they give the normalised text plus one leading space. */
  tokenize(text: string): string[] {
    return this.segmentAll(this.preTokens(text));
  }

  /** Subwords of a list of pre-tokens. */
  segmentAll(preTokens: readonly string[]): string[] {
    const out: string[] = [];
    for (const t of preTokens) for (const s of this.codes.segment(t)) out.push(s);
    return out;
  }

  /** Concatenation, `▁` → space, trimmed: the exact inverse of {@link tokenize} on normalised text. */
  detokenize(tokens: string[]): string {
    return bpeDetokenize(tokens);
  }

  toJSON(): TokenizerJSON {
    return { kind: 'bpe', lowercase: this.lowercase, spaceBeforeHighPunctuation: false };
  }
}

/** Concatenation of subword tokens, `▁` → space, trimmed. */
export function bpeDetokenize(tokens: readonly string[]): string {
  return tokens.join('').split(WORD_START).join(' ').trim();
}

const SPECIALS = new Set(SPECIAL_TOKENS);

/**
 * Which word each subword token belongs to, for showing subwords merged back
 * into words (the attention view). A "word" is a token of the `word`
 * tokenizer (a word, clitic or punctuation mark) of the detokenized text;
 * each subword belongs to the word its first character is in. The special
 * tokens (`<eos>`, `<unk>`, …) are words of their own.
 * @param tokens subword tokens (e.g. a translation's target tokens, `<eos>` included)
 * @returns `[tokens.length]` word indices, 0, 1, 2, … non-decreasing, each step at most 1
 */
export function subwordWordIndex(tokens: readonly string[]): number[] {
  const out: number[] = new Array(tokens.length);
  let word = -1;
  let i = 0;
  while (i < tokens.length) {
    if (SPECIALS.has(tokens[i])) {
      out[i++] = ++word;
      continue;
    }
    // A run of ordinary tokens: split their text into words and map each token's first character.
    let j = i;
    while (j < tokens.length && !SPECIALS.has(tokens[j])) j++;
    const surfaces = tokens.slice(i, j).map((t) => t.split(WORD_START).join(''));
    const words = wordTokenize(bpeDetokenize(tokens.slice(i, j)));
    const ends: number[] = [];
    let total = 0;
    for (const w of words) ends.push((total += w.length));
    let offset = 0;
    let k = 0;
    let lastK = -1;
    for (let t = i; t < j; t++) {
      while (k < ends.length - 1 && offset >= ends[k]) k++;
      if (surfaces[t - i] === '' || k !== lastK) {
        word++;
        lastK = k;
      }
      out[t] = word;
      offset += surfaces[t - i].length;
    }
    i = j;
  }
  return out;
}

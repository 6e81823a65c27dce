/**
 * The data pipeline of a run: read → split → tokenize → filter → vocabulary →
 * encode.
 *
 * Split and filtering policy:
 * - `data.valid` / `data.test`, when absent, are split off `data.train`
 *   deterministically with `data.splitSeed` (else `train.seed`) (see {@link splitPairs}), grouping by
 *   normalised source sentence so that a sentence with several translations
 *   never appears in two splits.
 * - Training pairs with more than `data.maxLength` tokens on either side are
 *   dropped (and counted in `filteredOut`).
 * - Validation/test pairs that were split off the training file get the same
 *   `maxLength` filter (they come from the same distribution, and the model
 *   is only trained on that length range); validation/test sets read from
 *   their own files are kept complete so their BLEU is honest.
 * - Vocabularies are built on the (filtered) training split only, unless
 *   given (when resuming from a checkpoint).
 * - The word tokenizer's detokenization convention (French spacing before
 *   `! ? ; :`) is detected per side from the training text.
 * - `bpe`: pairs are first split into pre-tokens (`src/core/data/bpe.ts`) and
 *   filtered by their pre-token count; the merges are learned on the
 *   training split's pre-tokens (or taken from the checkpoint), every kept
 *   pair is segmented, and `maxLength` then applies to the subword count.
 *
 * Memory: the training file is streamed ({@link forEachPair}) and each pair
 * is tokenized and length-filtered as it arrives, before the split. A pair
 * over `maxLength` is dropped at once (whichever split it would land in, the
 * filter drops it): only its grouping key (its normalised source, unless an
 * earlier pair had the same) and two punctuation counts per side stay, so
 * that the shuffle, the split and the detected conventions are exactly those
 * of splitting first and filtering after. Peak memory is therefore about
 * (bytes per kept pair × kept pairs) + (a key per distinct dropped source) +
 * a constant, never the file's text. Tokens are interned (one string per
 * distinct token). Measured with `npm run bench:data` (bench/results/data.md,
 * 1,000,000 synthetic lines of 124 bytes, 948,201 kept pairs of 7.5 source /
 * 7.5 target tokens on average, Node 20): the dataset keeps about 830 bytes of
 * heap per kept pair, and the loading process peaks at about 1.2–1.3 KB of
 * RSS per kept pair plus 40–70 MiB (1.15–1.2 GiB for the million lines). Longer
 * sentences cost proportionally more (the tokens and ids dominate).
 */

import type { DataSource, Seq2SeqConfig } from '../config/config';
import { DataError, forEachPair, readPairs, shuffleSplit, type ReadProgress, type SentencePair } from './corpus';
import type { EncodedPair } from './batching';
import { DETECT_SENTENCES, highPunctuationSpacing, makeTokenizer, normalizeText, type Tokenizer } from './tokenizer';
import { Vocabulary } from './vocabulary';
import { BpeCodes, BpeTokenizer, countPreTokens, learnBpe, normalizeBpeText, preTokenize, type BpeMerge } from './bpe';

/** One split: raw pairs, their tokens and their ids (same order, same length). */
export interface Split {
  pairs: SentencePair[];
  srcTokens: string[][];
  tgtTokens: string[][];
  encoded: EncodedPair[];
}

export interface Dataset {
  srcTokenizer: Tokenizer;
  tgtTokenizer: Tokenizer;
  srcVocab: Vocabulary;
  tgtVocab: Vocabulary;
  train: Split;
  valid: Split;
  test: Split;
  /** Pairs dropped by the `maxLength` filter (all splits together). */
  filteredOut: number;
  /** Pairs dropped by the `maxLength` filter per split. */
  filteredOutBySplit: { train: number; valid: number; test: number };
  /** The BPE merges in use (`data.tokenizer: "bpe"` only), to store with the run. */
  bpe?: StoredBpe;
}

/** Merges of a `bpe` run, per side (the same list on both sides when `joint`). */
export interface StoredBpe {
  joint: boolean;
  src: readonly BpeMerge[];
  tgt: readonly BpeMerge[];
}

/** Tokens and ids of one sentence; `ids` has no `<bos>`/`<eos>`. */
export function encodeSentence(text: string, tokenizer: Tokenizer, vocab: Vocabulary): { tokens: string[]; ids: number[] } {
  const tokens = tokenizer.tokenize(text);
  return { tokens, ids: vocab.encode(tokens) };
}

interface Tokenized {
  pairs: SentencePair[];
  srcTokens: string[][];
  tgtTokens: string[][];
}

function tokenizeAll(pairs: SentencePair[], srcTok: Tokenizer, tgtTok: Tokenizer): Tokenized {
  return { pairs, srcTokens: pairs.map((p) => srcTok.tokenize(p.src)), tgtTokens: pairs.map((p) => tgtTok.tokenize(p.tgt)) };
}

function toSplit(t: Tokenized, srcVocab: Vocabulary, tgtVocab: Vocabulary): Split {
  return {
    ...t,
    encoded: t.pairs.map((_, i) => ({ src: srcVocab.encode(t.srcTokens[i]), tgt: tgtVocab.encode(t.tgtTokens[i]) })),
  };
}

function sourceName(s: DataSource): string {
  return typeof s === 'string' ? s : s.src;
}

export interface LoadDatasetOptions {
  /**
   * Reading progress of each data file (train, then valid and test when
   * given), at most every `progressMs` ms and once at the end of each file;
   * `pairsKept` counts the training pairs that pass the `maxLength` filter.
   */
  onProgress?: (p: ReadProgress & { role: 'train' | 'valid' | 'test' }) => void;
  /** See {@link StreamOptions.progressLines}. */
  progressLines?: number;
  /** See {@link StreamOptions.progressMs}. */
  progressMs?: number;
}

/** Punctuation counts `[srcSpaced, srcAttached, tgtSpaced, tgtAttached]` of a dropped pair. */
type Counts = [number, number, number, number];

/**
 * Loads, splits, tokenizes, filters and encodes the data of a config.
 * Paths in `config.data` should already be resolved (see `loadConfig`).
 * The files are read one after another (train, valid, test), as streams.
 * @param vocabs vocabularies (and, for `bpe`, merges) to reuse (from a
 *   checkpoint); built (learned) on the training split when omitted.
 * @throws DataError for unreadable/malformed files or when no training pair
 *   survives the `maxLength` filter.
 */
export async function loadDataset(
  config: Seq2SeqConfig,
  vocabs?: { src: Vocabulary; tgt: Vocabulary; bpe?: StoredBpe },
  options: LoadDatasetOptions = {},
): Promise<Dataset> {
  const d = config.data;
  const read = (role: 'train' | 'valid' | 'test') => ({
    srcColumn: d.srcColumn,
    tgtColumn: d.tgtColumn,
    progressLines: options.progressLines,
    progressMs: options.progressMs,
    onProgress: options.onProgress && ((p: ReadProgress) => options.onProgress!({ ...p, role })),
  });
  // Tokens do not depend on the detokenization convention, which is only known after the split.
  // For bpe, pre-tokens (a lower bound on the subword count): the merges are learned after the split.
  const bpe = d.tokenizer === 'bpe';
  const tok = bpe ? { tokenize: (t: string) => preTokenize(normalizeBpeText(t, d.lowercase)) } : makeTokenizer(d.tokenizer, d.lowercase);
  const maxLength = d.maxLength;

  // Kept pairs are numbered 0, 1, …; a dropped pair is -1 (no high punctuation) or -2 - k (counts[k]).
  const kept: SentencePair[] = [];
  const keptSrc: string[][] = [];
  const keptTgt: string[][] = [];
  const counts: Counts[] = [];
  // Groups by normalised source in order of first appearance, as splitPairs' groupBy; a group of one is its item.
  const groups = new Map<string, number | number[]>();
  // One string per distinct token instead of one per occurrence (a third of the memory of a kept pair).
  const tokens = new Map<string, string>();
  const intern = (t: string[]) => {
    for (let i = 0; i < t.length; i++) {
      const u = tokens.get(t[i]);
      if (u === undefined) tokens.set(t[i], t[i]);
      else t[i] = u;
    }
  };
  await forEachPair(d.train, read('train'), (p) => {
    const s = tok.tokenize(p.src);
    const g = tok.tokenize(p.tgt);
    let item: number;
    const keep = !(s.length === 0 || g.length === 0 || s.length > maxLength || g.length > maxLength);
    if (keep) {
      item = kept.length;
      intern(s);
      intern(g);
      kept.push(p);
      keptSrc.push(s);
      keptTgt.push(g);
    } else {
      const [a, b] = highPunctuationSpacing(p.src);
      const [c, e] = highPunctuationSpacing(p.tgt);
      if (a + b + c + e === 0) item = -1;
      else {
        item = -2 - counts.length;
        counts.push([a, b, c, e]);
      }
    }
    const key = normalizeText(p.src, true);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, item);
    else if (typeof group === 'number') groups.set(key, [group, item]);
    else group.push(item);
    return keep;
  });
  const validFile = d.valid !== undefined ? await readPairs(d.valid, read('valid')) : undefined;
  const testFile = d.test !== undefined ? await readPairs(d.test, read('test')) : undefined;
  if (groups.size === 0) throw new DataError(sourceName(d.train), undefined, 'the training data contains no sentence pairs');

  const order = [...groups.values()];
  groups.clear();
  tokens.clear();
  const split = shuffleSplit(order, {
    validFraction: validFile ? 0 : d.validFraction,
    testFraction: testFile ? 0 : d.testFraction,
    seed: d.splitSeed ?? config.train.seed,
  });
  const trainItems = split.train.flat();

  // The conventions, from the first DETECT_SENTENCES training pairs (dropped ones included), as before filtering.
  let srcSpaced = 0;
  let srcAttached = 0;
  let tgtSpaced = 0;
  let tgtAttached = 0;
  for (let i = 0; i < Math.min(trainItems.length, DETECT_SENTENCES); i++) {
    const item = trainItems[i];
    if (item === -1) continue;
    const [a, b, c, e] = item >= 0 ? [...highPunctuationSpacing(kept[item].src), ...highPunctuationSpacing(kept[item].tgt)] : counts[-2 - item];
    srcSpaced += a;
    srcAttached += b;
    tgtSpaced += c;
    tgtAttached += e;
  }
  counts.length = 0;
  let srcTokenizer: Tokenizer;
  let tgtTokenizer: Tokenizer;
  let stored: StoredBpe | undefined;
  // Kept pairs whose subwords exceed maxLength (bpe only), dropped like the others.
  const tooLong = new Set<number>();
  if (bpe) {
    stored = vocabs?.bpe ?? learnMerges(config, trainItems.filter((i) => i >= 0), keptSrc, keptTgt);
    const srcBpe = new BpeTokenizer(new BpeCodes(stored.src), d.lowercase);
    const tgtBpe = stored.joint ? new BpeTokenizer(srcBpe.codes, d.lowercase) : new BpeTokenizer(new BpeCodes(stored.tgt), d.lowercase);
    for (let i = 0; i < kept.length; i++) {
      keptSrc[i] = srcBpe.segmentAll(keptSrc[i]);
      keptTgt[i] = tgtBpe.segmentAll(keptTgt[i]);
      if (keptSrc[i].length > maxLength || keptTgt[i].length > maxLength) tooLong.add(i);
    }
    srcTokenizer = srcBpe;
    tgtTokenizer = tgtBpe;
  } else {
    srcTokenizer = makeTokenizer(d.tokenizer, d.lowercase, { spaceBeforeHighPunctuation: srcSpaced > srcAttached });
    tgtTokenizer = makeTokenizer(d.tokenizer, d.lowercase, { spaceBeforeHighPunctuation: tgtSpaced > tgtAttached });
  }

  const collect = (items: number[]): { kept: Tokenized; dropped: number } => {
    const t: Tokenized = { pairs: [], srcTokens: [], tgtTokens: [] };
    let dropped = 0;
    for (const i of items) {
      if (i < 0 || tooLong.has(i)) {
        dropped++;
        continue;
      }
      t.pairs.push(kept[i]);
      t.srcTokens.push(keptSrc[i]);
      t.tgtTokens.push(keptTgt[i]);
    }
    return { kept: t, dropped };
  };
  const train = collect(trainItems);
  if (train.kept.pairs.length === 0) {
    throw new DataError(
      sourceName(d.train),
      undefined,
      `no training pair has at most data.maxLength = ${d.maxLength} ${bpe ? 'subword ' : ''}tokens on both sides (${train.dropped} pairs dropped)`,
    );
  }
  const valid = validFile ? { kept: tokenizeAll(validFile, srcTokenizer, tgtTokenizer), dropped: 0 } : collect(split.valid.flat());
  const test = testFile ? { kept: tokenizeAll(testFile, srcTokenizer, tgtTokenizer), dropped: 0 } : collect(split.test.flat());
  kept.length = keptSrc.length = keptTgt.length = 0;

  const srcVocab = vocabs?.src ?? Vocabulary.build(train.kept.srcTokens, { minFrequency: d.minFrequency, maxSize: d.maxVocabSize });
  const tgtVocab = vocabs?.tgt ?? Vocabulary.build(train.kept.tgtTokens, { minFrequency: d.minFrequency, maxSize: d.maxVocabSize });

  return {
    srcTokenizer,
    tgtTokenizer,
    srcVocab,
    tgtVocab,
    train: toSplit(train.kept, srcVocab, tgtVocab),
    valid: toSplit(valid.kept, srcVocab, tgtVocab),
    test: toSplit(test.kept, srcVocab, tgtVocab),
    filteredOut: train.dropped + valid.dropped + test.dropped,
    filteredOutBySplit: { train: train.dropped, valid: valid.dropped, test: test.dropped },
    ...(stored ? { bpe: stored } : {}),
  };
}

/**
 * BPE merges (`data.bpe`) learned on the pre-tokens of the training pairs
 * `items` (indices into `src`/`tgt`): one list on both sides' counts
 * (source pre-tokens first) when joint, else one per side.
 */
function learnMerges(config: Seq2SeqConfig, items: number[], src: string[][], tgt: string[][]): StoredBpe {
  const { merges, joint } = config.data.bpe ?? { merges: 0, joint: true };
  const srcCounts = countPreTokens(items.map((i) => src[i]));
  if (joint) {
    const codes = learnBpe(countPreTokens(items.map((i) => tgt[i]), srcCounts), { merges });
    return { joint, src: codes, tgt: codes };
  }
  return { joint, src: learnBpe(srcCounts, { merges }), tgt: learnBpe(countPreTokens(items.map((i) => tgt[i])), { merges }) };
}

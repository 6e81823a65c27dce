/**
 * The data pipeline of a run: read → split → tokenize → filter → vocabulary →
 * encode.
 *
 * Split and filtering policy:
 * - `data.valid` / `data.test`, when absent, are split off `data.train`
 *   deterministically with `train.seed` (see {@link splitPairs}), grouping by
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
 */

import type { DataSource, Seq2SeqConfig } from '../config';
import { DataError, readPairs, splitPairs, type SentencePair } from './corpus';
import type { EncodedPair } from './batching';
import { detectSpaceBeforeHighPunctuation, makeTokenizer, normalizeText, type Tokenizer } from './tokenizer';
import { Vocabulary } from './vocabulary';

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

function filterLength(t: Tokenized, maxLength: number): { kept: Tokenized; dropped: number } {
  const kept: Tokenized = { pairs: [], srcTokens: [], tgtTokens: [] };
  for (let i = 0; i < t.pairs.length; i++) {
    const s = t.srcTokens[i];
    const g = t.tgtTokens[i];
    if (s.length === 0 || g.length === 0 || s.length > maxLength || g.length > maxLength) continue;
    kept.pairs.push(t.pairs[i]);
    kept.srcTokens.push(s);
    kept.tgtTokens.push(g);
  }
  return { kept, dropped: t.pairs.length - kept.pairs.length };
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

/**
 * Loads, splits, tokenizes, filters and encodes the data of a config.
 * Paths in `config.data` should already be resolved (see `loadConfig`).
 * @param vocabs vocabularies to reuse (from a checkpoint); built on the
 *   training split when omitted.
 * @throws DataError for unreadable/malformed files or when no training pair
 *   survives the `maxLength` filter.
 */
export async function loadDataset(config: Seq2SeqConfig, vocabs?: { src: Vocabulary; tgt: Vocabulary }): Promise<Dataset> {
  const d = config.data;
  const cols = { srcColumn: d.srcColumn, tgtColumn: d.tgtColumn };
  const [trainAll, validFile, testFile] = await Promise.all([
    readPairs(d.train, cols),
    d.valid !== undefined ? readPairs(d.valid, cols) : Promise.resolve(undefined),
    d.test !== undefined ? readPairs(d.test, cols) : Promise.resolve(undefined),
  ]);
  if (trainAll.length === 0) throw new DataError(sourceName(d.train), undefined, 'the training data contains no sentence pairs');

  const split = splitPairs(trainAll, {
    validFraction: validFile ? 0 : d.validFraction,
    testFraction: testFile ? 0 : d.testFraction,
    seed: config.train.seed,
    groupBy: (p) => normalizeText(p.src, true),
  });

  const srcTokenizer = makeTokenizer(d.tokenizer, d.lowercase, {
    spaceBeforeHighPunctuation: detectSpaceBeforeHighPunctuation(split.train.map((p) => p.src)),
  });
  const tgtTokenizer = makeTokenizer(d.tokenizer, d.lowercase, {
    spaceBeforeHighPunctuation: detectSpaceBeforeHighPunctuation(split.train.map((p) => p.tgt)),
  });

  const train = filterLength(tokenizeAll(split.train, srcTokenizer, tgtTokenizer), d.maxLength);
  if (train.kept.pairs.length === 0) {
    throw new DataError(
      sourceName(d.train),
      undefined,
      `no training pair has at most data.maxLength = ${d.maxLength} tokens on both sides (${train.dropped} pairs dropped)`,
    );
  }
  const validTok = tokenizeAll(validFile ?? split.valid, srcTokenizer, tgtTokenizer);
  const testTok = tokenizeAll(testFile ?? split.test, srcTokenizer, tgtTokenizer);
  const valid = validFile ? { kept: validTok, dropped: 0 } : filterLength(validTok, d.maxLength);
  const test = testFile ? { kept: testTok, dropped: 0 } : filterLength(testTok, d.maxLength);

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
  };
}

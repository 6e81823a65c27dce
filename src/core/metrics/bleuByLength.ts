/**
 * Corpus BLEU per source-length bucket: where a model's quality falls off as
 * sentences get longer. This is the analysis of Cho et al. (2014, "On the
 * Properties of Neural Machine Translation: Encoder–Decoder Approaches",
 * fig. 4) and Bahdanau et al. (2015, "Neural Machine Translation by Jointly
 * Learning to Align and Translate", fig. 2): an encoder–decoder without
 * attention squeezes the whole source into one fixed-size vector and degrades
 * on long sentences; attention keeps long sentences translatable.
 *
 * Each bucket's score is corpus BLEU of the sentences in that bucket alone
 * ({@link corpusBleu}, sacreBLEU 2.x default settings), not a mean of
 * sentence BLEU.
 */
import { corpusBleu } from './bleu';

/** A closed range of source lengths in tokens; `maxTokens: null` = no upper limit. */
export interface LengthBucket {
  /** Display label, e.g. `1–5` (en dash) or `31+`. */
  label: string;
  minTokens: number;
  maxTokens: number | null;
}

/** The buckets of `seq2seq eval`: 1–5, 6–10, 11–15, 16–20, 21–30, 31+ source tokens. */
export const DEFAULT_LENGTH_BUCKETS: readonly LengthBucket[] = Object.freeze([
  { label: '1–5', minTokens: 1, maxTokens: 5 },
  { label: '6–10', minTokens: 6, maxTokens: 10 },
  { label: '11–15', minTokens: 11, maxTokens: 15 },
  { label: '16–20', minTokens: 16, maxTokens: 20 },
  { label: '21–30', minTokens: 21, maxTokens: 30 },
  { label: '31+', minTokens: 31, maxTokens: null },
]);

/** BLEU of one bucket. */
export interface BleuByLengthRow {
  /** The bucket's label, e.g. `6–10`. */
  bucket: string;
  minTokens: number;
  /** Upper limit (inclusive); null for the open last bucket. */
  maxTokens: number | null;
  /** Sentences whose source length is in the bucket. */
  sentences: number;
  /** Corpus BLEU (0–100) of those sentences; null when the bucket is empty. */
  bleu: number | null;
  /** Effective reference length r in 13a tokens (sacreBLEU's `ref_len`); 0 when empty. */
  refLength: number;
  /** Hypothesis length c in 13a tokens (sacreBLEU's `sys_len`); 0 when empty. */
  hypLength: number;
}

/** Throws unless the buckets are sorted, integral and disjoint (only the last may be open). */
function checkBuckets(buckets: readonly LengthBucket[]): void {
  buckets.forEach((b, i) => {
    const open = b.maxTokens === null;
    if (!Number.isInteger(b.minTokens) || b.minTokens < 0 || (!open && (!Number.isInteger(b.maxTokens) || b.maxTokens! < b.minTokens))) {
      throw new Error(`bleuByLength: bucket ${JSON.stringify(b.label)} must have integer bounds 0 ≤ minTokens ≤ maxTokens (got ${b.minTokens}–${b.maxTokens})`);
    }
    if (open && i !== buckets.length - 1) throw new Error(`bleuByLength: only the last bucket may be open (${JSON.stringify(b.label)} is not last)`);
    const prev = buckets[i - 1];
    if (prev && b.minTokens <= prev.maxTokens!) throw new Error(`bleuByLength: buckets must be sorted and disjoint (${JSON.stringify(prev.label)} and ${JSON.stringify(b.label)} overlap)`);
  });
}

/** Index of the bucket holding `length`, or -1 when none does. */
export function bucketIndex(length: number, buckets: readonly LengthBucket[] = DEFAULT_LENGTH_BUCKETS): number {
  return buckets.findIndex((b) => length >= b.minTokens && (b.maxTokens === null || length <= b.maxTokens));
}

/**
 * Corpus BLEU within each source-length bucket.
 *
 * @param sourceLengths per sentence, the number of source tokens as the
 *   model's tokenizer splits the source (words for the `word` tokenizer,
 *   subword units for BPE, characters for `char`), without `<eos>`
 * @param hypotheses detokenized system outputs, same order
 * @param references one reference stream (`string[]`) or several (`string[][]`, shape `[numRefs][N]`), as {@link corpusBleu}
 * @param buckets sorted, disjoint buckets (default {@link DEFAULT_LENGTH_BUCKETS});
 *   a sentence whose length is in no bucket (e.g. an empty source) is left out
 * @returns one row per bucket, in bucket order; an empty bucket has
 *   `sentences: 0` and `bleu: null`
 * @throws Error if the lengths of the inputs differ or the buckets are malformed
 */
export function bleuByLength(
  sourceLengths: readonly number[],
  hypotheses: readonly string[],
  references: readonly string[] | readonly (readonly string[])[],
  buckets: readonly LengthBucket[] = DEFAULT_LENGTH_BUCKETS,
): BleuByLengthRow[] {
  checkBuckets(buckets);
  const n = sourceLengths.length;
  if (hypotheses.length !== n) throw new Error(`bleuByLength: ${n} source lengths but ${hypotheses.length} hypotheses`);
  const streams: readonly (readonly string[])[] = references.length > 0 && Array.isArray(references[0]) ? (references as readonly (readonly string[])[]) : [references as readonly string[]];
  streams.forEach((s, k) => {
    if (s.length !== n) throw new Error(`bleuByLength: reference stream ${k} has ${s.length} segments but there are ${n} hypotheses`);
  });
  const members: number[][] = buckets.map(() => []);
  sourceLengths.forEach((len, i) => {
    const b = bucketIndex(len, buckets);
    if (b >= 0) members[b]!.push(i);
  });
  return buckets.map((b, k) => {
    const idx = members[k]!;
    const row = { bucket: b.label, minTokens: b.minTokens, maxTokens: b.maxTokens, sentences: idx.length };
    if (idx.length === 0) return { ...row, bleu: null, refLength: 0, hypLength: 0 };
    const r = corpusBleu(
      idx.map((i) => hypotheses[i]!),
      streams.map((s) => idx.map((i) => s[i]!)),
    );
    return { ...row, bleu: r.score, refLength: r.refLen, hypLength: r.sysLen };
  });
}

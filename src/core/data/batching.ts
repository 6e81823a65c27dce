/**
 * Turning encoded sentence pairs into padded, masked mini-batches.
 *
 * Conventions (Joey NMT style):
 * - the **source** gets `<eos>` appended: `x1 … xm <eos>`, so
 *   `srcLen = max(m) + 1`;
 * - the **decoder input** is `<bos> y1 … yn` and the **decoder output**
 *   (prediction target) is `y1 … yn <eos>`, so `tgtLen = max(n) + 1`;
 * - padding uses `PAD_ID` (0); masks are 1 at real positions, 0 at padding.
 * All tensors are flat row-major arrays: element `[b, t]` is at `b * len + t`.
 */

import { BOS_ID, EOS_ID, PAD_ID } from './vocabulary';
import { Random } from '../random';

/** A sentence pair as token ids, WITHOUT `<bos>`/`<eos>`. */
export interface EncodedPair {
  src: number[];
  tgt: number[];
}

export interface Batch {
  /** Number of sentence pairs. */
  size: number;
  /** Padded source length (longest source + 1 for `<eos>`). */
  srcLen: number;
  /** Padded target length (longest target + 1 for `<bos>`/`<eos>`). */
  tgtLen: number;
  /** `[size, srcLen]` source ids `x1 … xm <eos>` then `<pad>`. */
  srcIds: Int32Array;
  /** `[size, srcLen]` 1 at real source positions (including `<eos>`), 0 at padding. */
  srcMask: Float32Array;
  /** Real source lengths including `<eos>` (length `size`). */
  srcLengths: number[];
  /** `[size, tgtLen]` decoder inputs `<bos> y1 … yn` then `<pad>`. */
  tgtIn: Int32Array;
  /** `[size, tgtLen]` decoder targets `y1 … yn <eos>` then `<pad>`. */
  tgtOut: Int32Array;
  /** `[size, tgtLen]` 1 at real target positions (n + 1 per row), 0 at padding. */
  tgtMask: Float32Array;
  /** Non-padding target positions (= sum of `tgtMask`), the denominator of per-token loss. */
  tokens: number;
  /** Positions of this batch's pairs in the array given to {@link makeBatch} / {@link makeBatches}. */
  indices: number[];
}

/**
 * Builds one padded batch from `pairs[indices[0]], pairs[indices[1]], …`.
 * @throws RangeError for an empty or out-of-range index list.
 */
export function makeBatch(pairs: EncodedPair[], indices: number[]): Batch {
  if (indices.length === 0) throw new RangeError('makeBatch needs at least one pair');
  const size = indices.length;
  let maxSrc = 0;
  let maxTgt = 0;
  for (const i of indices) {
    const p = pairs[i];
    if (p === undefined) throw new RangeError(`makeBatch: index ${i} is outside the ${pairs.length} pairs`);
    if (p.src.length > maxSrc) maxSrc = p.src.length;
    if (p.tgt.length > maxTgt) maxTgt = p.tgt.length;
  }
  const srcLen = maxSrc + 1;
  const tgtLen = maxTgt + 1;
  const srcIds = new Int32Array(size * srcLen).fill(PAD_ID);
  const srcMask = new Float32Array(size * srcLen);
  const tgtIn = new Int32Array(size * tgtLen).fill(PAD_ID);
  const tgtOut = new Int32Array(size * tgtLen).fill(PAD_ID);
  const tgtMask = new Float32Array(size * tgtLen);
  const srcLengths: number[] = [];
  let tokens = 0;
  for (let b = 0; b < size; b++) {
    const { src, tgt } = pairs[indices[b]];
    const so = b * srcLen;
    for (let t = 0; t < src.length; t++) srcIds[so + t] = src[t];
    srcIds[so + src.length] = EOS_ID;
    srcMask.fill(1, so, so + src.length + 1);
    srcLengths.push(src.length + 1);
    const to = b * tgtLen;
    tgtIn[to] = BOS_ID;
    for (let t = 0; t < tgt.length; t++) {
      tgtIn[to + t + 1] = tgt[t];
      tgtOut[to + t] = tgt[t];
    }
    tgtOut[to + tgt.length] = EOS_ID;
    tgtMask.fill(1, to, to + tgt.length + 1);
    tokens += tgt.length + 1;
  }
  return { size, srcLen, tgtLen, srcIds, srcMask, srcLengths, tgtIn, tgtOut, tgtMask, tokens, indices: [...indices] };
}

export interface MakeBatchesOptions {
  /** Shuffle pair order before bucketing and the order of the batches (needs `random`). */
  shuffle: boolean;
  /** Generator for shuffling; required when `shuffle` is true. */
  random?: Random;
  /**
   * Length bucketing: within chunks of 100 × batchSize pairs, sort by
   * (source length, target length) before cutting into batches, so that
   * sentences of similar length share a batch and padding stays small.
   */
  bucket: boolean;
}

/** Pairs per bucketing chunk, as a multiple of the batch size. */
export const BUCKET_CHUNK_BATCHES = 100;

/**
 * Splits all pairs into batches of at most `batchSize` (every pair appears in
 * exactly one batch). With `shuffle`, pair order is shuffled first and the
 * finished batches are shuffled again (so bucketed batches of similar length
 * do not come in length order); without it the result is deterministic and
 * follows the input (or, with `bucket`, the length-sorted) order.
 * @throws RangeError for a batch size < 1, or TypeError when `shuffle` is set without `random`.
 */
export function makeBatches(pairs: EncodedPair[], batchSize: number, opts: MakeBatchesOptions): Batch[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer (got ${batchSize})`);
  if (opts.shuffle && !opts.random) throw new TypeError('makeBatches: shuffle needs a Random generator');
  const order = pairs.map((_, i) => i);
  if (opts.shuffle) opts.random!.shuffle(order);
  const groups: number[][] = [];
  if (opts.bucket) {
    const chunk = batchSize * BUCKET_CHUNK_BATCHES;
    for (let c = 0; c < order.length; c += chunk) {
      const part = order.slice(c, c + chunk);
      part.sort((a, b) => pairs[a].src.length - pairs[b].src.length || pairs[a].tgt.length - pairs[b].tgt.length || a - b);
      for (let i = 0; i < part.length; i += batchSize) groups.push(part.slice(i, i + batchSize));
    }
  } else {
    for (let i = 0; i < order.length; i += batchSize) groups.push(order.slice(i, i + batchSize));
  }
  if (opts.shuffle) opts.random!.shuffle(groups);
  return groups.map((g) => makeBatch(pairs, g));
}

/** Padding overhead of a list of batches. */
export interface PaddingStats {
  /** Real (non-pad) source + target positions. */
  realPositions: number;
  /** All source + target positions including padding. */
  totalPositions: number;
  /** 1 − real / total: the fraction of computation spent on padding. */
  paddingFraction: number;
}

/** Counts real vs padded positions over source and target sides of all batches. */
export function paddingStats(batches: Batch[]): PaddingStats {
  let real = 0;
  let total = 0;
  for (const b of batches) {
    for (const l of b.srcLengths) real += l;
    real += b.tokens;
    total += b.size * (b.srcLen + b.tgtLen);
  }
  return { realPositions: real, totalPositions: total, paddingFraction: total === 0 ? 0 : 1 - real / total };
}

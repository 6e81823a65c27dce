/**
 * Benchmark batches: synthetic (seeded random ids, fixed lengths) and real
 * (Tatoeba, through the project's own data pipeline). Both are written to a
 * JSON file that the TypeScript measurements and the PyTorch peer read, so
 * the two sides train on exactly the same token ids.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { Seq2SeqConfig } from '../../src/core/config/config';
import { Batch, EncodedPair, makeBatch, makeBatches } from '../../src/core/data/batching';
import { SPECIAL_TOKENS } from '../../src/core/data/vocabulary';
import { Random } from '../../src/core/random';

/** One batch as sentence pairs (ids without `<bos>`/`<eos>`; the readers add them). */
export interface BenchBatch {
  pairs: EncodedPair[];
}

/** Contents of a batch file (`<name>.batches.json`). */
export interface BatchFile {
  /** e.g. `synthetic-len10-v8000` or `tatoeba`. */
  name: string;
  kind: 'synthetic' | 'real';
  srcVocabSize: number;
  tgtVocabSize: number;
  batchSize: number;
  batches: BenchBatch[];
  /** Free-text description (lengths, vocabulary, padding). */
  note: string;
}

/**
 * Inverse-CDF sampler of Zipf-distributed word ids (P(rank r) ∝ 1/r) over
 * the non-special ids `4 … vocab−1`, so that frequent words dominate as in
 * natural text (this matters for the candidate-set softmax, whose size grows
 * with the number of distinct gold words in a batch).
 */
function zipfSampler(vocab: number, random: Random): () => number {
  const first = SPECIAL_TOKENS.length;
  const n = vocab - first;
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let r = 0; r < n; r++) cdf[r] = acc += 1 / (r + 1);
  for (let r = 0; r < n; r++) cdf[r] /= acc;
  return () => {
    const u = random.next();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return first + lo;
  };
}

/**
 * Synthetic batches: every sentence has exactly `length` tokens on both
 * sides (so `srcLen = tgtLen = length + 1` and there is no padding), ids
 * drawn Zipf-distributed with a fixed seed.
 * @throws RangeError for non-positive sizes or a vocabulary without room for words
 */
export function syntheticBatches(opts: { srcVocab: number; tgtVocab: number; length: number; batchSize: number; count: number; seed: number }): BatchFile {
  const { srcVocab, tgtVocab, length, batchSize, count, seed } = opts;
  if (length < 1 || batchSize < 1 || count < 1) throw new RangeError('syntheticBatches: length, batchSize and count must be positive');
  if (srcVocab <= SPECIAL_TOKENS.length || tgtVocab <= SPECIAL_TOKENS.length) throw new RangeError('syntheticBatches: vocabularies need more than the 4 special tokens');
  const random = new Random(seed);
  const src = zipfSampler(srcVocab, random);
  const tgt = zipfSampler(tgtVocab, random);
  const batches: BenchBatch[] = [];
  for (let b = 0; b < count; b++) {
    const pairs: EncodedPair[] = [];
    for (let i = 0; i < batchSize; i++) pairs.push({ src: Array.from({ length }, src), tgt: Array.from({ length }, tgt) });
    batches.push({ pairs });
  }
  return {
    name: `synthetic-len${length}-v${tgtVocab}${batchSize === 128 ? '' : `-b${batchSize}`}`,
    kind: 'synthetic',
    srcVocabSize: srcVocab,
    tgtVocabSize: tgtVocab,
    batchSize,
    batches,
    note: `${count} batches of ${batchSize} pairs, ${length} tokens per side (+<eos>), Zipf ids, seed ${seed}`,
  };
}

/**
 * Real batches from a config's training data, through the project's pipeline
 * (read → split → tokenize → maxLength filter → vocabulary → encode), then
 * length-bucketed and shuffled batches as the trainer makes them; the first
 * `count` are kept.
 * @throws whatever `loadDataset` throws for unreadable data
 */
export async function realBatches(config: Seq2SeqConfig, count: number, seed: number): Promise<BatchFile> {
  const { loadDataset } = await import('../../src/core/data/dataset');
  const { paddingStats } = await import('../../src/core/data/batching');
  const ds = await loadDataset(config);
  const all = makeBatches(ds.train.encoded, config.train.batchSize, { shuffle: true, random: new Random(seed), bucket: true });
  const chosen = all.filter((b) => b.size === config.train.batchSize).slice(0, count);
  const pad = paddingStats(chosen);
  const tokens = chosen.reduce((a, b) => a + b.tokens, 0);
  return {
    name: 'tatoeba',
    kind: 'real',
    srcVocabSize: ds.srcVocab.size,
    tgtVocabSize: ds.tgtVocab.size,
    batchSize: config.train.batchSize,
    batches: chosen.map((b) => ({ pairs: b.indices.map((i) => ds.train.encoded[i]) })),
    note:
      `${chosen.length} bucketed batches of ${config.train.batchSize} pairs from ${ds.train.encoded.length} training pairs ` +
      `(maxLength ${config.data.maxLength}); ${(tokens / chosen.length).toFixed(0)} target tokens per batch on average, ` +
      `${(100 * pad.paddingFraction).toFixed(1)}% padding; vocabularies ${ds.srcVocab.size} / ${ds.tgtVocab.size}`,
  };
}

/** Write a batch file; @returns its path. */
export async function writeBatchFile(dir: string, file: BatchFile): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const p = path.join(dir, `${file.name}.batches.json`);
  await fs.writeFile(p, JSON.stringify(file));
  return p;
}

/** Read a batch file written by {@link writeBatchFile}. @throws Error naming the file when it is malformed */
export async function readBatchFile(p: string): Promise<BatchFile> {
  const json = JSON.parse(await fs.readFile(p, 'utf8')) as BatchFile;
  if (!Array.isArray(json.batches) || json.batches.length === 0) throw new Error(`${p}: expected a non-empty "batches" list`);
  return json;
}

/** A batch ready for `Updater.step` / `DataParallel.step` (indices refer to `pairs`). */
export interface PreparedBatch {
  batch: Batch;
  pairs: EncodedPair[];
}

/** Pad and mask every batch of a file with the project's `makeBatch`. */
export function prepare(file: BatchFile): PreparedBatch[] {
  return file.batches.map((b) => ({ pairs: b.pairs, batch: makeBatch(b.pairs, b.pairs.map((_, i) => i)) }));
}

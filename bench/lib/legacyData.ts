/**
 * The whole-file data path as it was before streaming (fs.readFile +
 * csv-parse/sync, then split → tokenize → filter → vocabulary → encode),
 * kept verbatim for two uses only: the "before" row of `npm run bench:data`
 * and the tests that check the streaming `loadDataset` gives exactly the
 * same dataset (test/data-stream.test.ts). Not used by the extension or CLI.
 */
import { promises as fs } from 'fs';
import { parse } from 'csv-parse/sync';
import type { DataSource, Seq2SeqConfig } from '../../src/core/config/config';
import { DataError, displayPath, splitPairs, type ReadPairsOptions, type SentencePair } from '../../src/core/data/corpus';
import type { Dataset, Split } from '../../src/core/data/dataset';
import { detectSpaceBeforeHighPunctuation, makeTokenizer, normalizeText, type Tokenizer } from '../../src/core/data/tokenizer';
import { Vocabulary } from '../../src/core/data/vocabulary';

/** Reads a whole file as UTF-8 text without BOM; DataError for missing files or invalid UTF-8. */
async function readText(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError(file, undefined, 'file not found');
    if (code === 'EISDIR') throw new DataError(file, undefined, 'is a folder, expected a data file');
    if (code === 'EACCES') throw new DataError(file, undefined, 'permission denied');
    throw new DataError(file, undefined, `cannot read file (${(e as Error).message})`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const loose = bytes.toString('utf8');
    const at = loose.indexOf('\uFFFD');
    const line = at < 0 ? undefined : loose.slice(0, at).split('\n').length;
    throw new DataError(file, line, 'not valid UTF-8 text (data files must be UTF-8 encoded)');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function checkColumn(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer (got ${value})`);
}

async function readTsv(file: string, opts: ReadPairsOptions): Promise<SentencePair[]> {
  const text = await readText(file);
  // Without skip_empty_lines and with quoting off, record i is line i + 1.
  const records = parse(text, {
    delimiter: '\t',
    quote: false,
    relax_column_count: true,
    record_delimiter: ['\r\n', '\n'],
  }) as string[][];
  const need = Math.max(opts.srcColumn, opts.tgtColumn) + 1;
  const pairs: SentencePair[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const line = i + 1;
    if (r.every((f) => f.trim() === '')) continue;
    if (r.length < need) {
      throw new DataError(
        file,
        line,
        `expected at least ${need} tab-separated columns (source in column ${opts.srcColumn}, target in column ${opts.tgtColumn}), found ${r.length}`,
      );
    }
    const src = r[opts.srcColumn].trim();
    const tgt = r[opts.tgtColumn].trim();
    if (src === '') throw new DataError(file, line, `empty source sentence (column ${opts.srcColumn})`);
    if (tgt === '') throw new DataError(file, line, `empty target sentence (column ${opts.tgtColumn})`);
    pairs.push({ src, tgt, file, line });
  }
  return pairs;
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

async function readParallel(srcFile: string, tgtFile: string): Promise<SentencePair[]> {
  const [srcText, tgtText] = await Promise.all([readText(srcFile), readText(tgtFile)]);
  const srcLines = splitLines(srcText);
  const tgtLines = splitLines(tgtText);
  if (srcLines.length !== tgtLines.length) {
    throw new DataError(
      srcFile,
      undefined,
      `parallel files must have the same number of lines, but ${displayPath(srcFile)} has ${srcLines.length} and ${displayPath(tgtFile)} has ${tgtLines.length}`,
    );
  }
  const pairs: SentencePair[] = [];
  for (let i = 0; i < srcLines.length; i++) {
    const src = srcLines[i].trim();
    const tgt = tgtLines[i].trim();
    const line = i + 1;
    if (src === '' && tgt === '') continue;
    if (src === '') throw new DataError(srcFile, line, `empty source sentence (target ${displayPath(tgtFile)}:${line} is not empty)`);
    if (tgt === '') throw new DataError(tgtFile, line, `empty target sentence (source ${displayPath(srcFile)}:${line} is not empty)`);
    pairs.push({ src, tgt, file: srcFile, line });
  }
  return pairs;
}

/**
 * Reads all sentence pairs of a data source (TSV path or `{src, tgt}`
 * parallel files), in file order.
 * @throws DataError (`file:line: …`) for missing/unreadable files, invalid
 *   UTF-8, too few columns, an empty source or target, or parallel files of
 *   different lengths; RangeError for invalid column numbers.
 */
export async function legacyReadPairs(source: DataSource, opts: ReadPairsOptions): Promise<SentencePair[]> {
  checkColumn('srcColumn', opts.srcColumn);
  checkColumn('tgtColumn', opts.tgtColumn);
  if (typeof source === 'string') return readTsv(source, opts);
  if (source !== null && typeof source === 'object' && typeof source.src === 'string' && typeof source.tgt === 'string') {
    return readParallel(source.src, source.tgt);
  }
  throw new TypeError('a data source must be a TSV path or an object {src, tgt} of two file paths');
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
export async function legacyLoadDataset(config: Seq2SeqConfig, vocabs?: { src: Vocabulary; tgt: Vocabulary }): Promise<Dataset> {
  const d = config.data;
  const cols = { srcColumn: d.srcColumn, tgtColumn: d.tgtColumn };
  const [trainAll, validFile, testFile] = await Promise.all([
    legacyReadPairs(d.train, cols),
    d.valid !== undefined ? legacyReadPairs(d.valid, cols) : Promise.resolve(undefined),
    d.test !== undefined ? legacyReadPairs(d.test, cols) : Promise.resolve(undefined),
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

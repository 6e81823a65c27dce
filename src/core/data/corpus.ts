/**
 * Reading sentence pairs from disk and splitting them into train / valid /
 * test sets.
 *
 * Accepted formats:
 * - **TSV**: one pair per line, columns separated by a tab, parsed with
 *   `csv-parse` with quoting OFF (sentences contain `"` freely), so a line is
 *   always one record. Columns beyond the configured source/target columns
 *   are ignored (e.g. Tatoeba's attribution column).
 * - **Parallel files** `{src, tgt}`: line i of one file translates line i of
 *   the other; both must have the same number of lines.
 *
 * Blank lines: a line that is empty or whitespace-only (in both files, for
 * parallel files) is skipped silently; a line where only the source or only
 * the target is empty is an error. A UTF-8 byte order mark is removed; LF and
 * CRLF line ends are both accepted (also mixed). Fields are trimmed.
 * Every problem is reported as a {@link DataError} naming `file:line`.
 *
 * Files are read as streams ({@link forEachPair}): 256 KiB chunks are decoded
 * (strict UTF-8) and parsed record by record by `csv-parse`'s stream API, so
 * the file's text is never held in memory; only what the caller keeps of each
 * pair is. The errors are the same as when reading the whole file first: an
 * unreadable file or invalid UTF-8 anywhere in it wins over a bad line (the
 * rest of the file is still read to check it), and for parallel files a
 * different number of lines wins over a bad line.
 */

import { createReadStream, promises as fs } from 'fs';
import * as path from 'path';
import { Transform, pipeline } from 'stream';
import { parse, type Options as CsvOptions } from 'csv-parse';
import type { DataSource } from '../config/config';
import { Random } from '../random';

/** One raw sentence pair with where it came from. */
export interface SentencePair {
  /** Raw source sentence (trimmed, not normalised). */
  src: string;
  /** Raw target sentence (trimmed, not normalised). */
  tgt: string;
  /** File the pair was read from (the source file for parallel files), as given. */
  file: string;
  /** 1-based line number in that file. */
  line: number;
}

/** Shows a path relative to the working directory when it lies inside it. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * A problem with a data file. The message reads `file:line: what is wrong`
 * (or `file: what is wrong` when it concerns the whole file).
 */
export class DataError extends Error {
  /** The offending file as given to the reader. */
  readonly file: string;
  /** 1-based line number, or undefined when the whole file is concerned. */
  readonly line: number | undefined;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(file: string, line: number | undefined, detail: string) {
    super(`${displayPath(file)}${line !== undefined ? `:${line}` : ''}: ${detail}`);
    this.name = 'DataError';
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}

export interface ReadPairsOptions {
  /** 0-based TSV column of the source sentence. */
  srcColumn: number;
  /** 0-based TSV column of the target sentence. */
  tgtColumn: number;
}

/** Where the reading of one data source stands (see {@link StreamOptions.onProgress}). */
export interface ReadProgress {
  /** The file being read (the source file for parallel files), as given. */
  file: string;
  /** Lines read so far (blank lines included). */
  linesRead: number;
  /** Pairs kept so far (all pairs, unless the caller's filter drops some). */
  pairsKept: number;
  /** Bytes read from disk so far (both files for parallel files); runs slightly ahead of `linesRead`. */
  bytesRead: number;
  /** Size of the file(s) in bytes. */
  totalBytes: number;
  /** True on the last call, made once the whole source was read without error (the totals). */
  done: boolean;
}

export interface StreamOptions {
  /** Called while reading, and once at the end with `done: true`. */
  onProgress?: (p: ReadProgress) => void;
  /** The clock is looked at every this many lines (default 4096). */
  progressLines?: number;
  /** Least milliseconds between two calls (default 250; 0 calls at every `progressLines` lines). */
  progressMs?: number;
}

/** Totals of one {@link forEachPair} call. */
export interface ReadTotals {
  linesRead: number;
  /** Non-blank lines, i.e. pairs handed to the callback. */
  pairs: number;
  /** Pairs the callback kept (did not return false for). */
  pairsKept: number;
}

/** csv-parse options: quoting off, so that record i is always line i + 1 (also for blank lines). */
const CSV_OPTIONS: CsvOptions = {
  delimiter: '\t',
  quote: false,
  relax_column_count: true,
  record_delimiter: ['\r\n', '\n'],
};

const CHUNK_BYTES = 256 * 1024;

function fileError(file: string, e: unknown): DataError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DataError(file, undefined, 'file not found');
  if (code === 'EISDIR') return new DataError(file, undefined, 'is a folder, expected a data file');
  if (code === 'EACCES') return new DataError(file, undefined, 'permission denied');
  return new DataError(file, undefined, `cannot read file (${(e as Error).message})`);
}

/** Thrown inside the decoding stream; turned into a DataError with the line of the first bad byte. */
class InvalidUtf8 extends Error {}

/**
 * Line (1-based) of the first invalid UTF-8 sequence: the line of the first
 * U+FFFD of a lenient decoding, as when the whole file was decoded at once.
 */
async function invalidUtf8Line(file: string): Promise<number | undefined> {
  const dec = new TextDecoder('utf-8');
  let newlines = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    const text = dec.decode(chunk as Buffer, { stream: true });
    const at = text.indexOf('\uFFFD');
    for (let i = text.indexOf('\n'); i >= 0 && (at < 0 || i < at); i = text.indexOf('\n', i + 1)) newlines++;
    if (at >= 0) return newlines + 1;
  }
  return dec.decode().includes('\uFFFD') ? newlines + 1 : undefined;
}

/** The records (arrays of tab-separated fields) of a file, one per line, read as a stream. */
interface RecordStream {
  next(): Promise<string[] | undefined>;
  /** Stop reading (after an error of the caller). */
  close(): void;
  readonly bytesRead: number;
}

async function openRecords(file: string): Promise<RecordStream & { totalBytes: number }> {
  let totalBytes: number;
  try {
    totalBytes = (await fs.stat(file)).size;
  } catch (e) {
    throw fileError(file, e);
  }
  const input = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const dec = new TextDecoder('utf-8', { fatal: true });
  let bytesRead = 0;
  let started = false;
  const push = (t: Transform, text: string) => {
    if (!started && text.length > 0) {
      started = true;
      // The decoder drops a leading BOM; like the whole-file reader, drop one more.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.length > 0) t.push(text);
  };
  const decode = new Transform({
    readableObjectMode: true,
    transform(chunk: Buffer, _enc, done) {
      bytesRead += chunk.length;
      let text: string;
      try {
        text = dec.decode(chunk, { stream: true });
      } catch {
        done(new InvalidUtf8());
        return;
      }
      push(this, text);
      done();
    },
    flush(done) {
      let text: string;
      try {
        text = dec.decode();
      } catch {
        done(new InvalidUtf8());
        return;
      }
      push(this, text);
      done();
    },
  });
  const parser = parse(CSV_OPTIONS);
  // Errors of any stage destroy the parser with that error, which its iterator throws.
  pipeline(input, decode, parser, () => undefined);
  const it = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  return {
    totalBytes,
    get bytesRead() {
      return bytesRead;
    },
    async next() {
      try {
        const r = await it.next();
        return r.done ? undefined : r.value;
      } catch (e) {
        if (e instanceof InvalidUtf8) {
          throw new DataError(file, await invalidUtf8Line(file), 'not valid UTF-8 text (data files must be UTF-8 encoded)');
        }
        if (e instanceof Error && 'code' in e && typeof (e as NodeJS.ErrnoException).syscall === 'string') throw fileError(file, e);
        throw e;
      }
    },
    close() {
      parser.destroy();
      input.destroy();
    },
  };
}

function checkColumn(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer (got ${value})`);
}

/** Calls `onProgress` at most every `progressMs` ms, looking at the clock every `progressLines` lines. */
class ProgressTracker {
  linesRead = 0;
  pairsKept = 0;
  private last = Date.now();
  private readonly every: number;
  private readonly ms: number;
  constructor(
    private readonly file: string,
    private readonly opts: StreamOptions,
    private readonly bytes: () => number,
    private readonly totalBytes: number,
  ) {
    this.every = Math.max(1, Math.floor(opts.progressLines ?? 4096));
    this.ms = Math.max(0, opts.progressMs ?? 250);
  }
  /** After each line (once `linesRead` and `pairsKept` count it). */
  tick(): void {
    if (this.linesRead % this.every !== 0 || !this.opts.onProgress) return;
    const now = Date.now();
    if (now - this.last < this.ms) return;
    this.last = now;
    this.report(false);
  }
  report(done: boolean): void {
    this.opts.onProgress?.({
      file: this.file,
      linesRead: this.linesRead,
      pairsKept: this.pairsKept,
      bytesRead: done ? this.totalBytes : Math.min(this.bytes(), this.totalBytes),
      totalBytes: this.totalBytes,
      done,
    });
  }
}

/** A pair callback: returns false when it drops the pair (counted as not kept). */
export type PairCallback = (pair: SentencePair) => boolean | void;

async function streamTsv(file: string, opts: ReadPairsOptions & StreamOptions, onPair: PairCallback): Promise<ReadTotals> {
  const records = await openRecords(file);
  const progress = new ProgressTracker(file, opts, () => records.bytesRead, records.totalBytes);
  const need = Math.max(opts.srcColumn, opts.tgtColumn) + 1;
  let pairs = 0;
  let failure: DataError | undefined;
  try {
    const handle = (r: string[], line: number): DataError | undefined => {
      if (r.every((f) => f.trim() === '')) return undefined;
      if (r.length < need) {
        return new DataError(
          file,
          line,
          `expected at least ${need} tab-separated columns (source in column ${opts.srcColumn}, target in column ${opts.tgtColumn}), found ${r.length}`,
        );
      }
      const src = r[opts.srcColumn].trim();
      const tgt = r[opts.tgtColumn].trim();
      if (src === '') return new DataError(file, line, `empty source sentence (column ${opts.srcColumn})`);
      if (tgt === '') return new DataError(file, line, `empty target sentence (column ${opts.tgtColumn})`);
      pairs++;
      if (onPair({ src, tgt, file, line }) !== false) progress.pairsKept++;
      return undefined;
    };
    for (let r = await records.next(); r !== undefined; r = await records.next()) {
      const line = ++progress.linesRead;
      // After a bad line, the rest is only read to report invalid UTF-8 first, as a whole-file read would.
      if (!failure) failure = handle(r, line);
      progress.tick();
    }
  } catch (e) {
    records.close();
    throw e;
  }
  if (failure) throw failure;
  progress.report(true);
  return { linesRead: progress.linesRead, pairs, pairsKept: progress.pairsKept };
}

async function streamParallel(srcFile: string, tgtFile: string, opts: StreamOptions, onPair: PairCallback): Promise<ReadTotals> {
  const srcRecords = await openRecords(srcFile);
  let tgtRecords: Awaited<ReturnType<typeof openRecords>>;
  try {
    tgtRecords = await openRecords(tgtFile);
  } catch (e) {
    srcRecords.close();
    throw e;
  }
  const progress = new ProgressTracker(
    srcFile,
    opts,
    () => srcRecords.bytesRead + tgtRecords.bytesRead,
    srcRecords.totalBytes + tgtRecords.totalBytes,
  );
  // Fields joined back with tabs give the line as it is (csv-parse only splits lines here).
  let srcLines = 0;
  let tgtLines = 0;
  let pairs = 0;
  let failure: DataError | undefined;
  try {
    let [a, b] = await Promise.all([srcRecords.next(), tgtRecords.next()]);
    while (a !== undefined || b !== undefined) {
      if (a !== undefined) srcLines++;
      if (b !== undefined) tgtLines++;
      progress.linesRead = Math.max(srcLines, tgtLines);
      // After a bad line (or past the end of one file) the rest is only counted and checked, as a whole-file read would.
      if (!failure && a !== undefined && b !== undefined) {
        const src = a.join('\t').trim();
        const tgt = b.join('\t').trim();
        const line = srcLines;
        if (src === '' && tgt === '') {
          // blank in both: skipped
        } else if (src === '') {
          failure = new DataError(srcFile, line, `empty source sentence (target ${displayPath(tgtFile)}:${line} is not empty)`);
        } else if (tgt === '') {
          failure = new DataError(tgtFile, line, `empty target sentence (source ${displayPath(srcFile)}:${line} is not empty)`);
        } else {
          pairs++;
          if (onPair({ src, tgt, file: srcFile, line }) !== false) progress.pairsKept++;
        }
      }
      progress.tick();
      [a, b] = await Promise.all([a !== undefined ? srcRecords.next() : undefined, b !== undefined ? tgtRecords.next() : undefined]);
    }
  } catch (e) {
    srcRecords.close();
    tgtRecords.close();
    throw e;
  }
  if (srcLines !== tgtLines) {
    throw new DataError(
      srcFile,
      undefined,
      `parallel files must have the same number of lines, but ${displayPath(srcFile)} has ${srcLines} and ${displayPath(tgtFile)} has ${tgtLines}`,
    );
  }
  if (failure) throw failure;
  progress.report(true);
  return { linesRead: progress.linesRead, pairs, pairsKept: progress.pairsKept };
}

/**
 * Streams the sentence pairs of a data source (TSV path or `{src, tgt}`
 * parallel files) to `onPair`, in file order, without holding the file's
 * text: memory is what the callback keeps (plus 256 KiB buffers). Parallel
 * files are read line by line in lockstep. `onProgress` reports lines read
 * and pairs kept (the callback returns false for a pair it drops).
 * @throws DataError (`file:line: …`) as {@link readPairs}; no pair is passed
 *   on after a bad line, but pairs before it were.
 */
export async function forEachPair(source: DataSource, opts: ReadPairsOptions & StreamOptions, onPair: PairCallback): Promise<ReadTotals> {
  checkColumn('srcColumn', opts.srcColumn);
  checkColumn('tgtColumn', opts.tgtColumn);
  if (typeof source === 'string') return streamTsv(source, opts, onPair);
  if (source !== null && typeof source === 'object' && typeof source.src === 'string' && typeof source.tgt === 'string') {
    return streamParallel(source.src, source.tgt, opts, onPair);
  }
  throw new TypeError('a data source must be a TSV path or an object {src, tgt} of two file paths');
}

/**
 * Reads all sentence pairs of a data source (TSV path or `{src, tgt}`
 * parallel files), in file order (streamed, see {@link forEachPair}).
 * @throws DataError (`file:line: …`) for missing/unreadable files, invalid
 *   UTF-8, too few columns, an empty source or target, or parallel files of
 *   different lengths; RangeError for invalid column numbers.
 */
export async function readPairs(source: DataSource, opts: ReadPairsOptions & StreamOptions): Promise<SentencePair[]> {
  const pairs: SentencePair[] = [];
  await forEachPair(source, opts, (p) => {
    pairs.push(p);
  });
  return pairs;
}

export interface SplitOptions<T> {
  /** Fraction of items (or groups) for validation, in [0, 1). */
  validFraction: number;
  /** Fraction of items (or groups) for testing, in [0, 1); validFraction + testFraction < 1. */
  testFraction: number;
  seed: number;
  /**
   * Optional grouping key: items with the same key always land in the same
   * split (e.g. the normalised source sentence, so that a sentence with
   * several reference translations cannot be in both train and test).
   * Fractions then count groups, not items.
   */
  groupBy?: (item: T) => string;
}

/**
 * Deterministic random split: the items (or groups) are shuffled with
 * `new Random(seed)`; the first `round(n × testFraction)` form the test set,
 * the next `round(n × validFraction)` the validation set, the rest the
 * training set. Each split keeps the shuffled order. The input is not modified.
 * @throws RangeError for fractions outside [0, 1) or summing to >= 1.
 */
export function splitPairs<T>(pairs: T[], opts: SplitOptions<T>): { train: T[]; valid: T[]; test: T[] } {
  let groups: T[][];
  if (opts.groupBy) {
    const byKey = new Map<string, T[]>();
    for (const p of pairs) {
      const k = opts.groupBy(p);
      const g = byKey.get(k);
      if (g) g.push(p);
      else byKey.set(k, [p]);
    }
    groups = [...byKey.values()];
  } else {
    groups = pairs.map((p) => [p]);
  }
  const s = shuffleSplit(groups, opts);
  return { test: s.test.flat(), valid: s.valid.flat(), train: s.train.flat() };
}

/**
 * The shuffle and cut of {@link splitPairs} on groups given in order of first
 * appearance (the input is not modified); returns the groups of each split.
 * @throws RangeError for fractions outside [0, 1) or summing to >= 1.
 */
export function shuffleSplit<G>(groups: readonly G[], opts: { validFraction: number; testFraction: number; seed: number }): { train: G[]; valid: G[]; test: G[] } {
  const { validFraction: vf, testFraction: tf } = opts;
  if (!(vf >= 0 && vf < 1)) throw new RangeError(`validFraction must be in [0, 1) (got ${vf})`);
  if (!(tf >= 0 && tf < 1)) throw new RangeError(`testFraction must be in [0, 1) (got ${tf})`);
  if (!(vf + tf < 1)) throw new RangeError(`validFraction + testFraction must be < 1 (got ${vf} + ${tf})`);
  const rng = new Random(opts.seed);
  const shuffled = groups.slice();
  rng.shuffle(shuffled);
  const nTest = Math.round(shuffled.length * tf);
  const nValid = Math.round(shuffled.length * vf);
  return {
    test: shuffled.slice(0, nTest),
    valid: shuffled.slice(nTest, nTest + nValid),
    train: shuffled.slice(nTest + nValid),
  };
}

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
 */

import { promises as fs } from 'fs';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import type { DataSource } from '../config';
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
export async function readPairs(source: DataSource, opts: ReadPairsOptions): Promise<SentencePair[]> {
  checkColumn('srcColumn', opts.srcColumn);
  checkColumn('tgtColumn', opts.tgtColumn);
  if (typeof source === 'string') return readTsv(source, opts);
  if (source !== null && typeof source === 'object' && typeof source.src === 'string' && typeof source.tgt === 'string') {
    return readParallel(source.src, source.tgt);
  }
  throw new TypeError('a data source must be a TSV path or an object {src, tgt} of two file paths');
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
  const { validFraction: vf, testFraction: tf } = opts;
  if (!(vf >= 0 && vf < 1)) throw new RangeError(`validFraction must be in [0, 1) (got ${vf})`);
  if (!(tf >= 0 && tf < 1)) throw new RangeError(`testFraction must be in [0, 1) (got ${tf})`);
  if (!(vf + tf < 1)) throw new RangeError(`validFraction + testFraction must be < 1 (got ${vf} + ${tf})`);
  const rng = new Random(opts.seed);
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
  rng.shuffle(groups);
  const nTest = Math.round(groups.length * tf);
  const nValid = Math.round(groups.length * vf);
  return {
    test: groups.slice(0, nTest).flat(),
    valid: groups.slice(nTest, nTest + nValid).flat(),
    train: groups.slice(nTest + nValid).flat(),
  };
}

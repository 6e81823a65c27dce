/**
 * Tokenizers turn a raw sentence into the token strings the vocabulary maps to
 * ids, and turn decoded tokens back into readable text.
 *
 * Normalisation (both kinds, see {@link normalizeText}): Unicode NFC, optional
 * lowercasing, every run of whitespace (including the no-break and narrow
 * no-break spaces French text puts before `! ? ; :`) collapsed to one ASCII
 * space, leading/trailing whitespace removed.
 *
 * ## `word` tokenizer rule
 * 1. The normalised text is split at spaces.
 * 2. Inside each chunk, a *word* is a maximal run of letters, marks, digits
 *    and `_`, which may contain
 *    - hyphens between word characters (`arrête-toi`, `twenty-one` stay one token),
 *    - apostrophes (`'` or `’`) between word characters (see 3),
 *    - `.` `,` `:` `/` between two digits (`3.5`, `1,000`, `10:30`, `18/01/2019`).
 * 3. Apostrophes inside a word:
 *    - French elisions split *after* the apostrophe, which stays on the left
 *      part: `l'homme` → `l'` `homme`, `qu'il` → `qu'` `il`, `jusqu'à` →
 *      `jusqu'` `à` (left parts: c d j l m n s t qu jusqu lorsqu puisqu quoiqu
 *      presqu, case-insensitive; `quelqu'un` stays whole);
 *    - English clitics split *before* the apostrophe (Penn Treebank style):
 *      `don't` → `do` `n't`, `Tom's` → `Tom` `'s`, `we'll` → `we` `'ll`
 *      (clitics: 's 're 've 'll 'd 'm and n't);
 *    - any other apostrophe stays inside the word (`aujourd'hui`, `o'clock`).
 * 4. Every other character (punctuation, symbols) is a token of its own, so
 *    `...` is three `.` tokens.
 *
 * ## `char` tokenizer rule
 * One token per Unicode code point of the normalised text; the space is the
 * visible token `▁` (U+2581). A literal `▁` in the input therefore comes back
 * as a space.
 *
 * ## Detokenization
 * `word`: tokens are joined with single spaces except that no space goes
 * before `. , ) ] } … %`, English clitics (`'s`, `n't`) or a closing straight
 * quote, and none after `( [ { ¿ ¡ $ £`, an elided `l'`-style token or an opening
 * straight quote (straight quotes alternate open/close). The four "high"
 * punctuation marks `! ? ; :` and the guillemets `« »` depend on the
 * convention: English (default) attaches `! ? ; : »` to the left and `«` to
 * the right (`Go!`), French typography (`spaceBeforeHighPunctuation`, as in
 * the Tatoeba French side: `Va !`, `« Oui »`) keeps a space before them and
 * after `«`. With those conventions, `detokenize(tokenize(s)) ===
 * normalizeText(s, lowercase)` for conventionally spaced sentences (tested
 * with generated sentences in `test/data.test.ts`).
 */

import type { TokenizerKind } from '../config/config';

/** The visible token standing for a space in `char` tokenization. */
export const SPACE_TOKEN = '\u2581';

/** Options beyond the config's `tokenizer` and `lowercase` keys. */
export interface TokenizerOptions {
  /**
   * French typographic convention for detokenization: a space before
   * `! ? ; : »` and after `«` (default false, English convention).
   * Tokenization is unaffected. Use {@link detectSpaceBeforeHighPunctuation}
   * to choose it from training text.
   */
  spaceBeforeHighPunctuation?: boolean;
}

/** Serialised form of a tokenizer (e.g. stored in a checkpoint next to the vocabularies). */
export interface TokenizerJSON {
  kind: TokenizerKind;
  lowercase: boolean;
  spaceBeforeHighPunctuation: boolean;
}

export interface Tokenizer {
  readonly kind: TokenizerKind;
  readonly lowercase: boolean;
  /** Detokenization convention, see {@link TokenizerOptions}. */
  readonly spaceBeforeHighPunctuation: boolean;
  /** Normalise (NFC, optional lowercase, whitespace collapse) and split into tokens; never returns empty tokens. */
  tokenize(text: string): string[];
  /** Join tokens back into natural text (the inverse of `tokenize` for conventionally spaced text). */
  detokenize(tokens: string[]): string;
  toJSON(): TokenizerJSON;
}

/**
 * NFC, then optional lowercasing (followed by NFC again, since lowercasing can
 * decompose), then every whitespace run → one space, trimmed.
 */
export function normalizeText(text: string, lowercase: boolean): string {
  let s = text.normalize('NFC');
  if (lowercase) {
    const lower = s.toLowerCase();
    // Lowercasing can produce non-NFC sequences (e.g. U+0130); ASCII cannot.
    s = lower !== s && NON_ASCII.test(lower) ? lower.normalize('NFC') : lower;
  }
  if (UNUSUAL_SPACE.test(s)) s = s.replace(/\s+/gu, ' ');
  return s.trim();
}

const NON_ASCII = /[^\x00-\x7f]/;
/** Any whitespace other than a single ASCII space. */
const UNUSUAL_SPACE = /[^\S ]|  /u;

const WORD_CHAR = /^[\p{L}\p{M}\p{N}_]$/u;
const DIGIT = /^\p{N}$/u;
const APOSTROPHES = new Set(["'", '\u2019']);
const HYPHENS = new Set(['-', '\u2010', '\u2011']);
const NUMBER_JOINERS = new Set(['.', ',', ':', '/']);
const ELISIONS = new Set(['c', 'd', 'j', 'l', 'm', 'n', 's', 't', 'qu', 'jusqu', 'lorsqu', 'puisqu', 'quoiqu', 'presqu']);
const CLITICS = new Set(['s', 're', 've', 'll', 'd', 'm']);

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && WORD_CHAR.test(c);
}

/** Splits a word span at its apostrophes following the elision / clitic rules. */
function splitApostrophes(word: string, out: string[]): void {
  let rest = word;
  for (;;) {
    const chars = Array.from(rest);
    const k = chars.findIndex((c) => APOSTROPHES.has(c));
    if (k < 0) {
      out.push(rest);
      return;
    }
    const left = chars.slice(0, k).join('');
    const apos = chars[k];
    const right = chars.slice(k + 1).join('');
    const leftLower = left.toLowerCase();
    const rightLower = right.toLowerCase();
    if (ELISIONS.has(leftLower)) {
      out.push(left + apos);
      rest = right;
      continue;
    }
    if (rightLower === 't' && /n$/i.test(left) && left.length > 1) {
      out.push(left.slice(0, -1), left.slice(-1) + apos + right);
      return;
    }
    if (CLITICS.has(rightLower)) {
      out.push(left, apos + right);
      return;
    }
    // Keep this apostrophe inside the word; look for a later one.
    const later: string[] = [];
    splitApostrophes(right, later);
    // Only the first piece of `right` can join `left` (e.g. aujourd'hui).
    out.push(left + apos + later[0], ...later.slice(1));
    return;
  }
}

/**
 * A word span (rule 2: word characters joined by apostrophes, hyphens, or by
 * `. , : /` between digits) or any other single non-space code point.
 */
const TOKEN_RE = /[\p{L}\p{M}\p{N}_]+(?:(?:['\u2019\u2010\u2011-]|(?<=\p{N})[.,:/](?=\p{N}))[\p{L}\p{M}\p{N}_]+)*|\S/gu;

/**
 * The `word` tokenizer's split (rules 2–4 of the module documentation) of an
 * already normalised text, without normalising it. The tokens, concatenated,
 * are the text with its spaces removed (every non-space character is in
 * exactly one token, in order). Also the pre-tokenisation of `bpe`.
 */
export function wordTokenize(text: string): string[] {
  const out: string[] = [];
  for (const t of text.match(TOKEN_RE) ?? []) {
    if (t.length > 1 && (t.includes("'") || t.includes('\u2019'))) splitApostrophes(t, out);
    else out.push(t);
  }
  return out;
}

const ATTACH_LEFT = new Set(['.', ',', ')', ']', '}', '\u2026', '%']);
const ATTACH_RIGHT = new Set(['(', '[', '{', '\u00bf', '\u00a1', '$', '\u00a3']);
const HIGH = new Set(['!', '?', ';', ':']);

function isElided(token: string): boolean {
  const cs = Array.from(token);
  return cs.length >= 2 && APOSTROPHES.has(cs[cs.length - 1]) && isWordChar(cs[cs.length - 2]);
}

function isClitic(token: string): boolean {
  const cs = Array.from(token);
  if (cs.length >= 2 && APOSTROPHES.has(cs[0]) && isWordChar(cs[1])) return true;
  return cs.length === 3 && (cs[0] === 'n' || cs[0] === 'N') && APOSTROPHES.has(cs[1]) && (cs[2] === 't' || cs[2] === 'T');
}

function wordDetokenize(tokens: string[], french: boolean): string {
  let out = '';
  let glueNext = true; // no space before the first token
  let quoteOpen = false;
  for (const t of tokens) {
    if (t === '') continue;
    let spaceBefore = !glueNext;
    let glueAfter = false;
    if (t === '"') {
      if (quoteOpen) spaceBefore = false;
      else glueAfter = true;
      quoteOpen = !quoteOpen;
    } else if (ATTACH_LEFT.has(t) || isClitic(t)) {
      spaceBefore = false;
    } else if (ATTACH_RIGHT.has(t)) {
      glueAfter = true;
    } else if (HIGH.has(t) || t === '\u00bb') {
      if (!french) spaceBefore = false;
    } else if (t === '\u00ab') {
      if (!french) glueAfter = true;
    } else if (isElided(t)) {
      glueAfter = true;
    }
    out += (spaceBefore ? ' ' : '') + t;
    glueNext = glueAfter;
  }
  return out;
}

class WordTokenizer implements Tokenizer {
  readonly kind = 'word' as const;
  constructor(readonly lowercase: boolean, readonly spaceBeforeHighPunctuation: boolean) {}
  tokenize(text: string): string[] {
    return wordTokenize(normalizeText(text, this.lowercase));
  }
  detokenize(tokens: string[]): string {
    return wordDetokenize(tokens, this.spaceBeforeHighPunctuation);
  }
  toJSON(): TokenizerJSON {
    return { kind: this.kind, lowercase: this.lowercase, spaceBeforeHighPunctuation: this.spaceBeforeHighPunctuation };
  }
}

class CharTokenizer implements Tokenizer {
  readonly kind = 'char' as const;
  constructor(readonly lowercase: boolean, readonly spaceBeforeHighPunctuation: boolean) {}
  tokenize(text: string): string[] {
    return Array.from(normalizeText(text, this.lowercase), (c) => (c === ' ' ? SPACE_TOKEN : c));
  }
  detokenize(tokens: string[]): string {
    return tokens.join('').split(SPACE_TOKEN).join(' ');
  }
  toJSON(): TokenizerJSON {
    return { kind: this.kind, lowercase: this.lowercase, spaceBeforeHighPunctuation: this.spaceBeforeHighPunctuation };
  }
}

/**
 * Creates a tokenizer.
 * @param kind `word` or `char` (see the module documentation for the exact rules); `bpe` is built by `BpeTokenizer`.
 * @param lowercase lowercase after NFC normalisation.
 * @param options detokenization convention.
 * @throws Error for an unknown kind.
 */
export function makeTokenizer(kind: TokenizerKind, lowercase: boolean, options: TokenizerOptions = {}): Tokenizer {
  const french = options.spaceBeforeHighPunctuation ?? false;
  if (kind === 'word') return new WordTokenizer(lowercase, french);
  if (kind === 'char') return new CharTokenizer(lowercase, french);
  if (kind === 'bpe') throw new Error('the "bpe" tokenizer needs learned merges: build it with BpeTokenizer (src/core/data/bpe.ts)');
  throw new Error(`unknown tokenizer "${String(kind)}" (expected "word", "char" or "bpe")`);
}

/**
 * Rebuilds a `word` or `char` tokenizer from {@link Tokenizer.toJSON} output
 * (a `bpe` one also needs its merges: `loadRunTokenizers` in checkpoint.ts).
 * @throws Error when `json` does not have that shape.
 */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  const j = json as Partial<TokenizerJSON> | null;
  if (
    j === null ||
    typeof j !== 'object' ||
    (j.kind !== 'word' && j.kind !== 'char') ||
    typeof j.lowercase !== 'boolean' ||
    typeof j.spaceBeforeHighPunctuation !== 'boolean'
  ) {
    throw new Error('invalid tokenizer description: expected {kind: "word"|"char", lowercase: boolean, spaceBeforeHighPunctuation: boolean}');
  }
  return makeTokenizer(j.kind, j.lowercase, { spaceBeforeHighPunctuation: j.spaceBeforeHighPunctuation });
}

/**
 * Guesses the punctuation convention of a corpus side: true when `! ? ; :`
 * are more often preceded by whitespace (French typography, e.g. `Va !`)
 * than attached to the previous character. Looks at most at the first
 * 20,000 sentences ({@link DETECT_SENTENCES}).
 */
export function detectSpaceBeforeHighPunctuation(sentences: readonly string[]): boolean {
  let spaced = 0;
  let attached = 0;
  const n = Math.min(sentences.length, DETECT_SENTENCES);
  for (let i = 0; i < n; i++) {
    const [s, a] = highPunctuationSpacing(sentences[i]);
    spaced += s;
    attached += a;
  }
  return spaced > attached;
}

/** How many sentences {@link detectSpaceBeforeHighPunctuation} looks at. */
export const DETECT_SENTENCES = 20000;

/**
 * What {@link detectSpaceBeforeHighPunctuation} counts in one sentence:
 * `[spaced, attached]` occurrences of `! ? ; :` (it decides `spaced > attached`
 * over the sums), so a reader can keep two numbers instead of the sentence.
 */
export function highPunctuationSpacing(s: string): [spaced: number, attached: number] {
  let spaced = 0;
  let attached = 0;
  for (let k = 1; k < s.length; k++) {
    const c = s[k];
    if (c === '!' || c === '?' || c === ';' || c === ':') {
      const p = s[k - 1];
      if (/\s/u.test(p)) spaced++;
      else if (!HIGH.has(p)) attached++;
    }
  }
  return [spaced, attached];
}

/**
 * Token ↔ id mapping with the four special tokens at fixed ids:
 * `<pad>` = 0 (padding, masked out of loss and attention), `<unk>` = 1 (any
 * token not in the vocabulary), `<bos>` = 2 (first decoder input),
 * `<eos>` = 3 (end of sentence: appended to targets and, Joey NMT style, to
 * sources).
 */

export const PAD = '<pad>';
export const UNK = '<unk>';
export const BOS = '<bos>';
export const EOS = '<eos>';
export const PAD_ID = 0;
export const UNK_ID = 1;
export const BOS_ID = 2;
export const EOS_ID = 3;
/** The special tokens in id order. */
export const SPECIAL_TOKENS: readonly string[] = [PAD, UNK, BOS, EOS];

export interface VocabularyBuildOptions {
  /** Tokens seen fewer times than this are left out (they map to `<unk>`). */
  minFrequency: number;
  /** Maximum size including the four special tokens (>= 4). */
  maxSize: number;
}

/** Serialised vocabulary: tokens in id order, starting with the four specials. */
export interface VocabularyJSON {
  tokens: string[];
}

export class Vocabulary {
  private readonly tokens: readonly string[];
  private readonly ids: Map<string, number>;

  private constructor(tokens: string[]) {
    this.tokens = tokens;
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * Builds a vocabulary from tokenized training sentences: the four specials,
   * then every token with count >= `minFrequency`, sorted by frequency
   * (descending), ties broken by code-unit order of the token (so the result is
   * deterministic), cut to `maxSize` entries in total. Occurrences of the
   * special token strings in the text are not counted.
   * @throws RangeError for `maxSize < 4` or a non-positive `minFrequency`.
   */
  static build(sentences: string[][], opts: VocabularyBuildOptions): Vocabulary {
    if (!Number.isInteger(opts.maxSize) || opts.maxSize < SPECIAL_TOKENS.length) {
      throw new RangeError(`vocabulary maxSize must be an integer >= ${SPECIAL_TOKENS.length} (got ${opts.maxSize})`);
    }
    if (!(opts.minFrequency >= 1)) {
      throw new RangeError(`vocabulary minFrequency must be >= 1 (got ${opts.minFrequency})`);
    }
    const counts = new Map<string, number>();
    for (const sentence of sentences) {
      for (const t of sentence) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    for (const s of SPECIAL_TOKENS) counts.delete(s);
    const entries = [...counts].filter(([, c]) => c >= opts.minFrequency);
    entries.sort((x, y) => (y[1] - x[1]) || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    const kept = entries.slice(0, opts.maxSize - SPECIAL_TOKENS.length).map(([t]) => t);
    return new Vocabulary([...SPECIAL_TOKENS, ...kept]);
  }

  /** Number of entries including the four special tokens. */
  get size(): number {
    return this.tokens.length;
  }

  /** Id of a token; `UNK_ID` for tokens not in the vocabulary. */
  idOf(token: string): number {
    return this.ids.get(token) ?? UNK_ID;
  }

  /** True when the token has its own id (is not mapped to `<unk>`). */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /**
   * Token string of an id.
   * @throws RangeError for an id outside `[0, size)`.
   */
  tokenOf(id: number): string {
    const t = Number.isInteger(id) ? this.tokens[id] : undefined;
    if (t === undefined) throw new RangeError(`token id ${id} is outside the vocabulary (size ${this.size})`);
    return t;
  }

  /** Ids of tokens (unknown → `UNK_ID`); no `<bos>`/`<eos>` are added. */
  encode(tokens: string[]): number[] {
    return tokens.map((t) => this.idOf(t));
  }

  /** Token strings of ids (specials included as their strings). @throws RangeError for an out-of-range id. */
  decode(ids: number[]): string[] {
    return ids.map((id) => this.tokenOf(id));
  }

  /** Tokens in id order, e.g. for a checkpoint. */
  toJSON(): VocabularyJSON {
    return { tokens: [...this.tokens] };
  }

  /**
   * Rebuilds a vocabulary from {@link Vocabulary.toJSON} output.
   * @throws Error naming the problem when `json` is not `{tokens: string[]}`
   *   starting with `<pad> <unk> <bos> <eos>`, without duplicates.
   */
  static fromJSON(json: unknown): Vocabulary {
    const tokens = (json as { tokens?: unknown } | null)?.tokens;
    if (json === null || typeof json !== 'object' || !Array.isArray(tokens)) {
      throw new Error('invalid vocabulary: expected an object {"tokens": [...]}');
    }
    const bad = tokens.findIndex((t) => typeof t !== 'string' || t === '');
    if (bad >= 0) throw new Error(`invalid vocabulary: tokens[${bad}] must be a non-empty string (got ${JSON.stringify(tokens[bad])})`);
    for (let i = 0; i < SPECIAL_TOKENS.length; i++) {
      if (tokens[i] !== SPECIAL_TOKENS[i]) {
        throw new Error(`invalid vocabulary: tokens[${i}] must be "${SPECIAL_TOKENS[i]}" (got ${JSON.stringify(tokens[i])})`);
      }
    }
    const seen = new Set<string>();
    for (let i = 0; i < tokens.length; i++) {
      if (seen.has(tokens[i])) throw new Error(`invalid vocabulary: duplicate token ${JSON.stringify(tokens[i])} at index ${i}`);
      seen.add(tokens[i]);
    }
    return new Vocabulary(tokens as string[]);
  }
}

/**
 * Subword tokens merged back into words for the attention view (`bpe`
 * runs). Pure functions, used by the webview and unit-tested in Node.
 *
 * Rule (Sennrich et al. 2016 do not define one; this is the usual reading of
 * a soft alignment): a source word's column is the **sum** of its subwords'
 * columns — the attention the decoder paid to any part of the word — and a
 * target word's row is the **mean** of its subwords' rows — the average
 * alignment of the decoder steps that produced it. Both keep every row a
 * distribution: a row of subword weights summing to 1 gives word weights
 * summing to 1.
 */

/** The word-start marker of `bpe` tokens (U+2581), left out of word labels. */
export const WORD_START_MARK = '\u2581';

/** A heatmap merged to words. */
export interface MergedAttention {
  /** `[targetWords][sourceWords]` attention weights. */
  attention: number[][];
  /** Source words (subwords joined, `▁` removed), in order. */
  sourceLabels: string[];
  /** Target words, in order. */
  targetLabels: string[];
  /** For each target word, the indices of its subword steps (rows of the unmerged heatmap). */
  targetSteps: number[][];
}

/** Labels of the words of `tokens` grouped by `wordOf` (word indices 0, 1, … in order). */
export function wordLabels(tokens: readonly string[], wordOf: readonly number[]): string[] {
  const labels: string[] = [];
  tokens.forEach((t, i) => {
    const w = wordOf[i];
    labels[w] = (labels[w] ?? '') + t.split(WORD_START_MARK).join('');
  });
  return Array.from(labels, (l) => l ?? '');
}

/**
 * Merges a subword attention matrix into words (see the module rule).
 * @param attention `[targetTokens][sourceTokens]` weights
 * @param sourceWordOf `[sourceTokens]` word index of each source token (0, 1, … non-decreasing)
 * @param targetWordOf `[targetTokens]` word index of each target token
 * @throws RangeError when the lengths do not match the matrix
 */
export function mergeSubwordAttention(
  attention: readonly (readonly number[])[],
  sourceTokens: readonly string[],
  targetTokens: readonly string[],
  sourceWordOf: readonly number[],
  targetWordOf: readonly number[],
): MergedAttention {
  if (sourceWordOf.length !== sourceTokens.length || targetWordOf.length !== targetTokens.length || attention.length > targetTokens.length) {
    throw new RangeError(
      `word groups do not fit the heatmap: ${attention.length} rows for ${targetTokens.length} target tokens (${targetWordOf.length} groups), ${sourceTokens.length} source tokens (${sourceWordOf.length} groups)`,
    );
  }
  const sourceLabels = wordLabels(sourceTokens, sourceWordOf);
  const targetLabels = wordLabels(targetTokens, targetWordOf);
  const cols = sourceLabels.length;
  const sums: number[][] = targetLabels.map(() => new Array(cols).fill(0));
  const targetSteps: number[][] = targetLabels.map(() => []);
  attention.forEach((row, i) => {
    const w = targetWordOf[i];
    targetSteps[w].push(i);
    row.forEach((x, j) => (sums[w][sourceWordOf[j]] += x));
  });
  // Rows beyond the recorded attention (none normally) stay out of the merged matrix.
  const kept = targetSteps.map((steps, w) => ({ steps, w })).filter(({ steps }) => steps.length > 0);
  return {
    attention: kept.map(({ steps, w }) => sums[w].map((x) => x / steps.length)),
    sourceLabels,
    targetLabels: kept.map(({ w }) => targetLabels[w]),
    targetSteps: kept.map(({ steps }) => steps),
  };
}

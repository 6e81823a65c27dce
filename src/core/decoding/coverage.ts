/**
 * Coverage of source tokens by attention (Tu et al. 2016). Plain arrays, no
 * TensorFlow.js: the translator, the CLI and the webviews use it alike.
 */

/**
 * Coverage of each source token (Tu, Lu, Liu, Liu & Li 2016, "Modeling
 * Coverage for Neural Machine Translation", eq. 5 without the fertility
 * term): the attention it received, summed over the target steps,
 * C_j = Σ_t α_tj. Each row of attention sums to 1, so the coverage sums to
 * the number of target steps; a source word far below 1 was hardly
 * translated (under-translation), far above 1 attended again and again
 * (over-translation, repetition).
 * @param attention `[targetSteps][srcLen]` weights
 * @returns `[srcLen]` (empty when `attention` is)
 */
export function coverage(attention: readonly (readonly number[])[]): number[] {
  const S = attention[0]?.length ?? 0;
  const c = new Array<number>(S).fill(0);
  for (const row of attention) for (let j = 0; j < S; j++) c[j] += row[j];
  return c;
}

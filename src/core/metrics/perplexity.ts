/**
 * Perplexity of a model on a set of target tokens:
 *
 *   PPL = exp( (1/T) · Σ_t −log p(y_t | y_<t, x) )
 *
 * i.e. the exponential of the mean per-token negative log-likelihood (natural
 * log, nats). Use the same token set as the loss (typically every target token
 * including <eos>, excluding <pad>).
 *
 * @param totalNll summed negative log-likelihood over all counted tokens, in nats (≥ 0)
 * @param tokens number of tokens the sum runs over (positive integer count)
 * @returns exp(totalNll / tokens), ≥ 1 for a valid NLL; `Infinity` if the mean NLL
 *   is so large that exp overflows (mean > ~709.78 nats), or if `totalNll` is `Infinity`
 * @throws RangeError if `tokens` is not a positive finite number, or if `totalNll`
 *   is NaN or negative (a negative NLL means the caller passed log-likelihoods, not their negation)
 */
export function perplexity(totalNll: number, tokens: number): number {
  if (typeof tokens !== 'number' || !Number.isFinite(tokens) || tokens <= 0) {
    throw new RangeError(`perplexity: token count must be a positive finite number, got ${tokens}`);
  }
  if (typeof totalNll !== 'number' || Number.isNaN(totalNll)) {
    throw new RangeError(`perplexity: total negative log-likelihood must be a number, got ${totalNll}`);
  }
  if (totalNll < 0) {
    throw new RangeError(
      `perplexity: total negative log-likelihood must be >= 0 (nats), got ${totalNll}; did you pass a log-likelihood instead of its negation?`,
    );
  }
  return Math.exp(totalNll / tokens);
}

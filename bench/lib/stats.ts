/**
 * Summary statistics for benchmark samples (pure functions, no I/O).
 */

/** Summary of a list of timings. All values in the samples' unit (e.g. ms). */
export interface Summary {
  /** Number of samples. */
  n: number;
  median: number;
  /** 95th percentile (linear interpolation between order statistics). */
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/**
 * The q-quantile of `samples` with linear interpolation between the closest
 * order statistics (Hyndman & Fan 1996, definition 7; numpy's default):
 * position h = (n − 1)·q in the sorted list.
 * @param q in [0, 1]
 * @throws RangeError for an empty list, a non-finite sample or q outside [0, 1]
 */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) throw new RangeError('quantile of an empty list of samples');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must lie in [0, 1] (got ${q})`);
  for (const s of samples) if (!Number.isFinite(s)) throw new RangeError(`quantile: non-finite sample ${s}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Median: the 0.5-quantile (mean of the two middle values for an even count). */
export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/**
 * n, median, p95, mean, min and max of the samples.
 * @throws RangeError for an empty list or a non-finite sample
 */
export function summarize(samples: readonly number[]): Summary {
  const med = median(samples);
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const s of samples) {
    sum += s;
    if (s < min) min = s;
    if (s > max) max = s;
  }
  return { n: samples.length, median: med, p95: quantile(samples, 0.95), mean: sum / samples.length, min, max };
}

/**
 * Ratio a / b, or null when either side is missing or b is not positive
 * (e.g. our tokens/s ÷ PyTorch's when the peer did not run).
 */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return null;
  return a / b;
}

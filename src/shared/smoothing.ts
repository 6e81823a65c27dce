/**
 * Curve smoothing for the charts (Compare Runs view): the debiased
 * exponential moving average TensorBoard's scalar dashboard applies with its
 * "Smoothing" slider. Pure; used by the webview and unit-tested in Node.
 */

/**
 * Debiased exponential moving average of `values` with smoothing weight `weight`.
 *
 * With a_0 = 0 and n counting the finite values seen so far,
 *   a_n = w · a_{n−1} + (1 − w) · y_n,      ŷ_n = a_n / (1 − w^n),
 * the division by (1 − w^n) removing the bias towards the zero start (the
 * bias correction of Adam's moment estimates, Kingma & Ba 2015, sec. 3, and
 * of TensorBoard's smoothing). So the first finite value is returned
 * unchanged, and a constant series stays constant (returned as it is, without
 * rounding error).
 *
 * Missing points (`null`, `undefined`) and non-finite values (NaN, ±Infinity)
 * come out as `null` at their index and do not enter the average: the curve
 * has a gap there, and the values on either side are smoothed as if it were
 * not there.
 *
 * @param values one value per point (order = x order), any length
 * @param weight smoothing weight w in [0, 1): 0 returns the finite values as
 *   they are; 0.99 averages over roughly the last 100 points. NaN counts as 0;
 *   other values are clamped to [0, 0.999] (at w = 1 the debiasing would
 *   divide 0 by 0; near it the curve tends to the running mean).
 * @returns a new array of the same length
 */
export function smoothDebiasedEma(values: readonly (number | null | undefined)[], weight: number): (number | null)[] {
  const w = Number.isFinite(weight) ? Math.min(Math.max(weight, 0), 0.999) : 0;
  const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
  const first = values.find(finite);
  const constant = first !== undefined && values.every((v) => !finite(v) || v === first);
  let accumulator = 0;
  let n = 0;
  return values.map((v) => {
    if (!finite(v)) return null;
    if (constant || w === 0) return v;
    accumulator = w * accumulator + (1 - w) * v;
    n++;
    return accumulator / (1 - w ** n);
  });
}

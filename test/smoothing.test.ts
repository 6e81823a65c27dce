/**
 * TensorBoard's debiased exponential moving average (src/shared/smoothing.ts),
 * the Compare Runs view's smoothing.
 */
import { strict as assert } from 'assert';
import * as fc from 'fast-check';
import { smoothDebiasedEma } from '../src/shared/smoothing';

const close = (a: number | null, b: number, eps = 1e-12) => assert.ok(a !== null && Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

describe('smoothDebiasedEma (debiased EMA, as TensorBoard)', () => {
  it('matches a hand-computed example (w = 0.5)', () => {
    // a1 = 0.5·0 + 0.5·1 = 0.5, /(1−0.5)   = 1
    // a2 = 0.5·0.5 + 0.5·3 = 1.75, /(1−0.25) = 2.3333…
    // a3 = 0.5·1.75 + 0.5·2 = 1.875, /(1−0.125) = 2.142857…
    const out = smoothDebiasedEma([1, 3, 2], 0.5);
    close(out[0], 1);
    close(out[1], 1.75 / 0.75);
    close(out[2], 1.875 / 0.875);
  });

  it('leaves the first point unchanged, for any weight', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.double({ min: 0, max: 0.99, noNaN: true }), (y, w) => {
        close(smoothDebiasedEma([y, y + 1, y - 2], w)[0], y, 1e-9);
      }),
    );
  });

  it('leaves a constant series exactly constant', () => {
    for (const w of [0, 0.3, 0.6, 0.9, 0.99]) assert.deepEqual(smoothDebiasedEma([0.1, 0.1, 0.1, 0.1, 0.1], w), [0.1, 0.1, 0.1, 0.1, 0.1]);
  });

  it('weight 0 returns the values as they are', () => {
    assert.deepEqual(smoothDebiasedEma([3, 1, 4, 1, 5], 0), [3, 1, 4, 1, 5]);
  });

  it('stays within the range of the values seen so far', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1000, max: 1000, noNaN: true }), { minLength: 1, maxLength: 50 }), fc.double({ min: 0, max: 0.99, noNaN: true }), (ys, w) => {
        const out = smoothDebiasedEma(ys, w);
        out.forEach((v, i) => {
          const seen = ys.slice(0, i + 1);
          assert.ok(v !== null && v >= Math.min(...seen) - 1e-6 && v <= Math.max(...seen) + 1e-6, `${v} outside the values ${seen}`);
        });
      }),
    );
  });

  it('missing and non-finite values are gaps (null) and do not enter the average', () => {
    const out = smoothDebiasedEma([1, null, NaN, Infinity, undefined, 3], 0.5);
    assert.deepEqual(out.slice(1, 5), [null, null, null, null]);
    // The same as smoothing [1, 3].
    const ref = smoothDebiasedEma([1, 3], 0.5);
    assert.deepEqual([out[0], out[5]], ref);
    assert.deepEqual(smoothDebiasedEma([null, NaN], 0.6), [null, null]);
    assert.deepEqual(smoothDebiasedEma([], 0.6), []);
  });

  it('clamps the weight into [0, 0.999] (NaN counts as 0)', () => {
    assert.deepEqual(smoothDebiasedEma([1, 2], -1), [1, 2]);
    assert.deepEqual(smoothDebiasedEma([1, 2], NaN), [1, 2]);
    // Clamped to 0.999: (0.999·0.001 + 0.001·2) / (1 − 0.999²), close to the running mean 1.5.
    close(smoothDebiasedEma([1, 2], 5)[1], (0.999 * 0.001 + 0.001 * 2) / (1 - 0.999 ** 2), 1e-9);
  });
});

import * as assert from 'assert';
import { median, quantile, ratio, summarize } from '../bench/lib/stats';

describe('bench statistics', () => {
  it('median of odd and even counts, independent of order', () => {
    assert.strictEqual(median([3, 1, 2]), 2);
    assert.strictEqual(median([4, 1, 3, 2]), 2.5);
    assert.strictEqual(median([7]), 7);
  });

  it('quantile interpolates linearly between order statistics (numpy default)', () => {
    const xs = [10, 20, 30, 40, 50];
    assert.strictEqual(quantile(xs, 0), 10);
    assert.strictEqual(quantile(xs, 1), 50);
    assert.strictEqual(quantile(xs, 0.25), 20);
    // h = 4 * 0.95 = 3.8 → 40 + 0.8 * 10
    assert.ok(Math.abs(quantile(xs, 0.95) - 48) < 1e-9);
  });

  it('summarize reports n, median, p95, mean, min, max', () => {
    const s = summarize([5, 1, 3, 100]);
    assert.strictEqual(s.n, 4);
    assert.strictEqual(s.median, 4);
    assert.strictEqual(s.mean, 27.25);
    assert.strictEqual(s.min, 1);
    assert.strictEqual(s.max, 100);
    assert.ok(s.p95 > s.median && s.p95 <= 100);
  });

  it('rejects empty lists, non-finite samples and q outside [0, 1]', () => {
    assert.throws(() => median([]), /empty/);
    assert.throws(() => quantile([1, NaN], 0.5), /non-finite/);
    assert.throws(() => quantile([1], 1.5), /q must lie/);
  });

  it('ratio is null when a side is missing or the divisor is not positive', () => {
    assert.strictEqual(ratio(10, 4), 2.5);
    assert.strictEqual(ratio(null, 4), null);
    assert.strictEqual(ratio(10, undefined), null);
    assert.strictEqual(ratio(10, 0), null);
  });
});

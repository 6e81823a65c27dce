/**
 * What the views share to show forced decoding (src/shared/forcedDecoding.ts):
 * coverage levels and their formatting, and the exposure-bias chart layout.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { coverageLevel, formatCoverage, layoutExposureChart, OVER_COVERED, UNDER_COVERED } from '../src/shared/forcedDecoding';

describe('forced decoding in the views: coverage levels and the exposure-bias chart', () => {
  it('coverage levels: under below 0.5, over above 1.5, else ok; one decimal without a leading zero', () => {
    assert.equal(coverageLevel(0), 'under');
    assert.equal(coverageLevel(UNDER_COVERED - 1e-9), 'under');
    assert.equal(coverageLevel(UNDER_COVERED), 'ok');
    assert.equal(coverageLevel(1), 'ok');
    assert.equal(coverageLevel(OVER_COVERED), 'ok');
    assert.equal(coverageLevel(OVER_COVERED + 1e-9), 'over');
    assert.equal(formatCoverage(0.42), '.4');
    assert.equal(formatCoverage(1), '1.0');
    assert.equal(formatCoverage(2.35), '2.4');
    assert.equal(formatCoverage(NaN), '');
  });

  it('the exposure chart puts each step in its column, probabilities 1 at the top and 0 at the bottom, gaps where greedy had ended, the divergence on its step (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 14 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 200, max: 1400 }),
        fc.integer({ min: -1, max: 40 }),
        (tokens, width, divergence) => {
          const tf = tokens.map((_, i) => -((i * 0.37) % 5));
          const own = tokens.map((_, i) => (i % 4 === 3 ? null : -((i * 0.53) % 6)));
          const L = layoutExposureChart(tokens, tf, own, divergence, { width });
          assert.ok(L.width >= 240 && L.width <= Math.max(width, 240));
          assert.equal(L.xs.length, tokens.length);
          for (let i = 1; i < L.xs.length; i++) assert.ok(L.xs[i] > L.xs[i - 1], 'steps left to right');
          assert.ok(L.xs[0] > L.left && L.xs[L.xs.length - 1] < L.left + L.plotWidth);
          assert.equal(L.y(1), L.top);
          assert.equal(L.y(0), L.top + L.plotHeight);
          L.teacherForced.forEach((p, i) => {
            assert.equal(p.x, L.xs[i]);
            assert.ok(Math.abs(p.p - Math.exp(tf[i])) < 1e-12 && p.y >= L.top && p.y <= L.top + L.plotHeight);
          });
          L.ownPrefix.forEach((p, i) => assert.equal(p === null, own[i] === null));
          if (divergence >= 0 && divergence < tokens.length) assert.equal(L.divergenceX, L.xs[divergence]);
          else assert.equal(L.divergenceX, undefined);
          assert.ok(L.height >= L.top + L.plotHeight);
          L.labels.forEach((l, i) => assert.ok([...l].length <= Math.max([...tokens[i]].length, 3)));
        },
      ),
      { numRuns: 200, seed: 18 },
    );
  });
});

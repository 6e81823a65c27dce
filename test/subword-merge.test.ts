/** Merging subword attention into words (src/shared/subwordMerge.ts): columns summed, rows averaged. */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { mergeSubwordAttention, wordLabels } from '../src/shared/subwordMerge';

describe('subword attention merge', () => {
  it('sums a source word\'s columns and averages a target word\'s rows', () => {
    const src = ['▁low', 'er', '▁house', '<eos>'];
    const tgt = ['▁mai', 'son', '<eos>'];
    const attention = [
      [0.5, 0.25, 0.25, 0],
      [0.1, 0.1, 0.7, 0.1],
      [0, 0, 0, 1],
    ];
    const m = mergeSubwordAttention(attention, src, tgt, [0, 0, 1, 2], [0, 0, 1]);
    assert.deepEqual(m.sourceLabels, ['lower', 'house', '<eos>']);
    assert.deepEqual(m.targetLabels, ['maison', '<eos>']);
    assert.deepEqual(m.targetSteps, [[0, 1], [2]]);
    const near = (a: number[][], b: number[][]) => a.forEach((r, i) => r.forEach((x, j) => assert.ok(Math.abs(x - b[i][j]) < 1e-12, `${i},${j}: ${x} vs ${b[i][j]}`)));
    near(m.attention, [
      [(0.75 + 0.2) / 2, (0.25 + 0.7) / 2, 0.05],
      [0, 0, 1],
    ]);
  });

  it('keeps rows distributions and is the identity when every token is a word', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 1000 }),
        (srcSizes, tgtSizes, seed) => {
          const groups = (sizes: number[]) => sizes.flatMap((n, w) => new Array(n).fill(w));
          const sw = groups(srcSizes);
          const tw = groups(tgtSizes);
          let x = seed;
          const rnd = () => ((x = (x * 16807) % 2147483647) / 2147483647);
          const attention = tw.map(() => {
            const r = sw.map(() => rnd() + 1e-3);
            const s = r.reduce((a, b) => a + b, 0);
            return r.map((v) => v / s);
          });
          const tokens = (g: number[]) => g.map((w, i) => (i === 0 || g[i - 1] !== w ? '▁' : '') + 'x');
          const m = mergeSubwordAttention(attention, tokens(sw), tokens(tw), sw, tw);
          assert.equal(m.attention.length, tgtSizes.length);
          for (const row of m.attention) {
            assert.equal(row.length, srcSizes.length);
            assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9);
          }
          const id = mergeSubwordAttention(attention, tokens(sw), tokens(tw), sw.map((_, i) => i), tw.map((_, i) => i));
          assert.deepEqual(id.attention, attention);
        },
      ),
    );
  });

  it('labels words by joining subwords without the ▁ marker, and refuses groups that do not fit', () => {
    assert.deepEqual(wordLabels(['▁l', "'", 'hom', 'me'], [0, 0, 1, 1]), ["l'", 'homme']);
    assert.throws(() => mergeSubwordAttention([[1]], ['a'], ['b'], [0, 1], [0]), RangeError);
  });
});

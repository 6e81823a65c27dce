import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/backend';
import { Adam } from '../src/core/optimizer';

/** Textbook Adam (Kingma & Ba 2015, algorithm 1) in float64 for one parameter vector. */
function referenceAdam(p0: number[], grads: number[][], lr: number, clip: number): number[] {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const p = p0.slice();
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, step) => {
    const t = step + 1;
    const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
    const s = clip > 0 && norm > clip ? clip / norm : 1;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] * s;
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      p[i] -= (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
    }
  });
  return p;
}

describe('core/optimizer Adam', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('follows the textbook algorithm, with clipping by global norm', () => {
    const p0 = [0.5, -1, 2, 0];
    const grads = [
      [1, 2, -3, 0.5],
      [0.1, -0.2, 0.3, 0],
      [-4, 0, 1, 1],
    ];
    const w = tf.variable(tf.tensor1d(p0));
    const adam = new Adam([w], { learningRate: 0.01, clipNorm: 2 });
    for (const g of grads) {
      const norm = adam.applyArrays([Float32Array.from(g)]);
      assert.ok(Math.abs(norm - Math.hypot(...g)) < 1e-5, 'returns the norm before clipping');
    }
    const want = referenceAdam(p0, grads, 0.01, 2);
    Array.from(w.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-6, `p[${i}] ${x} vs ${want[i]}`));
    w.dispose();
  });

  it('lazy rows: a row without gradient keeps its weights and moments; rows with gradient update as usual', () => {
    // Rows 0 and 2 get gradient at step 1; only row 0 at step 2.
    const init = [1, 1, 2, 2, 3, 3];
    const steps = [
      [0.5, -0.5, 0, 0, 1, 1],
      [0.5, -0.5, 0, 0, 0, 0],
    ];
    const run = (lazy: boolean) => {
      const w = tf.variable(tf.tensor2d(init, [3, 2]));
      const adam = new Adam([w], { learningRate: 0.1, lazyRows: [lazy] });
      const after: number[][] = [];
      for (const g of steps) {
        adam.applyArrays([Float32Array.from(g)]);
        after.push(Array.from(w.dataSync()));
      }
      w.dispose();
      return after;
    };
    const dense = run(false);
    const lazy = run(true);
    assert.deepEqual(lazy[0], dense[0], 'step 1: same update where there is gradient, nothing moves elsewhere in either');
    assert.deepEqual(lazy[1].slice(2, 4), [2, 2], 'a row that never had gradient never moves');
    assert.deepEqual(lazy[1].slice(4, 6), lazy[0].slice(4, 6), 'lazy: row 2 has no gradient at step 2 and stays put');
    assert.notDeepEqual(dense[1].slice(4, 6), dense[0].slice(4, 6), 'dense Adam keeps moving row 2 on its momentum');
    assert.deepEqual(lazy[1].slice(0, 2), dense[1].slice(0, 2), 'row 0 has gradient at both steps: identical');
  });

  it('skips a non-finite update and rejects gradients of the wrong size', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const adam = new Adam([w], { learningRate: 0.1 });
    assert.ok(!Number.isFinite(adam.applyArrays([Float32Array.from([NaN, 1])])));
    assert.deepEqual(Array.from(w.dataSync()), [1, 2]);
    assert.equal(adam.iterations, 0);
    assert.throws(() => adam.applyArrays([new Float32Array(3)]), /gradient 0 has 3 values; the variable has 2/);
    assert.throws(() => adam.applyArrays([]), /0 gradients for 1 variables/);
    w.dispose();
  });
});

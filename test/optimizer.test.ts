import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/kernels/backend';
import { Adam } from '../src/core/training/optimizer';

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

describe('core/training/optimizer Adam', () => {
  before(async () => {
    await initBackend('wasm');
  });

  for (const simd of [true, false]) {
    const label = simd ? 'SIMD kernels' : 'JavaScript loop';
    it(`${label}: follows the textbook algorithm, with clipping by global norm`, () => {
      const p0 = [0.5, -1, 2, 0];
      const grads = [
        [1, 2, -3, 0.5],
        [0.1, -0.2, 0.3, 0],
        [-4, 0, 1, 1],
      ];
      const w = tf.variable(tf.tensor1d(p0));
      const adam = new Adam([w], { learningRate: 0.01, clipNorm: 2, simd });
      for (const g of grads) {
        const norm = adam.applyArrays([Float32Array.from(g)]);
        assert.ok(Math.abs(norm - Math.hypot(...g)) < 1e-5, 'returns the norm before clipping');
      }
      const want = referenceAdam(p0, grads, 0.01, 2);
      Array.from(w.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-6, `p[${i}] ${x} vs ${want[i]}`));
      w.dispose();
    });

    it(`${label}: lazy rows: a row without gradient keeps its weights and moments; rows with gradient update as usual`, () => {
      // Rows 0 and 2 get gradient at step 1; only row 0 at step 2.
      const init = [1, 1, 2, 2, 3, 3];
      const steps = [
        [0.5, -0.5, 0, 0, 1, 1],
        [0.5, -0.5, 0, 0, 0, 0],
      ];
      const run = (lazy: boolean) => {
        const w = tf.variable(tf.tensor2d(init, [3, 2]));
        const adam = new Adam([w], { learningRate: 0.1, lazyRows: [lazy], simd });
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

    it(`${label}: skips a non-finite update and rejects gradients of the wrong size`, () => {
      const w = tf.variable(tf.tensor1d([1, 2]));
      const adam = new Adam([w], { learningRate: 0.1, simd });
      assert.ok(!Number.isFinite(adam.applyArrays([Float32Array.from([NaN, 1])])));
      assert.deepEqual(Array.from(w.dataSync()), [1, 2]);
      assert.equal(adam.iterations, 0);
      assert.throws(() => adam.applyArrays([new Float32Array(3)]), /gradient 0 has 3 values; the variable has 2/);
      assert.throws(() => adam.applyArrays([]), /0 gradients for 1 variables/);
      w.dispose();
    });
  }

  it('the SIMD and JavaScript updates give the same float32 weights over many clipped steps of a large variable, and checkpoint state round-trips', () => {
    const n = 10_007; // not a multiple of 4: the kernel's scalar tail runs too
    const init = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const run = (simd: boolean) => {
      const w = tf.variable(tf.tensor1d(init));
      const adam = new Adam([w], { learningRate: 0.01, clipNorm: 5, simd });
      for (let t = 0; t < 20; t++) adam.applyArrays([Float32Array.from({ length: n }, (_, i) => Math.cos(i * (t + 1)) * (t % 3 === 0 ? 10 : 1))]);
      const out = { w: Array.from(w.dataSync()), state: adam.exportState() };
      w.dispose();
      return out;
    };
    const a = run(true);
    const b = run(false);
    let worst = 0;
    a.w.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - b.w[i]))));
    assert.equal(worst, 0, `max difference ${worst}`);
    // Importing the JavaScript optimiser's state into a SIMD one continues identically to the JavaScript one.
    const w1 = tf.variable(tf.tensor1d(b.w));
    const w2 = tf.variable(tf.tensor1d(b.w));
    const s = new Adam([w1], { learningRate: 0.01, clipNorm: 5, simd: true });
    const j = new Adam([w2], { learningRate: 0.01, clipNorm: 5, simd: false });
    s.importState(b.state);
    j.importState(b.state);
    assert.equal(s.iterations, 20);
    const g = Float32Array.from({ length: n }, (_, i) => Math.sin(3 * i));
    s.applyArrays([g]);
    j.applyArrays([g]);
    const x1 = w1.dataSync();
    const x2 = w2.dataSync();
    let worst2 = 0;
    for (let i = 0; i < n; i++) worst2 = Math.max(worst2, Math.abs(x1[i] - x2[i]));
    assert.equal(worst2, 0, `after import: max difference ${worst2}`);
    // The moments exported from the SIMD memory are the ones the update used.
    const ms = s.exportState()[1].values;
    const mj = j.exportState()[1].values;
    let worstM = 0;
    for (let i = 0; i < n; i++) worstM = Math.max(worstM, Math.abs(ms[i] - mj[i]));
    assert.equal(worstM, 0, `first moments after import and a step: max difference ${worstM}`);
    tf.dispose([w1, w2]);
  });

});

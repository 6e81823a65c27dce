import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/kernels/backend';
import { maskedCrossEntropy, smoothedCrossEntropy } from '../src/core/model/loss';

/** −Σ mask·logSoftmax(z)[y] with stock ops, in float64 on the CPU. */
function reference(z: number[][], targets: Int32Array, mask: Float32Array): { nll: number; grad: number[][] } {
  let nll = 0;
  const grad = z.map((row, i) => {
    const max = Math.max(...row);
    const sum = row.reduce((a, v) => a + Math.exp(v - max), 0);
    nll += mask[i] * (max + Math.log(sum) - row[targets[i]]);
    return row.map((v, j) => mask[i] * (Math.exp(v - max) / sum - (j === targets[i] ? 1 : 0)));
  });
  return { nll, grad };
}

describe('core/model/loss maskedCrossEntropy', () => {
  before(async () => {
    await initBackend('wasm');
  });

  const targets = Int32Array.from([2, 0, 4, 1]);
  const mask = Float32Array.from([1, 0, 0.5, 1]);

  it('equals the log-softmax composition, value and gradient, with padding and fractional mask', () => {
    const values = [
      [0.1, -2, 3, 0.5, 1],
      [9, 9, 9, 9, 9],
      [-1, 0, 1, 2, 3],
      [4, -4, 0, 0, 1],
    ];
    const z = tf.tensor2d(values);
    const ref = reference(values, targets, mask);
    for (const withGradient of [false, true]) {
      const v = maskedCrossEntropy(z, targets, mask, withGradient);
      assert.ok(Math.abs(v.dataSync()[0] - ref.nll) < 1e-4, `nll ${v.dataSync()[0]} vs ${ref.nll}`);
      v.dispose();
    }
    const { value, grad } = tf.valueAndGrad((q: tf.Tensor) => tf.mul(maskedCrossEntropy(q as tf.Tensor2D, targets, mask, true), 3))(z);
    const g = grad.arraySync() as number[][];
    g.forEach((row, i) => row.forEach((x, j) => assert.ok(Math.abs(x - 3 * ref.grad[i][j]) < 1e-5, `grad[${i}][${j}] ${x} vs ${3 * ref.grad[i][j]}`)));
    assert.deepEqual(g[1], [0, 0, 0, 0, 0], 'a padded position gets no gradient');
    tf.dispose([z, value, grad]);
  });

  it('stays exact when the gold probability underflows float32', () => {
    // The gold logit is 200 below the maximum: p = e^-200 is 0 in float32, the NLL is ~200 nats.
    const values = [[200, 0, 0], [0, 0, 0]];
    const t = Int32Array.from([1, 2]);
    const m = Float32Array.from([1, 1]);
    const ref = reference(values, t, m);
    const v = maskedCrossEntropy(tf.tensor2d(values), t, m, true);
    const got = v.dataSync()[0];
    assert.ok(Number.isFinite(got) && Math.abs(got - ref.nll) < 1e-3, `nll ${got} vs ${ref.nll}`);
    v.dispose();
  });

  it('rejects targets or masks that do not match the logits', () => {
    const z = tf.zeros([4, 5]) as tf.Tensor2D;
    assert.throws(() => maskedCrossEntropy(z, targets.slice(0, 3), mask, true), /4 positions in the logits but 3 targets/);
    z.dispose();
  });
});

describe('core/model/loss smoothedCrossEntropy (label smoothing)', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('a hand-computed example: p = (1/8, 2/8, 5/8), gold 2, ε = 0.3 → q = (0.1, 0.1, 0.8); gradient p − q; NLL unsmoothed', () => {
    const z = tf.tensor2d([[Math.log(1), Math.log(2), Math.log(5)], [0, 0, 0]]);
    const targets = Int32Array.from([2, 1]);
    const mask = Float32Array.from([1, 0]);
    const expected = -(0.1 * Math.log(1 / 8) + 0.1 * Math.log(2 / 8) + 0.8 * Math.log(5 / 8));
    const r = smoothedCrossEntropy(z, targets, mask, 0.3, false);
    assert.ok(Math.abs(r.loss.dataSync()[0] - expected) < 1e-6, `loss ${r.loss.dataSync()[0]} vs ${expected}`);
    assert.ok(Math.abs(r.nllSum.dataSync()[0] + Math.log(5 / 8)) < 1e-6, 'nll = −log p(gold)');
    const g = tf.grad((x: tf.Tensor) => smoothedCrossEntropy(x as tf.Tensor2D, targets, mask, 0.3, true).loss)(z).arraySync() as number[][];
    [0.125 - 0.1, 0.25 - 0.1, 0.625 - 0.8].forEach((v, j) => assert.ok(Math.abs(g[0][j] - v) < 1e-6, `grad[${j}] ${g[0][j]} vs ${v}`));
    assert.deepEqual(g[1], [0, 0, 0], 'padding has no gradient');
  });

  it('ε = 0 is maskedCrossEntropy; ε outside [0, 1) is refused', () => {
    const z = tf.tensor2d([
      [0.3, -1, 2],
      [1, 1, 0],
    ]);
    const targets = Int32Array.from([0, 2]);
    const mask = Float32Array.from([1, 1]);
    const plain = maskedCrossEntropy(z, targets, mask, false).dataSync()[0];
    const r = smoothedCrossEntropy(z, targets, mask, 0, false);
    assert.equal(r.loss.dataSync()[0], plain);
    assert.equal(r.nllSum.dataSync()[0], plain);
    assert.throws(() => smoothedCrossEntropy(z, targets, mask, 1, false), /label smoothing must be in \[0, 1\)/);
    assert.throws(() => smoothedCrossEntropy(z, targets, mask, -0.1, false), RangeError);
  });
});

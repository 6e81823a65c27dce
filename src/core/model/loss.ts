/**
 * Masked softmax cross-entropy with integer targets, fused into one pass.
 *
 * The textbook composition `−Σ mask · onehot(y) · logSoftmax(z)` runs five
 * full-size tensor ops forward and as many backward over `[positions,
 * vocab]` — for a 128-sentence batch and an 8000-word vocabulary that is
 * 10 M elements each. Here the backend's softmax kernel (vectorised on wasm)
 * runs once; one sweep over its output in JavaScript then gives the negative
 * log-likelihood of each gold token and, at the same time, the gradient
 * ∂L/∂z = mask · (softmax(z) − onehot(y)), which the backward pass only
 * scales by the incoming gradient. No `exp` is evaluated in JavaScript (V8's
 * `Math.exp` costs ~20 ns, ten times the rest of the sweep).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Below this probability the gold token's NLL is recomputed from the logits
 * in double precision (log-sum-exp), because a float32 softmax has lost its
 * relative precision there (and underflows to 0 below ~1e-45).
 */
const SMALL_PROBABILITY = 1e-30;

/**
 * Sum over positions of `−log softmax(z)[y]`, counting only positions with
 * `mask = 1`. Gradient (Bishop 2006, eq. 4.109): `mask · (softmax(z) − onehot(y))`.
 * @param logits `[positions, vocab]` float32 scores z
 * @param targets `[positions]` gold ids y (0 ≤ y < vocab)
 * @param mask `[positions]` 1 for real target positions, 0 for padding
 * @param withGradient compute the gradient in the forward pass (training); skip it for evaluation
 * @returns scalar: total negative log-likelihood in nats
 * @throws RangeError when the arrays' lengths do not match the logits' shape
 */
export function maskedCrossEntropy(logits: tf.Tensor2D, targets: Int32Array, mask: Float32Array, withGradient: boolean): tf.Scalar {
  const [n, vocab] = logits.shape;
  if (targets.length !== n || mask.length !== n) {
    throw new RangeError(`maskedCrossEntropy: ${n} positions in the logits but ${targets.length} targets and ${mask.length} mask values`);
  }
  if (!withGradient) {
    const probs = softmaxData(logits);
    return tf.scalar(nllFromProbs(probs, logits, targets, mask, vocab));
  }
  const fn = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const grad = softmaxData(z as tf.Tensor2D); // a fresh copy: becomes the gradient in place
    const total = nllFromProbs(grad, z as tf.Tensor2D, targets, mask, vocab);
    for (let i = 0; i < n; i++) {
      const m = mask[i];
      const off = i * vocab;
      if (m === 0) {
        grad.fill(0, off, off + vocab);
        continue;
      }
      if (m !== 1) for (let v = off; v < off + vocab; v++) grad[v] *= m;
      grad[off + targets[i]] -= m;
    }
    const g = tf.tensor2d(grad, [n, vocab]);
    save([g]);
    return { value: tf.scalar(total), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0], dy)] };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return fn(logits) as tf.Scalar;
}

/** `softmax(z)` row-wise, read back as a new `[positions·vocab]` array. */
function softmaxData(z: tf.Tensor2D): Float32Array {
  const p = tf.softmax(z);
  try {
    return p.dataSync() as Float32Array;
  } finally {
    p.dispose();
  }
}

/** Σ mask·(−log p[y]), with a log-sum-exp fallback for gold probabilities below {@link SMALL_PROBABILITY}. */
function nllFromProbs(probs: Float32Array, logits: tf.Tensor2D, targets: Int32Array, mask: Float32Array, vocab: number): number {
  let total = 0;
  let z: Float32Array | undefined;
  for (let i = 0; i < targets.length; i++) {
    if (mask[i] === 0) continue;
    const off = i * vocab;
    const p = probs[off + targets[i]];
    if (p >= SMALL_PROBABILITY) {
      total += mask[i] * -Math.log(p);
      continue;
    }
    z ??= logits.dataSync() as Float32Array;
    let max = -Infinity;
    for (let v = off; v < off + vocab; v++) if (z[v] > max) max = z[v];
    let sum = 0;
    for (let v = off; v < off + vocab; v++) sum += Math.exp(z[v] - max);
    total += mask[i] * (max + Math.log(sum) - z[off + targets[i]]);
  }
  return total;
}

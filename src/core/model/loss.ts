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
 *
 * `smoothedCrossEntropy` is the same pass with label smoothing (Szegedy et
 * al. 2016, §7; Vaswani et al. 2017, §5.4).
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedSoftmaxCrossEntropy } from '../kernels/fused';

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
    const fused = fusedSoftmaxCrossEntropy(logits, targets, mask, 0, false);
    if (fused) return tf.scalar(fused.nll);
    const probs = softmaxData(logits);
    return tf.scalar(nllFromProbs(probs, logits, targets, mask, vocab));
  }
  const fn = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    // On wasm: one kernel over the heap (log-sum-exp and gradient rows in SIMD, src/core/kernels/fused.ts).
    const fused = fusedSoftmaxCrossEntropy(z as tf.Tensor2D, targets, mask, 0, true);
    if (fused) {
      save([fused.grad!]);
      return { value: tf.scalar(fused.nll), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0], dy)] };
    }
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

/** The two sums of {@link smoothedCrossEntropy}. */
export interface SmoothedCrossEntropy {
  /** Σ_i m_i · H(q_i, p_i), the smoothed loss in nats, scalar (differentiable with respect to the logits). */
  loss: tf.Scalar;
  /** Σ_i m_i · −log p_i[y_i], the plain negative log-likelihood in nats, scalar (not differentiable; for perplexity). */
  nllSum: tf.Scalar;
}

/**
 * Masked cross-entropy against label-smoothed targets (Szegedy et al. 2016,
 * "Rethinking the Inception architecture", §7; Vaswani et al. 2017, §5.4):
 * at each real position the target distribution is
 *
 *   q(v) = (1 − ε)·[v = y] + ε / V
 *
 * over all V words (the gold word included: the "uniform over the whole
 * vocabulary" variant of Szegedy et al., as in PyTorch's
 * `CrossEntropyLoss(label_smoothing=ε)`; fairseq spreads ε over the V − 1
 * other words instead). The loss per position is
 *
 *   H(q, p) = (1 − ε)·(−log p(y)) + ε·(−(1/V) Σ_v log p(v))
 *
 * and its gradient with respect to the logits is p − q (times the mask).
 * With ε = 0 this is {@link maskedCrossEntropy}. The log-partition needed for
 * Σ_v log p(v) = Σ_v z_v − V·log Σ_v exp z_v is read off the softmax at the
 * most probable word (p ≥ 1/V there, so float32 keeps its precision):
 * log Σ exp z = z_m − log p_m.
 * @param logits `[positions, vocab]` float32 scores z
 * @param targets `[positions]` gold ids; @param mask `[positions]` 1 for real positions
 * @param epsilon ε in [0, 1)
 * @param withGradient compute the gradient in the forward pass (training)
 * @throws RangeError when the arrays' lengths do not match the logits, or ε is outside [0, 1)
 */
export function smoothedCrossEntropy(logits: tf.Tensor2D, targets: Int32Array, mask: Float32Array, epsilon: number, withGradient: boolean): SmoothedCrossEntropy {
  if (!(epsilon >= 0 && epsilon < 1)) throw new RangeError(`smoothedCrossEntropy: label smoothing must be in [0, 1) (got ${epsilon})`);
  if (epsilon === 0) {
    const nll = maskedCrossEntropy(logits, targets, mask, withGradient);
    return { loss: nll, nllSum: withGradient ? tf.scalar(nll.dataSync()[0]) : nll.clone() };
  }
  const [n, vocab] = logits.shape;
  if (targets.length !== n || mask.length !== n) {
    throw new RangeError(`smoothedCrossEntropy: ${n} positions in the logits but ${targets.length} targets and ${mask.length} mask values`);
  }
  let nll = 0;
  /** Σ_i m_i·H(q_i, p_i) from the softmax `probs` and the logits `z`, both `[n·vocab]`. */
  const smoothedSum = (probs: Float32Array, z: tf.Tensor2D): number => {
    nll = nllFromProbs(probs, z, targets, mask, vocab);
    const zs = z.dataSync() as Float32Array;
    let uniform = 0;
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) continue;
      const off = i * vocab;
      let m = off;
      let sumZ = 0;
      for (let v = off; v < off + vocab; v++) {
        sumZ += zs[v];
        if (probs[v] > probs[m]) m = v;
      }
      const logZ = zs[m] - Math.log(probs[m]);
      uniform += mask[i] * (logZ - sumZ / vocab);
    }
    return (1 - epsilon) * nll + epsilon * uniform;
  };
  if (!withGradient) {
    const fused = fusedSoftmaxCrossEntropy(logits, targets, mask, epsilon, false);
    if (fused) return { loss: tf.scalar((1 - epsilon) * fused.nll + epsilon * fused.uniform), nllSum: tf.scalar(fused.nll) };
    const total = smoothedSum(softmaxData(logits), logits);
    return { loss: tf.scalar(total), nllSum: tf.scalar(nll) };
  }
  const fn = tf.customGrad(((z: tf.Tensor, save: tf.GradSaveFunc) => {
    const fused = fusedSoftmaxCrossEntropy(z as tf.Tensor2D, targets, mask, epsilon, true);
    if (fused) {
      nll = fused.nll;
      save([fused.grad!]);
      return { value: tf.scalar((1 - epsilon) * fused.nll + epsilon * fused.uniform), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0], dy)] };
    }
    const grad = softmaxData(z as tf.Tensor2D);
    const total = smoothedSum(grad, z as tf.Tensor2D);
    const off = epsilon / vocab;
    for (let i = 0; i < n; i++) {
      const m = mask[i];
      const o = i * vocab;
      if (m === 0) {
        grad.fill(0, o, o + vocab);
        continue;
      }
      for (let v = o; v < o + vocab; v++) grad[v] = m * (grad[v] - off);
      grad[o + targets[i]] -= m * (1 - epsilon);
    }
    const g = tf.tensor2d(grad, [n, vocab]);
    save([g]);
    return { value: tf.scalar(total), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0], dy)] };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const loss = fn(logits) as tf.Scalar;
  return { loss, nllSum: tf.scalar(nll) };
}

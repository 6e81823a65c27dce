/**
 * Building blocks of the Transformer (Vaswani et al. 2017, "Attention is all
 * you need"): layer normalisation, multi-head scaled dot-product attention
 * with padding and causal masks, the position-wise feed-forward network and
 * the sinusoidal positional encoding. Shapes use b = batch, T = query
 * positions, S = key positions, d = d_model, h = heads, d_k = d / h.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../../random';
import type { ParameterStore } from '../parameters';

/** Inverted dropout with a seed from `random`, or `x` itself when `dropout` is absent or 0. */
export type Dropout = { rate: number; random: Random } | undefined;

export function maybeDropout<T extends tf.Tensor>(x: T, dropout: Dropout): T {
  return dropout && dropout.rate > 0 ? (tf.dropout(x, dropout.rate, undefined, dropout.random.int(2 ** 31)) as T) : x;
}

/** Additive mask value: exp(−1e9 − max) is exactly 0 in float32, so a masked key gets exactly zero weight. */
export const MASKED = -1e9;

/**
 * Layer normalisation (Ba, Kiros & Hinton 2016, eq. 4) over the last axis:
 * y = γ ⊙ (x − μ) / √(σ² + 1e-5) + β, μ and σ² the mean and (biased)
 * variance of each row.
 */
export class LayerNorm {
  private readonly gamma: tf.Variable;
  private readonly beta: tf.Variable;

  constructor(params: ParameterStore, name: string, size: number) {
    this.gamma = params.constant(`${name}/gamma`, [size], 1);
    this.beta = params.constant(`${name}/beta`, [size], 0);
  }

  /** @param x `[n, d]` @returns `[n, d]` */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), this.gamma), this.beta) as tf.Tensor2D;
  }
}

/** Keys and values of one attention, split into heads: `[b·h, S, d_k]` each (batch-major: row i·h + j is head j of sentence i). */
export interface HeadsKV {
  k: tf.Tensor3D;
  v: tf.Tensor3D;
}

/** Result of a multi-head attention. */
export interface AttentionOutput {
  /** `[b·T, d]` the attention's output after W_O. */
  out: tf.Tensor2D;
  /** `[b, h, T, S]` attention weights of every head (rows sum to 1, exactly 0 on masked keys). */
  weights: tf.Tensor4D;
}

/** `[b·T, d]` → `[b·h, T, d_k]`. */
export function splitHeads(x: tf.Tensor2D, b: number, T: number, h: number): tf.Tensor3D {
  const d = x.shape[1];
  const dk = d / h;
  return tf.reshape(tf.transpose(tf.reshape(x, [b, T, h, dk]), [0, 2, 1, 3]), [b * h, T, dk]) as tf.Tensor3D;
}

/** `[b·h, T, d_k]` → `[b·T, d]`. */
export function mergeHeads(x: tf.Tensor3D, b: number, h: number): tf.Tensor2D {
  const [, T, dk] = x.shape;
  return tf.reshape(tf.transpose(tf.reshape(x, [b, h, T, dk]), [0, 2, 1, 3]), [b * T, h * dk]) as tf.Tensor2D;
}

/**
 * Scaled dot-product attention of all heads at once (Vaswani et al. 2017,
 * eq. 1): softmax(Q Kᵀ / √d_k + bias) V.
 * @param q `[b·h, T, d_k]` @param kv keys and values `[b·h, S, d_k]`
 * @param bias additive mask broadcast to `[b, h, T, S]` (e.g. `[b, 1, 1, S]` padding, `[1, 1, T, S]` causal), 0 where allowed
 * @returns the context `[b·h, T, d_k]` and the weights `[b, h, T, S]`
 */
export function scaledDotProduct(q: tf.Tensor3D, kv: HeadsKV, b: number, h: number, bias: tf.Tensor | undefined): { context: tf.Tensor3D; weights: tf.Tensor4D } {
  const [, T, dk] = q.shape;
  const S = kv.k.shape[1];
  let scores = tf.reshape(tf.matMul(q, kv.k, false, true), [b, h, T, S]) as tf.Tensor4D;
  scores = tf.mul(scores, 1 / Math.sqrt(dk));
  if (bias) scores = tf.add(scores, bias);
  const weights = tf.softmax(scores) as tf.Tensor4D;
  const context = tf.matMul(tf.reshape(weights, [b * h, T, S]) as tf.Tensor3D, kv.v) as tf.Tensor3D;
  return { context, weights };
}

/**
 * Multi-head attention (Vaswani et al. 2017, §3.2.2):
 * MultiHead(Q, K, V) = Concat(head_1 … head_h) W_O with
 * head_i = Attention(Q W_Q^i, K W_K^i, V W_V^i). The query, key and value
 * projections are stored fused: `Wqkv [d, 3d]` for self-attention (one
 * product for all three), `Wq [d, d]` and `Wkv [d, 2d]` for cross-attention
 * (keys and values from the encoder, computed once per sentence).
 */
export class MultiHeadAttention {
  private readonly wq?: tf.Variable;
  private readonly bq?: tf.Variable;
  private readonly wqkv?: tf.Variable;
  private readonly bqkv?: tf.Variable;
  private readonly wkv?: tf.Variable;
  private readonly bkv?: tf.Variable;
  private readonly wo: tf.Variable;
  private readonly bo: tf.Variable;

  /** @param cross true for encoder–decoder attention (queries and keys from different sequences) */
  constructor(
    params: ParameterStore,
    name: string,
    readonly size: number,
    readonly heads: number,
    readonly cross: boolean,
  ) {
    if (cross) {
      this.wq = params.glorot(`${name}/Wq`, [size, size]);
      this.bq = params.constant(`${name}/bq`, [size], 0);
      this.wkv = params.glorot(`${name}/Wkv`, [size, 2 * size]);
      this.bkv = params.constant(`${name}/bkv`, [2 * size], 0);
    } else {
      this.wqkv = params.glorot(`${name}/Wqkv`, [size, 3 * size]);
      this.bqkv = params.constant(`${name}/bqkv`, [3 * size], 0);
    }
    this.wo = params.glorot(`${name}/Wo`, [size, size]);
    this.bo = params.constant(`${name}/bo`, [size], 0);
  }

  /**
   * Self-attention projections of `x`: queries, keys and values split into heads.
   * @param x `[b·T, d]` @returns q, k, v `[b·h, T, d_k]`
   */
  projectSelf(x: tf.Tensor2D, b: number, T: number): { q: tf.Tensor3D } & HeadsKV {
    const [q, k, v] = tf.split(tf.add(tf.matMul(x, this.wqkv!), this.bqkv!), 3, 1) as tf.Tensor2D[];
    return { q: splitHeads(q, b, T, this.heads), k: splitHeads(k, b, T, this.heads), v: splitHeads(v, b, T, this.heads) };
  }

  /** Cross-attention queries. @param x `[b·T, d]` @returns `[b·h, T, d_k]` */
  projectQuery(x: tf.Tensor2D, b: number, T: number): tf.Tensor3D {
    return splitHeads(tf.add(tf.matMul(x, this.wq!), this.bq!) as tf.Tensor2D, b, T, this.heads);
  }

  /** Cross-attention keys and values of the encoder output. @param memory `[b·S, d]` @returns `[b·h, S, d_k]` each */
  projectMemory(memory: tf.Tensor2D, b: number, S: number): HeadsKV {
    const [k, v] = tf.split(tf.add(tf.matMul(memory, this.wkv!), this.bkv!), 2, 1) as tf.Tensor2D[];
    return { k: splitHeads(k, b, S, this.heads), v: splitHeads(v, b, S, this.heads) };
  }

  /**
   * Attention of queries over keys/values, then W_O.
   * @param q `[b·h, T, d_k]` @param kv `[b·h, S, d_k]` @param bias see {@link scaledDotProduct}
   */
  attend(q: tf.Tensor3D, kv: HeadsKV, b: number, bias: tf.Tensor | undefined): AttentionOutput {
    const { context, weights } = scaledDotProduct(q, kv, b, this.heads, bias);
    const out = tf.add(tf.matMul(mergeHeads(context, b, this.heads), this.wo), this.bo) as tf.Tensor2D;
    return { out, weights };
  }
}

/** Position-wise feed-forward network (Vaswani et al. 2017, eq. 2): FFN(x) = max(0, x W_1 + b_1) W_2 + b_2. */
export class FeedForward {
  private readonly w1: tf.Variable;
  private readonly b1: tf.Variable;
  private readonly w2: tf.Variable;
  private readonly b2: tf.Variable;

  constructor(params: ParameterStore, name: string, size: number, inner: number) {
    this.w1 = params.glorot(`${name}/W1`, [size, inner]);
    this.b1 = params.constant(`${name}/b1`, [inner], 0);
    this.w2 = params.glorot(`${name}/W2`, [inner, size]);
    this.b2 = params.constant(`${name}/b2`, [size], 0);
  }

  /** @param x `[n, d]` @param dropout on the inner activations (as fairseq's `activation_dropout`; here the model's dropout) @returns `[n, d]` */
  apply(x: tf.Tensor2D, dropout: Dropout): tf.Tensor2D {
    const inner = maybeDropout(tf.relu(tf.add(tf.matMul(x, this.w1), this.b1)) as tf.Tensor2D, dropout);
    return tf.add(tf.matMul(inner, this.w2), this.b2) as tf.Tensor2D;
  }
}

/**
 * Sinusoidal positional encoding (Vaswani et al. 2017, §3.5):
 * PE(pos, 2i) = sin(pos / 10000^{2i/d}), PE(pos, 2i+1) = cos(pos / 10000^{2i/d}).
 * @param positions how many positions (0 … positions − 1)
 * @param d model size (even)
 * @param from first position (default 0)
 * @returns `[positions, d]` row-major values
 */
export function sinusoidalPositions(positions: number, d: number, from = 0): Float32Array {
  const out = new Float32Array(positions * d);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < d; i += 2) {
      const angle = (from + p) / Math.pow(10000, i / d);
      out[p * d + i] = Math.sin(angle);
      if (i + 1 < d) out[p * d + i + 1] = Math.cos(angle);
    }
  }
  return out;
}

/**
 * The causal mask of decoder self-attention: position t may attend to
 * positions ≤ t only (Vaswani et al. 2017, §3.2.3).
 * @returns `[1, 1, T, T]` with 0 on and below the diagonal, {@link MASKED} above
 */
export function causalBias(T: number): tf.Tensor4D {
  const values = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) values[i * T + j] = MASKED;
  return tf.tensor4d(values, [1, 1, T, T]);
}

/**
 * The padding mask of attention over a source batch.
 * @param srcMask `[b, S]` 1 for real tokens, 0 for padding
 * @returns `[b, 1, 1, S]` 0 for real tokens, {@link MASKED} for padding
 */
export function paddingBias(srcMask: tf.Tensor2D): tf.Tensor4D {
  const [b, S] = srcMask.shape;
  return tf.reshape(tf.mul(tf.sub(srcMask, 1), -MASKED), [b, 1, 1, S]) as tf.Tensor4D;
}

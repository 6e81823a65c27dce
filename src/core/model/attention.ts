/**
 * Attention mechanisms. Each turns a decoder query and the encoder outputs
 * into attention weights over source positions and a context vector (their
 * weighted sum). Source padding is masked out before the softmax, so padded
 * positions receive exactly zero weight.
 *
 * All scores are computed for every source position at once (no per-position
 * loop), and keys that depend only on the encoder are projected once per
 * sentence (`precompute`), not once per decoder step.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AttentionKind } from '../config/config';
import { fusedAttention, fusedKernelsAvailable, fusedKernelsFit } from '../kernels/fused';
import { region } from '../profile';
import { ParameterStore } from './parameters';

/** Additive bias for attention scores: 0 on real tokens, −1e9 on padding. `[batch, srcLen]`. */
export function maskBias(srcMask: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(tf.sub(srcMask, 1), 1e9) as tf.Tensor2D;
}

/** Result of one attention computation. */
export interface AttentionResult {
  /** Weighted sum of encoder outputs, `[batch, encDim]`. */
  context: tf.Tensor2D;
  /** Attention weights, rows sum to 1, zero on padding, `[batch, srcLen]`. */
  weights: tf.Tensor2D;
}

/** Common interface of Bahdanau and Luong attention. */
export interface Attention {
  readonly kind: Exclude<AttentionKind, 'none'>;
  /**
   * Query-independent part of the scores, computed once per batch.
   * @param values encoder outputs `[batch, srcLen, encDim]`
   * @returns keys `[batch, srcLen, attnDim]`
   */
  precompute(values: tf.Tensor3D): tf.Tensor3D;
  /**
   * @param query decoder state `[batch, hidden]`
   * @param keys from `precompute`, `[batch, srcLen, attnDim]`
   * @param values encoder outputs `[batch, srcLen, encDim]`
   * @param bias from `maskBias`, `[batch, srcLen]`
   */
  attend(query: tf.Tensor2D, keys: tf.Tensor3D, values: tf.Tensor3D, bias: tf.Tensor2D): AttentionResult;
}

function normalise(scores: tf.Tensor2D, values: tf.Tensor3D, bias: tf.Tensor2D): AttentionResult {
  const weights = tf.softmax(tf.add(scores, bias)) as tf.Tensor2D;
  // context = Σ_j α_j h_j  — elementwise product and sum over srcLen
  const context = tf.sum(tf.mul(tf.expandDims(weights, 2), values), 1) as tf.Tensor2D;
  return { context, weights };
}

/**
 * Additive attention (Bahdanau, Cho & Bengio 2015, eq. 6 and appendix A.1.2):
 * score(s, h_j) = vᵀ tanh(W_q s + W_k h_j).
 */
export class BahdanauAttention implements Attention {
  readonly kind = 'bahdanau' as const;
  private readonly wq: tf.Variable;
  private readonly wk: tf.Variable;
  private readonly v: tf.Variable;

  /**
   * @param queryDim decoder hidden size
   * @param keyDim encoder output size
   * @param attnDim size of the additive layer
   */
  constructor(params: ParameterStore, queryDim: number, keyDim: number, private readonly attnDim: number) {
    this.wq = params.weight('attention/Wq', [queryDim, attnDim]);
    this.wk = params.weight('attention/Wk', [keyDim, attnDim]);
    this.v = params.weight('attention/v', [attnDim, 1]);
  }

  precompute(values: tf.Tensor3D): tf.Tensor3D {
    const [b, s, d] = values.shape;
    return tf.reshape(tf.matMul(tf.reshape(values, [b * s, d]), this.wk), [b, s, this.attnDim]);
  }

  /** The query projection `W_q [queryDim, attnDim]` and `v [attnDim]`, for the fused decoder. */
  get queryWeights(): { wq: tf.Variable; v: tf.Tensor1D } {
    return { wq: this.wq, v: tf.reshape(this.v, [this.attnDim]) as tf.Tensor1D };
  }

  attend(query: tf.Tensor2D, keys: tf.Tensor3D, values: tf.Tensor3D, bias: tf.Tensor2D): AttentionResult {
    if (fusedKernelsAvailable() && fusedKernelsFit(this.attnDim, values.shape[2])) {
      // One kernel for tanh(K + q), the scores, the masked softmax and the context (and one for their gradient).
      const q = tf.matMul(query, this.wq) as tf.Tensor2D;
      return region('attention', () => fusedAttention(keys, q, tf.reshape(this.v, [this.attnDim]), values, bias));
    }
    return region('attention', () => {
      const [b, s] = bias.shape;
      const q = tf.expandDims(tf.matMul(query, this.wq), 1); // [b, 1, a]
      const hidden = tf.tanh(tf.add(keys, q)); // [b, s, a]
      const scores = tf.reshape(tf.matMul(tf.reshape(hidden, [b * s, this.attnDim]), this.v), [b, s]) as tf.Tensor2D;
      return normalise(scores, values, bias);
    });
  }
}

/**
 * Multiplicative attention (Luong, Pham & Manning 2015, eq. 8):
 * `luong-dot` score(s, h_j) = sᵀ h_j; `luong-general` score = sᵀ W_a h_j.
 * Requires the decoder hidden size to equal the encoder output size for `dot`
 * (true here: a bidirectional encoder splits `hiddenSize` between directions).
 */
export class LuongAttention implements Attention {
  private readonly wa: tf.Variable | undefined;

  constructor(params: ParameterStore, readonly kind: 'luong-dot' | 'luong-general', private readonly queryDim: number, keyDim: number) {
    if (kind === 'luong-general') this.wa = params.weight('attention/Wa', [keyDim, queryDim]);
    else if (queryDim !== keyDim) throw new Error(`luong-dot attention needs equal query and key sizes (got ${queryDim} and ${keyDim})`);
  }

  precompute(values: tf.Tensor3D): tf.Tensor3D {
    if (!this.wa) return values;
    const [b, s, d] = values.shape;
    return tf.reshape(tf.matMul(tf.reshape(values, [b * s, d]), this.wa), [b, s, this.queryDim]);
  }

  attend(query: tf.Tensor2D, keys: tf.Tensor3D, values: tf.Tensor3D, bias: tf.Tensor2D): AttentionResult {
    if (fusedKernelsAvailable() && fusedKernelsFit(keys.shape[2], values.shape[2])) {
      return region('attention', () => fusedAttention(keys, query, undefined, values, bias));
    }
    return region('attention', () => {
      const scores = tf.sum(tf.mul(keys, tf.expandDims(query, 1)), 2) as tf.Tensor2D; // [b, s]
      return normalise(scores, values, bias);
    });
  }
}

/** Build the configured attention, or `undefined` for `none`. */
export function makeAttention(kind: AttentionKind, params: ParameterStore, queryDim: number, keyDim: number): Attention | undefined {
  switch (kind) {
    case 'none':
      return undefined;
    case 'bahdanau':
      return new BahdanauAttention(params, queryDim, keyDim, queryDim);
    case 'luong-dot':
    case 'luong-general':
      return new LuongAttention(params, kind, queryDim, keyDim);
  }
}

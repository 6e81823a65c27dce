/**
 * The Transformer encoder–decoder (Vaswani et al. 2017, "Attention is all
 * you need", §3), `model.type: "transformer"`.
 *
 * - Embeddings: E x · √d plus the positional encoding (sinusoidal, §3.5, or a
 *   learned table), dropout on the sum (§5.4). Embedding tables start as
 *   N(0, 1/d) (so that E x · √d has unit variance, as in fairseq); weight
 *   matrices are Glorot-uniform, biases 0 (`model.weightInit` and
 *   `model.embeddingInit` are the recurrent model's and do not apply).
 * - Encoder layer: self-attention over the source (padding masked), then the
 *   feed-forward network. Decoder layer: causal self-attention over the
 *   target prefix, cross-attention over the encoder output (padding masked),
 *   the feed-forward network. Each sublayer is wrapped in a residual
 *   connection with layer normalisation: `post` x ← LN(x + Drop(F(x))) (the
 *   paper), or `pre` x ← x + Drop(F(LN(x))) with a final LN on each stack
 *   (Xiong et al. 2020).
 * - Output: logits = y W_outᵀ + b_out with W_out `[V, d]`, or the target
 *   embedding table itself with `tiedEmbeddings` (§3.4; Press & Wolf 2017).
 *
 * Decoding is incremental: the decoder state holds each layer's
 * self-attention keys and values of the prefix so far, so a step costs one
 * position's work (the result equals the full causal forward pass; tests
 * hold the two equal).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig, TransformerConfig } from '../../config/config';
import { Random } from '../../random';
import { smoothedCrossEntropy } from '../loss';
import { ParameterStore } from '../parameters';
import { candidateSet, withTargets } from '../seq2seq';
import type { BatchTensors, LossOptions, LossResult, StepOutput, TranslationModel } from '../types';
import { causalBias, Dropout, FeedForward, HeadsKV, LayerNorm, maybeDropout, MultiHeadAttention, paddingBias, sinusoidalPositions } from './layers';

/** The encoded source batch, prepared for decoding. */
export interface TransformerSource {
  /** Encoder output `[b, S, d]` (after the final layer norm with `pre`). */
  memory: tf.Tensor3D;
  /** Padding mask `[b, 1, 1, S]`: 0 on real tokens, −1e9 on padding. */
  bias: tf.Tensor4D;
  /** Per decoder layer, the cross-attention keys and values of `memory`, `[b·h, S, d_k]` each. */
  cross: HeadsKV[];
  /** Per encoder layer, the self-attention weights `[b, h, S, S]`. */
  encoderSelf: tf.Tensor4D[];
}

/** Decoder state between incremental steps. */
export interface TransformerState {
  /** Target positions decoded so far (the next step's position). */
  position: number;
  /** Per decoder layer, self-attention keys and values of the prefix, `[b·h, position, d_k]` each (absent before the first step). */
  cache: (HeadsKV | undefined)[];
}

interface EncoderLayer {
  self: MultiHeadAttention;
  ff: FeedForward;
  ln1: LayerNorm;
  ln2: LayerNorm;
}

interface DecoderLayer {
  self: MultiHeadAttention;
  cross: MultiHeadAttention;
  ff: FeedForward;
  ln1: LayerNorm;
  ln2: LayerNorm;
  ln3: LayerNorm;
}

export class TransformerModel implements TranslationModel<TransformerSource, TransformerState> {
  readonly params: ParameterStore;
  readonly hasAttention = true;
  private readonly t: TransformerConfig;
  private readonly d: number;
  private readonly srcEmbedding: tf.Variable;
  private readonly tgtEmbedding: tf.Variable;
  private readonly srcPositions?: tf.Variable;
  private readonly tgtPositions?: tf.Variable;
  private readonly encoderLayers: EncoderLayer[] = [];
  private readonly decoderLayers: DecoderLayer[] = [];
  private readonly encoderNorm?: LayerNorm;
  private readonly decoderNorm?: LayerNorm;
  private readonly wOut: tf.Variable;
  private readonly bOut: tf.Variable;

  /**
   * @param config `model` section with `type: "transformer"`; `config.transformer` gives the sizes
   * @param srcVocabSize / tgtVocabSize vocabulary sizes including the special tokens
   * @param seed initialisation seed
   * @throws Error when `heads` does not divide `modelSize`, or `modelSize` is odd with sinusoidal positions
   */
  constructor(readonly config: ModelConfig, readonly srcVocabSize: number, readonly tgtVocabSize: number, seed: number) {
    const t = config.transformer;
    this.t = t;
    const d = t.modelSize;
    this.d = d;
    if (d % t.heads !== 0) throw new Error(`model.transformer.heads (${t.heads}) must divide model.transformer.modelSize (${d})`);
    if (t.positional === 'sinusoidal' && d % 2 !== 0) throw new Error(`model.transformer.modelSize must be even for sinusoidal positions (got ${d})`);
    this.params = new ParameterStore(new Random(seed), 'glorot');
    const p = this.params;
    const std = 1 / Math.sqrt(d);
    this.srcEmbedding = p.normal('encoder/embedding', [srcVocabSize, d], std);
    this.tgtEmbedding = p.normal('decoder/embedding', [tgtVocabSize, d], std);
    if (t.positional === 'learned') {
      this.srcPositions = p.normal('encoder/positions', [t.maxPositions, d], std);
      this.tgtPositions = p.normal('decoder/positions', [t.maxPositions, d], std);
    }
    for (let l = 0; l < t.layers; l++) {
      const n = `encoder/l${l}`;
      this.encoderLayers.push({
        self: new MultiHeadAttention(p, `${n}/self`, d, t.heads, false),
        ff: new FeedForward(p, `${n}/ff`, d, t.ffSize),
        ln1: new LayerNorm(p, `${n}/ln1`, d),
        ln2: new LayerNorm(p, `${n}/ln2`, d),
      });
    }
    for (let l = 0; l < t.layers; l++) {
      const n = `decoder/l${l}`;
      this.decoderLayers.push({
        self: new MultiHeadAttention(p, `${n}/self`, d, t.heads, false),
        cross: new MultiHeadAttention(p, `${n}/cross`, d, t.heads, true),
        ff: new FeedForward(p, `${n}/ff`, d, t.ffSize),
        ln1: new LayerNorm(p, `${n}/ln1`, d),
        ln2: new LayerNorm(p, `${n}/ln2`, d),
        ln3: new LayerNorm(p, `${n}/ln3`, d),
      });
    }
    if (t.norm === 'pre') {
      this.encoderNorm = new LayerNorm(p, 'encoder/ln', d);
      this.decoderNorm = new LayerNorm(p, 'decoder/ln', d);
    }
    this.wOut = t.tiedEmbeddings ? this.tgtEmbedding : p.glorot('decoder/Wout', [tgtVocabSize, d]);
    this.bOut = p.constant('decoder/bout', [tgtVocabSize], 0);
  }

  /**
   * Scaled embeddings plus positions: E[ids] · √d + PE(from … from + T − 1).
   * @param ids `[b, T]` int32 @returns `[b·T, d]`
   * @throws RangeError when a learned table has fewer than `from + T` rows (source side only; see `decodeStep`)
   */
  private embed(table: tf.Variable, positions: tf.Variable | undefined, ids: tf.Tensor2D, from: number, dropout: Dropout, side: string): tf.Tensor2D {
    const [b, T] = ids.shape;
    const d = this.d;
    const emb = tf.mul(tf.gather(table, tf.reshape(ids, [b * T])), Math.sqrt(d));
    let pos: tf.Tensor2D;
    if (positions) {
      if (from + T > this.t.maxPositions) {
        throw new RangeError(`${side} of ${from + T} positions is longer than model.transformer.maxPositions (${this.t.maxPositions})`);
      }
      pos = tf.slice(positions, [from, 0], [T, d]) as tf.Tensor2D;
    } else {
      pos = tf.tensor2d(sinusoidalPositions(T, d, from), [T, d]);
    }
    const x = tf.reshape(tf.add(tf.reshape(emb, [b, T, d]), pos), [b * T, d]) as tf.Tensor2D;
    return maybeDropout(x, dropout);
  }

  /** One residual sublayer: `post` LN(x + Drop(F(x))), `pre` x + Drop(F(LN(x))). */
  private residual(x: tf.Tensor2D, ln: LayerNorm, dropout: Dropout, f: (y: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
    if (this.t.norm === 'pre') return tf.add(x, maybeDropout(f(ln.apply(x)), dropout)) as tf.Tensor2D;
    return ln.apply(tf.add(x, maybeDropout(f(x), dropout)) as tf.Tensor2D);
  }

  /**
   * The encoder stack.
   * @param srcIds `[b, S]` @param srcMask `[b, S]`
   * @returns the output `[b·S, d]`, the padding bias `[b, 1, 1, S]` and each layer's self-attention weights `[b, h, S, S]`
   */
  private encodeStack(srcIds: tf.Tensor2D, srcMask: tf.Tensor2D, dropout: Dropout): { memory: tf.Tensor2D; bias: tf.Tensor4D; weights: tf.Tensor4D[] } {
    const [b, S] = srcIds.shape;
    const bias = paddingBias(srcMask);
    let x = this.embed(this.srcEmbedding, this.srcPositions, srcIds, 0, dropout, 'source');
    const weights: tf.Tensor4D[] = [];
    for (const layer of this.encoderLayers) {
      x = this.residual(x, layer.ln1, dropout, (y) => {
        const { q, k, v } = layer.self.projectSelf(y, b, S);
        const r = layer.self.attend(q, { k, v }, b, bias);
        weights.push(r.weights);
        return r.out;
      });
      x = this.residual(x, layer.ln2, dropout, (y) => layer.ff.apply(y, dropout));
    }
    if (this.encoderNorm) x = this.encoderNorm.apply(x);
    return { memory: x, bias, weights };
  }

  /**
   * Encode a batch for decoding: the encoder output and each decoder
   * layer's cross-attention keys and values (computed once per sentence).
   * @param srcIds `[b, S]` int32 @param srcMask `[b, S]`
   * @throws RangeError when a learned positional table is shorter than S
   */
  encode(srcIds: tf.Tensor2D, srcMask: tf.Tensor2D): TransformerSource {
    const [b, S] = srcIds.shape;
    const { memory, bias, weights } = this.encodeStack(srcIds, srcMask, undefined);
    return {
      memory: tf.reshape(memory, [b, S, this.d]) as tf.Tensor3D,
      bias,
      cross: this.decoderLayers.map((l) => l.cross.projectMemory(memory, b, S)),
      encoderSelf: weights,
    };
  }

  /** The output projection of decoder features. @param y `[n, d]` @param candidates `[c]` ids to score (sampled softmax) @returns `[n, V]` or `[n, c]` */
  private logits(y: tf.Tensor2D, candidates?: tf.Tensor1D): tf.Tensor2D {
    if (!candidates) return tf.add(tf.matMul(y, this.wOut, false, true), this.bOut) as tf.Tensor2D;
    return tf.add(tf.matMul(y, tf.gather(this.wOut, candidates), false, true), tf.gather(this.bOut, candidates)) as tf.Tensor2D;
  }

  /**
   * The decoder stack over whole target prefixes (teacher forcing), causal mask applied.
   * @param tgtIn `[b, T]` decoder inputs `<bos> y_1 …`
   * @returns features `[b·T, d]` before the output projection, and per layer the self- and cross-attention weights `[b, h, T, T]` / `[b, h, T, S]`
   */
  decodeAll(
    tgtIn: tf.Tensor2D,
    memory: tf.Tensor2D,
    bias: tf.Tensor4D,
    S: number,
    dropout: Dropout,
  ): { features: tf.Tensor2D; self: tf.Tensor4D[]; cross: tf.Tensor4D[] } {
    const [b, T] = tgtIn.shape;
    const causal = causalBias(T);
    let x = this.embed(this.tgtEmbedding, this.tgtPositions, tgtIn, 0, dropout, 'target');
    const self: tf.Tensor4D[] = [];
    const cross: tf.Tensor4D[] = [];
    for (const layer of this.decoderLayers) {
      x = this.residual(x, layer.ln1, dropout, (y) => {
        const { q, k, v } = layer.self.projectSelf(y, b, T);
        const r = layer.self.attend(q, { k, v }, b, causal);
        self.push(r.weights);
        return r.out;
      });
      x = this.residual(x, layer.ln2, dropout, (y) => {
        const r = layer.cross.attend(layer.cross.projectQuery(y, b, T), layer.cross.projectMemory(memory, b, S), b, bias);
        cross.push(r.weights);
        return r.out;
      });
      x = this.residual(x, layer.ln3, dropout, (y) => layer.ff.apply(y, dropout));
    }
    if (this.decoderNorm) x = this.decoderNorm.apply(x);
    return { features: x, self, cross };
  }

  /**
   * Teacher-forced loss of a batch: all target positions in parallel under
   * the causal mask. The training objective is the mean per-token
   * cross-entropy, label-smoothed with `opts.labelSmoothing`; `nllSum` is the
   * plain NLL (for perplexity).
   * @param tokens non-padding target positions (Σ `tgtMask`)
   * @throws RangeError when `opts.teacherForcing` is below 1 (the Transformer's decoder reads all gold prefixes at once)
   */
  loss(batch: BatchTensors, tokens: number, opts: LossOptions): LossResult {
    if (opts.teacherForcing < 1) throw new RangeError(`the Transformer trains with teacher forcing 1 only (got ${opts.teacherForcing})`);
    const dropout: Dropout = opts.training && this.config.dropout > 0 ? { rate: this.config.dropout, random: opts.random } : undefined;
    const S = batch.srcIds.shape[1];
    const { memory, bias } = this.encodeStack(batch.srcIds, batch.srcMask, dropout);
    const { features } = this.decodeAll(batch.tgtIn, memory, bias, S, dropout);
    const eps = opts.training ? (opts.labelSmoothing ?? 0) : 0;
    const k = opts.training ? (opts.softmaxCandidates ?? 0) : 0;
    let logits: tf.Tensor2D;
    let targets = batch.tgtOut;
    if (k > 0 && k < this.tgtVocabSize) {
      const c = opts.candidates ? withTargets(opts.candidates, batch.tgtOut, batch.tgtMask) : candidateSet(batch.tgtOut, batch.tgtMask, this.tgtVocabSize, k, k, opts.random);
      logits = tf.add(this.logits(features, tf.tensor1d(c.ids, 'int32')), tf.tensor1d(c.logitOffsets)) as tf.Tensor2D;
      targets = c.targets;
    } else {
      logits = this.logits(features);
    }
    const r = smoothedCrossEntropy(logits, targets, batch.tgtMask, eps, opts.training);
    return { nllSum: r.nllSum, loss: tf.div(r.loss, Math.max(tokens, 1)) as tf.Scalar };
  }

  /**
   * Log-probabilities of every target position under teacher forcing, in one
   * parallel pass (no dropout): what the incremental `decodeStep` computes
   * one position at a time.
   * @param srcIds `[b, S]` @param srcMask `[b, S]` @param tgtIn `[b, T]` decoder inputs `<bos> y_1 …`
   * @returns `[b, T, V]`
   */
  teacherForcedLogProbs(srcIds: tf.Tensor2D, srcMask: tf.Tensor2D, tgtIn: tf.Tensor2D): tf.Tensor3D {
    const [b, T] = tgtIn.shape;
    const { memory, bias } = this.encodeStack(srcIds, srcMask, undefined);
    const { features } = this.decodeAll(tgtIn, memory, bias, srcIds.shape[1], undefined);
    return tf.reshape(tf.logSoftmax(this.logits(features)), [b, T, this.tgtVocabSize]) as tf.Tensor3D;
  }

  /** Empty caches at position 0. */
  initialState(): TransformerState {
    return { position: 0, cache: this.decoderLayers.map(() => undefined) };
  }

  /**
   * One incremental decoder step at position `state.position`: the new
   * token's keys and values are appended to each layer's cache, and its
   * query attends to the whole prefix (no mask needed: the cache holds no
   * future) and to the source.
   * With a learned positional table, positions past its end reuse its last
   * row (decoding can run longer than any training target).
   * @param prevIds `[b]` int32 previous tokens
   * @returns log-probabilities `[b, V]`, the new state, the last layer's cross-attention averaged over heads `[b, S]` and every layer's heads
   */
  decodeStep(prevIds: tf.Tensor1D, state: TransformerState, src: TransformerSource): StepOutput<TransformerState> {
    const b = prevIds.shape[0];
    const h = this.t.heads;
    const from = this.tgtPositions ? Math.min(state.position, this.t.maxPositions - 1) : state.position;
    let x = this.embed(this.tgtEmbedding, this.tgtPositions, tf.reshape(prevIds, [b, 1]) as tf.Tensor2D, from, undefined, 'target');
    const cache: HeadsKV[] = [];
    const self: tf.Tensor3D[] = [];
    const cross: tf.Tensor3D[] = [];
    this.decoderLayers.forEach((layer, l) => {
      x = this.residual(x, layer.ln1, undefined, (y) => {
        const { q, k, v } = layer.self.projectSelf(y, b, 1);
        const old = state.cache[l];
        const kv = old ? { k: tf.concat([old.k, k], 1) as tf.Tensor3D, v: tf.concat([old.v, v], 1) as tf.Tensor3D } : { k, v };
        cache.push(kv);
        const r = layer.self.attend(q, kv, b, undefined);
        self.push(tf.reshape(r.weights, [b, h, -1]) as tf.Tensor3D);
        return r.out;
      });
      x = this.residual(x, layer.ln2, undefined, (y) => {
        const r = layer.cross.attend(layer.cross.projectQuery(y, b, 1), src.cross[l], b, src.bias);
        cross.push(tf.reshape(r.weights, [b, h, -1]) as tf.Tensor3D);
        return r.out;
      });
      x = this.residual(x, layer.ln3, undefined, (y) => layer.ff.apply(y, undefined));
    });
    if (this.decoderNorm) x = this.decoderNorm.apply(x);
    const logProbs = tf.logSoftmax(this.logits(x)) as tf.Tensor2D;
    const weights = tf.mean(cross[cross.length - 1], 1) as tf.Tensor2D;
    return { logProbs, state: { position: state.position + 1, cache }, weights, heads: { cross, self } };
  }

  /** Per encoder layer, its self-attention weights `[b, h, S, S]` (owned by `src`). */
  encoderAttention(src: TransformerSource): tf.Tensor4D[] {
    return src.encoderSelf;
  }

  /** `src` of one sentence repeated `k` times along the batch. */
  tileSource(src: TransformerSource, k: number): TransformerSource {
    return {
      memory: tf.tile(src.memory, [k, 1, 1]),
      bias: tf.tile(src.bias, [k, 1, 1, 1]),
      cross: src.cross.map((c) => ({ k: tf.tile(c.k, [k, 1, 1]), v: tf.tile(c.v, [k, 1, 1]) })),
      encoderSelf: src.encoderSelf.map((w) => tf.tile(w, [k, 1, 1, 1])),
    };
  }

  /** The caches of the sentences `idx` (`[k]` int32), in that order. */
  reorderState(state: TransformerState, idx: tf.Tensor1D): TransformerState {
    const h = this.t.heads;
    const pick = (x: tf.Tensor3D): tf.Tensor3D => {
      const [bh, T, dk] = x.shape;
      const rows = tf.gather(tf.reshape(x, [bh / h, h, T, dk]), idx);
      return tf.reshape(rows, [idx.shape[0] * h, T, dk]) as tf.Tensor3D;
    };
    return { position: state.position, cache: state.cache.map((c) => c && { k: pick(c.k), v: pick(c.v) }) };
  }

  /** The embedding tables (rows of the batch's words) and, untied, the output projection (rows of the scored words). */
  get rowSparseParameters(): string[] {
    const names = ['encoder/embedding', 'decoder/Wout', 'decoder/bout'];
    if (!this.t.tiedEmbeddings) names.push('decoder/embedding');
    return names.filter((n) => this.params.names.includes(n));
  }

  get variables(): tf.Variable[] {
    return this.params.variables;
  }

  dispose(): void {
    this.params.dispose();
  }
}

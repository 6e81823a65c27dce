/**
 * Recurrent decoder with optional attention, in the shape of Joey NMT's
 * `RecurrentDecoder` (Kreutzer, Bastings & Riezler 2019).
 *
 * At step t, with previous target token y_{t−1} and state s_{t−1}:
 * - `bahdanau`: the context c_t is computed from the previous state
 *   s_{t−1} (Bahdanau et al. 2015, eq. 5–6), then the RNN reads
 *   [E y_{t−1}; c_t];
 * - `luong-*`: the RNN reads [E y_{t−1}; f_{t−1}] (input feeding, Luong
 *   et al. 2015, sec. 3.3), then c_t is computed from the new state s_t; the
 *   fed vector f_{t−1} is the attentional vector õ_{t−1} with readout
 *   `attentional` (as in the paper) and the previous context c_{t−1} with the
 *   other readouts, which have no õ;
 * - `none`: c is the encoder's fixed summary (its final state), the same at
 *   every step: the bottleneck of Cho et al. (2014) / Sutskever et al. (2014).
 *
 * The readout (`model.readout`) turns the step's results into the features
 * r_t that the output projection maps to vocabulary logits W_out r_t + b_out:
 * - `deep`: r_t = [s_t; c_t; E y_{t−1}], the "deep output" of Bahdanau et al.
 *   (2015, appendix A.2.2) without its maxout, and the readout of PyTorch's
 *   standard attention recipes: the output layer sees the previous word and
 *   the context directly;
 * - `maxout`: r_t = maxout(W_r [s_t; c_t; E y_{t−1}] + b_r), `readoutSize`
 *   units each the larger of two linear pieces (Goodfellow et al. 2013;
 *   Bahdanau et al. 2015, A.2.2, with the new state s_t in place of s_{t−1}
 *   as most implementations do); a smaller output projection than `deep`;
 * - `attentional`: r_t = õ_t = tanh(W_c [s_t; c_t] + b_c) (Luong eq. 5).
 *
 * With attention `none` and bridge `init` the context is left out of the
 * readout as well: nothing but s_0 carries the source (the pure bottleneck).
 * `model.bridge` chooses how the encoder reaches the decoder: `init`
 * initialises s_0 = tanh(W_b x + b_b); `input` feeds the context (or
 * f_{t−1}) as an input at every step; `both` does both. `model.bridgeFrom`
 * chooses x: the encoder's final states h_final (`final`) or the mean
 * (1/S) Σ_j h_j of its outputs over the S real source tokens (`mean`, as in
 * Nematus; Sennrich et al. 2017), padding masked out.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../config/config';
import { Random } from '../random';
import { Attention, BahdanauAttention, makeAttention, maskBias } from './attention';
import { region } from '../profile';
import { attentionDecoder, sequenceKernelsAvailable, sequenceKernelsFit } from '../kernels/sequence';
import { ParameterStore } from './parameters';
import { makeCell, RecurrentCell, RnnState } from './rnn';

/** Encoder results prepared once per batch for the decoder. */
export interface EncodedSource {
  /** Encoder outputs `[batch, srcLen, encDim]`. */
  outputs: tf.Tensor3D;
  /** Precomputed attention keys `[batch, srcLen, attnDim]`, absent for `none`. */
  keys?: tf.Tensor3D;
  /** Attention score bias: 0 for tokens, −1e9 for padding, `[batch, srcLen]`. */
  bias: tf.Tensor2D;
  /** Final encoder state `[batch, encDim]`: the fixed context vector for `none`. */
  final: tf.Tensor2D;
  /**
   * Mean of the encoder outputs over each sentence's real tokens
   * `[batch, encDim]`: the bridge's input with `model.bridgeFrom` `mean`
   * (absent otherwise, and when there is no bridge).
   */
  mean?: tf.Tensor2D;
}

/** Decoder state between steps. */
export interface DecoderState {
  /** Per layer, `[batch, hidden]` each. */
  layers: RnnState[];
  /**
   * The vector fed to the next step with `luong-*` attention (input feeding):
   * õ_{t−1} `[batch, hidden]` with readout `attentional`, else c_{t−1}
   * `[batch, encDim]`; zeros before the first step. Unused by the other attentions.
   */
  feed: tf.Tensor2D;
}

/** Output of one decoder step. */
export interface DecoderStepOutput {
  state: DecoderState;
  /** Top-layer state s_t `[batch, hidden]`. */
  hidden: tf.Tensor2D;
  /** Context vector c_t `[batch, encDim]` (the encoder's final state for `none`). */
  context: tf.Tensor2D;
  /** Attentional vector õ_t `[batch, hidden]`, only with readout `attentional`. */
  attentional?: tf.Tensor2D;
  /** Attention weights `[batch, srcLen]`, absent for `none`. */
  weights?: tf.Tensor2D;
}

type Dropout = { rate: number; random: Random } | undefined;

function maybeDropout<T extends tf.Tensor>(x: T, dropout: Dropout): T {
  return dropout && dropout.rate > 0 ? (tf.dropout(x, dropout.rate, undefined, dropout.random.int(2 ** 31)) as T) : x;
}

/**
 * Mean of `outputs` over the real positions of each row: Σ_j m_j h_j / Σ_j m_j.
 * @param outputs `[batch, srcLen, dim]` @param mask `[batch, srcLen]` 1 for real tokens, 0 for padding
 * @returns `[batch, dim]`
 */
export function maskedMean(outputs: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const sum = tf.sum(tf.mul(outputs, tf.expandDims(mask, 2)), 1);
  return tf.div(sum, tf.maximum(tf.sum(mask, 1, true), 1)) as tf.Tensor2D;
}

export class RecurrentDecoder {
  readonly embedding: tf.Variable;
  readonly attention: Attention | undefined;
  /** Size of the readout features r_t, the input of the output projection. */
  readonly readoutFeatures: number;
  private readonly cells: RecurrentCell[] = [];
  private readonly wFeed: tf.Variable | undefined;
  private readonly wBridge: tf.Variable | undefined;
  private readonly bBridge: tf.Variable | undefined;
  /** `attentional`: W_c, b_c; `maxout`: W_r, b_r. */
  private readonly wRead: tf.Variable | undefined;
  private readonly bRead: tf.Variable | undefined;
  private readonly wOut: tf.Variable;
  private readonly bOut: tf.Variable;
  private readonly feedInput: boolean;
  private readonly contextAtOutput: boolean;
  private readonly feedSize: number;

  /**
   * @param encoderSize size of the encoder outputs (both directions)
   * @param vocabSize target vocabulary size (embedding rows and output classes)
   */
  constructor(params: ParameterStore, private readonly config: ModelConfig, encoderSize: number, vocabSize: number) {
    const { embeddingSize: E, hiddenSize: H, layers, cell, bridge, readout } = config;
    const gates = cell === 'gru' ? 3 : 4;
    this.embedding = params.embedding('decoder/embedding', [vocabSize, E], config);
    this.attention = makeAttention(config.attention, params, H, encoderSize);
    this.feedInput = bridge !== 'init';
    for (let l = 0; l < layers; l++) this.cells.push(makeCell(cell, params, `decoder/l${l}`, l === 0 ? E : H, H));
    this.feedSize = config.attention.startsWith('luong') && readout === 'attentional' ? H : encoderSize;
    // W_feed is part of the first recurrent layer's input weights: its fan-in is the hidden size, as Wx's.
    if (this.feedInput) this.wFeed = params.weight('decoder/Wfeed', [this.feedSize, gates * H], H);
    if (bridge !== 'input') {
      this.wBridge = params.weight('decoder/Wbridge', [encoderSize, H]);
      this.bBridge = params.bias('decoder/bbridge', H, encoderSize);
    }
    this.contextAtOutput = config.attention !== 'none' || this.feedInput;
    const C = this.contextAtOutput ? encoderSize : 0;
    if (readout === 'attentional') {
      this.wRead = params.weight('decoder/Watt', [H + C, H]);
      this.bRead = params.bias('decoder/batt', H, H + C);
      this.readoutFeatures = H;
    } else if (readout === 'maxout') {
      this.wRead = params.weight('decoder/Wreadout', [H + C + E, 2 * config.readoutSize]);
      this.bRead = params.bias('decoder/breadout', 2 * config.readoutSize, H + C + E);
      this.readoutFeatures = config.readoutSize;
    } else {
      this.readoutFeatures = H + C + E;
    }
    // Stored as [vocab, features] so that a subset of output words is a cheap row gather.
    this.wOut = params.weight('decoder/Wout', [vocabSize, this.readoutFeatures], this.readoutFeatures);
    this.bOut = params.bias('decoder/bout', vocabSize, this.readoutFeatures);
  }

  /**
   * Prepare encoder results for decoding (attention keys, mask bias).
   * @param outputs `[batch, srcLen, encDim]`; @param final `[batch, encDim]`; @param srcMask `[batch, srcLen]`
   */
  prepare(outputs: tf.Tensor3D, final: tf.Tensor2D, srcMask: tf.Tensor2D): EncodedSource {
    const src: EncodedSource = { outputs, final, bias: maskBias(srcMask), keys: this.attention?.precompute(outputs) };
    if (this.wBridge && this.config.bridgeFrom === 'mean') src.mean = maskedMean(outputs, srcMask);
    return src;
  }

  /** Initial state: the bridge from the encoder's final state or mean output (`model.bridgeFrom`), or zeros. */
  initialState(src: EncodedSource): DecoderState {
    const batch = src.final.shape[0];
    const H = this.config.hiddenSize;
    let h0: tf.Tensor2D;
    if (this.wBridge) {
      const x = this.config.bridgeFrom === 'mean' ? src.mean : src.final;
      if (!x) throw new Error('initialState: the encoded source has no mean of the encoder outputs (model.bridgeFrom "mean"); make it with prepare()');
      h0 = tf.tanh(tf.add(tf.matMul(x, this.wBridge), this.bBridge!)) as tf.Tensor2D;
    } else {
      h0 = tf.zeros([batch, H]) as tf.Tensor2D;
    }
    const layers = this.cells.map((c) => (c.kind === 'lstm' ? { h: h0, c: h0 } : { h: h0 }));
    return { layers, feed: tf.zeros([batch, this.feedSize]) };
  }

  /**
   * Embed target ids (E y), with dropout when given.
   * @param ids `[n]` int32 @returns `[n, embeddingSize]`
   */
  embed(ids: tf.Tensor1D, dropout?: Dropout): tf.Tensor2D {
    return maybeDropout(region('embedding', () => tf.gather(this.embedding, ids) as tf.Tensor2D), dropout);
  }

  /**
   * The first layer's gate inputs for embedded target tokens.
   * @param emb `[n, embeddingSize]` from `embed` @returns `[n, G·hidden]`
   */
  projectEmbeddings(emb: tf.Tensor2D): tf.Tensor2D {
    return this.cells[0].projectInputs(emb);
  }

  /**
   * One decoder step.
   * @param inputProj `[batch, G·hidden]` from `projectEmbeddings` for y_{t−1}
   */
  step(inputProj: tf.Tensor2D, state: DecoderState, src: EncodedSource, dropout?: Dropout): DecoderStepOutput {
    const att = this.attention;
    const kind = this.config.attention;
    const luong = kind === 'luong-dot' || kind === 'luong-general';
    let context: tf.Tensor2D;
    let weights: tf.Tensor2D | undefined;
    if (kind === 'bahdanau') {
      const r = att!.attend(state.layers[this.cells.length - 1].h, src.keys!, src.outputs, src.bias);
      context = r.context;
      weights = r.weights;
    } else {
      context = src.final;
    }
    let x = inputProj;
    if (this.feedInput) x = tf.add(x, tf.matMul(luong ? state.feed : context, this.wFeed!));
    const layers: RnnState[] = [];
    for (let l = 0; l < this.cells.length; l++) {
      if (l > 0) x = this.cells[l].projectInputs(maybeDropout(layers[l - 1].h, dropout));
      layers.push(this.cells[l].step(x, state.layers[l]));
    }
    const hidden = layers[layers.length - 1].h;
    if (luong) {
      const r = att!.attend(hidden, src.keys!, src.outputs, src.bias);
      context = r.context;
      weights = r.weights;
    }
    let attentional: tf.Tensor2D | undefined;
    if (this.config.readout === 'attentional') {
      const attInput = this.contextAtOutput ? tf.concat([hidden, context], 1) : hidden;
      attentional = tf.tanh(tf.add(tf.matMul(attInput, this.wRead!), this.bRead!)) as tf.Tensor2D;
    }
    const feed = luong ? (attentional ?? context) : state.feed;
    return { state: { layers, feed }, hidden, context, attentional, weights };
  }

  /**
   * All decoder steps of a teacher-forced batch on one kernel (and one for
   * their gradient, `src/core/kernels/sequence.ts`): the same states and
   * contexts as `step` at every position, where available — one layer,
   * Bahdanau attention (its query is the previous state, so no step's output
   * feeds the next one's input), sizes multiples of 4, the wasm backend.
   * @param xe `[batch, T, G·hidden]` the previous words' `projectEmbeddings`
   * @returns per position (batch-major, `[batch·T, ·]`) the states s_t, the contexts c_t and, with readout `attentional`, õ_t; or null where unavailable
   */
  decodeAll(xe: tf.Tensor3D, state: DecoderState, src: EncodedSource): { hidden: tf.Tensor2D; context: tf.Tensor2D; attentional?: tf.Tensor2D } | null {
    const att = this.attention;
    if (!(att instanceof BahdanauAttention) || this.cells.length !== 1 || !sequenceKernelsAvailable()) return null;
    const [b, T, GH] = xe.shape;
    const H = this.config.hiddenSize;
    const [, , A] = src.keys!.shape;
    const D = src.outputs.shape[2];
    if (!sequenceKernelsFit(H, A, D, GH)) return null;
    const cell = this.cells[0];
    const { wq, v } = att.queryWeights;
    const { wh, bh } = cell.recurrent;
    const s0 = state.layers[0];
    const r = region('attention', () => attentionDecoder(cell.kind, xe, src.keys!, src.outputs, src.bias, v, wq, this.feedInput ? this.wFeed : undefined, wh, bh, s0.h, s0.c));
    const hidden = tf.reshape(r.hs, [b * T, H]) as tf.Tensor2D;
    const context = tf.reshape(r.ctx, [b * T, D]) as tf.Tensor2D;
    let attentional: tf.Tensor2D | undefined;
    if (this.config.readout === 'attentional') {
      // õ_t = tanh(W_c [s_t; c_t] + b_c) of every position at once (Bahdanau attention does not feed it back).
      const attInput = this.contextAtOutput ? tf.concat([hidden, context], 1) : hidden;
      attentional = tf.tanh(tf.add(tf.matMul(attInput, this.wRead!), this.bRead!)) as tf.Tensor2D;
    }
    return { hidden, context, attentional };
  }

  /**
   * The readout features r_t of steps (see the module comment), for many
   * positions at once.
   * @param steps `hidden [n, hidden]`, `context [n, encDim]` and, with readout `attentional`, `attentional [n, hidden]`
   * @param prevEmb `[n, embeddingSize]` embeddings of the previous target tokens
   * @returns `[n, readoutFeatures]`
   */
  readout(steps: { hidden: tf.Tensor2D; context: tf.Tensor2D; attentional?: tf.Tensor2D }, prevEmb: tf.Tensor2D): tf.Tensor2D {
    return region('readout', () => this.readoutOf(steps, prevEmb));
  }

  private readoutOf(steps: { hidden: tf.Tensor2D; context: tf.Tensor2D; attentional?: tf.Tensor2D }, prevEmb: tf.Tensor2D): tf.Tensor2D {
    if (this.config.readout === 'attentional') return steps.attentional!;
    const parts = this.contextAtOutput ? [steps.hidden, steps.context, prevEmb] : [steps.hidden, prevEmb];
    const deep = tf.concat(parts, 1) as tf.Tensor2D;
    if (this.config.readout === 'deep') return deep;
    // maxout over the two halves of W_r [s; c; E y] + b_r (the pairing of units is a permutation of W_r's columns)
    const [a, b] = tf.split(tf.add(tf.matMul(deep, this.wRead!), this.bRead!), 2, 1);
    return tf.maximum(a, b) as tf.Tensor2D;
  }

  /**
   * Output projection to vocabulary logits.
   * @param features `[n, readoutFeatures]` from `readout`
   * @param candidates when given, `[c]` int32 ids: score only these output words (in this order)
   * @returns `[n, vocab]`, or `[n, c]` with candidates
   */
  logits(features: tf.Tensor2D, dropout?: Dropout, candidates?: tf.Tensor1D): tf.Tensor2D {
    const x = maybeDropout(features, dropout);
    return region('readout', () => {
      if (!candidates) return tf.add(tf.matMul(x, this.wOut, false, true), this.bOut);
      return tf.add(tf.matMul(x, tf.gather(this.wOut, candidates), false, true), tf.gather(this.bOut, candidates));
    });
  }
}

/**
 * Recurrent decoder with optional attention, in the shape of Joey NMT's
 * `RecurrentDecoder` (Kreutzer, Bastings & Riezler 2019).
 *
 * At step t, with previous target token y_{t−1} and state s_{t−1}:
 * - `bahdanau`: the context c_t is computed from the previous state
 *   s_{t−1} (Bahdanau et al. 2015, eq. 5–6), then the RNN reads
 *   [emb(y_{t−1}); c_t];
 * - `luong-*`: the RNN reads [emb(y_{t−1}); õ_{t−1}] (input feeding, Luong
 *   et al. 2015, sec. 3.3), then c_t is computed from the new state s_t;
 * - `none`: c is the encoder's fixed summary (its final state), the same at
 *   every step: the bottleneck of Cho et al. (2014) / Sutskever et al. (2014).
 *
 * The attentional vector õ_t = tanh(W_o [s_t; c_t] + b_o) (Luong eq. 5) feeds
 * the output projection to the target vocabulary. `model.bridge` chooses how
 * the encoder reaches the decoder: `init` initialises s_0 = tanh(W_b h_final
 * + b_b); `input` feeds the context (or õ_{t−1}) as an input at every step;
 * `both` does both.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../config';
import { Random } from '../random';
import { Attention, makeAttention, maskBias } from './attention';
import { ParameterStore } from './parameters';
import { makeCell, RecurrentCell, RnnState } from './rnn';

/** Encoder results prepared once per batch for the decoder. */
export interface EncodedSource {
  /** Encoder outputs `[batch, srcLen, hidden]`. */
  outputs: tf.Tensor3D;
  /** Precomputed attention keys `[batch, srcLen, attnDim]`, absent for `none`. */
  keys?: tf.Tensor3D;
  /** Attention score bias: 0 for tokens, −1e9 for padding, `[batch, srcLen]`. */
  bias: tf.Tensor2D;
  /** Final encoder state `[batch, hidden]`: the fixed context vector for `none`. */
  final: tf.Tensor2D;
}

/** Decoder state between steps. */
export interface DecoderState {
  /** Per layer, `[batch, hidden]` each. */
  layers: RnnState[];
  /** Previous attentional vector õ_{t−1} `[batch, hidden]` (input feeding). */
  attentional: tf.Tensor2D;
}

/** Output of one decoder step. */
export interface DecoderStepOutput {
  state: DecoderState;
  /** Attentional vector õ_t `[batch, hidden]`, input to the output projection. */
  output: tf.Tensor2D;
  /** Attention weights `[batch, srcLen]`, absent for `none`. */
  weights?: tf.Tensor2D;
}

type Dropout = { rate: number; random: Random } | undefined;

function maybeDropout<T extends tf.Tensor>(x: T, dropout: Dropout): T {
  return dropout && dropout.rate > 0 ? (tf.dropout(x, dropout.rate, undefined, dropout.random.int(2 ** 31)) as T) : x;
}

export class RecurrentDecoder {
  readonly embedding: tf.Variable;
  readonly attention: Attention | undefined;
  private readonly cells: RecurrentCell[] = [];
  private readonly wFeed: tf.Variable | undefined;
  private readonly wBridge: tf.Variable | undefined;
  private readonly bBridge: tf.Variable | undefined;
  private readonly wAtt: tf.Variable;
  private readonly bAtt: tf.Variable;
  private readonly wOut: tf.Variable;
  private readonly bOut: tf.Variable;
  private readonly feedInput: boolean;
  private readonly contextAtOutput: boolean;

  /**
   * @param encoderSize size of the encoder outputs (equals `hiddenSize`)
   * @param vocabSize target vocabulary size (embedding rows and output classes)
   */
  constructor(params: ParameterStore, private readonly config: ModelConfig, encoderSize: number, vocabSize: number) {
    const { embeddingSize: E, hiddenSize: H, layers, cell, bridge } = config;
    const gates = cell === 'gru' ? 3 : 4;
    this.embedding = params.uniform('decoder/embedding', [vocabSize, E], 0.1);
    this.attention = makeAttention(config.attention, params, H, encoderSize);
    this.feedInput = bridge !== 'init';
    for (let l = 0; l < layers; l++) this.cells.push(makeCell(cell, params, `decoder/l${l}`, l === 0 ? E : H, H));
    if (this.feedInput) this.wFeed = params.glorot('decoder/Wfeed', [config.attention.startsWith('luong') ? H : encoderSize, gates * H]);
    if (bridge !== 'input') {
      this.wBridge = params.glorot('decoder/Wbridge', [encoderSize, H]);
      this.bBridge = params.constant('decoder/bbridge', [H], 0);
    }
    // With attention `none` and bridge `init`, nothing but s_0 carries the source: the pure bottleneck.
    this.contextAtOutput = config.attention !== 'none' || this.feedInput;
    this.wAtt = params.glorot('decoder/Watt', [H + (this.contextAtOutput ? encoderSize : 0), H]);
    this.bAtt = params.constant('decoder/batt', [H], 0);
    // Stored as [vocab, hidden] so that a subset of output words is a cheap row gather.
    this.wOut = params.glorot('decoder/Wout', [vocabSize, H]);
    this.bOut = params.constant('decoder/bout', [vocabSize], 0);
  }

  /**
   * Prepare encoder results for decoding (attention keys, mask bias).
   * @param outputs `[batch, srcLen, hidden]`; @param final `[batch, hidden]`; @param srcMask `[batch, srcLen]`
   */
  prepare(outputs: tf.Tensor3D, final: tf.Tensor2D, srcMask: tf.Tensor2D): EncodedSource {
    return { outputs, final, bias: maskBias(srcMask), keys: this.attention?.precompute(outputs) };
  }

  /** Initial state: the bridge from the encoder's final state, or zeros. */
  initialState(src: EncodedSource): DecoderState {
    const batch = src.final.shape[0];
    const H = this.config.hiddenSize;
    const h0 = this.wBridge ? (tf.tanh(tf.add(tf.matMul(src.final, this.wBridge), this.bBridge!)) as tf.Tensor2D) : (tf.zeros([batch, H]) as tf.Tensor2D);
    const layers = this.cells.map((c) => (c.kind === 'lstm' ? { h: h0, c: h0 } : { h: h0 }));
    return { layers, attentional: tf.zeros([batch, H]) };
  }

  /**
   * Embed target ids and compute their part of the first layer's gates.
   * @param ids `[n]` int32 @returns `[n, G·hidden]`
   */
  embedAndProject(ids: tf.Tensor1D, dropout?: Dropout): tf.Tensor2D {
    const emb = maybeDropout(tf.gather(this.embedding, ids) as tf.Tensor2D, dropout);
    return this.cells[0].projectInputs(emb);
  }

  /**
   * One decoder step.
   * @param inputProj `[batch, G·hidden]` from `embedAndProject` for y_{t−1}
   */
  step(inputProj: tf.Tensor2D, state: DecoderState, src: EncodedSource, dropout?: Dropout): DecoderStepOutput {
    const att = this.attention;
    const kind = this.config.attention;
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
    if (this.feedInput) {
      const feed = kind.startsWith('luong') ? state.attentional : context;
      x = tf.add(x, tf.matMul(feed, this.wFeed!));
    }
    const layers: RnnState[] = [];
    for (let l = 0; l < this.cells.length; l++) {
      if (l > 0) x = this.cells[l].projectInputs(maybeDropout(layers[l - 1].h, dropout));
      layers.push(this.cells[l].step(x, state.layers[l]));
    }
    const top = layers[layers.length - 1].h;
    if (kind === 'luong-dot' || kind === 'luong-general') {
      const r = att!.attend(top, src.keys!, src.outputs, src.bias);
      context = r.context;
      weights = r.weights;
    }
    const attInput = this.contextAtOutput ? tf.concat([top, context], 1) : top;
    const output = tf.tanh(tf.add(tf.matMul(attInput, this.wAtt), this.bAtt)) as tf.Tensor2D;
    return { state: { layers, attentional: output }, output, weights };
  }

  /**
   * Output projection to vocabulary logits.
   * @param outputs `[n, hidden]` attentional vectors
   * @param candidates when given, `[c]` int32 ids: score only these output words (in this order)
   * @returns `[n, vocab]`, or `[n, c]` with candidates
   */
  logits(outputs: tf.Tensor2D, dropout?: Dropout, candidates?: tf.Tensor1D): tf.Tensor2D {
    const x = maybeDropout(outputs, dropout);
    if (!candidates) return tf.add(tf.matMul(x, this.wOut, false, true), this.bOut);
    return tf.add(tf.matMul(x, tf.gather(this.wOut, candidates), false, true), tf.gather(this.bOut, candidates));
  }
}

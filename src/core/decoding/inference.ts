/**
 * Inference-only forward pass for translating one sentence at a time (the
 * extension's Translate Selection / Show Attention and the CLI's `translate`).
 *
 * Why: the training graph (`decoder.ts`) runs ~70 TensorFlow.js ops per
 * decoder step plus four device→CPU read-backs. At batch 1 (or a beam of 5)
 * each op costs ~30 µs of engine overhead for a few thousand multiply-adds,
 * so a 16-token greedy translation took ~65 ms. Here no TensorFlow.js op runs
 * at all: every product (encoder and decoder gates, attention, bridge,
 * readout, and the output projection `[k, features] × [features, V]`,
 * by far the largest) and the vocabulary log-sum-exp run on the WebAssembly
 * SIMD kernels of `src/core/kernels/simd.ts`, and the element-wise rest (gate
 * non-linearities, attention softmax, context vectors) on plain
 * `Float32Array`s. Where SIMD is unavailable, products fall back to
 * JavaScript loops (small ones) and `tf.matMul` on the active backend (large
 * ones, see `BACKEND_MIN_MACS`).
 *
 * The equations are exactly those of `RecurrentEncoder`, `RecurrentDecoder`,
 * `BahdanauAttention` / `LuongAttention`, `GruCell` / `LstmCell` (see those
 * files for the papers) for a batch without padding; weights are read by
 * their checkpoint names from the model's `ParameterStore`. Results equal the
 * TensorFlow.js path up to float32 rounding (≈1e-6 relative: the SIMD
 * products sum in float32 with four partial sums per output, the JavaScript
 * ones in float64); `test/inference.test.ts` checks tokens, attention and
 * probabilities against it for every cell and attention type, on both paths.
 *
 * `InferenceModel` is a snapshot: it copies the weights when built, so build
 * a new one after the model's parameters change.
 */
import * as tf from '@tensorflow/tfjs-core';
import { encoderUnits, type ModelConfig } from '../config/config';
import type { Seq2SeqModel } from '../model/seq2seq';
import { pad4, SimdKernels } from '../kernels/simd';

/**
 * Products of at least this many multiply-adds run as one `tf.matMul` on the
 * backend (wasm: XNNPACK, ~0.05 ms of fixed cost per call); smaller ones run
 * here, where a multiply-add costs a few nanoseconds but a call costs nothing.
 */
export const BACKEND_MIN_MACS = 40_000;

/**
 * An affine map `y = x·W + b` with `W [K, N]`. With SIMD kernels the weight
 * lives in their memory, transposed to `[N, K']` (`K'` = K rounded up to a
 * multiple of 4, zero-padded) and every product runs there. Without them it
 * is kept transposed as a `Float32Array` `[N, K]` for products of a few rows
 * and as a backend tensor `[K, N]` for large ones (see `BACKEND_MIN_MACS`).
 */
class Dense {
  /** Fallback only: `[N, K]` row-major, row n holds the weights of output n. */
  private readonly wt?: Float32Array;
  /** Fallback only: `[K, N]` on the backend (owned: disposed with the model). */
  readonly w?: tf.Tensor2D;
  /** SIMD only: byte offsets of the weight `[N, K']` and bias `[N]` (0 = none). */
  private readonly wPtr: number = 0;
  private readonly bPtr: number = 0;
  /** Row length in the SIMD memory, K rounded up to a multiple of 4. */
  private readonly Kp: number;

  /**
   * @param rows the weight transposed, `Wᵀ [N, K]` row-major (one output per row)
   * @param b bias `[N]`, or undefined for none
   */
  constructor(
    rows: Float32Array,
    readonly K: number,
    readonly N: number,
    readonly b: Float32Array | undefined,
    /** See `BACKEND_MIN_MACS`. */
    private readonly minMacs: number,
    private readonly simd?: SimdKernels,
  ) {
    this.Kp = pad4(K);
    if (simd) {
      this.wPtr = simd.store(this.Kp === K ? rows : padRows(rows, N, K, this.Kp));
      if (b) this.bPtr = simd.store(b);
    } else {
      this.wt = rows;
      this.w = tf.tensor2d(transposed(rows, N, K), [K, N]);
    }
  }

  /** `out[outOff + n] = b[n] + Σ_k x[xOff + k]·W[k, n]` for one row. */
  apply(x: Float32Array, xOff: number, out: Float32Array, outOff: number): void {
    if (this.simd) {
      out.set(this.simdRows(x, xOff, 1), outOff);
      return;
    }
    const { K, N, b } = this;
    const wt = this.wt!;
    const K4 = K - (K % 4);
    for (let n = 0; n < N; n++) {
      const r = n * K;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let k = 0;
      for (; k < K4; k += 4) {
        s0 += wt[r + k] * x[xOff + k];
        s1 += wt[r + k + 1] * x[xOff + k + 1];
        s2 += wt[r + k + 2] * x[xOff + k + 2];
        s3 += wt[r + k + 3] * x[xOff + k + 3];
      }
      for (; k < K; k++) s0 += wt[r + k] * x[xOff + k];
      let s = s0 + s1 + s2 + s3;
      if (b) s += b[n];
      out[outOff + n] = s;
    }
  }

  /** Apply to `M` rows of `x [M, K]`; @returns `[M, N]`. */
  applyRows(x: Float32Array, M: number): Float32Array {
    if (this.simd) return this.simdRows(x, 0, M).slice();
    const { K, N, b } = this;
    if (M * K * N < this.minMacs) {
      const out = new Float32Array(M * N);
      for (let m = 0; m < M; m++) this.apply(x, m * K, out, m * N);
      return out;
    }
    const xt = tf.tensor2d(x, [M, K]);
    const yt = tf.matMul(xt, this.w!);
    // yt is disposed right away, so its read-back can be written to (no second copy).
    const out = yt.dataSync() as Float32Array;
    tf.dispose([xt, yt]);
    if (b) for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) out[m * N + n] += b[n];
    return out;
  }

  /**
   * The SIMD product of `M` rows of `x` starting at `xOff`.
   * @returns a view of the result `[M, N]` in the kernels' memory, valid until their next use
   */
  simdRows(x: Float32Array, xOff: number, M: number): Float32Array {
    const outP = this.simdProduct(x, xOff, M);
    return this.simd!.f32.subarray(outP >> 2, (outP >> 2) + M * this.N);
  }

  /**
   * `x·W + b` for `M` rows of `x` (from `xOff`) on the SIMD kernels. The rows
   * are copied into scratch slot 0, zero-padded to `K'`; the result is slot 1.
   * @returns byte offset of the result `[M, N]` in the kernels' memory, valid until their next use
   */
  simdProduct(x: Float32Array, xOff: number, M: number): number {
    const { simd, K, Kp, N } = this;
    const inP = simd!.scratch(0, M * Kp);
    const outP = simd!.scratch(1, M * N);
    const f = simd!.f32;
    const i0 = inP >> 2;
    if (Kp === K) f.set(x.subarray(xOff, xOff + M * K), i0);
    else {
      for (let m = 0; m < M; m++) {
        f.set(x.subarray(xOff + m * K, xOff + (m + 1) * K), i0 + m * Kp);
        f.fill(0, i0 + m * Kp + K, i0 + (m + 1) * Kp);
      }
    }
    simd!.matmul(this.wPtr, inP, outP, this.bPtr, Kp, N, M);
    return outP;
  }
}

/** `[K, N]` row-major → `[N, K]` row-major. */
function transposed(values: Float32Array, K: number, N: number): Float32Array {
  const t = new Float32Array(N * K);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) t[n * K + k] = values[k * N + n];
  return t;
}

/** `[N, K]` → `[N, Kp]` (`Kp ≥ K`), each row zero-padded. */
function padRows(rows: Float32Array, N: number, K: number, Kp: number): Float32Array {
  const out = new Float32Array(N * Kp);
  for (let n = 0; n < N; n++) out.set(rows.subarray(n * K, (n + 1) * K), n * Kp);
  return out;
}

/** Stack equal-length vectors into one `[n, width]` array. */
function rows(vs: Float32Array[], width: number): Float32Array {
  const out = new Float32Array(vs.length * width);
  for (let i = 0; i < vs.length; i++) out.set(vs[i], i * width);
  return out;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Recurrent state of one layer for one sentence: `h [hidden]` and, for LSTM, `c [hidden]`. */
export interface LayerState {
  h: Float32Array;
  c?: Float32Array;
}

/** Decoder state of one hypothesis. Never mutated, so beams can share it. */
export interface InferenceState {
  /** Per decoder layer. */
  layers: LayerState[];
  /** The vector fed to the next step with Luong attention (see `DecoderState.feed`): õ_{t−1} or c_{t−1}. */
  feed: Float32Array;
}

/** One GRU or LSTM cell (same gate layout as `src/core/model/rnn.ts`). */
class Cell {
  readonly G: number;
  constructor(
    readonly kind: 'gru' | 'lstm',
    readonly H: number,
    /** `x·Wx + bx`, `[inputSize] → [G·H]`. */
    readonly x: Dense,
    /** `h·Wh (+ bh for GRU)`, `[H] → [G·H]`. */
    readonly h: Dense,
  ) {
    this.G = kind === 'gru' ? 3 : 4;
  }

  /**
   * One step from the precomputed input projection `xp[xOff … xOff+G·H)` and
   * recurrent projection `hp[hOff … hOff+G·H)` (`prev.h·Wh (+ bh)`).
   */
  step(xp: Float32Array, xOff: number, hp: Float32Array, hOff: number, prev: LayerState): LayerState {
    const H = this.H;
    const h = new Float32Array(H);
    if (this.kind === 'gru') {
      // r, z = σ(x_rz + h_rz); n = tanh(x_n + r ⊙ h_n); h' = n + z ⊙ (h − n)
      for (let j = 0; j < H; j++) {
        const r = sigmoid(xp[xOff + j] + hp[hOff + j]);
        const z = sigmoid(xp[xOff + H + j] + hp[hOff + H + j]);
        const n = Math.tanh(xp[xOff + 2 * H + j] + r * hp[hOff + 2 * H + j]);
        h[j] = n + z * (prev.h[j] - n);
      }
      return { h };
    }
    // [i, f, o] = σ(·), g = tanh(·); c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c')
    const c = new Float32Array(H);
    for (let j = 0; j < H; j++) {
      const i = sigmoid(xp[xOff + j] + hp[hOff + j]);
      const f = sigmoid(xp[xOff + H + j] + hp[hOff + H + j]);
      const o = sigmoid(xp[xOff + 2 * H + j] + hp[hOff + 2 * H + j]);
      const g = Math.tanh(xp[xOff + 3 * H + j] + hp[hOff + 3 * H + j]);
      c[j] = f * prev.c![j] + i * g;
      h[j] = o * Math.tanh(c[j]);
    }
    return { h, c };
  }

  zero(): LayerState {
    return this.kind === 'gru' ? { h: new Float32Array(this.H) } : { h: new Float32Array(this.H), c: new Float32Array(this.H) };
  }
}

/** One encoded source sentence, prepared for decoding. */
export interface EncodedSentence {
  /** Source length S in tokens (with `<eos>`). */
  length: number;
  /** Encoder outputs `[S, hidden]`. */
  outputs: Float32Array;
  /** Attention keys `[S, keyDim]` (Bahdanau: `outputs·W_k`; Luong general: `outputs·W_a`; Luong dot: the outputs), absent for `none`. */
  keys?: Float32Array;
  /** Final encoder state `[hidden]` (both directions). */
  final: Float32Array;
}

/** Mean of the `rows` rows of a row-major `[rows, D]` matrix (summed in float64). */
function meanRows(m: Float32Array, rows: number): Float32Array {
  const D = m.length / rows;
  const sum = new Float64Array(D);
  for (let r = 0; r < rows; r++) for (let d = 0; d < D; d++) sum[d] += m[r * D + d];
  const mean = new Float32Array(D);
  for (let d = 0; d < D; d++) mean[d] = sum[d] / rows;
  return mean;
}

/** Result of one decoder step for k hypotheses of one sentence. */
export interface InferenceStepOutput {
  /** `[k, V]` log-probabilities of the next token. */
  logProbs: Float32Array;
  /** `[k, S]` attention weights, absent for attention `none`. */
  weights?: Float32Array;
  /** New state per hypothesis. */
  states: InferenceState[];
}

/** Options of `InferenceModel`. */
export interface InferenceOptions {
  /**
   * Run every product and the log-softmax on the WebAssembly SIMD kernels
   * (`src/core/kernels/simd.ts`). Default: true where the runtime supports
   * SIMD (Node 16.4+, VS Code's extension host). False = the fallback below.
   */
  simd?: boolean;
  /**
   * Fallback only: products with at least this many multiply-adds run on the
   * TensorFlow.js backend, smaller ones in JavaScript (default
   * `BACKEND_MIN_MACS`; 0 = all on the backend, `Infinity` = all in
   * JavaScript except the output projection, which always runs on the backend).
   */
  backendMinMacs?: number;
}

/**
 * A snapshot of a `Seq2SeqModel`'s weights for fast one-sentence inference.
 * Holds the weights in the SIMD kernels' memory, or (fallback) as tensors:
 * call `dispose()`.
 */
export class InferenceModel {
  private readonly H: number;
  private readonly V: number;
  private readonly srcEmbedding: Float32Array;
  private readonly tgtEmbedding: Float32Array;
  private readonly encLayers: { fwd: Cell; bwd?: Cell }[] = [];
  private readonly decCells: Cell[] = [];
  private readonly attKind: ModelConfig['attention'];
  private readonly wq?: Dense;
  private readonly wk?: Dense;
  private readonly v?: Float32Array;
  private readonly wa?: Dense;
  private readonly wFeed?: Dense;
  private readonly bridge?: Dense;
  /** `model.bridgeFrom`: the bridge reads the mean of the encoder outputs rather than the final states. */
  private readonly bridgeFromMean: boolean;
  private readonly readoutKind: ModelConfig['readout'];
  /** Readout `attentional`: `W_c`, `b_c`; `maxout`: `W_r`, `b_r`; absent for `deep`. */
  private readonly read?: Dense;
  private readonly contextAtOutput: boolean;
  private readonly feedInput: boolean;
  /** Size of `InferenceState.feed`. */
  private readonly feedSize: number;
  /** The output projection `[features] → [V]` (`W_out`, `b_out`). */
  private readonly out: Dense;
  /** The SIMD kernels holding every weight, or undefined for the fallback. */
  private readonly simd?: SimdKernels;
  private readonly denses: Dense[] = [];
  /** Layer-0 input projection `emb(y)·Wx + bx` per target id, computed on first use. */
  private readonly inputCache = new Map<number, Float32Array>();

  /**
   * Copy the weights of `model` (read back from the backend once).
   * @throws Error when a parameter the config implies is missing
   */
  constructor(model: Seq2SeqModel, opts: InferenceOptions = {}) {
    const minMacs = opts.backendMinMacs ?? BACKEND_MIN_MACS;
    this.simd = opts.simd === false ? undefined : SimdKernels.create();
    const cfg = model.config;
    const p = model.params;
    const read = (name: string) => p.get(name).dataSync() as Float32Array;
    const has = (name: string) => p.names.includes(name);
    const add = (d: Dense) => {
      this.denses.push(d);
      return d;
    };
    const dense = (w: string, b?: string) => {
      const [K, N] = p.get(w).shape as [number, number];
      return add(new Dense(transposed(read(w), K, N), K, N, b ? read(b) : undefined, minMacs, this.simd));
    };
    const cell = (prefix: string) => new Cell(cfg.cell, p.get(`${prefix}/Wh`).shape[0], dense(`${prefix}/Wx`, `${prefix}/bx`), dense(`${prefix}/Wh`, cfg.cell === 'gru' ? `${prefix}/bh` : undefined));
    this.H = cfg.hiddenSize;
    this.V = model.tgtVocabSize;
    this.attKind = cfg.attention;
    this.srcEmbedding = read('encoder/embedding');
    this.tgtEmbedding = read('decoder/embedding');
    for (let l = 0; l < cfg.layers; l++) {
      this.encLayers.push({ fwd: cell(`encoder/l${l}/fwd`), bwd: cfg.bidirectional ? cell(`encoder/l${l}/bwd`) : undefined });
      this.decCells.push(cell(`decoder/l${l}`));
    }
    if (cfg.attention === 'bahdanau') {
      this.wq = dense('attention/Wq');
      this.wk = dense('attention/Wk');
      this.v = read('attention/v');
    } else if (cfg.attention === 'luong-general') {
      this.wa = dense('attention/Wa');
    }
    this.feedInput = cfg.bridge !== 'init';
    if (this.feedInput) this.wFeed = dense('decoder/Wfeed');
    if (has('decoder/Wbridge')) this.bridge = dense('decoder/Wbridge', 'decoder/bbridge');
    this.bridgeFromMean = cfg.bridgeFrom === 'mean';
    this.contextAtOutput = cfg.attention !== 'none' || this.feedInput;
    this.readoutKind = cfg.readout;
    if (cfg.readout === 'attentional') this.read = dense('decoder/Watt', 'decoder/batt');
    else if (cfg.readout === 'maxout') this.read = dense('decoder/Wreadout', 'decoder/breadout');
    this.feedSize = cfg.attention.startsWith('luong') && cfg.readout === 'attentional' ? this.H : (cfg.bidirectional ? 2 : 1) * encoderUnits(cfg);
    // W_out is stored [V, features]: already the rows Dense takes. The fallback always runs it on the backend.
    const [, F] = p.get('decoder/Wout').shape as [number, number];
    this.out = add(new Dense(read('decoder/Wout'), F, this.V, read('decoder/bout'), 0, this.simd));
  }

  /** True when this snapshot runs on the SIMD kernels (see `InferenceOptions.simd`). */
  get usesSimd(): boolean {
    return this.simd !== undefined;
  }

  /** Target vocabulary size V. */
  get vocabSize(): number {
    return this.V;
  }

  /** True when steps return attention weights (attention is not `none`). */
  get hasAttention(): boolean {
    return this.attKind !== 'none';
  }

  /**
   * Encode one sentence (as `RecurrentEncoder.encode` + `RecurrentDecoder.prepare` for a batch of one without padding).
   * @param ids source token ids ending in `<eos>`, `[S]`
   * @throws RangeError for an empty sentence or an id outside the source vocabulary
   */
  encode(ids: ArrayLike<number>): EncodedSentence {
    const S = ids.length;
    if (S === 0) throw new RangeError('cannot encode an empty source sentence');
    const E = this.encLayers[0].fwd.x.K;
    const rows = this.srcEmbedding.length / E;
    let input: Float32Array = new Float32Array(S * E);
    for (let t = 0; t < S; t++) {
      const id = ids[t];
      if (!Number.isInteger(id) || id < 0 || id >= rows) throw new RangeError(`source token id ${id} is outside the vocabulary [0, ${rows})`);
      input.set(this.srcEmbedding.subarray(id * E, (id + 1) * E), t * E);
    }
    let final: Float32Array = new Float32Array(0);
    for (const { fwd, bwd } of this.encLayers) {
      const f = this.run(fwd, input, S, false);
      if (bwd) {
        const b = this.run(bwd, input, S, true);
        const h = fwd.H;
        const out = new Float32Array(S * 2 * h);
        for (let t = 0; t < S; t++) {
          out.set(f.outputs.subarray(t * h, (t + 1) * h), t * 2 * h);
          out.set(b.outputs.subarray(t * h, (t + 1) * h), t * 2 * h + h);
        }
        input = out;
        final = new Float32Array(2 * h);
        final.set(f.final);
        final.set(b.final, h);
      } else {
        input = f.outputs;
        final = f.final;
      }
    }
    let keys: Float32Array | undefined;
    if (this.wk) keys = this.wk.applyRows(input, S);
    else if (this.wa) keys = this.wa.applyRows(input, S);
    else if (this.attKind !== 'none') keys = input;
    return { length: S, outputs: input, keys, final };
  }

  private run(cell: Cell, input: Float32Array, S: number, reverse: boolean): { outputs: Float32Array; final: Float32Array } {
    const proj = cell.x.applyRows(input, S);
    const GH = cell.G * cell.H;
    const outputs = new Float32Array(S * cell.H);
    let state = cell.zero();
    const hp = new Float32Array(GH);
    for (let i = 0; i < S; i++) {
      const t = reverse ? S - 1 - i : i;
      cell.h.apply(state.h, 0, hp, 0);
      state = cell.step(proj, t * GH, hp, 0, state);
      outputs.set(state.h, t * cell.H);
    }
    return { outputs, final: state.h };
  }

  /**
   * Initial decoder state: the bridge `tanh(W_b x + b_b)` with x the final
   * encoder state or, with `model.bridgeFrom` `mean`, the mean of the encoder
   * outputs over the sentence's S tokens; or zeros without a bridge.
   */
  initialState(src: EncodedSentence): InferenceState {
    const H = this.H;
    const h0 = new Float32Array(H);
    if (this.bridge) {
      this.bridge.apply(this.bridgeFromMean ? meanRows(src.outputs, src.length) : src.final, 0, h0, 0);
      for (let j = 0; j < H; j++) h0[j] = Math.tanh(h0[j]);
    }
    const layers = this.decCells.map((c) => (c.kind === 'lstm' ? { h: h0, c: h0 } : { h: h0 }));
    return { layers, feed: new Float32Array(this.feedSize) };
  }

  /**
   * Attention weights `[S]` into `weights` at `wOff`; @returns the context vector `[hidden]`.
   * @param query the projected query (Bahdanau: `W_q s`; Luong: `s`)
   */
  private attendWith(query: Float32Array, src: EncodedSentence, weights: Float32Array, wOff: number): Float32Array {
    const S = src.length;
    const keys = src.keys!;
    const scores = new Float64Array(S);
    if (this.attKind === 'bahdanau') {
      // score_j = vᵀ tanh(W_k h_j + W_q s)
      const A = this.wq!.N;
      const q = query;
      const v = this.v!;
      for (let j = 0; j < S; j++) {
        let s = 0;
        for (let a = 0; a < A; a++) s += v[a] * Math.tanh(keys[j * A + a] + q[a]);
        scores[j] = s;
      }
    } else {
      // score_j = sᵀ k_j (k = h for dot, W_a h for general)
      const D = query.length;
      for (let j = 0; j < S; j++) {
        let s = 0;
        for (let d = 0; d < D; d++) s += keys[j * D + d] * query[d];
        scores[j] = s;
      }
    }
    let max = -Infinity;
    for (let j = 0; j < S; j++) if (scores[j] > max) max = scores[j];
    let sum = 0;
    for (let j = 0; j < S; j++) sum += scores[j] = Math.exp(scores[j] - max);
    const D = src.outputs.length / S;
    const context = new Float64Array(D);
    for (let j = 0; j < S; j++) {
      const w = scores[j] / sum;
      weights[wOff + j] = w;
      for (let d = 0; d < D; d++) context[d] += w * src.outputs[j * D + d];
    }
    return new Float32Array(context);
  }

  private inputProjection(id: number): Float32Array {
    let p = this.inputCache.get(id);
    if (!p) {
      const cell = this.decCells[0];
      const E = cell.x.K;
      if (!Number.isInteger(id) || id < 0 || id * E >= this.tgtEmbedding.length) throw new RangeError(`target token id ${id} is outside the vocabulary [0, ${this.V})`);
      p = new Float32Array(cell.x.N);
      cell.x.apply(this.tgtEmbedding, id * E, p, 0);
      if (this.inputCache.size >= 4096) this.inputCache.clear();
      this.inputCache.set(id, p);
    }
    return p;
  }

  /**
   * One decoder step for k hypotheses of the same sentence (as `Seq2SeqModel.decodeStep`).
   * @param prev `[k]` previous token ids (`<bos>` first)
   * @param states `[k]` decoder states
   */
  step(prev: ArrayLike<number>, states: InferenceState[], src: EncodedSentence): InferenceStepOutput {
    const k = prev.length;
    if (states.length !== k) throw new RangeError(`step: ${k} previous tokens but ${states.length} states`);
    const H = this.H;
    const S = src.length;
    const L = this.decCells.length;
    const D = src.final.length;
    const luong = this.attKind === 'luong-dot' || this.attKind === 'luong-general';
    const weights = this.attKind !== 'none' ? new Float32Array(k * S) : undefined;
    // Context vectors [k, D]: Bahdanau attends with the previous top state; `none` uses the encoder's final state.
    const contexts = new Float32Array(k * D);
    if (this.attKind === 'bahdanau') {
      const q = this.wq!.applyRows(rows(states.map((s) => s.layers[L - 1].h), H), k);
      for (let i = 0; i < k; i++) contexts.set(this.attendWith(q.subarray(i * this.wq!.N, (i + 1) * this.wq!.N), src, weights!, i * S), i * D);
    } else {
      for (let i = 0; i < k; i++) contexts.set(src.final, i * D);
    }
    // Layer-0 input: emb(y)·Wx + bx (+ feed·W_feed, feed = õ_{t−1} for Luong, else the context).
    const GH0 = this.decCells[0].G * H;
    let x: Float32Array = new Float32Array(k * GH0);
    for (let i = 0; i < k; i++) x.set(this.inputProjection(prev[i]), i * GH0);
    if (this.feedInput) {
      const fed = this.wFeed!.applyRows(luong ? rows(states.map((s) => s.feed), this.feedSize) : contexts, k);
      for (let j = 0; j < x.length; j++) x[j] += fed[j];
    }
    const layers: LayerState[][] = states.map(() => []);
    for (let l = 0; l < L; l++) {
      const cell = this.decCells[l];
      const GH = cell.G * H;
      if (l > 0) x = cell.x.applyRows(rows(layers.map((ls) => ls[l - 1].h), H), k);
      const hp = cell.h.applyRows(rows(states.map((s) => s.layers[l].h), H), k);
      for (let i = 0; i < k; i++) layers[i].push(cell.step(x, i * GH, hp, i * GH, states[i].layers[l]));
    }
    if (luong) {
      for (let i = 0; i < k; i++) contexts.set(this.attendWith(layers[i][L - 1].h, src, weights!, i * S), i * D);
    }
    const features = this.readout(layers.map((ls) => ls[L - 1].h), contexts, prev);
    const next: InferenceState[] = layers.map((ls, i) => ({
      layers: ls,
      feed: !luong ? states[i].feed : this.readoutKind === 'attentional' ? features.slice(i * H, (i + 1) * H) : contexts.slice(i * D, (i + 1) * D),
    }));
    const logProbs = this.project(features, k);
    return { logProbs, weights, states: next };
  }

  /**
   * The readout features `[k, F]` of `RecurrentDecoder.readout` for k
   * hypotheses: õ_t = tanh(W_c [s_t; c_t] + b_c) (`attentional`),
   * [s_t; c_t; E y_{t−1}] (`deep`) or its maxout (`maxout`).
   * @param hidden `[k]` top-layer states s_t; @param contexts `[k, D]`; @param prev `[k]` previous token ids
   */
  private readout(hidden: Float32Array[], contexts: Float32Array, prev: ArrayLike<number>): Float32Array {
    const k = hidden.length;
    const H = this.H;
    const D = this.contextAtOutput ? contexts.length / k : 0;
    const E = this.decCells[0].x.K;
    const withEmbedding = this.readoutKind !== 'attentional';
    const width = H + D + (withEmbedding ? E : 0);
    const input = new Float32Array(k * width);
    for (let i = 0; i < k; i++) {
      input.set(hidden[i], i * width);
      if (D) input.set(contexts.subarray(i * D, (i + 1) * D), i * width + H);
      if (withEmbedding) input.set(this.tgtEmbedding.subarray(prev[i] * E, (prev[i] + 1) * E), i * width + H + D);
    }
    if (this.readoutKind === 'deep') return input;
    const z = this.read!.applyRows(input, k);
    if (this.readoutKind === 'attentional') {
      for (let j = 0; j < z.length; j++) z[j] = Math.tanh(z[j]);
      return z;
    }
    // maxout over the two halves of W_r [s; c; E y] + b_r
    const R = z.length / k / 2;
    const out = new Float32Array(k * R);
    for (let i = 0; i < k; i++) for (let j = 0; j < R; j++) out[i * R + j] = Math.max(z[i * 2 * R + j], z[i * 2 * R + R + j]);
    return out;
  }

  /**
   * `logSoftmax(r·W_outᵀ + b_out)` for `[k, F]` readout features → `[k, V]`, the
   * log-sum-exp taken after subtracting each row's maximum.
   */
  private project(outputs: Float32Array, k: number): Float32Array {
    const V = this.V;
    if (this.simd) {
      const simd = this.simd;
      const zP = this.out.simdProduct(outputs, 0, k);
      const lse = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        const rowP = zP + i * V * 4;
        const max = simd.max(rowP, V);
        lse[i] = max + Math.log(simd.sumExp(rowP, V, max));
      }
      const z = simd.f32;
      const z0 = zP >> 2;
      const logProbs = new Float32Array(k * V);
      for (let i = 0; i < k; i++) {
        const off = i * V;
        const l = lse[i];
        for (let v = 0; v < V; v++) logProbs[off + v] = z[z0 + off + v] - l;
      }
      return logProbs;
    }
    const logits = this.out.applyRows(outputs, k);
    for (let i = 0; i < k; i++) {
      const off = i * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) if (logits[off + v] > max) max = logits[off + v];
      let sum = 0;
      for (let v = 0; v < V; v++) sum += Math.exp(logits[off + v] - max);
      const lse = max + Math.log(sum);
      for (let v = 0; v < V; v++) logits[off + v] -= lse;
    }
    return logits;
  }

  /** Free the tensors this snapshot holds (fallback); the SIMD memory goes with the object. */
  dispose(): void {
    for (const d of this.denses) d.w?.dispose();
    this.denses.length = 0;
    this.inputCache.clear();
  }
}

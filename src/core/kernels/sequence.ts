/**
 * Whole-sequence recurrent kernels for the TensorFlow.js wasm backend: one
 * kernel runs a GRU/LSTM layer over all time steps (the encoder), one runs
 * the attention decoder over all target positions (Bahdanau attention, its
 * context fed to the cell), each with one gradient kernel — the way cuDNN's
 * RNN functions do it, on the WebAssembly SIMD kernels of
 * `src/core/kernels/simd.wat` in place on the heap.
 *
 * Why: with one kernel per step (`src/core/kernels/fused.ts`) a training
 * step still launched about a thousand kernels, and autograd summed each
 * weight's gradient from one small product per time step (`Add` of a
 * `[256, 768]` tensor eleven times per weight, forward and backward), work
 * that does not shrink when data parallelism halves the batch. Here the
 * recurrent weights are packed for the GEMM once per sequence, every weight
 * gradient is one product over all steps (`Σ_t h_{t−1}ᵀ·δ_t` as
 * `[H, T·B] × [T·B, G·H]`), and TensorFlow.js sees two kernels per layer.
 *
 * The equations are those of `src/core/model/rnn.ts` (cells),
 * `src/core/model/attention.ts` (Bahdanau et al. 2015, eq. 6 and A.1.2) and
 * `src/core/model/decoder.ts` (the step); backpropagation through time as in
 * Werbos (1990). `test/fused.test.ts` checks states, contexts and every
 * gradient against the per-step stock ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { fusedKernelsAvailable, heapSimd } from './fused';
import type { SimdKernels } from './simd';
import { chargeMatmul, profiling } from '../profile';

const BACKEND = 'wasm';

interface HeapBackend {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

type Cell = 'gru' | 'lstm';

/** Scratch and outputs of one kernel call on the heap; byte offsets stay valid when the heap grows (views do not). */
class Heap {
  private readonly temps: TensorInfo[] = [];
  readonly simd: SimdKernels;
  readonly backend: HeapBackend;

  constructor(args: Parameters<KernelFunc>[0]) {
    this.backend = args.backend as unknown as HeapBackend;
    const simd = heapSimd(this.backend);
    if (!simd) throw new Error('sequence kernels: no SIMD kernels on this wasm heap');
    this.simd = simd;
  }

  ptr(t: TensorInfo): number {
    return this.backend.dataIdMap.get(t.dataId)!.memoryOffset;
  }

  /** A temporary of `floats` (freed by {@link free}). @returns its byte offset */
  alloc(floats: number): number {
    const t = this.backend.makeOutput([Math.max(1, floats)], 'float32');
    this.temps.push(t);
    return this.ptr(t);
  }

  /** A temporary of `floats` zeros. */
  zeros(floats: number): number {
    const p = this.alloc(floats);
    this.f32().fill(0, p >> 2, (p >> 2) + floats);
    return p;
  }

  output(shape: number[]): TensorInfo {
    return this.backend.makeOutput(shape, 'float32');
  }

  /** The heap as floats (take it afresh after any allocation). */
  f32(): Float32Array {
    return this.simd.f32;
  }

  copy(dst: number, src: number, floats: number): void {
    this.f32().copyWithin(dst >> 2, src >> 2, (src >> 2) + floats);
  }

  /** `[P, Q, F]` at `src` → `[Q, P, F]` at `dst` (row copies). */
  swap01(src: number, dst: number, P: number, Q: number, F: number): void {
    const f = this.f32();
    for (let p = 0; p < P; p++) {
      for (let q = 0; q < Q; q++) {
        const s = (src >> 2) + (p * Q + q) * F;
        f.copyWithin((dst >> 2) + (q * P + p) * F, s, s + F);
      }
    }
  }

  /** `dst[i] = a[i] + b[i]` for `n` floats. */
  add(dst: number, a: number, b: number, n: number): void {
    const f = this.f32();
    const [d, x, y] = [dst >> 2, a >> 2, b >> 2];
    for (let i = 0; i < n; i++) f[d + i] = f[x + i] + f[y + i];
  }

  /** B (K × N, element (k, n) at b + 4·(k·sk + n·sn)) packed for {@link mul}. */
  packB(b: number, K: number, N: number, sk: number, sn: number): number {
    const bp = this.alloc(Math.ceil(N / 8) * 8 * K);
    const t0 = profiling() ? performance.now() : 0;
    this.simd.raw.packB(b, K, N, sk, sn, bp);
    if (t0) chargeMatmul(performance.now() - t0, 0);
    return bp;
  }

  private ap = 0;
  private apFloats = 0;
  private tmp = 0;

  /** `C[M, N] (+)= A·B` with A (M × K) at a with strides (sm, sk) and B packed by {@link packB}; C rows of N floats. */
  mul(a: number, M: number, K: number, sm: number, sk: number, bp: number, N: number, c: number, acc: boolean): void {
    const need = Math.ceil(M / 4) * 4 * K;
    if (need > this.apFloats) {
      this.ap = this.alloc(need);
      this.apFloats = need;
    }
    if (!this.tmp) this.tmp = this.alloc(32);
    const t0 = profiling() ? performance.now() : 0;
    this.simd.raw.packA(a, M, K, sm, sk, this.ap);
    this.simd.raw.gemm(this.ap, bp, c, M, K, N, N, acc ? 1 : 0, this.tmp);
    if (t0) chargeMatmul(performance.now() - t0, 2 * M * K * N);
  }

  /** `C[M, N] = Aᵀ·B` for A stored `[K, M]`, B stored `[K, N]` (both row-major): a weight gradient over K = T·B rows. */
  mulTransA(a: number, M: number, K: number, b: number, N: number, c: number): void {
    this.mul(a, M, K, 1, M, this.packB(b, K, N, N, 1), N, c, false);
  }

  /** Σ over the K rows of `x [K, N]` into `out [N]` (as a product with a row of ones). */
  sumRows(x: number, K: number, N: number, out: number): void {
    const ones = this.alloc(K);
    this.f32().fill(1, ones >> 2, (ones >> 2) + K);
    this.mul(ones, 1, K, K, 1, this.packB(x, K, N, N, 1), N, out, false);
  }

  free(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps.length = 0;
  }
}

const gatesOf = (cell: Cell) => (cell === 'gru' ? 3 : 4);
const savedOf = (cell: Cell) => (cell === 'gru' ? 4 : 5);

/**
 * What a forward kernel saves for its gradient lives in one "workspace"
 * output whose tensor is labelled `[1]` while its memory holds all of it
 * (the backend frees the memory by its offset, whatever the label). The
 * gradient tape makes a zero gradient for every output nobody used, of the
 * output's size: for separate saved outputs that was megabytes of zeros
 * written per step (`tanh(K + q)` of every decoder step alone is
 * `[T, B, S, A]`); for the workspace it is one float.
 * @param regions sizes in floats; @returns the workspace and each region's byte offset
 */
function workspace(heap: Heap, regions: number[]): { ws: TensorInfo; at: number[] } {
  const total = regions.reduce((a, b) => a + b, 0);
  const ws = heap.output([Math.max(1, total)]);
  const at: number[] = [];
  let p = heap.ptr(ws);
  for (const r of regions) {
    at.push(p);
    p += 4 * r;
  }
  return { ws: { ...ws, shape: [1] }, at };
}

/** The workspace regions of a recurrent layer: gates, hprev, cprev, maskT (floats). */
const rnnRegions = (cell: Cell, T: number, B: number, H: number, masked: boolean) => [T * B * savedOf(cell) * H, T * B * H, cell === 'lstm' ? T * B * H : 0, masked ? T * B : 0];

/** The workspace regions of the decoder: gates, sprev, cprev, alphaT, eT, ctxT (floats). */
const decoderRegions = (cell: Cell, T: number, B: number, H: number, S: number, A: number, D: number) =>
  [T * B * savedOf(cell) * H, T * B * H, cell === 'lstm' ? T * B * H : 0, T * B * S, T * B * S * A, T * B * D];

// ---------------------------------------------------------------------------
// A recurrent layer over a whole sequence (the encoder)

/**
 * Inputs: x `[B, T, G·H]` (the input projection, bias included), wh `[H, G·H]`,
 * bh `[G·H]` (GRU), h0 `[B, H]`, c0 `[B, H]` (LSTM), mask `[B, T]` (masked).
 * Attrs: cell, reverse (run t = T−1 … 0), masked.
 * Outputs: hs `[B, T, H]` (the state after step t, at t), hT and cT `[B, H]`
 * (after the last step run; cT `[0]` for GRU), and for the gradient the
 * workspace (see {@link workspace}): gates `[T, B, 4H | 5H]`, hprev and
 * cprev `[T, B, H]` (the state each step read), maskT `[T, B]`.
 */
const rnnSequenceKernel: KernelFunc = (args) => {
  const heap = new Heap(args);
  const { x, wh, bh, h0, c0, mask } = args.inputs as Record<string, TensorInfo>;
  const { cell, reverse, masked } = args.attrs as unknown as { cell: Cell; reverse: boolean; masked: boolean };
  const [B, T, GH] = x.shape;
  const H = h0.shape[1];
  const SW = savedOf(cell) * H;
  const lstm = cell === 'lstm';
  const hs = heap.output([B, T, H]);
  const hT = heap.output([B, H]);
  const cT = heap.output(lstm ? [B, H] : [0]);
  const { ws, at } = workspace(heap, rnnRegions(cell, T, B, H, masked));
  const [gates, hprev, cprev, maskT] = at;
  try {
    const xT = heap.alloc(T * B * GH);
    const hsT = heap.alloc(T * B * H);
    const csT = lstm ? heap.alloc(T * B * H) : 0;
    const hp = heap.alloc(B * GH);
    const whp = heap.packB(heap.ptr(wh), H, GH, GH, 1);
    heap.swap01(heap.ptr(x), xT, B, T, GH);
    if (masked) heap.swap01(heap.ptr(mask), maskT, B, T, 1);
    const raw = heap.simd.raw;
    let h = heap.ptr(h0);
    let c = lstm ? heap.ptr(c0) : 0;
    for (let i = 0; i < T; i++) {
      const t = reverse ? T - 1 - i : i;
      heap.copy(hprev + 4 * t * B * H, h, B * H);
      if (lstm) heap.copy(cprev + 4 * t * B * H, c, B * H);
      heap.mul(h, B, H, H, 1, whp, GH, hp, false);
      const m = masked ? maskT + 4 * t * B : 0;
      const out = hsT + 4 * t * B * H;
      const g = gates + 4 * t * B * SW;
      if (lstm) {
        raw.lstmForward(xT + 4 * t * B * GH, hp, h, c, m, out, csT + 4 * t * B * H, g, B, H);
        c = csT + 4 * t * B * H;
      } else {
        raw.gruForward(xT + 4 * t * B * GH, hp, bh ? heap.ptr(bh) : 0, h, m, out, g, B, H);
      }
      h = out;
    }
    heap.swap01(hsT, heap.ptr(hs), T, B, H);
    heap.copy(heap.ptr(hT), h, B * H);
    if (lstm) heap.copy(heap.ptr(cT), c, B * H);
    return [hs, hT, cT, ws];
  } finally {
    heap.free();
  }
};

/** Gradient of {@link rnnSequenceKernel}: inputs dhs, dhT, dcT (LSTM), wh and its workspace; outputs dx, dwh, dbh (GRU), dh0, dc0 (LSTM). */
const rnnSequenceGradKernel: KernelFunc = (args) => {
  const heap = new Heap(args);
  const { dhs, dhT, dcT, wh, ws } = args.inputs as Record<string, TensorInfo>;
  const { cell, reverse, masked } = args.attrs as unknown as { cell: Cell; reverse: boolean; masked: boolean };
  const [B, T, H] = dhs.shape;
  const saved: number[] = [];
  rnnRegions(cell, T, B, H, masked).reduce((p, r) => (saved.push(p), p + 4 * r), heap.ptr(ws));
  const [gates, hprev, cprev, maskT] = saved;
  const GH = wh.shape[1];
  const SW = savedOf(cell) * H;
  const lstm = cell === 'lstm';
  const dx = heap.output([B, T, GH]);
  const dwh = heap.output([H, GH]);
  const dbh = heap.output(lstm ? [0] : [GH]);
  const dh0 = heap.output([B, H]);
  const dc0 = heap.output(lstm ? [B, H] : [0]);
  try {
    const dhsT = heap.alloc(T * B * H);
    heap.swap01(heap.ptr(dhs), dhsT, B, T, H);
    const dXT = heap.alloc(T * B * GH);
    // GRU: ∂(h·W_h + b_h) differs from ∂x in the candidate's third; LSTM: both are the gates' gradient.
    const dHP = lstm ? dXT : heap.alloc(T * B * GH);
    const whT = heap.packB(heap.ptr(wh), GH, H, 1, GH);
    const dtot = heap.alloc(B * H);
    const carryH = heap.ptr(dh0);
    heap.copy(carryH, heap.ptr(dhT), B * H);
    const carryC = lstm ? heap.ptr(dc0) : 0;
    if (lstm) heap.copy(carryC, heap.ptr(dcT), B * H);
    const raw = heap.simd.raw;
    for (let i = T - 1; i >= 0; i--) {
      const t = reverse ? T - 1 - i : i;
      heap.add(dtot, dhsT + 4 * t * B * H, carryH, B * H);
      const m = masked ? maskT + 4 * t * B : 0;
      const g = gates + 4 * t * B * SW;
      if (lstm) raw.lstmBackward(dtot, carryC, g, cprev + 4 * t * B * H, m, dXT + 4 * t * B * GH, carryH, carryC, B, H);
      else raw.gruBackward(dtot, g, hprev + 4 * t * B * H, m, dXT + 4 * t * B * GH, dHP + 4 * t * B * GH, carryH, B, H);
      // The state's gradient through the recurrence: + δ_t·W_hᵀ.
      heap.mul(dHP + 4 * t * B * GH, B, GH, GH, 1, whT, H, carryH, true);
    }
    heap.mulTransA(hprev, H, T * B, dHP, GH, heap.ptr(dwh));
    if (!lstm) heap.sumRows(dHP, T * B, GH, heap.ptr(dbh));
    heap.swap01(dXT, heap.ptr(dx), T, B, GH);
    return [dx, dwh, dbh, dh0, dc0];
  } finally {
    heap.free();
  }
};

// ---------------------------------------------------------------------------
// The attention decoder over all target positions (teacher forcing)

/**
 * Inputs: xe `[B, T, G·H]` (the previous words' input projection, bias
 * included), keys `[B, S, A]`, values `[B, S, D]`, bias `[B, S]`, v `[A]`,
 * wq `[H, A]`, wfeed `[D, G·H]` (feed), wh `[H, G·H]`, bh `[G·H]` (GRU),
 * h0 `[B, H]`, c0 `[B, H]` (LSTM). Attrs: cell, feed (the context is an
 * input of the cell: `model.bridge` input or both).
 * Per step t (Bahdanau et al. 2015): q = s_{t−1}·W_q, (c_t, α_t) = attention,
 * x_t = xe_t + c_t·W_feed, s_t = cell(x_t, s_{t−1}·W_h).
 * Outputs: hs `[B, T, H]`, ctx `[B, T, D]`, alpha `[B, T, S]`, and for the
 * gradient the workspace (see {@link workspace}): gates `[T, B, 4H | 5H]`,
 * sprev, cprev `[T, B, H]`, alphaT `[T, B, S]`, eT `[T, B, S, A]`
 * (tanh(K + q)), ctxT `[T, B, D]`.
 */
const decoderKernel: KernelFunc = (args) => {
  const heap = new Heap(args);
  const { xe, keys, values, bias, v, wq, wfeed, wh, bh, h0, c0 } = args.inputs as Record<string, TensorInfo>;
  const { cell, feed } = args.attrs as unknown as { cell: Cell; feed: boolean };
  const [B, T, GH] = xe.shape;
  const [, S, A] = keys.shape;
  const D = values.shape[2];
  const H = h0.shape[1];
  const SW = savedOf(cell) * H;
  const lstm = cell === 'lstm';
  const hs = heap.output([B, T, H]);
  const ctx = heap.output([B, T, D]);
  const alpha = heap.output([B, T, S]);
  const { ws, at } = workspace(heap, decoderRegions(cell, T, B, H, S, A, D));
  const [gates, sprev, cprev, alphaT, eT, ctxT] = at;
  try {
    const xT = heap.alloc(T * B * GH);
    heap.swap01(heap.ptr(xe), xT, B, T, GH);
    const hsT = heap.alloc(T * B * H);
    const csT = lstm ? heap.alloc(T * B * H) : 0;
    const q = heap.alloc(B * A);
    const hp = heap.alloc(B * GH);
    const wqp = heap.packB(heap.ptr(wq), H, A, A, 1);
    const whp = heap.packB(heap.ptr(wh), H, GH, GH, 1);
    const wfp = feed ? heap.packB(heap.ptr(wfeed), D, GH, GH, 1) : 0;
    const raw = heap.simd.raw;
    let s = heap.ptr(h0);
    let c = lstm ? heap.ptr(c0) : 0;
    for (let t = 0; t < T; t++) {
      heap.copy(sprev + 4 * t * B * H, s, B * H);
      if (lstm) heap.copy(cprev + 4 * t * B * H, c, B * H);
      heap.mul(s, B, H, H, 1, wqp, A, q, false);
      const ct = ctxT + 4 * t * B * D;
      raw.attentionForward(0, heap.ptr(keys), q, heap.ptr(v), heap.ptr(values), heap.ptr(bias), ct, alphaT + 4 * t * B * S, eT + 4 * t * B * S * A, B, S, A, D);
      const xt = xT + 4 * t * B * GH;
      if (feed) heap.mul(ct, B, D, D, 1, wfp, GH, xt, true);
      heap.mul(s, B, H, H, 1, whp, GH, hp, false);
      const out = hsT + 4 * t * B * H;
      const g = gates + 4 * t * B * SW;
      if (lstm) {
        raw.lstmForward(xt, hp, s, c, 0, out, csT + 4 * t * B * H, g, B, H);
        c = csT + 4 * t * B * H;
      } else {
        raw.gruForward(xt, hp, bh ? heap.ptr(bh) : 0, s, 0, out, g, B, H);
      }
      s = out;
    }
    heap.swap01(hsT, heap.ptr(hs), T, B, H);
    heap.swap01(ctxT, heap.ptr(ctx), T, B, D);
    heap.swap01(alphaT, heap.ptr(alpha), T, B, S);
    return [hs, ctx, alpha, ws];
  } finally {
    heap.free();
  }
};

/**
 * Gradient of {@link decoderKernel}. Inputs dhs `[B, T, H]`, dctx `[B, T, D]`,
 * keys, values, v, wq, wfeed, wh and the forward's workspace. Outputs dxe, dkeys, dvalues, dv, dwq, dwfeed (feed), dwh, dbh
 * (GRU), dh0, dc0 (LSTM).
 */
const decoderGradKernel: KernelFunc = (args) => {
  const heap = new Heap(args);
  const { dhs, dctx, keys, values, v, wq, wfeed, wh, ws } = args.inputs as Record<string, TensorInfo>;
  const { cell, feed } = args.attrs as unknown as { cell: Cell; feed: boolean };
  const [B, T, H] = dhs.shape;
  const [, S, A] = keys.shape;
  const D = values.shape[2];
  const saved: number[] = [];
  decoderRegions(cell, T, B, H, S, A, D).reduce((p, r) => (saved.push(p), p + 4 * r), heap.ptr(ws));
  const [gates, sprev, cprev, alphaT, eT, ctxT] = saved;
  const GH = wh.shape[1];
  const SW = savedOf(cell) * H;
  const lstm = cell === 'lstm';
  const dxe = heap.output([B, T, GH]);
  const dkeys = heap.output([B, S, A]);
  const dvalues = heap.output([B, S, D]);
  const dv = heap.output([A]);
  const dwq = heap.output([H, A]);
  const dwfeed = heap.output(feed ? [D, GH] : [0]);
  const dwh = heap.output([H, GH]);
  const dbh = heap.output(lstm ? [0] : [GH]);
  const dh0 = heap.output([B, H]);
  const dc0 = heap.output(lstm ? [B, H] : [0]);
  try {
    const f = heap.f32();
    for (const o of [dkeys, dvalues, dv]) f.fill(0, heap.ptr(o) >> 2, (heap.ptr(o) >> 2) + (o.shape.reduce((a, b) => a * b, 1)));
    const dhsT = heap.alloc(T * B * H);
    heap.swap01(heap.ptr(dhs), dhsT, B, T, H);
    const dctxT = heap.alloc(T * B * D);
    heap.swap01(heap.ptr(dctx), dctxT, B, T, D);
    const dXT = heap.alloc(T * B * GH);
    const dHP = lstm ? dXT : heap.alloc(T * B * GH);
    const dQ = heap.alloc(T * B * A);
    const dtot = heap.alloc(B * H);
    const dc = heap.alloc(B * D);
    const tmp = heap.alloc(S);
    const whT = heap.packB(heap.ptr(wh), GH, H, 1, GH);
    const wqT = heap.packB(heap.ptr(wq), A, H, 1, A);
    const wfT = feed ? heap.packB(heap.ptr(wfeed), GH, D, 1, GH) : 0;
    const carryH = heap.ptr(dh0);
    heap.f32().fill(0, carryH >> 2, (carryH >> 2) + B * H);
    const carryC = lstm ? heap.ptr(dc0) : 0;
    if (lstm) heap.f32().fill(0, carryC >> 2, (carryC >> 2) + B * H);
    const raw = heap.simd.raw;
    for (let t = T - 1; t >= 0; t--) {
      heap.add(dtot, dhsT + 4 * t * B * H, carryH, B * H);
      const g = gates + 4 * t * B * SW;
      const dxt = dXT + 4 * t * B * GH;
      if (lstm) raw.lstmBackward(dtot, carryC, g, cprev + 4 * t * B * H, 0, dxt, carryH, carryC, B, H);
      else raw.gruBackward(dtot, g, sprev + 4 * t * B * H, 0, dxt, dHP + 4 * t * B * GH, carryH, B, H);
      // The context's gradient: from the readout, and through W_feed into the cell.
      heap.copy(dc, dctxT + 4 * t * B * D, B * D);
      if (feed) heap.mul(dxt, B, GH, GH, 1, wfT, D, dc, true);
      const dq = dQ + 4 * t * B * A;
      raw.attentionBackward(0, heap.ptr(keys), 0, heap.ptr(v), heap.ptr(values), alphaT + 4 * t * B * S, eT + 4 * t * B * S * A, dc, 0, heap.ptr(dkeys), dq, heap.ptr(dv), heap.ptr(dvalues), tmp, B, S, A, D, 1);
      // The previous state's gradient: direct, through W_h and through the query W_q.
      heap.mul(dHP + 4 * t * B * GH, B, GH, GH, 1, whT, H, carryH, true);
      heap.mul(dq, B, A, A, 1, wqT, H, carryH, true);
    }
    heap.mulTransA(sprev, H, T * B, dHP, GH, heap.ptr(dwh));
    if (!lstm) heap.sumRows(dHP, T * B, GH, heap.ptr(dbh));
    heap.mulTransA(sprev, H, T * B, dQ, A, heap.ptr(dwq));
    if (feed) heap.mulTransA(ctxT, D, T * B, dXT, GH, heap.ptr(dwfeed));
    heap.swap01(dXT, heap.ptr(dxe), T, B, GH);
    return [dxe, dkeys, dvalues, dv, dwq, dwfeed, dwh, dbh, dh0, dc0];
  } finally {
    heap.free();
  }
};

// ---------------------------------------------------------------------------
// Registration and ops

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: object) =>
  tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as NamedAttrMap) as unknown as tf.Tensor[];

const rnnGrad: GradConfig = {
  kernelName: 'SeqLabRnnSequence',
  inputsToSave: ['wh', 'mask'],
  outputsToSave: [false, false, false, true],
  gradFunc: (dy, saved, attrs) => {
    const [dhs, dhT, dcT] = dy as tf.Tensor[];
    const [wh, mask, ws] = saved;
    const [dx, dwh, dbh, dh0, dc0] = run('SeqLabRnnSequenceGrad', { dhs, dhT, dcT, wh, ws }, attrs);
    return { x: () => dx, wh: () => dwh, bh: () => dbh, h0: () => dh0, c0: () => dc0, mask: () => tf.zerosLike(mask) };
  },
};

const decoderGrad: GradConfig = {
  kernelName: 'SeqLabAttnDecoder',
  inputsToSave: ['keys', 'values', 'v', 'wq', 'wfeed', 'wh', 'bias'],
  outputsToSave: [false, false, false, true],
  gradFunc: (dy, saved, attrs) => {
    const [dhs, dctx] = dy as tf.Tensor[];
    const [keys, values, v, wq, wfeed, wh, bias, ws] = saved;
    const [dxe, dkeys, dvalues, dv, dwq, dwfeed, dwh, dbh, dh0, dc0] = run('SeqLabAttnDecoderGrad', { dhs, dctx, keys, values, v, wq, wfeed, wh, ws }, attrs);
    return {
      xe: () => dxe, keys: () => dkeys, values: () => dvalues, v: () => dv, wq: () => dwq, wfeed: () => dwfeed,
      wh: () => dwh, bh: () => dbh, h0: () => dh0, c0: () => dc0, bias: () => tf.zerosLike(bias),
    };
  },
};

/** Names of the kernels {@link registerSequenceKernels} registers for `wasm`. */
export const SEQUENCE_KERNEL_NAMES: readonly string[] = ['SeqLabRnnSequence', 'SeqLabRnnSequenceGrad', 'SeqLabAttnDecoder', 'SeqLabAttnDecoderGrad'];

let registered = false;

/** Registers the whole-sequence kernels and their gradients for the wasm backend. Idempotent. */
export function registerSequenceKernels(): void {
  if (registered) return;
  const kernels: [string, KernelFunc][] = [
    ['SeqLabRnnSequence', rnnSequenceKernel],
    ['SeqLabRnnSequenceGrad', rnnSequenceGradKernel],
    ['SeqLabAttnDecoder', decoderKernel],
    ['SeqLabAttnDecoderGrad', decoderGradKernel],
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    if (tf.getKernel(kernelName, BACKEND) == null) tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc } as KernelConfig);
  }
  for (const g of [rnnGrad, decoderGrad]) if (tf.getGradient(g.kernelName) == null) tf.registerGradient(g);
  registered = true;
}

/** Removes the whole-sequence kernels (the model then runs one kernel per step); for benchmarks and tests. Idempotent. */
export function unregisterSequenceKernels(): void {
  if (!registered) return;
  for (const name of SEQUENCE_KERNEL_NAMES) if (tf.getKernel(name, BACKEND) != null) tf.unregisterKernel(name, BACKEND);
  registered = false;
}

/** Whether the whole-sequence kernels run here (wasm with SIMD, registered). */
export function sequenceKernelsAvailable(): boolean {
  return registered && fusedKernelsAvailable();
}

/** An empty float32 tensor standing for an input a configuration does not have. */
const none = () => tf.zeros([0]);

/**
 * A GRU or LSTM layer over a whole sequence on one kernel (see `src/core/model/rnn.ts`).
 * @param x input projection `[B, T, G·H]`; @param wh `[H, G·H]`; @param bh `[G·H]` (GRU)
 * @param h0, c0 initial state `[B, H]`; @param mask `[B, T]` (1 = token; padding keeps the state), or undefined
 * @param reverse run from the last position to the first (a backward direction)
 * @returns the state after each step `[B, T, H]` and the final state
 */
export function rnnSequence(
  cell: Cell, x: tf.Tensor3D, wh: tf.Tensor, bh: tf.Tensor | undefined, h0: tf.Tensor2D, c0: tf.Tensor2D | undefined, mask: tf.Tensor2D | undefined, reverse: boolean,
): { hs: tf.Tensor3D; h: tf.Tensor2D; c?: tf.Tensor2D } {
  const [hs, hT, cT, ...saved] = run('SeqLabRnnSequence', { x, wh, bh: bh ?? none(), h0, c0: c0 ?? none(), mask: mask ?? none() }, { cell, reverse, masked: mask !== undefined });
  tf.dispose(saved);
  if (cell === 'gru') cT.dispose();
  return { hs: hs as tf.Tensor3D, h: hT as tf.Tensor2D, c: cell === 'lstm' ? (cT as tf.Tensor2D) : undefined };
}

/**
 * The attention decoder over all target positions on one kernel (Bahdanau
 * attention, one layer; see `src/core/model/decoder.ts`).
 * @param xe the previous words' input projection `[B, T, G·H]`
 * @param keys `[B, S, A]`; @param values `[B, S, D]`; @param bias `[B, S]`; @param v `[A]`; @param wq `[H, A]`
 * @param wfeed `[D, G·H]` when the context feeds the cell, else undefined
 * @param wh `[H, G·H]`; @param bh `[G·H]` (GRU); @param h0, c0 `[B, H]` initial state
 * @returns states `[B, T, H]`, contexts `[B, T, D]`, attention weights `[B, T, S]`
 */
export function attentionDecoder(
  cell: Cell, xe: tf.Tensor3D, keys: tf.Tensor3D, values: tf.Tensor3D, bias: tf.Tensor2D, v: tf.Tensor, wq: tf.Tensor, wfeed: tf.Tensor | undefined,
  wh: tf.Tensor, bh: tf.Tensor | undefined, h0: tf.Tensor2D, c0: tf.Tensor2D | undefined,
): { hs: tf.Tensor3D; ctx: tf.Tensor3D; alpha: tf.Tensor3D } {
  const [hs, ctx, alpha, ...saved] = run(
    'SeqLabAttnDecoder',
    { xe, keys, values, bias, v, wq, wfeed: wfeed ?? none(), wh, bh: bh ?? none(), h0, c0: c0 ?? none() },
    { cell, feed: wfeed !== undefined },
  );
  tf.dispose(saved);
  return { hs: hs as tf.Tensor3D, ctx: ctx as tf.Tensor3D, alpha: alpha as tf.Tensor3D };
}

/** Whether these sizes fit the whole-sequence kernels (multiples of 4). */
export function sequenceKernelsFit(...sizes: number[]): boolean {
  return sizes.every((s) => s > 0 && s % 4 === 0);
}

export { gatesOf };

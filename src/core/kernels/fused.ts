/**
 * Fused training kernels for the TensorFlow.js wasm backend: one kernel per
 * time step where the stock ops take ten to thirty, each with its gradient
 * kernel, and a packed GEMM for the matrix products — all running in place
 * on the backend's heap through the WebAssembly SIMD kernels of
 * `src/core/kernels/simd.wat` (relaxed SIMD where the runtime has it).
 *
 * Why: a training step of the default model launched about 3,600 kernels
 * (`npm run bench -- --profile`, bench/results/profile-before.json): every
 * GRU step split, added, multiplied and blended its gates in a dozen
 * element-wise kernels forward and twice as many backward, attention ran
 * ten, and each kernel costs tens of microseconds of TensorFlow.js dispatch
 * and tape work besides its arithmetic. Those costs do not shrink when data
 * parallelism halves the batch, so they capped the second core's gain.
 *
 * Kernels (all float32; feature sizes multiples of 4 — callers fall back to
 * the stock ops otherwise, see {@link fusedKernelsFit}):
 *  - `SeqLabGru` / `SeqLabGruMasked`: the GRU cell of `src/core/model/rnn.ts`
 *    from its input projection `x [B, 3H]` and `hp = h·W_h [B, 3H]`, with
 *    the recurrent bias `b_h [3H]` and (masked) the encoder's padding blend;
 *    outputs `h' [B, H]` and the gates saved for the gradient `[B, 4H]`;
 *  - `SeqLabLstm` / `SeqLabLstmMasked`: the LSTM cell from `x, hp [B, 4H]`,
 *    `h, c [B, H]`; outputs `h', c' [B, H]` and saved gates `[B, 5H]`;
 *  - `SeqLabAdditiveAttention` (Bahdanau) / `SeqLabDotAttention` (Luong):
 *    scores, masked softmax and context of one decoder step from the keys
 *    `[B, S, A]`, the projected query `[B, A]`, (additive) `v [A]`, the
 *    values `[B, S, D]` and the padding bias `[B, S]`; outputs the context
 *    `[B, D]`, the attention weights `[B, S]` and (additive) `tanh(K + q)`
 *    saved for the gradient;
 *  - a `…Grad` kernel for each, registered as its gradient (the equations are
 *    in `simd.wat`); `test/fused.test.ts` checks values and gradients against
 *    the stock ops.
 *
 * The GEMM (`gemmOnHeap`) serves `BatchMatMul` in `src/core/kernels/wasm.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { SimdKernels } from './simd';

const BACKEND = 'wasm';

/** The part of the wasm backend used here. */
interface HeapBackend {
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  wasm: { asm?: { memory?: WebAssembly.Memory } };
}

let heapKernels: { memory: WebAssembly.Memory; simd: SimdKernels | null } | undefined;

/**
 * The SIMD kernels working on this backend's heap, or null where SIMD (or the
 * heap's `WebAssembly.Memory`) is unavailable. One instance per heap.
 */
export function heapSimd(backend: unknown): SimdKernels | null {
  const memory = (backend as HeapBackend).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  if (heapKernels?.memory !== memory) heapKernels = { memory, simd: SimdKernels.onMemory(memory) ?? null };
  return heapKernels.simd;
}

/** Byte offset of a tensor's data on the heap. */
function ptr(backend: HeapBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// ---------------------------------------------------------------------------
// GEMM

/**
 * `C[i] = op(A[i])·op(B[i])` for `A [batchA, ·, ·]`, `B [batchB, ·, ·]`
 * (batchA, batchB equal or 1) with the packed SIMD GEMM, on the heap: each
 * operand is packed (its transpose read through strides, so transposed
 * operands cost no extra pass), then multiplied in 4×8 register tiles.
 * @returns `[batch, m, n]`, or null where the heap kernels are unavailable
 */
export function gemmOnHeap(a3: TensorInfo, b3: TensorInfo, tA: boolean, tB: boolean, backendArg: unknown): TensorInfo | null {
  const backend = backendArg as HeapBackend;
  const simd = heapSimd(backend);
  if (!simd) return null;
  const [batchA, ra, ca] = a3.shape;
  const [batchB, rb, cb] = b3.shape;
  const m = tA ? ca : ra;
  const k = tA ? ra : ca;
  const n = tB ? rb : cb;
  const batch = Math.max(batchA, batchB);
  const out = backend.makeOutput([batch, m, n], 'float32');
  if (m === 0 || n === 0) return out;
  // One product when B is shared and A untransposed: its batch folds into rows.
  const fold = batchB === 1 && batchA > 1 && !tA;
  const rowsA = fold ? batchA * m : m;
  const aPanel = Math.ceil(rowsA / 4) * 4 * k;
  const bPanel = Math.ceil(n / 8) * 8 * k;
  const scratch = backend.makeOutput([aPanel + bPanel + 32], 'float32');
  try {
    const s = ptr(backend, scratch);
    const ap = s;
    const bp = s + 4 * aPanel;
    const tmp = bp + 4 * bPanel;
    const A = ptr(backend, a3);
    const B = ptr(backend, b3);
    const C = ptr(backend, out);
    const raw = simd.raw;
    if (k === 0) {
      new Float32Array(simd.f32.buffer, C, batch * m * n).fill(0);
      return out;
    }
    if (fold) {
      raw.packB(B, k, n, tB ? 1 : n, tB ? k : 1, bp);
      raw.packA(A, rowsA, k, k, 1, ap);
      raw.gemm(ap, bp, C, rowsA, k, n, n, 0, tmp);
      return out;
    }
    for (let i = 0; i < batch; i++) {
      if (i === 0 || batchB > 1) raw.packB(B + (batchB > 1 ? 4 * i * k * n : 0), k, n, tB ? 1 : n, tB ? k : 1, bp);
      if (i === 0 || batchA > 1) raw.packA(A + (batchA > 1 ? 4 * i * m * k : 0), m, k, tA ? 1 : k, tA ? m : 1, ap);
      raw.gemm(ap, bp, C + 4 * i * m * n, m, k, n, n, 0, tmp);
    }
    return out;
  } finally {
    backend.disposeData(scratch.dataId);
  }
}

// ---------------------------------------------------------------------------
// Cell and attention kernels

/** Whether the fused kernels run on the active backend (wasm with SIMD on its heap). */
export function fusedKernelsAvailable(): boolean {
  return registered && tf.getBackend() === BACKEND && heapSimd(tf.backend()) !== null;
}

/** Whether the fused kernels handle these feature sizes (multiples of 4). */
export function fusedKernelsFit(...sizes: number[]): boolean {
  return sizes.every((s) => s > 0 && s % 4 === 0);
}

type Args = Parameters<KernelFunc>[0];

function simdOf(args: Args): { backend: HeapBackend; simd: SimdKernels } {
  const backend = args.backend as unknown as HeapBackend;
  const simd = heapSimd(backend);
  if (!simd) throw new Error(`fused kernels: no SIMD kernels on this wasm heap`);
  return { backend, simd };
}

const gruKernel = (masked: boolean): KernelFunc => (args) => {
  const { backend, simd } = simdOf(args);
  const { x, hp, bh, h, mask } = args.inputs as Record<string, TensorInfo>;
  const [B, H] = h.shape;
  const out = backend.makeOutput([B, H], 'float32');
  const gates = backend.makeOutput([B, 4 * H], 'float32');
  simd.raw.gruForward(ptr(backend, x), ptr(backend, hp), bh ? ptr(backend, bh) : 0, ptr(backend, h), masked ? ptr(backend, mask) : 0, ptr(backend, out), ptr(backend, gates), B, H);
  return [out, gates];
};

const gruGradKernel: KernelFunc = (args) => {
  const { backend, simd } = simdOf(args);
  const { dh, gates, h, mask } = args.inputs as Record<string, TensorInfo>;
  const [B, H] = h.shape;
  const dx = backend.makeOutput([B, 3 * H], 'float32');
  const dhp = backend.makeOutput([B, 3 * H], 'float32');
  const dhPrev = backend.makeOutput([B, H], 'float32');
  simd.raw.gruBackward(ptr(backend, dh), ptr(backend, gates), ptr(backend, h), mask ? ptr(backend, mask) : 0, ptr(backend, dx), ptr(backend, dhp), ptr(backend, dhPrev), B, H);
  return [dx, dhp, dhPrev];
};

const lstmKernel = (masked: boolean): KernelFunc => (args) => {
  const { backend, simd } = simdOf(args);
  const { x, hp, h, c, mask } = args.inputs as Record<string, TensorInfo>;
  const [B, H] = h.shape;
  const hOut = backend.makeOutput([B, H], 'float32');
  const cOut = backend.makeOutput([B, H], 'float32');
  const gates = backend.makeOutput([B, 5 * H], 'float32');
  simd.raw.lstmForward(ptr(backend, x), ptr(backend, hp), ptr(backend, h), ptr(backend, c), masked ? ptr(backend, mask) : 0, ptr(backend, hOut), ptr(backend, cOut), ptr(backend, gates), B, H);
  return [hOut, cOut, gates];
};

const lstmGradKernel: KernelFunc = (args) => {
  const { backend, simd } = simdOf(args);
  const { dh, dc, gates, c, mask } = args.inputs as Record<string, TensorInfo>;
  const [B, H] = c.shape;
  const dGates = backend.makeOutput([B, 4 * H], 'float32');
  const dhPrev = backend.makeOutput([B, H], 'float32');
  const dcPrev = backend.makeOutput([B, H], 'float32');
  simd.raw.lstmBackward(ptr(backend, dh), ptr(backend, dc), ptr(backend, gates), ptr(backend, c), mask ? ptr(backend, mask) : 0, ptr(backend, dGates), ptr(backend, dhPrev), ptr(backend, dcPrev), B, H);
  return [dGates, dhPrev, dcPrev];
};

const attentionKernel = (additive: boolean): KernelFunc => (args) => {
  const { backend, simd } = simdOf(args);
  const { keys, q, v, values, bias } = args.inputs as Record<string, TensorInfo>;
  const [B, S, A] = keys.shape;
  const D = values.shape[2];
  const ctx = backend.makeOutput([B, D], 'float32');
  const alpha = backend.makeOutput([B, S], 'float32');
  const e = backend.makeOutput(additive ? [B, S, A] : [0], 'float32');
  simd.raw.attentionForward(additive ? 0 : 1, ptr(backend, keys), ptr(backend, q), additive ? ptr(backend, v) : 0, ptr(backend, values), ptr(backend, bias), ptr(backend, ctx), ptr(backend, alpha), additive ? ptr(backend, e) : 0, B, S, A, D);
  return [ctx, alpha, e];
};

const attentionGradKernel: KernelFunc = (args) => {
  const { backend, simd } = simdOf(args);
  const { keys, q, v, values, alpha, e, dctx, dalpha } = args.inputs as Record<string, TensorInfo>;
  const additive = (args.attrs as unknown as { additive: boolean }).additive;
  const [B, S, A] = keys.shape;
  const D = values.shape[2];
  const dkeys = backend.makeOutput([B, S, A], 'float32');
  const dq = backend.makeOutput([B, A], 'float32');
  const dv = backend.makeOutput([additive ? A : 0], 'float32');
  const dvalues = backend.makeOutput([B, S, D], 'float32');
  const tmp = backend.makeOutput([S], 'float32');
  try {
    simd.raw.attentionBackward(
      additive ? 0 : 1, ptr(backend, keys), ptr(backend, q), additive ? ptr(backend, v) : 0, ptr(backend, values), ptr(backend, alpha), additive ? ptr(backend, e) : 0,
      ptr(backend, dctx), dalpha ? ptr(backend, dalpha) : 0, ptr(backend, dkeys), ptr(backend, dq), additive ? ptr(backend, dv) : 0, ptr(backend, dvalues), ptr(backend, tmp), B, S, A, D, 0,
    );
  } finally {
    backend.disposeData(tmp.dataId);
  }
  return [dkeys, dq, dv, dvalues];
};

/**
 * Softmax cross-entropy of every row of `logits [n, V]` against `targets`,
 * masked and (ε > 0) label-smoothed as in `src/core/model/loss.ts`, with the
 * log-partition lse = max + log Σ exp(z − max) summed in float64; per row one
 * pass for the maximum, one writing the softmax numerators exp(z − max)
 * (one exp per element) and one scaling them into the gradient. Attrs:
 * `targets` (Int32Array [n]), `mask` (Float32Array [n]), `epsilon`,
 * `withGradient`. Outputs: the gradient `[n, V]` = m·(softmax(z) − q) (q the
 * smoothed one-hot target; `[0]` without gradient) and `[2]` = the sums over
 * rows of m·(lse − z_y) (the negative log-likelihood) and of
 * m·(lse − mean(z)) (the uniform part of the smoothed loss).
 */
const softmaxCrossEntropyKernel: KernelFunc = (args) => {
  const { backend, simd } = simdOf(args);
  const logits = args.inputs.logits as TensorInfo;
  const { targets, mask, epsilon, withGradient } = args.attrs as unknown as { targets: Int32Array; mask: Float32Array; epsilon: number; withGradient: boolean };
  const [n, V] = logits.shape;
  const grad = backend.makeOutput(withGradient ? [n, V] : [0], 'float32');
  const sums = backend.makeOutput([2], 'float32');
  const scratchT = backend.makeOutput(withGradient ? [0] : [V], 'float32');
  const scratch = ptr(backend, scratchT);
  const raw = simd.raw;
  const z = ptr(backend, logits);
  const g = withGradient ? ptr(backend, grad) : 0;
  const heap = simd.f32;
  let nll = 0;
  let uniform = 0;
  for (let i = 0; i < n; i++) {
    const m = mask[i];
    const row = z + 4 * i * V;
    if (m === 0) {
      if (withGradient) heap.fill(0, (g >> 2) + i * V, (g >> 2) + (i + 1) * V);
      continue;
    }
    const [max, sum] = epsilon > 0 ? raw.maxAndSum(row, V) : [raw.max(row, V), 0];
    // Without gradient the numerators go to the row's scratch (the gradient storage is empty).
    const numerators = withGradient ? g + 4 * i * V : scratch;
    const total = raw.expShift(row, V, max, numerators);
    const lse = max + Math.log(total);
    nll += m * (lse - heap[(row >> 2) + targets[i]]);
    if (epsilon > 0) uniform += m * (lse - sum / V);
    if (withGradient) {
      raw.scaleShift(numerators, V, m / total, (m * epsilon) / V);
      heap[(g >> 2) + i * V + targets[i]] -= m * (1 - epsilon);
    }
  }
  const out = new Float32Array(simd.f32.buffer, ptr(backend, sums), 2);
  out[0] = nll;
  out[1] = uniform;
  backend.disposeData(scratchT.dataId);
  return [grad, sums];
};

/**
 * The fused softmax cross-entropy on the wasm heap (see the kernel above),
 * or null where the fused kernels are unavailable (other backends: the
 * caller computes it in JavaScript).
 * @returns the gradient `[n, V]` (absent without gradient) and the two sums in nats
 */
export function fusedSoftmaxCrossEntropy(logits: tf.Tensor2D, targets: Int32Array, mask: Float32Array, epsilon: number, withGradient: boolean): { grad?: tf.Tensor2D; nll: number; uniform: number } | null {
  if (!fusedKernelsAvailable()) return null;
  const [grad, sums] = run('SeqLabSoftmaxCrossEntropy', { logits }, { targets, mask, epsilon, withGradient } as unknown as NamedAttrMap);
  const [nll, uniform] = sums.dataSync();
  sums.dispose();
  if (!withGradient) grad.dispose();
  return { grad: withGradient ? (grad as tf.Tensor2D) : undefined, nll, uniform };
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: NamedAttrMap = {}) =>
  tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs) as unknown as tf.Tensor[];

const gruGrad = (masked: boolean): GradConfig => ({
  kernelName: masked ? 'SeqLabGruMasked' : 'SeqLabGru',
  inputsToSave: masked ? ['h', 'mask'] : ['h'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved) => {
    const [dh] = dy as tf.Tensor[];
    const [h, mask, gates] = masked ? saved : [saved[0], undefined, saved[1]];
    const [dx, dhp, dhPrev] = run('SeqLabGruGrad', mask ? { dh, gates, h, mask } : { dh, gates, h });
    return { x: () => dx, hp: () => dhp, bh: () => tf.sum(dhp, 0), h: () => dhPrev, mask: () => tf.zerosLike(mask!) };
  },
});

const lstmGrad = (masked: boolean): GradConfig => ({
  kernelName: masked ? 'SeqLabLstmMasked' : 'SeqLabLstm',
  inputsToSave: masked ? ['c', 'mask'] : ['c'],
  outputsToSave: [false, false, true],
  gradFunc: (dy, saved) => {
    const [dh, dc] = dy as tf.Tensor[];
    const [c, mask, gates] = masked ? saved : [saved[0], undefined, saved[1]];
    const [dGates, dhPrev, dcPrev] = run('SeqLabLstmGrad', mask ? { dh, dc, gates, c, mask } : { dh, dc, gates, c });
    return { x: () => dGates, hp: () => dGates, h: () => dhPrev, c: () => dcPrev, mask: () => tf.zerosLike(mask!) };
  },
});

const attentionGrad = (additive: boolean): GradConfig => ({
  kernelName: additive ? 'SeqLabAdditiveAttention' : 'SeqLabDotAttention',
  inputsToSave: additive ? ['keys', 'q', 'v', 'values'] : ['keys', 'q', 'values'],
  outputsToSave: [false, true, additive],
  gradFunc: (dy, saved) => {
    const [dctx, dalpha] = dy as tf.Tensor[];
    const [keys, q, v, values, alpha, e] = additive ? saved : [saved[0], saved[1], undefined, saved[2], saved[3], undefined];
    const inputs: Record<string, tf.Tensor> = { keys, q, values, alpha, dctx, dalpha };
    if (additive) Object.assign(inputs, { v: v!, e: e! });
    const [dkeys, dq, dv, dvalues] = run('SeqLabAttentionGrad', inputs, { additive } as unknown as NamedAttrMap);
    return { keys: () => dkeys, q: () => dq, v: () => dv, values: () => dvalues, bias: () => tf.zerosLike(keys).sum(2) };
  },
});

let registered = false;

/** Names of the kernels {@link registerFusedKernels} registers for `wasm`. */
export const FUSED_KERNEL_NAMES: readonly string[] = [
  'SeqLabGru', 'SeqLabGruMasked', 'SeqLabGruGrad', 'SeqLabLstm', 'SeqLabLstmMasked', 'SeqLabLstmGrad',
  'SeqLabAdditiveAttention', 'SeqLabDotAttention', 'SeqLabAttentionGrad', 'SeqLabSoftmaxCrossEntropy',
];

/**
 * Registers the fused kernels and their gradients for the wasm backend.
 * Idempotent; gradients are registered once per process (tfjs keeps them by
 * kernel name, for every backend: on other backends the kernels are absent
 * and the model uses the stock ops).
 */
export function registerFusedKernels(): void {
  if (registered) return;
  const kernels: [string, KernelFunc][] = [
    ['SeqLabGru', gruKernel(false)],
    ['SeqLabGruMasked', gruKernel(true)],
    ['SeqLabGruGrad', gruGradKernel],
    ['SeqLabLstm', lstmKernel(false)],
    ['SeqLabLstmMasked', lstmKernel(true)],
    ['SeqLabLstmGrad', lstmGradKernel],
    ['SeqLabAdditiveAttention', attentionKernel(true)],
    ['SeqLabDotAttention', attentionKernel(false)],
    ['SeqLabAttentionGrad', attentionGradKernel],
    ['SeqLabSoftmaxCrossEntropy', softmaxCrossEntropyKernel],
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    if (tf.getKernel(kernelName, BACKEND) == null) tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc } as KernelConfig);
  }
  for (const g of [gruGrad(false), gruGrad(true), lstmGrad(false), lstmGrad(true), attentionGrad(true), attentionGrad(false)]) {
    if (tf.getGradient(g.kernelName) == null) tf.registerGradient(g);
  }
  registered = true;
}

/** Removes the fused kernels (the model then runs the stock ops); for benchmarks and tests. Idempotent. */
export function unregisterFusedKernels(): void {
  if (!registered) return;
  for (const name of FUSED_KERNEL_NAMES) if (tf.getKernel(name, BACKEND) != null) tf.unregisterKernel(name, BACKEND);
  registered = false;
}

// ---------------------------------------------------------------------------
// Ops (what the model calls)

/**
 * One GRU step on the fused kernel (see `GruCell` in `src/core/model/rnn.ts`).
 * @param x input projection `[B, 3H]`; @param hp `h·W_h` `[B, 3H]`; @param bh `[3H]`
 * @param h previous state `[B, H]`; @param mask `[B, 1]` (1 = token, 0 = padding: keep h), or undefined
 * @returns the next state `[B, H]`
 */
export function fusedGru(x: tf.Tensor2D, hp: tf.Tensor2D, bh: tf.Tensor1D, h: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D {
  const inputs: Record<string, tf.Tensor> = { x, hp, bh, h };
  if (mask) inputs.mask = mask;
  const [hNext, gates] = run(mask ? 'SeqLabGruMasked' : 'SeqLabGru', inputs);
  gates.dispose();
  return hNext as tf.Tensor2D;
}

/**
 * One LSTM step on the fused kernel (see `LstmCell`).
 * @param x input projection `[B, 4H]`; @param hp `h·W_h` `[B, 4H]`; @param h, c `[B, H]`; @param mask `[B, 1]` or undefined
 */
export function fusedLstm(x: tf.Tensor2D, hp: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D, mask?: tf.Tensor2D): { h: tf.Tensor2D; c: tf.Tensor2D } {
  const inputs: Record<string, tf.Tensor> = { x, hp, h, c };
  if (mask) inputs.mask = mask;
  const [hNext, cNext, gates] = run(mask ? 'SeqLabLstmMasked' : 'SeqLabLstm', inputs);
  gates.dispose();
  return { h: hNext as tf.Tensor2D, c: cNext as tf.Tensor2D };
}

/**
 * Attention of one step on the fused kernel (see `src/core/model/attention.ts`):
 * additive when `v` is given (Bahdanau: `vᵀ tanh(K + q)`), else dot (Luong: `K·q`).
 * @param keys `[B, S, A]`; @param q `[B, A]`; @param values `[B, S, D]`; @param bias `[B, S]`
 * @returns context `[B, D]` and weights `[B, S]`
 */
export function fusedAttention(keys: tf.Tensor3D, q: tf.Tensor2D, v: tf.Tensor | undefined, values: tf.Tensor3D, bias: tf.Tensor2D): { context: tf.Tensor2D; weights: tf.Tensor2D } {
  const inputs: Record<string, tf.Tensor> = { keys, q, values, bias };
  if (v) inputs.v = v;
  const [context, weights, e] = run(v ? 'SeqLabAdditiveAttention' : 'SeqLabDotAttention', inputs);
  e.dispose();
  return { context: context as tf.Tensor2D, weights: weights as tf.Tensor2D };
}

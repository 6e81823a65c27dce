/**
 * Custom / replacement kernels for the TensorFlow.js wasm backend
 * (`@tensorflow/tfjs-backend-wasm` 4.x).
 *
 * Why: the wasm backend only reaches XNNPACK's fast GEMM (~40 GFLOP/s here)
 * for `BatchMatMul` / `_FusedMatMul` when neither operand is transposed and
 * both batch sizes are 1; every other case falls back to a naive blocked
 * triple loop (2–4 GFLOP/s). Backprop through `a·b` produces exactly those
 * transposed products (dA = dY·Bᵀ, dB = Aᵀ·dY), so training ran at the slow
 * path's speed. The wasm backend also lacks `UnsortedSegmentSum`, the kernel
 * behind the gradient of `tf.gather` (embedding lookups), so training an
 * embedding failed outright.
 *
 * What is registered:
 *  - `BatchMatMul` and `_FusedMatMul` wrappers. A transposed operand is
 *    materialised by a cache-blocked transpose into a temporary (or, for
 *    BatchMatMul, `Cᵀ = op(B)ᵀ·op(A)ᵀ` is computed instead when that costs
 *    less, counting the elements transposed and those XNNPACK must pack as its
 *    right operand; transposes with a unit dimension are free). A batched
 *    left operand times an unbatched right one (`[B,M,K] x [K,N]`) is folded
 *    into one `[B·M,K] x [K,N]` product. Genuinely batched products (attention
 *    over all steps `[B,T,H] x [B,H,S]`, outer products `[B,S,1] x [B,1,H]`) run
 *    as one XNNPACK product per batch entry on zero-copy heap views when that
 *    pays (see `perSliceWorthIt`); one-row products stay on the original loop.
 *    Batched products too small for that (a Transformer's attention over
 *    short sentences, `[b·h, T, d_k] × [b·h, d_k, S]` with T, S ≈ 10, and the
 *    four products of its gradient) run on the project's WebAssembly SIMD
 *    matmul (`src/core/kernels/simd.ts`; see `smallBatchedGemm`) unless the
 *    right operand is transposed: `npx tsx bench/kernels.ts --attention-only`
 *    measured 3.0–3.2x on `[256, 11, 11] × [256, 11, 32]` (with and without
 *    a transposed left operand), while `Q·Kᵀ` was as fast on the stock loop.
 *    Then the original kernel / its C++ function runs, on the XNNPACK path.
 *    XNNPACK caches a packed operator per right-operand tensor id regardless
 *    of shape, so every call that reaches it goes through `runOriginal`, which
 *    never lets one id be read with two different `[K, N]` labellings.
 *  - `GatherV2` copying contiguous slices (the stock C++ loop is ~5–10x slower
 *    for embedding lookups).
 *  - `Transpose` returning a reference-counted alias when the permutation only
 *    moves size-1 axes (the gradient of `tf.gather` does two identity
 *    transposes of the whole embedding table).
 *  - `Identity`, and `Cast` to the same dtype, returning a reference-counted
 *    alias instead of a copy (as the cpu backend does). TensorFlow.js clones
 *    every tensor it saves for the backward pass (`saveTensorsForBackwardMode`
 *    in its engine); with the stock wasm kernels each clone was a full copy,
 *    which doubled the activation memory of a training step (and aborted
 *    batches of 128 sentences of 80 tokens at the 4 GB wasm heap limit).
 *    Tensors are immutable here (variables change by `assign`, which swaps
 *    the data), so sharing the data is safe.
 *  - `Sum` over leading axes (bias gradients, `[B·T, V] → [V]`) as one pass
 *    over the rows instead of a transpose and a reduction.
 *  - `UnsortedSegmentSum` (float32 / int32), implemented in TypeScript on the
 *    wasm heap (needed by the gradient of `tf.gather`).
 *
 * Numerics are those of the original kernels (same float32 GEMM), up to
 * summation order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { pad4, SimdKernels } from './simd';
import { gemmOnHeap } from './fused';

/**
 * Which kernel runs the float32 products of `BatchMatMul`: `project` (the
 * packed SIMD GEMM of `src/core/kernels/simd.wat`, relaxed SIMD where
 * available; see `gemmOnHeap`) or `xnnpack` (the wasm backend's XNNPACK
 * GEMM behind the transposes and batching below). `SEQ2SEQ_GEMM` chooses;
 * the default is `project` (see bench/README.md for the measurements).
 */
export function gemmKernel(): 'project' | 'xnnpack' {
  const v = process.env.SEQ2SEQ_GEMM?.trim().toLowerCase();
  return v === 'xnnpack' ? 'xnnpack' : 'project';
}

/** Minimal view of the wasm backend used here (its class is not exported as a type we can rely on). */
interface WasmBackendLike {
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number; shape: number[]; dtype: string } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

const BACKEND = 'wasm';
/** Kernels replaced by this module, with the wasm backend's own config (or null when it had none). */
const originals = new Map<string, KernelConfig | null>();
let registered = false;


function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function mustGetKernel(name: string): KernelConfig {
  const k = tf.getKernel(name, BACKEND);
  if (k == null) throw new Error(`wasm kernels: the wasm backend has no '${name}' kernel to build on`);
  return k;
}

/**
 * Swaps the last two axes of a float32 tensor with a cache-blocked loop on the
 * wasm heap (~3 ns per element here; the wasm backend's Transpose kernel
 * walks the output in order and takes ~15 ns per element on large matrices).
 * Other dtypes go to the backend's kernel. The result is a fresh tensor the
 * caller must dispose.
 */
function transposeLast2(x: TensorInfo, backend: WasmBackendLike): TensorInfo {
  const rank = x.shape.length;
  const r = x.shape[rank - 2];
  const c = x.shape[rank - 1];
  if (x.dtype !== 'float32') {
    const perm = Array.from({ length: rank }, (_, i) => i);
    perm[rank - 1] = rank - 2;
    perm[rank - 2] = rank - 1;
    return transposeWith(x, perm, backend);
  }
  const out = backend.makeOutput([...x.shape.slice(0, -2), c, r], 'float32');
  // Views after makeOutput (malloc may grow the heap and detach older views).
  transposeBlocked(backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(out) as Float32Array, sizeOf(x.shape.slice(0, -2)), r, c);
  return out;
}

/** Block edge of {@link transposeBlocked} (measured best of 16–128 here). */
const TRANSPOSE_BLOCK = 64;

/**
 * `dst[b, j, i] = src[b, i, j]` for `src [batch, r, c]`, block by block so
 * that both sides stay in cache, four source rows per pass (~3 ns per element
 * on a `[1408, 3029]` matrix here).
 */
export function transposeBlocked(src: Float32Array, dst: Float32Array, batch: number, r: number, c: number): void {
  const B = TRANSPOSE_BLOCK;
  for (let b = 0; b < batch; b++) {
    const o = b * r * c;
    for (let i0 = 0; i0 < r; i0 += B) {
      const i1 = Math.min(i0 + B, r);
      for (let j0 = 0; j0 < c; j0 += B) {
        const j1 = Math.min(j0 + B, c);
        let i = i0;
        for (; i + 4 <= i1; i += 4) {
          const s0 = o + i * c;
          const s1 = s0 + c;
          const s2 = s1 + c;
          const s3 = s2 + c;
          for (let j = j0; j < j1; j++) {
            const d = o + j * r + i;
            dst[d] = src[s0 + j];
            dst[d + 1] = src[s1 + j];
            dst[d + 2] = src[s2 + j];
            dst[d + 3] = src[s3 + j];
          }
        }
        for (; i < i1; i++) {
          const si = o + i * c;
          for (let j = j0; j < j1; j++) dst[o + j * r + i] = src[si + j];
        }
      }
    }
  }
}

let originalTranspose: KernelConfig | null = null;

/** Runs the wasm backend's own Transpose kernel; the result is a fresh tensor the caller must dispose. */
function transposeWith(x: TensorInfo, perm: number[], backend: WasmBackendLike): TensorInfo {
  const transposeKernel = originalTranspose ?? mustGetKernel('Transpose');
  return transposeKernel.kernelFunc({
    inputs: { x },
    backend: backend as unknown as tf.KernelBackend,
    attrs: { perm } as unknown as NamedAttrMap,
  }) as TensorInfo;
}

function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

/**
 * Makes the "matrix" of a rank-3 operand `[batch, r, c]` readable as
 * untransposed: when `trans` is set and both r, c > 1, the last two axes are
 * physically swapped (temporary pushed on `temps`); when one of them is 1 the
 * transpose is a pure relabelling of the same memory.
 */
function plain(t: TensorInfo, trans: boolean, backend: WasmBackendLike, temps: TensorInfo[]): TensorInfo {
  const [bt, r, c] = t.shape;
  if (!trans) return t;
  if (r === 1 || c === 1) return view(t, [bt, c, r]);
  const out = transposeLast2(t, backend);
  temps.push(out);
  return out;
}

/** Elements that must be physically moved to transpose an `[r, c]` matrix (0 when r or c is 1). */
function moveCost(r: number, c: number): number {
  return r === 1 || c === 1 ? 0 : r * c;
}

interface Gemm {
  /** `[batchX, rows, k]` untransposed left operand. */
  x: TensorInfo;
  /** `[batchY, k, cols]` untransposed right operand. */
  y: TensorInfo;
  /** Whether the product computed is `Cᵀ` (its last two axes must be swapped afterwards). */
  swapped: boolean;
}

/**
 * Chooses between computing `C = op(A)·op(B)` directly and computing
 * `Cᵀ = op(B)ᵀ·op(A)ᵀ` (then transposing the result), whichever costs less,
 * and materialises the operands untransposed. See {@link chooseSwapped}.
 */
function planGemm(
  a3: TensorInfo,
  b3: TensorInfo,
  tA: boolean,
  tB: boolean,
  backend: WasmBackendLike,
  temps: TensorInfo[],
  swapped = chooseSwapped(a3, b3, tA, tB),
): Gemm {
  if (swapped) {
    // Cᵀ[N,M] = op(B)ᵀ[N,K] · op(A)ᵀ[K,M]; op(B)ᵀ is B itself when tB, etc.
    return { x: plain(b3, !tB, backend, temps), y: plain(a3, !tA, backend, temps), swapped: true };
  }
  return { x: plain(a3, tA, backend, temps), y: plain(b3, tB, backend, temps), swapped: false };
}

/** Cost of one element moved by {@link transposeLast2}, ns (measured here). */
const TRANSPOSE_NS = 3;
/**
 * Cost of one element of a right operand XNNPACK has not seen: it packs the
 * whole right operand into its blocked layout before multiplying (~50 ms for
 * `[1408, 3029]` here), ns.
 */
const PACK_NS = 11;

/**
 * Whether computing Cᵀ = op(B)ᵀ·op(A)ᵀ costs less than computing C directly.
 * With A `[M,K]`, B `[K,N]` (a transpose with a unit dimension is free):
 * direct moves `tA·MK + tB·KN` elements and packs `KN`; swapped moves
 * `¬tB·KN + ¬tA·MK + MN` and packs `KM`. The multiply itself costs the same.
 */
function chooseSwapped(a3: TensorInfo, b3: TensorInfo, tA: boolean, tB: boolean): boolean {
  const m = tA ? a3.shape[2] : a3.shape[1];
  const k = tA ? a3.shape[1] : a3.shape[2];
  const n = tB ? b3.shape[1] : b3.shape[2];
  const bA = a3.shape[0];
  const bB = b3.shape[0];
  const batch = Math.max(bA, bB);
  const direct = TRANSPOSE_NS * (bA * (tA ? moveCost(m, k) : 0) + bB * (tB ? moveCost(k, n) : 0)) + PACK_NS * bB * k * n;
  const swapped = TRANSPOSE_NS * (bB * (tB ? 0 : moveCost(k, n)) + bA * (tA ? 0 : moveCost(m, k)) + batch * moveCost(m, n)) + PACK_NS * bA * k * m;
  return swapped < direct;
}

type CBatchMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: boolean,
  transposeB: boolean,
  outId: number,
) => void;

interface WasmModuleLike {
  cwrap(name: string, ret: null, args: string[]): unknown;
  tfjs: { disposeData(id: number): void };
}

let cBatchMatMul: CBatchMatMul | null = null;
let cBatchMatMulModule: unknown = null;

function getCBatchMatMul(backend: WasmBackendLike): CBatchMatMul {
  const wasm = (backend as unknown as { wasm: WasmModuleLike }).wasm;
  if (cBatchMatMul === null || cBatchMatMulModule !== wasm) {
    cBatchMatMul = wasm.cwrap('BatchMatMul', null, [
      'number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number',
    ]) as CBatchMatMul;
    cBatchMatMulModule = wasm;
  }
  return cBatchMatMul;
}

const SHAPE_BYTES_CACHE = new Map<string, Uint8Array>();
function shapeBytes(shape: number[]): Uint8Array {
  const key = shape.join(',');
  let b = SHAPE_BYTES_CACHE.get(key);
  if (b === undefined) {
    b = new Uint8Array(new Int32Array(shape).buffer);
    if (SHAPE_BYTES_CACHE.size > 256) SHAPE_BYTES_CACHE.clear();
    SHAPE_BYTES_CACHE.set(key, b);
  }
  return b;
}

/**
 * Batched plain GEMM `out[i] = x[i]·y[i]` (`x` `[Bx,R,K]`, `y` `[By,K,C]`,
 * Bx, By ∈ {1, B}) run as one XNNPACK product per batch entry, on
 * zero-copy views of the operands' wasm heap memory.
 */
function gemmPerSlice(x: TensorInfo, y: TensorInfo, backend: WasmBackendLike): TensorInfo {
  const [bx, r, k] = x.shape;
  const [by, , c] = y.shape;
  const batch = Math.max(bx, by);
  const out = backend.makeOutput([batch, r, c], 'float32');
  const fn = getCBatchMatMul(backend);
  const wasm = (backend as unknown as { wasm: WasmModuleLike }).wasm;
  const xOff = backend.dataIdMap.get(x.dataId)!.memoryOffset;
  const yOff = backend.dataIdMap.get(y.dataId)!.memoryOffset;
  const outOff = backend.dataIdMap.get(out.dataId)!.memoryOffset;
  const xShape = shapeBytes([1, r, k]);
  const yShape = shapeBytes([1, k, c]);
  const views: TensorInfo[] = [];
  const mkView = (offset: number, shape: number[]): number => {
    const v = backend.makeOutput(shape, 'float32', offset);
    views.push(v);
    return backend.dataIdMap.get(v.dataId)!.id;
  };
  try {
    const yShared = by === 1 ? mkView(yOff, [1, k, c]) : -1;
    const xShared = bx === 1 ? mkView(xOff, [1, r, k]) : -1;
    for (let i = 0; i < batch; i++) {
      const xi = xShared >= 0 ? xShared : mkView(xOff + i * r * k * 4, [1, r, k]);
      const yi = yShared >= 0 ? yShared : mkView(yOff + i * k * c * 4, [1, k, c]);
      const oi = mkView(outOff + i * r * c * 4, [1, r, c]);
      fn(xi, xShape, 3, yi, yShape, 3, false, false, oi);
      // Release this slice's views right away: their XNNPACK operators (packed
      // weights) are freed with them.
      while (views.length > (yShared >= 0 ? 1 : 0) + (xShared >= 0 ? 1 : 0)) releaseView(views.pop()!, backend, wasm);
    }
  } finally {
    while (views.length > 0) releaseView(views.pop()!, backend, wasm);
  }
  return out;
}

/** Forgets a view created with makeOutput(shape, dtype, offset) without freeing the memory it points into. */
function releaseView(v: TensorInfo, backend: WasmBackendLike, wasm: WasmModuleLike): void {
  const data = backend.dataIdMap.get(v.dataId);
  if (data === undefined) return;
  wasm.tfjs.disposeData(data.id);
  (backend.dataIdMap as unknown as { delete(d: object): void }).delete(v.dataId);
}

/**
 * XNNPACK operator-cache guard.
 *
 * The wasm backend's XNNPACK path (`BatchMatMul` / `_FusedMatMul` with
 * untransposed, unbatched operands) creates one fully-connected operator per
 * right operand `b`, packs `b`'s weights into it, and caches it under the key
 * (b's tensor id, bias id, activation) until that id is disposed. The key holds
 * neither `b`'s shape nor its memory: a later product that passes the same id
 * labelled as a different `[K, N]` (e.g. `[192, 1]` then `[1, 192]`, which is
 * the same memory) silently reuses the operator built for the first labelling:
 * it reads `a` with the wrong stride (past its end) and writes only part of the
 * output, leaving the rest uninitialised heap memory (stale values, sometimes
 * NaN/Inf). Such relabellings are common once a dimension is 1: this module's
 * free transposes (`plain`, the aliasing `Transpose`) and tfjs' own `Reshape`
 * all keep the tensor id. With a one-sentence batch every weight gradient
 * `Xᵀ·dY` whose X is a `[1, hidden]` state was garbage.
 *
 * So every call that can reach XNNPACK goes through {@link runOriginal}: the
 * first `[K, N]` labelling of each `b` (keyed by its dataId, shared by all
 * aliases) is remembered, and a product that wants another labelling of the
 * same memory gets a zero-copy view under a fresh tensor id instead (its own,
 * uncached operator, freed with the view right after the call).
 */
const xnnRightLabelling = new WeakMap<object, string>();

type KernelArgs = Parameters<KernelFunc>[0];

/** Whether the wasm backend's BatchMatMul / _FusedMatMul would run these operands on XNNPACK (and cache an operator for `b`). */
function reachesXnnpack(a: TensorInfo, b: TensorInfo, attrs: unknown): boolean {
  const at = (attrs ?? {}) as { transposeA?: unknown; transposeB?: unknown };
  if (Boolean(at.transposeA) || Boolean(at.transposeB)) return false;
  if (a.shape.length < 2 || b.shape.length < 2 || b.dtype !== 'float32') return false;
  return sizeOf(a.shape.slice(0, -2)) === 1 && sizeOf(b.shape.slice(0, -2)) === 1 && sizeOf(b.shape) > 0;
}

/**
 * Runs the wasm backend's own `BatchMatMul` / `_FusedMatMul` kernel, first
 * making sure XNNPACK cannot reuse an operator packed for a different `[K, N]`
 * labelling of the right operand (see {@link xnnRightLabelling}).
 */
function runOriginal(original: KernelConfig, args: KernelArgs): TensorInfo {
  const a = args.inputs.a as TensorInfo;
  const b = args.inputs.b as TensorInfo;
  if (a == null || b == null || !reachesXnnpack(a, b, args.attrs)) return original.kernelFunc(args) as TensorInfo;
  const rb = b.shape.length;
  const labelling = `${b.shape[rb - 2]}x${b.shape[rb - 1]}`;
  const seen = xnnRightLabelling.get(b.dataId);
  if (seen === undefined) xnnRightLabelling.set(b.dataId, labelling);
  if (seen === undefined || seen === labelling) return original.kernelFunc(args) as TensorInfo;
  const backend = args.backend as unknown as WasmBackendLike;
  const data = backend.dataIdMap.get(b.dataId);
  if (data === undefined) return original.kernelFunc(args) as TensorInfo;
  const fresh = backend.makeOutput(b.shape.slice(), 'float32', data.memoryOffset);
  try {
    return original.kernelFunc({ ...args, inputs: { ...args.inputs, b: fresh } }) as TensorInfo;
  } finally {
    releaseView(fresh, backend, (backend as unknown as { wasm: WasmModuleLike }).wasm);
  }
}

/**
 * Whether one XNNPACK product per batch entry (`[rows,k] x [k,cols]` each,
 * paying operator creation + weight packing per entry) beats the wasm
 * backend's scalar loop. Measured: attention for all decoder steps at once
 * (`[64,20,256] x [64,256,20]`) and outer products (`k = 1`, the gradient of
 * per-step attention) gain 2.5–4x; one-row products (per-step attention
 * scores / context, rows = 1) lose, so they stay on the loop.
 */
function perSliceWorthIt(rows: number, k: number, cols: number): boolean {
  if (rows < 8) return false;
  return rows * k * cols >= 16384 || (k === 1 && rows * cols >= 1024);
}

/** Kernels instance (own memory arena) for {@link smallBatchedGemm}; null where SIMD is unavailable. */
let gemmSimd: SimdKernels | null | undefined;

/** Below this many multiply-adds a slice, batched products with at least two rows go to {@link smallBatchedGemm}. */
const SMALL_SLICE_MACS = 16384;

/**
 * Batched product `C[i] = op(A[i]) · op(B[i])` of small slices on the SIMD
 * matmul (`y = x·wᵀ`, K a multiple of 4): each slice's op(A) rows and
 * op(B)ᵀ rows are copied, zero-padded to K₄ = ⌈K/4⌉·4, into the kernels'
 * arena, one SIMD call per slice, the result copied back to the heap. The
 * copies are O(elements), the product O(M·K·N) at four lanes.
 * @param a3 `[batchA, ·, ·]` and @param b3 `[batchB, ·, ·]` (batchA, batchB equal or 1)
 * @returns `[batch, m, n]`, or null when SIMD is unavailable
 */
function smallBatchedGemm(a3: TensorInfo, b3: TensorInfo, tA: boolean, tB: boolean, m: number, k: number, n: number, backend: WasmBackendLike): TensorInfo | null {
  if (gemmSimd === undefined) gemmSimd = SimdKernels.create() ?? null;
  const simd = gemmSimd;
  if (!simd) return null;
  const batchA = a3.shape[0];
  const batchB = b3.shape[0];
  const batch = Math.max(batchA, batchB);
  const K4 = pad4(k);
  const A = backend.typedArrayFromHeap(a3) as Float32Array;
  const B = backend.typedArrayFromHeap(b3) as Float32Array;
  const xs = simd.scratch(0, batchA * m * K4);
  const ws = simd.scratch(1, batchB * n * K4);
  const ys = simd.scratch(2, m * n);
  let f = simd.f32;
  const x0 = xs >> 2;
  const w0 = ws >> 2;
  // x rows: op(A)[i, :]; A is [m, k] (or [k, m] transposed).
  for (let s = 0; s < batchA; s++) {
    const src = s * m * k;
    const dst = x0 + s * m * K4;
    for (let i = 0; i < m; i++) {
      const row = dst + i * K4;
      if (tA) for (let p = 0; p < k; p++) f[row + p] = A[src + p * m + i];
      else for (let p = 0; p < k; p++) f[row + p] = A[src + i * k + p];
      for (let p = k; p < K4; p++) f[row + p] = 0;
    }
  }
  // w rows: op(B)[:, j]; B is [k, n] (or [n, k] transposed).
  for (let s = 0; s < batchB; s++) {
    const src = s * k * n;
    const dst = w0 + s * n * K4;
    for (let j = 0; j < n; j++) {
      const row = dst + j * K4;
      if (tB) for (let p = 0; p < k; p++) f[row + p] = B[src + j * k + p];
      else for (let p = 0; p < k; p++) f[row + p] = B[src + p * n + j];
      for (let p = k; p < K4; p++) f[row + p] = 0;
    }
  }
  const out = backend.makeOutput([batch, m, n], 'float32');
  const C = backend.typedArrayFromHeap(out) as Float32Array;
  for (let s = 0; s < batch; s++) {
    const x = xs + (batchA === 1 ? 0 : s * m * K4 * 4);
    const w = ws + (batchB === 1 ? 0 : s * n * K4 * 4);
    simd.matmul(w, x, ys, 0, K4, n, m);
    f = simd.f32;
    C.set(f.subarray(ys >> 2, (ys >> 2) + m * n), s * m * n);
  }
  return out;
}

function makeBatchMatMul(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as unknown as WasmBackendLike;
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const transposeA = Boolean(attrs?.transposeA);
    const transposeB = Boolean(attrs?.transposeB);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) {
      return runOriginal(original, args);
    }
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const kA = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    if (kA !== kB) return runOriginal(original, args); // let the original raise its error
    const batchA = sizeOf(a.shape.slice(0, -2));
    const batchB = sizeOf(b.shape.slice(0, -2));
    const plainXnnpack = !transposeA && !transposeB && batchA === 1 && batchB === 1;
    if (plainXnnpack && gemmKernel() === 'xnnpack') return runOriginal(original, args);
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return runOriginal(original, args);
    let batchShape: number[];
    try {
      batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    } catch {
      return runOriginal(original, args);
    }
    if (sizeOf(batchShape) !== Math.max(batchA, batchB)) return runOriginal(original, args);
    const finalShape = [...batchShape, m, n];
    const a3 = view(a, [batchA, a.shape[ra - 2], a.shape[ra - 1]]);
    const b3 = view(b, [batchB, b.shape[rb - 2], b.shape[rb - 1]]);
    if (gemmKernel() === 'project') {
      // Every float32 product on the project's packed SIMD GEMM (transposes read through strides).
      const out = gemmOnHeap(a3, b3, transposeA, transposeB, backend);
      if (out) {
        out.shape = finalShape;
        return out;
      }
      if (plainXnnpack) return runOriginal(original, args);
    }
    const temps: TensorInfo[] = [];
    try {
      if (batchA === 1 && batchB === 1) {
        // Unbatched: directly, or as Cᵀ = op(B)ᵀ·op(A)ᵀ when that costs less (see chooseSwapped).
        const g = planGemm(a3, b3, transposeA, transposeB, backend, temps);
        let out = runOriginal(original, {
          inputs: { a: g.x, b: g.y },
          backend: args.backend,
          attrs: { transposeA: false, transposeB: false } as unknown as NamedAttrMap,
        }) as TensorInfo;
        if (g.swapped) {
          temps.push(out);
          out = transposeLast2(view(out, [1, n, m]), backend);
        }
        out.shape = finalShape;
        return out;
      }
      if (batchB === 1) {
        // One big product: fold A's batch into its rows, [B·M, K] x [K, N].
        const x = plain(a3, transposeA, backend, temps);
        const y = plain(b3, transposeB, backend, temps);
        const out = runOriginal(original, {
          inputs: { a: view(x, [1, batchA * m, kA]), b: view(y, [1, kA, n]) },
          backend: args.backend,
          attrs: { transposeA: false, transposeB: false } as unknown as NamedAttrMap,
        }) as TensorInfo;
        out.shape = finalShape;
        return out;
      }
      // Batched right operand: one XNNPACK product per batch entry when worth it.
      const swap = chooseSwapped(a3, b3, transposeA, transposeB);
      if (!perSliceWorthIt(swap ? n : m, kA, swap ? m : n)) {
        // Not for a transposed right operand (q·kᵀ, dS·… ᵀ): there the stock loop reads both operands along K and measured faster.
        const small = m >= 2 && !transposeB && m * kA * n < SMALL_SLICE_MACS ? smallBatchedGemm(a3, b3, transposeA, transposeB, m, kA, n, backend) : null;
        if (!small) return runOriginal(original, args);
        small.shape = finalShape;
        return small;
      }
      const g = planGemm(a3, b3, transposeA, transposeB, backend, temps, swap);
      let out = gemmPerSlice(g.x, g.y, backend);
      if (g.swapped) {
        temps.push(out);
        out = transposeLast2(out, backend);
      }
      out.shape = finalShape;
      return out;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
  return { kernelName: 'BatchMatMul', backendName: BACKEND, setupFunc: original.setupFunc, kernelFunc };
}

function makeFusedMatMul(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as unknown as WasmBackendLike;
    const a = inputs.a as TensorInfo;
    const b = inputs.b as TensorInfo;
    const transposeA = Boolean(attrs?.transposeA);
    const transposeB = Boolean(attrs?.transposeB);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length !== 3 || b.shape.length !== 3) {
      return runOriginal(original, args);
    }
    const batchA = a.shape[0];
    const batchB = b.shape[0];
    if (!transposeA && !transposeB && batchA === 1 && batchB === 1) return runOriginal(original, args);
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return runOriginal(original, args);
    const kA = transposeA ? a.shape[1] : a.shape[2];
    const kB = transposeB ? b.shape[2] : b.shape[1];
    if (kA !== kB) return runOriginal(original, args);
    // Bias and PReLU weights broadcast along the output's last axis, so the
    // product must stay C = op(A)·op(B) (no Cᵀ trick). A's batch may be folded
    // into rows when B is unbatched and the PReLU weights are at most rank 1.
    const prelu = inputs.preluActivationWeights as TensorInfo | undefined;
    const canFold = batchB === 1 && (prelu == null || prelu.shape.length <= 1);
    if (!canFold && batchA * batchB > 1) return runOriginal(original, args);
    const m = transposeA ? a.shape[2] : a.shape[1];
    const n = transposeB ? b.shape[1] : b.shape[2];
    const temps: TensorInfo[] = [];
    try {
      const x = plain(a, transposeA, backend, temps);
      const y = plain(b, transposeB, backend, temps);
      const out = runOriginal(original, {
        inputs: { ...inputs, a: view(x, [1, batchA * m, kA]), b: view(y, [1, kA, n]) },
        backend: args.backend,
        attrs: { ...(attrs ?? {}), transposeA: false, transposeB: false } as NamedAttrMap,
      }) as TensorInfo;
      out.shape = [batchA, m, n];
      return out;
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
  return { kernelName: '_FusedMatMul', backendName: BACKEND, setupFunc: original.setupFunc, kernelFunc };
}

/**
 * `UnsortedSegmentSum` for wasm (TensorFlow semantics):
 * `out[s, ...] = Σ_{i : segmentIds[i] = s} x[i, ...]`.
 *
 * Inputs: `x` `[d0, …, d(r-1), ...rest]` float32 or int32; `segmentIds` int32
 * with shape `[d0, …, d(r-1)]` (a prefix of `x`'s shape, usually rank 1).
 * Attr `numSegments`. Output `[numSegments, ...rest]`, dtype of `x`; rows with
 * an id outside `[0, numSegments)` are dropped (TF drops negative ids).
 * @throws Error when the shapes do not match.
 */
const unsortedSegmentSum: KernelFunc = ({ inputs, backend: kb, attrs }) => {
  const backend = kb as unknown as WasmBackendLike;
  const x = inputs.x as TensorInfo;
  const ids = inputs.segmentIds as TensorInfo;
  const numSegments = Number((attrs as { numSegments: number }).numSegments);
  if (!Number.isInteger(numSegments) || numSegments < 0) {
    throw new Error(`UnsortedSegmentSum: numSegments must be a non-negative integer, got ${numSegments}`);
  }
  const r = ids.shape.length;
  for (let i = 0; i < r; i++) {
    if (ids.shape[i] !== x.shape[i]) {
      throw new Error(
        `UnsortedSegmentSum: segmentIds shape [${ids.shape}] must be a prefix of x shape [${x.shape}]`,
      );
    }
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum: unsupported dtype ${x.dtype} on wasm`);
  }
  const rest = x.shape.slice(r);
  const width = sizeOf(rest);
  const rows = sizeOf(ids.shape);
  const out = backend.makeOutput([numSegments, ...rest], x.dtype);
  // Views are taken after makeOutput: malloc may grow (and detach) the heap.
  const idArr = backend.typedArrayFromHeap({ dataId: ids.dataId, shape: ids.shape, dtype: ids.dtype });
  // tfjs casts segment ids to int32; tolerate float ids by truncating like a cast would
  const ids32 = idArr instanceof Int32Array ? idArr : Int32Array.from(idArr, (v) => Math.trunc(v));
  if (x.dtype === 'float32') {
    const o = backend.typedArrayFromHeap(out) as Float32Array;
    o.fill(0);
    segmentSumF32(o, backend.typedArrayFromHeap(x) as Float32Array, ids32, rows, width, numSegments);
  } else {
    const o = backend.typedArrayFromHeap(out) as Int32Array;
    o.fill(0);
    segmentSumI32(o, backend.typedArrayFromHeap(x) as Int32Array, ids32, rows, width, numSegments);
  }
  return out;
};

function segmentSumF32(
  out: Float32Array, x: Float32Array, ids: Int32Array, rows: number, width: number, numSegments: number,
): void {
  for (let r = 0; r < rows; r++) {
    const seg = ids[r];
    if (seg < 0 || seg >= numSegments) continue;
    const o = seg * width;
    const s = r * width;
    for (let j = 0; j < width; j++) out[o + j] += x[s + j];
  }
}

function segmentSumI32(
  out: Int32Array, x: Int32Array, ids: Int32Array, rows: number, width: number, numSegments: number,
): void {
  // Int32Array stores wrap modulo 2^32 like TF's int32 sums.
  for (let r = 0; r < rows; r++) {
    const seg = ids[r];
    if (seg < 0 || seg >= numSegments) continue;
    const o = seg * width;
    const s = r * width;
    for (let j = 0; j < width; j++) out[o + j] += x[s + j];
  }
}

/**
 * `GatherV2` for wasm: the stock kernel's C++ loop computes every element's
 * address separately (tens of ms for a `[1280]`-row embedding lookup); this
 * one copies whole contiguous slices with `TypedArray.set`. Semantics (and the
 * out-of-range error) follow tfjs: `out[b, o, i, :] = x[b, o, indices[b, i], :]`.
 * @throws Error when an index is outside `[0, x.shape[axis] - 1]`.
 */
function makeGatherV2(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const backend = args.backend as unknown as WasmBackendLike;
    const x = args.inputs.x as TensorInfo;
    const indices = args.inputs.indices as TensorInfo;
    const attrs = args.attrs as unknown as { axis: number | number[]; batchDims: number };
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || sizeOf(x.shape) === 0) return original.kernelFunc(args);
    const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
    const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
      x as unknown as tf.Tensor,
      indices as unknown as tf.Tensor,
      axis,
      attrs.batchDims ?? 0,
    );
    const { batchSize, outerSize, dimSize, sliceSize, outputShape } = info;
    const nIdx = sizeOf(indices.shape) / batchSize;
    const out = backend.makeOutput(outputShape, x.dtype);
    // Views after makeOutput (malloc may grow the heap and detach older views).
    const ia = backend.typedArrayFromHeap(indices);
    const bad = findBadIndex(ia, dimSize);
    if (bad !== null) {
      backend.disposeData(out.dataId);
      throw new Error(`GatherV2: the index value ${bad} is not in [0, ${dimSize - 1}]`);
    }
    const ia32 = ia instanceof Int32Array ? ia : Int32Array.from(ia);
    if (x.dtype === 'float32') {
      gatherRowsF32(
        backend.typedArrayFromHeap(out) as Float32Array, backend.typedArrayFromHeap(x) as Float32Array, ia32,
        batchSize, outerSize, dimSize, sliceSize, nIdx,
      );
    } else {
      gatherRowsI32(
        backend.typedArrayFromHeap(out) as Int32Array, backend.typedArrayFromHeap(x) as Int32Array, ia32,
        batchSize, outerSize, dimSize, sliceSize, nIdx,
      );
    }
    return out;
  };
  return { kernelName: 'GatherV2', backendName: BACKEND, setupFunc: original.setupFunc, kernelFunc };
}

function findBadIndex(ia: ArrayLike<number>, dimSize: number): number | null {
  for (let i = 0; i < ia.length; i++) {
    const v = ia[i];
    if (!(v >= 0 && v <= dimSize - 1)) return v;
  }
  return null;
}

// Monomorphic copies (one per element type) keep V8 on its fast typed-array paths.
function gatherRowsF32(
  oa: Float32Array, xa: Float32Array, ia: Int32Array,
  batchSize: number, outerSize: number, dimSize: number, sliceSize: number, nIdx: number,
): void {
  let dst = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      const base = (b * outerSize + o) * dimSize;
      for (let i = 0; i < nIdx; i++) {
        const src = (base + ia[b * nIdx + i]) * sliceSize;
        if (sliceSize >= 16) oa.set(xa.subarray(src, src + sliceSize), dst);
        else for (let j = 0; j < sliceSize; j++) oa[dst + j] = xa[src + j];
        dst += sliceSize;
      }
    }
  }
}

function gatherRowsI32(
  oa: Int32Array, xa: Int32Array, ia: Int32Array,
  batchSize: number, outerSize: number, dimSize: number, sliceSize: number, nIdx: number,
): void {
  let dst = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      const base = (b * outerSize + o) * dimSize;
      for (let i = 0; i < nIdx; i++) {
        const src = (base + ia[b * nIdx + i]) * sliceSize;
        if (sliceSize >= 16) oa.set(xa.subarray(src, src + sliceSize), dst);
        else for (let j = 0; j < sliceSize; j++) oa[dst + j] = xa[src + j];
        dst += sliceSize;
      }
    }
  }
}

/**
 * `Transpose` wrapper: when the permutation only moves size-1 axes (or is the
 * identity) the data order is unchanged, so the result aliases the input
 * (reference-counted, like wasm's own `Reshape`) instead of copying it. The
 * gradient of `tf.gather` runs two identity transposes over the whole
 * embedding table; per-step attention reshapes `[B,1,H]` this way too.
 */
function makeTranspose(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const perm = (args.attrs as unknown as { perm: number[] }).perm;
    const kept = perm.filter((p) => x.shape[p] !== 1);
    let noop = true;
    for (let i = 1; i < kept.length; i++) if (kept[i] < kept[i - 1]) noop = false;
    if (!noop || x.dtype === 'string') return original.kernelFunc(args);
    const backend = args.backend as unknown as { incRef(d: object): void };
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: perm.map((p) => x.shape[p]), dtype: x.dtype };
  };
  return { kernelName: 'Transpose', backendName: BACKEND, setupFunc: original.setupFunc, kernelFunc };
}

/**
 * `Identity` (and, with `castToSame`, `Cast` when the dtype does not change)
 * as a reference-counted alias of the input, like the cpu backend's
 * `identity`; other casts and strings go to the original kernel.
 */
function makeAlias(original: KernelConfig, castToSame = false): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const dtype = castToSame ? (args.attrs as unknown as { dtype: string }).dtype : x.dtype;
    if (dtype !== x.dtype || x.dtype === 'string') return original.kernelFunc(args);
    (args.backend as unknown as { incRef(d: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
  };
  return { kernelName: original.kernelName, backendName: BACKEND, setupFunc: original.setupFunc, kernelFunc };
}

/** Below this many elements the stock `Tanh` is as fast (one kernel instead of two plus two sweeps). */
const TANH_VIA_SIGMOID_MIN = 512;

/**
 * `Tanh` for wasm as tanh(x) = 2·σ(2x) − 1. The stock kernel calls the C
 * library's scalar `tanh` (~60 ns per element here), while `Sigmoid` runs
 * XNNPACK's vectorised kernel (~8 ns); the two sweeps in JavaScript that
 * scale the input and the output cost ~1 ns per element. Bahdanau
 * attention's `tanh` over `[batch, srcLen, attnDim]` at every decoder step
 * made this the largest element-wise cost of a training step. Absolute
 * error ≤ ~1.2e-7 (float32 rounding of σ, doubled); the gradient of `Tanh`
 * uses the output y (1 − y²), so it is unaffected.
 */
function makeTanh(original: KernelConfig, sigmoid: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const backend = args.backend as unknown as WasmBackendLike;
    const x = args.inputs.x as TensorInfo;
    const n = sizeOf(x.shape);
    if (x.dtype !== 'float32' || n < TANH_VIA_SIGMOID_MIN) return original.kernelFunc(args);
    const twice = backend.makeOutput(x.shape.slice(), 'float32');
    {
      // Views after makeOutput: malloc may grow (and detach) the heap.
      const xs = backend.typedArrayFromHeap(x) as Float32Array;
      const t = backend.typedArrayFromHeap(twice) as Float32Array;
      for (let i = 0; i < n; i++) t[i] = 2 * xs[i];
    }
    const out = sigmoid.kernelFunc({ inputs: { x: twice }, backend: args.backend, attrs: {} }) as TensorInfo;
    backend.disposeData(twice.dataId);
    const y = backend.typedArrayFromHeap(out) as Float32Array;
    for (let i = 0; i < n; i++) y[i] = 2 * y[i] - 1;
    return out;
  };
  return { kernelName: 'Tanh', backendName: BACKEND, setupFunc: original.setupFunc, kernelFunc };
}

/** Reductions of fewer elements stay on the stock `Sum`. */
const SUM_LEADING_MIN_SIZE = 4096;

/**
 * `Sum` over the leading axes of a float32 tensor (`[M, …] → […]`, e.g. the
 * gradient of a bias broadcast over a batch: `[B·T, V] → [V]`) as one pass
 * over the rows in their memory order, accumulating in float64. The stock
 * kernel reduces only along the innermost axis, so it first transposes `X`
 * (~55 ms for the `[1408, 3029]` candidate-logit bias gradient of one
 * training step). Every other reduction goes to the original kernel.
 */
function makeSum(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
    const k = axes.length;
    const leading = k > 0 && k < rank && axes.every((a, i) => a === i);
    const M = sizeOf(x.shape.slice(0, k));
    const N = sizeOf(x.shape.slice(k));
    if (x.dtype !== 'float32' || !leading || M < 2 || M * N < SUM_LEADING_MIN_SIZE) return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackendLike;
    const shape = keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
    const out = backend.makeOutput(shape, 'float32');
    // Views after makeOutput (malloc may grow the heap and detach older views).
    sumRows(backend.typedArrayFromHeap(x) as Float32Array, M, N, backend.typedArrayFromHeap(out) as Float32Array);
    return out;
  };
  return { kernelName: 'Sum', backendName: BACKEND, setupFunc: original.setupFunc, kernelFunc };
}

/** `out[n] = Σ_m x[m·N + n]` for `x [M, N]`, summed in float64, four rows per pass over the accumulator. */
function sumRows(x: Float32Array, M: number, N: number, out: Float32Array): void {
  const acc = new Float64Array(N);
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const r0 = m * N;
    const r1 = r0 + N;
    const r2 = r1 + N;
    const r3 = r2 + N;
    for (let n = 0; n < N; n++) acc[n] += x[r0 + n] + x[r1 + n] + x[r2 + n] + x[r3 + n];
  }
  for (; m < M; m++) {
    const off = m * N;
    for (let n = 0; n < N; n++) acc[n] += x[off + n];
  }
  out.set(acc);
}

/**
 * `Unpack` (`tf.unstack`) for wasm: output i is `x` with the `axis` index
 * fixed to i, copied row by row with `TypedArray.set`. The stock kernel runs
 * one generic strided `Slice` per output, which took ~6 ms for each of the
 * `[64, 11, 768]` per-step projections a training step unstacks (17% of a
 * candidate-softmax step before, see bench/results/profile-before.json).
 */
function makeUnpack(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const backend = args.backend as unknown as WasmBackendLike;
    const x = args.inputs.value as TensorInfo;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return original.kernelFunc(args);
    const rank = x.shape.length;
    let axis = (args.attrs as unknown as { axis: number }).axis;
    if (axis < 0) axis += rank;
    const num = x.shape[axis];
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const shape = x.shape.filter((_, i) => i !== axis);
    const outs = Array.from({ length: num }, () => backend.makeOutput(shape.slice(), x.dtype));
    // Views after every makeOutput (malloc may grow the heap and detach older views).
    const src = backend.typedArrayFromHeap(x);
    for (let i = 0; i < num; i++) {
      const dst = backend.typedArrayFromHeap(outs[i]);
      for (let o = 0; o < outer; o++) {
        const from = (o * num + i) * inner;
        (dst as Float32Array).set((src as Float32Array).subarray(from, from + inner), o * inner);
      }
    }
    return outs;
  };
  return { kernelName: 'Unpack', backendName: BACKEND, setupFunc: original.setupFunc, kernelFunc };
}

/** `Pack` (`tf.stack`) for wasm: the inverse copy of {@link makeUnpack} (the stock kernel expands each input and concatenates). */
function makePack(original: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const backend = args.backend as unknown as WasmBackendLike;
    const xs = args.inputs as unknown as TensorInfo[];
    const num = xs.length;
    const first = xs[0];
    if (num < 2 || (first.dtype !== 'float32' && first.dtype !== 'int32') || xs.some((t) => t.dtype !== first.dtype || t.shape.length !== first.shape.length || t.shape.some((d, i) => d !== first.shape[i]))) {
      return original.kernelFunc(args);
    }
    const rank = first.shape.length + 1;
    let axis = (args.attrs as unknown as { axis: number }).axis;
    if (axis < 0) axis += rank;
    const outer = sizeOf(first.shape.slice(0, axis));
    const inner = sizeOf(first.shape.slice(axis));
    const out = backend.makeOutput([...first.shape.slice(0, axis), num, ...first.shape.slice(axis)], first.dtype);
    const dst = backend.typedArrayFromHeap(out) as Float32Array;
    for (let i = 0; i < num; i++) {
      const src = backend.typedArrayFromHeap(xs[i]) as Float32Array;
      for (let o = 0; o < outer; o++) dst.set(src.subarray(o * inner, (o + 1) * inner), (o * num + i) * inner);
    }
    return out;
  };
  return { kernelName: 'Pack', backendName: BACKEND, setupFunc: original.setupFunc, kernelFunc };
}

function replace(config: KernelConfig): void {
  const name = config.kernelName;
  if (!originals.has(name)) originals.set(name, tf.getKernel(name, BACKEND) ?? null);
  if (tf.getKernel(name, BACKEND) != null) tf.unregisterKernel(name, BACKEND);
  tf.registerKernel(config);
}

/**
 * Registers this module's kernels for the `wasm` backend: faster `BatchMatMul`
 * and `_FusedMatMul` (see the module comment), `GatherV2`, `Transpose` and
 * `Tanh`, and the missing
 * `UnsortedSegmentSum` (needed by the gradient of `tf.gather`).
 *
 * Idempotent. Safe before or after `tf.setBackend('wasm')`: the wrappers keep
 * the originals' setup functions and the new kernel needs none. Requires
 * `@tensorflow/tfjs-backend-wasm` to have been imported (its kernels must be
 * registered).
 * @throws Error when the wasm backend's own BatchMatMul / _FusedMatMul / Transpose kernels are missing.
 */
export function registerWasmKernels(): void {
  if (registered) return;
  mustGetKernel('Transpose');
  const bmm = mustGetKernel('BatchMatMul');
  const fused = mustGetKernel('_FusedMatMul');
  const gather = mustGetKernel('GatherV2');
  const transpose = mustGetKernel('Transpose');
  const tanh = mustGetKernel('Tanh');
  const sigmoid = mustGetKernel('Sigmoid');
  const identity = mustGetKernel('Identity');
  const sum = mustGetKernel('Sum');
  const cast = mustGetKernel('Cast');
  const unpack = mustGetKernel('Unpack');
  const pack = mustGetKernel('Pack');
  // Our matMul wrappers call the *original* Transpose (see transposeWith).
  originalTranspose = transpose;
  replace(makeBatchMatMul(bmm));
  replace(makeFusedMatMul(fused));
  replace(makeGatherV2(gather));
  replace(makeTranspose(transpose));
  replace(makeTanh(tanh, sigmoid));
  replace(makeAlias(identity));
  replace(makeAlias(cast, true));
  replace(makeSum(sum));
  replace(makeUnpack(unpack));
  replace(makePack(pack));
  replace({ kernelName: 'UnsortedSegmentSum', backendName: BACKEND, kernelFunc: unsortedSegmentSum });
  registered = true;
}

/**
 * Restores the wasm backend's original kernels (and removes the ones it did
 * not have). For benchmarks and tests comparing before/after; idempotent.
 * While unregistered, the stock kernels are exposed to XNNPACK's id-keyed
 * operator cache again (see `runOriginal`); a tensor used as right operand
 * then should not be reused with another `[K, N]` labelling afterwards.
 */
export function unregisterWasmKernels(): void {
  if (!registered) return;
  for (const [name, config] of originals) {
    if (tf.getKernel(name, BACKEND) != null) tf.unregisterKernel(name, BACKEND);
    if (config !== null) tf.registerKernel(config);
  }
  originals.clear();
  originalTranspose = null;
  registered = false;
}

/** Whether {@link registerWasmKernels} is in effect. */
export function wasmKernelsRegistered(): boolean {
  return registered;
}

/** Names of the kernels this module registers for `wasm`. */
export const WASM_KERNEL_NAMES: readonly string[] = ['BatchMatMul', '_FusedMatMul', 'GatherV2', 'Transpose', 'Tanh', 'Identity', 'Cast', 'Sum', 'Unpack', 'Pack', 'UnsortedSegmentSum'];

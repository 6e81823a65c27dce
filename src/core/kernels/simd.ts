/**
 * Loader and memory arena for the SIMD kernels of `src/core/kernels/simd.wat`
 * (assembled into `simdBinary.ts`): a float32 product of a few vectors with a
 * weight matrix, the two passes of a log-sum-exp, and the Adam update with
 * its gradient norm, each four lanes at a time.
 *
 * Why: one-sentence inference (`src/core/decoding/inference.ts`) is a chain of
 * small products (`[1, 128] × [128, 384]`) and one vocabulary-sized
 * log-softmax per decoded token. In JavaScript those cost about a nanosecond
 * per multiply-add and 20 ns per `Math.exp`; through TensorFlow.js
 * each op carries tens of microseconds of engine overhead. A WebAssembly
 * SIMD call costs well under a microsecond. The Adam update of training
 * (`src/core/training/optimizer.ts`) is one pass over millions of parameters with a
 * square root and a division each: ~10 ns per element in JavaScript.
 *
 * Memory: one `WebAssembly.Memory` with a bump allocator. Arrays are handed
 * out as byte offsets (`ptr`); `f32` is a view of the whole memory that is
 * replaced when the memory grows, so read it afresh after any `alloc`.
 * Nothing is freed individually: an arena lives as long as its owner (one
 * `InferenceModel` or `Adam`) and is dropped with it.
 */
import { SIMD_RELAXED_SHARED_WASM_BASE64, SIMD_RELAXED_WASM_BASE64, SIMD_SHARED_WASM_BASE64, SIMD_WASM_BASE64 } from './simdBinary';

interface SimdExports {
  matmul(w: number, x: number, y: number, b: number, K: number, N: number, M: number, add: number): void;
  max(z: number, V: number): number;
  sumExp(z: number, V: number, max: number): number;
  adam(p: number, m: number, v: number, g: number, n: number, scale: number, b1: number, b2: number, step: number, eps: number): void;
  sumSquares(x: number, n: number): number;
  packA(a: number, M: number, K: number, sm: number, sk: number, dst: number): void;
  packB(b: number, K: number, N: number, sk: number, sn: number, dst: number): void;
  gemm(ap: number, bp: number, c: number, M: number, K: number, N: number, ldc: number, acc: number, tmp: number): void;
  gruForward(x: number, hp: number, bh: number, h: number, mask: number, out: number, g: number, B: number, H: number): void;
  gruBackward(dout: number, g: number, h: number, mask: number, dx: number, dhp: number, dh: number, B: number, H: number): void;
  lstmForward(x: number, hp: number, h: number, c: number, mask: number, hout: number, cout: number, g: number, B: number, H: number): void;
  lstmBackward(dh2: number, dc2: number, g: number, c: number, mask: number, dgates: number, dh: number, dc: number, B: number, H: number): void;
  maxAndSum(z: number, V: number): [number, number];
  combineSq(dst: number, n: number, R: number, table: number): number;
  expShift(z: number, V: number, max: number, out: number): number;
  scaleShift(x: number, V: number, scale: number, shift: number): void;
  attentionForward(mode: number, keys: number, q: number, v: number, values: number, bias: number, ctx: number, alpha: number, e: number, B: number, S: number, A: number, D: number): void;
  attentionBackward(
    mode: number, keys: number, q: number, v: number, values: number, alpha: number, e: number, dctx: number, dalpha: number,
    dkeys: number, dq: number, dv: number, dvalues: number, tmp: number, B: number, S: number, A: number, D: number, acc: number,
  ): void;
}

/**
 * Which form of the kernels runs: `relaxed` (relaxed SIMD: `f32x4.relaxed_madd`,
 * a fused multiply–add on CPUs with FMA), `simd` (WebAssembly SIMD, a multiply
 * then an add) or `none` (no WebAssembly SIMD: callers fall back to JavaScript).
 */
export type SimdForm = 'relaxed' | 'simd' | 'none';

const compiled = new Map<string, WebAssembly.Module | null>();
const BINARIES = {
  simd: SIMD_WASM_BASE64,
  relaxed: SIMD_RELAXED_WASM_BASE64,
  'simd-shared': SIMD_SHARED_WASM_BASE64,
  'relaxed-shared': SIMD_RELAXED_SHARED_WASM_BASE64,
};

/** The compiled module of a form (importing a shared memory when `shared`), or null where this runtime does not validate it. */
function moduleOf(form: Exclude<SimdForm, 'none'>, shared = false): WebAssembly.Module | null {
  const key = (shared ? `${form}-shared` : form) as keyof typeof BINARIES;
  if (!compiled.has(key)) {
    let m: WebAssembly.Module | null = null;
    try {
      const bytes = Buffer.from(BINARIES[key], 'base64');
      m = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      m = null;
    }
    compiled.set(key, m);
  }
  return compiled.get(key)!;
}

/** Whether this runtime validates the kernels in `form` (`none` always). */
export function simdFormAvailable(form: SimdForm): boolean {
  return form === 'none' || moduleOf(form) !== null;
}

let chosen: SimdForm | undefined;

/**
 * The form the kernels run in, chosen once per thread: the fastest this
 * runtime validates (`relaxed`, else `simd`, else `none`), unless the
 * environment variable `SEQ2SEQ_SIMD` (`relaxed` | `simd` | `none`) asks for
 * a slower one (a form that does not validate falls back to the next).
 * VS Code's extension host (1.100+) and Node 22 validate relaxed SIMD; Node
 * 20 only with `--experimental-wasm-relaxed-simd`.
 * @throws Error when `SEQ2SEQ_SIMD` holds another value
 */
export function simdForm(): SimdForm {
  if (chosen === undefined) {
    const asked = process.env.SEQ2SEQ_SIMD?.trim().toLowerCase();
    if (asked && asked !== 'relaxed' && asked !== 'simd' && asked !== 'none') {
      throw new Error(`SEQ2SEQ_SIMD must be relaxed, simd or none (got "${process.env.SEQ2SEQ_SIMD}")`);
    }
    const order: SimdForm[] = asked === 'none' ? ['none'] : asked === 'simd' ? ['simd', 'none'] : ['relaxed', 'simd', 'none'];
    chosen = order.find(simdFormAvailable)!;
  }
  return chosen;
}

/** The SIMD form for the training log, e.g. `WebAssembly kernels: relaxed SIMD (fused multiply–add)`. */
export function describeSimdForm(form: SimdForm): string {
  if (form === 'relaxed') return 'WebAssembly kernels: relaxed SIMD (fused multiply–add)';
  if (form === 'simd') return 'WebAssembly kernels: SIMD without relaxed SIMD (multiply, then add; this runtime does not offer relaxed SIMD)';
  return 'WebAssembly kernels: no SIMD (JavaScript fallbacks)';
}

/** True when this runtime can run the SIMD kernels. */
export function simdAvailable(): boolean {
  return simdForm() !== 'none';
}

/** Round up to a multiple of 4 (the kernels' lane count). */
export const pad4 = (n: number): number => (n + 3) & ~3;

/**
 * One instance of the kernel module with its own memory.
 * All `ptr` arguments are byte offsets returned by `alloc`.
 */
export class SimdKernels {
  private readonly exports: SimdExports;
  private readonly memory: WebAssembly.Memory;
  private top = 16;
  private view: Float32Array;
  /** Reusable scratch regions (see `scratch`): byte offset and size in floats. */
  private readonly regions: { ptr: number; floats: number }[] = [];

  private constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, readonly form: Exclude<SimdForm, 'none'>) {
    this.memory = memory;
    this.exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdExports;
    this.view = new Float32Array(memory.buffer);
  }

  /**
   * A new instance with a memory arena of its own, in `form` (default: {@link simdForm}),
   * or undefined where that form (or SIMD at all) is unavailable.
   */
  static create(form: SimdForm = simdForm()): SimdKernels | undefined {
    if (form === 'none') return undefined;
    const m = moduleOf(form);
    return m ? new SimdKernels(m, new WebAssembly.Memory({ initial: 1 }), form) : undefined;
  }

  /**
   * An instance working in place on another module's memory (the
   * TensorFlow.js wasm heap, or the shared exchange memory of data-parallel
   * training): pointers are that memory's byte offsets, and `alloc` /
   * `scratch` / `store` must not be used (the memory is not ours).
   */
  static onMemory(memory: WebAssembly.Memory, form: SimdForm = simdForm()): SimdKernels | undefined {
    if (form === 'none') return undefined;
    const shared = (memory.buffer as ArrayBufferLike) instanceof SharedArrayBuffer;
    const m = moduleOf(form, shared);
    return m ? new SimdKernels(m, memory, form) : undefined;
  }

  /** The raw kernels (byte-offset arguments; see `src/core/kernels/simd.wat`). */
  get raw(): SimdExports {
    return this.exports;
  }

  /** Float32 view of the whole memory (replaced when the memory grows). */
  get f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /**
   * Reserve `floats` zero-filled float32s, 16-byte aligned.
   * @returns byte offset of the first
   */
  alloc(floats: number): number {
    const ptr = this.top;
    this.top += pad4(Math.max(floats, 1)) * 4;
    const need = this.top - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / 65536));
    return ptr;
  }

  /**
   * A scratch region of at least `floats` float32s that stays valid until the
   * next call with the same `slot`: callers use one slot per operand of a
   * kernel call (inputs in slot 0, outputs in slot 1, …). Contents are
   * whatever the last user left; regions only grow.
   * @returns byte offset
   */
  scratch(slot: number, floats: number): number {
    const r = this.regions[slot];
    if (r && r.floats >= floats) return r.ptr;
    const size = Math.max(floats, 2 * (r?.floats ?? 0));
    this.regions[slot] = { ptr: this.alloc(size), floats: size };
    return this.regions[slot].ptr;
  }

  /** Copy `values` into a new allocation; @returns its byte offset. */
  store(values: ArrayLike<number>): number {
    const ptr = this.alloc(values.length);
    this.f32.set(values, ptr >> 2);
    return ptr;
  }

  /**
   * `y[m, n] = (add ? y[m, n] : 0) + b[n] + Σ_k w[n, k]·x[m, k]` for `m < M`,
   * `n < N`: `M` vectors `x [M, K]` through an affine map whose weight is
   * stored `[N, K]` row-major (one output per row); `b [N]` optional (0 = none);
   * `y [M, N]`. Sums are float32, four partial sums per output.
   * @param K row length, a multiple of 4 (pad rows and `x` with zeros)
   * @throws RangeError when K is not a multiple of 4
   */
  matmul(w: number, x: number, y: number, b: number, K: number, N: number, M = 1, add = false): void {
    if (K % 4 !== 0) throw new RangeError(`matmul: K must be a multiple of 4 (got ${K})`);
    this.exports.matmul(w, x, y, b, K, N, M, add ? 1 : 0);
  }

  /** `max_v z[v]` over `v < V`. */
  max(z: number, V: number): number {
    return this.exports.max(z, V);
  }

  /**
   * `Σ_v exp(z[v] − max)` over `v < V`, summed in float64; each exp is a
   * float32 polynomial (Cephes `expf`, relative error below 1e-7), inputs below −87 count as exp(−87).
   */
  sumExp(z: number, V: number, max: number): number {
    return this.exports.sumExp(z, V, max);
  }

  /**
   * Adam update of `n` float32s in place (Kingma & Ba 2015, algorithm 1, bias
   * corrections folded into `step` and `eps` as in `src/core/training/optimizer.ts`):
   * with g' = scale·g: `m = b1·m + (1 − b1)·g'`, `v = b2·v + ((1 − b2)·g')·g'`,
   * `p −= (step·m) / (√v + eps)`, computed in float64 and rounded to float32
   * when stored: the optimiser's JavaScript loop, operation for operation.
   */
  adam(p: number, m: number, v: number, g: number, n: number, scale: number, b1: number, b2: number, step: number, eps: number): void {
    this.exports.adam(p, m, v, g, n, scale, b1, b2, step, eps);
  }

  /** `Σ x[i]²` over `n` float32s, summed in float64. */
  sumSquares(x: number, n: number): number {
    return this.exports.sumSquares(x, n);
  }
}

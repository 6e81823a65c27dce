/**
 * Adam (Kingma & Ba 2015, algorithm 1) with gradient clipping by global norm
 * (Pascanu, Mikolov & Bengio 2013, algorithm 1), fused into one pass over the
 * parameters in plain JavaScript.
 *
 * tfjs's own `AdamOptimizer` runs about fifteen element-wise tensor ops per
 * variable per step, and clipping adds four more; with millions of
 * parameters (embeddings and the output projection dominate) that is a large
 * share of a training step. Here the moment estimates live in ordinary
 * `Float32Array`s, every gradient is read once, and each parameter tensor is
 * replaced once — the same on every backend.
 *
 * Lazy rows (`lazyRows`): for embedding tables and the output projection,
 * most rows receive an exactly zero gradient in a step (words absent from
 * the batch, or outside the sampled-softmax candidates). For such a variable
 * a row whose gradient is all zero is skipped: its moments are not decayed
 * and its weights do not move. This is the "lazy" Adam of TensorFlow's
 * `LazyAdamOptimizer` and PyTorch's `SparseAdam`; it changes the dynamics
 * only for rows without gradient, and saves most of the optimiser's work
 * when the vocabulary is large.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from '../runs/checkpoint';
import { SimdKernels } from '../kernels/simd';
import { fusedKernelsAvailable, heapSimd } from '../kernels/fused';

export interface AdamOptions {
  learningRate: number;
  /** Exponential decay of the first moment (default 0.9). */
  beta1?: number;
  /** Exponential decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to √v̂ for numerical stability (default 1e-8). */
  epsilon?: number;
  /** Clip gradients to this global L2 norm before the update (0 = off). */
  clipNorm?: number;
  /**
   * Per variable: update it lazily by rows (see {@link Adam}). A row is the
   * last axis (one element for a vector). Default: no variable is lazy.
   */
  lazyRows?: boolean[];
  /** Use the SIMD kernels where available (default true; false = the JavaScript loop). */
  simd?: boolean;
}

/** Where the SIMD path of its own memory keeps its arrays: byte offsets into the kernels' memory. */
interface ArenaState {
  kernels: SimdKernels;
  /** Per variable: gradient, first and second moment. */
  g: number[];
  m: number[];
  v: number[];
  /** Parameters of the variable being updated (as long as the largest). */
  p: number;
}

/**
 * The SIMD path on the wasm backend's heap: moments live in tensors of
 * their own (never used by any op, updated in place), gradients and
 * parameters are read where they are, and each new parameter tensor is
 * written once — no copy through JavaScript.
 */
interface HeapState {
  m: tf.Tensor[];
  v: tf.Tensor[];
  /** Gradient storage for `applyWith`, made on first use. */
  g?: tf.Tensor[];
}

/** The per-step constants of an update (see {@link Adam.beginUpdate}). */
export interface AdamStep {
  /** Factor of every gradient element (clipping). */
  scale: number;
  b1: number;
  b2: number;
  /** Learning rate with the bias corrections folded in. */
  stepSize: number;
  /** ε with the bias correction folded in. */
  epsHat: number;
}

/** Byte offset of a tensor's data on the wasm heap. */
function heapOffset(t: tf.Tensor): number {
  return (tf.backend() as unknown as { dataIdMap: { get(d: object): { memoryOffset: number } } }).dataIdMap.get(t.dataId).memoryOffset;
}

export class Adam {
  learningRate: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly clipNorm: number;
  /** Moments as arrays (JavaScript loop, SIMD arena views, or shared-memory views after {@link shareState}); unused on the heap. */
  private m: Float32Array[];
  private v: Float32Array[];
  /** Gradient of the current update per variable (views into the SIMD memory, or arrays of their own); unused on the heap. */
  private readonly grads: Float32Array[];
  /** Row width per variable when updated lazily, else 0. */
  private readonly lazyWidth: number[];
  /** Updates taken so far (t in the paper). */
  private t = 0;
  /** Set when the update runs on the SIMD kernels of its own memory; `m` and `v` are then views into it. */
  private readonly arena?: ArenaState;
  /** Set when the update runs on the wasm heap. */
  private heap?: HeapState;
  /** Set by {@link shareState}: the moments live in shared memory and a data-parallel trainer drives the update. */
  private shared = false;

  /** @param variables the parameters to optimise, in a fixed order */
  constructor(private readonly variables: tf.Variable[], opts: AdamOptions) {
    this.learningRate = opts.learningRate;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    this.clipNorm = opts.clipNorm ?? 0;
    this.lazyWidth = variables.map((v, i) => (opts.lazyRows?.[i] ? (v.shape.length > 0 ? v.shape[v.shape.length - 1] : 1) : 0));
    if (opts.simd !== false && fusedKernelsAvailable()) {
      this.heap = { m: variables.map((x) => tf.zeros([x.size])), v: variables.map((x) => tf.zeros([x.size])) };
      this.m = [];
      this.v = [];
      this.grads = [];
      return;
    }
    const kernels = opts.simd === false ? undefined : SimdKernels.create();
    if (kernels) {
      // Everything allocated up front: the memory never grows afterwards, so the views below stay valid.
      const g = variables.map((v) => kernels.alloc(v.size));
      const m = variables.map((v) => kernels.alloc(v.size));
      const v = variables.map((x) => kernels.alloc(x.size));
      const p = kernels.alloc(Math.max(1, ...variables.map((x) => x.size)));
      this.arena = { kernels, g, m, v, p };
      const f = kernels.f32;
      this.m = variables.map((x, k) => f.subarray(m[k] >> 2, (m[k] >> 2) + x.size));
      this.v = variables.map((x, k) => f.subarray(v[k] >> 2, (v[k] >> 2) + x.size));
      this.grads = variables.map((x, k) => f.subarray(g[k] >> 2, (g[k] >> 2) + x.size));
    } else {
      this.m = variables.map((v) => new Float32Array(v.size));
      this.v = variables.map((v) => new Float32Array(v.size));
      this.grads = variables.map((v) => new Float32Array(v.size));
    }
  }

  /** Number of updates applied. */
  get iterations(): number {
    return this.t;
  }

  /**
   * Clip and apply one update.
   * @param grads one gradient per variable, same order and shapes (not disposed here)
   * @returns the global gradient norm before clipping; when it is not finite the update is skipped
   * @throws RangeError when the number of gradients differs from the number of variables
   */
  apply(grads: tf.Tensor[]): number {
    if (this.heap && grads.length === this.variables.length && grads.every((g, k) => g.size === this.variables[k].size && g.dtype === 'float32')) {
      return this.applyOnHeap(grads);
    }
    return this.applyArrays(grads.map((x) => x.dataSync() as Float32Array));
  }

  /**
   * {@link apply} with the gradients as flat arrays (row-major, the variables' shapes).
   * @throws RangeError when the number or sizes of the arrays do not match the variables
   */
  applyArrays(g: Float32Array[]): number {
    if (g.length !== this.variables.length) {
      throw new RangeError(`Adam.apply: ${g.length} gradients for ${this.variables.length} variables`);
    }
    g.forEach((a, k) => {
      if (a.length !== this.variables[k].size) throw new RangeError(`Adam.apply: gradient ${k} has ${a.length} values; the variable has ${this.variables[k].size}`);
    });
    return this.applyWith((k, dst) => dst.set(g[k]));
  }

  /**
   * {@link apply} with each gradient written by `write` straight into the
   * optimiser's own gradient storage (no intermediate arrays).
   * @param write fills `dst` (the variable's size, row-major) with the gradient of variable `k`, overwriting every element
   * @returns the global gradient norm before clipping; when it is not finite the update is skipped
   * @throws Error after {@link shareState} (the data-parallel trainer updates the shared state itself)
   */
  applyWith(write: (k: number, dst: Float32Array) => void): number {
    if (this.shared) throw new Error('Adam.applyWith: the state is shared with data-parallel replicas, which update it');
    if (this.heap) {
      const h = this.heap;
      h.g ??= this.variables.map((x) => tf.zeros([x.size]));
      const simd = heapSimd(tf.backend())!;
      // write() allocates nothing on the heap: the view stays valid while it runs.
      for (let k = 0; k < h.g.length; k++) write(k, new Float32Array(simd.f32.buffer, heapOffset(h.g[k]), this.variables[k].size));
      return this.applyOnHeap(h.g);
    }
    const arena = this.arena;
    const g = this.grads;
    let sq = 0;
    for (let k = 0; k < g.length; k++) {
      write(k, g[k]);
      if (arena) sq += arena.kernels.sumSquares(arena.g[k], g[k].length);
      else for (let i = 0; i < g[k].length; i++) sq += g[k][i] * g[k][i];
    }
    const step = this.beginUpdate(Math.sqrt(sq));
    if (!step) return Math.sqrt(sq);
    for (let k = 0; k < this.variables.length; k++) {
      const variable = this.variables[k];
      const gk = g[k];
      let p: Float32Array;
      let updateRange: (from: number, to: number) => void;
      if (arena) {
        const { kernels } = arena;
        kernels.f32.set(variable.dataSync() as Float32Array, arena.p >> 2);
        updateRange = (from, to) =>
          kernels.adam(arena.p + 4 * from, arena.m[k] + 4 * from, arena.v[k] + 4 * from, arena.g[k] + 4 * from, to - from, step.scale, step.b1, step.b2, step.stepSize, step.epsHat);
        p = kernels.f32.subarray(arena.p >> 2, (arena.p >> 2) + gk.length);
      } else {
        p = (variable.dataSync() as Float32Array).slice();
        const m = this.m[k];
        const v = this.v[k];
        updateRange = (from, to) => adamUpdate(p, m, v, gk, from, to, step);
      }
      this.forRows(k, gk, 0, p.length, updateRange);
      // A copy out of the SIMD memory: some backends keep the array given to `tf.tensor`.
      const values = arena ? p.slice() : p;
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
    }
    return Math.sqrt(sq);
  }

  /** The update on the wasm heap: gradients read in place, each parameter copied once into its new tensor and updated there. */
  private applyOnHeap(grads: tf.Tensor[]): number {
    const h = this.heap!;
    const simd = heapSimd(tf.backend())!;
    let sq = 0;
    for (let k = 0; k < grads.length; k++) sq += simd.sumSquares(heapOffset(grads[k]), grads[k].size);
    const norm = Math.sqrt(sq);
    const step = this.beginUpdate(norm);
    if (!step) return norm;
    const backend = tf.backend() as unknown as { makeOutput(shape: number[], dtype: string): tf.TensorInfo };
    for (let k = 0; k < this.variables.length; k++) {
      const variable = this.variables[k];
      const n = variable.size;
      const next = tf.engine().makeTensorFromTensorInfo(backend.makeOutput(variable.shape.slice(), 'float32'));
      // Offsets after the allocation (it may grow the heap).
      const [p, pOld, g, m, v] = [next, variable, grads[k], h.m[k], h.v[k]].map(heapOffset);
      new Uint8Array(simd.f32.buffer).copyWithin(p, pOld, pOld + 4 * n);
      const gk = this.lazyWidth[k] ? new Float32Array(simd.f32.buffer, g, n) : undefined;
      this.forRows(k, gk, 0, n, (from, to) => simd.adam(p + 4 * from, m + 4 * from, v + 4 * from, g + 4 * from, to - from, step.scale, step.b1, step.b2, step.stepSize, step.epsHat));
      variable.assign(next);
      next.dispose();
    }
    return norm;
  }

  /**
   * Start an update with the global gradient norm `norm` (before clipping):
   * counts it and returns its constants, or null when `norm` is not finite
   * (the update is skipped: a non-finite gradient would poison every
   * parameter it touches, as mixed-precision trainers do on overflow).
   */
  beginUpdate(norm: number): AdamStep | null {
    if (!Number.isFinite(norm)) return null;
    const scale = this.clipNorm > 0 && norm > this.clipNorm ? this.clipNorm / norm : 1;
    this.t++;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    // Bias corrections folded into the step size (Kingma & Ba 2015, end of sec. 2).
    const stepSize = (this.learningRate * Math.sqrt(1 - Math.pow(b2, this.t))) / (1 - Math.pow(b1, this.t));
    const epsHat = eps * Math.sqrt(1 - Math.pow(b2, this.t));
    return { scale, b1, b2, stepSize, epsHat };
  }

  /** Row width of variable `k` when it is updated lazily (see {@link AdamOptions.lazyRows}), else 0. */
  lazyRowWidth(k: number): number {
    return this.lazyWidth[k];
  }

  /**
   * Run `update(from, to)` over elements [from, to) of variable `k`: all of
   * them, or, for a lazy variable, each row that has a non-zero gradient in
   * `g` (rows must not straddle `from` or `to`).
   */
  forRows(k: number, g: Float32Array | undefined, from: number, to: number, update: (from: number, to: number) => void): void {
    const width = this.lazyWidth[k];
    if (width === 0 || !g) {
      update(from, to);
      return;
    }
    for (let row = from; row < to; row += width) {
      for (let i = row; i < row + width; i++) {
        if (g[i] !== 0) {
          update(row, row + width);
          break;
        }
      }
    }
  }

  /**
   * Keep the moments in `m` and `v` (views of a shared memory, one per
   * variable) from now on, copying the current ones there when `copy`. The
   * data-parallel trainer (`src/core/training/parallel.ts`) then updates
   * parameters and moments itself, a range per replica, and this object only
   * counts the steps (`beginUpdate`) and reads and writes the state for
   * checkpoints.
   */
  shareState(m: Float32Array[], v: Float32Array[], copy: boolean): void {
    if (m.length !== this.variables.length || v.length !== this.variables.length) throw new RangeError(`Adam.shareState: ${m.length} moments for ${this.variables.length} variables`);
    if (copy) {
      const [m0, v0] = [this.momentArrays('m'), this.momentArrays('v')];
      m.forEach((a, k) => a.set(m0[k]));
      v.forEach((a, k) => a.set(v0[k]));
    }
    if (this.heap) {
      tf.dispose([this.heap.m, this.heap.v, this.heap.g ?? []]);
      this.heap = undefined;
    }
    this.m = m;
    this.v = v;
    this.shared = true;
  }

  /** The first or second moments, one array per variable (copies on the heap, views otherwise). */
  private momentArrays(which: 'm' | 'v'): Float32Array[] {
    if (this.heap) return this.heap[which].map((t) => t.dataSync() as Float32Array);
    return which === 'm' ? this.m : this.v;
  }

  /** Release the moments' tensors (on the wasm heap). */
  dispose(): void {
    if (this.heap) tf.dispose([this.heap.m, this.heap.v, this.heap.g ?? []]);
    this.heap = undefined;
  }

  /**
   * Names and shapes of what `exportState` writes for variables of these
   * shapes (to validate a checkpoint before reading it).
   */
  static stateSpecs(shapes: number[][]): { name: string; shape: number[] }[] {
    return [
      { name: 'iter', shape: [] },
      ...shapes.map((shape, i) => ({ name: `${i}/m`, shape: shape.slice() })),
      ...shapes.map((shape, i) => ({ name: `${i}/v`, shape: shape.slice() })),
    ];
  }

  /** Optimiser state for a checkpoint: `iter` then `<i>/m` and `<i>/v` per variable. */
  exportState(): NamedArray[] {
    return [
      { name: 'iter', shape: [], values: Float32Array.of(this.t) },
      ...this.momentArrays('m').map((a, i) => ({ name: `${i}/m`, shape: this.variables[i].shape.slice(), values: a.slice() })),
      ...this.momentArrays('v').map((a, i) => ({ name: `${i}/v`, shape: this.variables[i].shape.slice(), values: a.slice() })),
    ];
  }

  /**
   * Restore state written by `exportState`.
   * @throws RangeError when it does not fit these variables
   */
  importState(state: NamedArray[]): void {
    const n = this.variables.length;
    if (state.length !== 2 * n + 1 || state[0].name !== 'iter') {
      throw new RangeError(`optimizer state has ${state.length} arrays; expected ${2 * n + 1} for ${n} variables`);
    }
    for (let i = 0; i < n; i++) {
      const [m, v] = [state[1 + i], state[1 + n + i]];
      const size = this.variables[i].size;
      if (m.values.length !== size || v.values.length !== size) {
        throw new RangeError(`optimizer state for variable ${i} has ${m.values.length} values; expected ${size}`);
      }
    }
    for (let i = 0; i < n; i++) {
      const [m, v] = [state[1 + i], state[1 + n + i]];
      if (this.heap) {
        const simd = heapSimd(tf.backend())!;
        new Float32Array(simd.f32.buffer, heapOffset(this.heap.m[i]), m.values.length).set(m.values);
        new Float32Array(simd.f32.buffer, heapOffset(this.heap.v[i]), v.values.length).set(v.values);
      } else {
        this.m[i].set(m.values);
        this.v[i].set(v.values);
      }
    }
    this.t = state[0].values[0];
  }
}

/** The Adam update of elements [from, to) in place (Kingma & Ba 2015, algorithm 1, bias corrections folded into `stepSize` and `epsHat`). */
export function adamUpdate(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, from: number, to: number, step: AdamStep): void {
  const { scale, b1, b2, stepSize, epsHat } = step;
  for (let i = from; i < to; i++) {
    const gi = g[i] * scale;
    const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
    const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
    p[i] -= (stepSize * mi) / (Math.sqrt(vi) + epsHat);
  }
}

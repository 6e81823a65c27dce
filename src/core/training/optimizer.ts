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

/** Where the SIMD path keeps its arrays: byte offsets into the kernels' memory. */
interface SimdState {
  kernels: SimdKernels;
  /** Per variable: gradient, first and second moment. */
  g: number[];
  m: number[];
  v: number[];
  /** Parameters of the variable being updated (as long as the largest). */
  p: number;
}

export class Adam {
  learningRate: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly clipNorm: number;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  /** Gradient of the current update per variable (views into the SIMD memory, or arrays of their own). */
  private readonly grads: Float32Array[];
  /** Row width per variable when updated lazily, else 0. */
  private readonly lazyWidth: number[];
  /** Updates taken so far (t in the paper). */
  private t = 0;
  /** Set when the update runs on the SIMD kernels; `m` and `v` are then views into their memory. */
  private readonly simd?: SimdState;

  /** @param variables the parameters to optimise, in a fixed order */
  constructor(private readonly variables: tf.Variable[], opts: AdamOptions) {
    this.learningRate = opts.learningRate;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    this.clipNorm = opts.clipNorm ?? 0;
    const kernels = opts.simd === false ? undefined : SimdKernels.create();
    if (kernels) {
      // Everything allocated up front: the memory never grows afterwards, so the views below stay valid.
      const g = variables.map((v) => kernels.alloc(v.size));
      const m = variables.map((v) => kernels.alloc(v.size));
      const v = variables.map((x) => kernels.alloc(x.size));
      const p = kernels.alloc(Math.max(1, ...variables.map((x) => x.size)));
      this.simd = { kernels, g, m, v, p };
      const f = kernels.f32;
      this.m = variables.map((x, k) => f.subarray(m[k] >> 2, (m[k] >> 2) + x.size));
      this.v = variables.map((x, k) => f.subarray(v[k] >> 2, (v[k] >> 2) + x.size));
      this.grads = variables.map((x, k) => f.subarray(g[k] >> 2, (g[k] >> 2) + x.size));
    } else {
      this.m = variables.map((v) => new Float32Array(v.size));
      this.v = variables.map((v) => new Float32Array(v.size));
      this.grads = variables.map((v) => new Float32Array(v.size));
    }
    this.lazyWidth = variables.map((v, i) => (opts.lazyRows?.[i] ? (v.shape.length > 0 ? v.shape[v.shape.length - 1] : 1) : 0));
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
   * optimiser's own gradient storage (no intermediate arrays: the
   * data-parallel trainer combines replica shares there, see
   * `src/core/training/parallel.ts`).
   * @param write fills `dst` (the variable's size, row-major) with the gradient of variable `k`, overwriting every element
   * @returns the global gradient norm before clipping; when it is not finite the update is skipped
   */
  applyWith(write: (k: number, dst: Float32Array) => void): number {
    const simd = this.simd;
    const g = this.grads;
    let sq = 0;
    for (let k = 0; k < g.length; k++) {
      write(k, g[k]);
      if (simd) sq += simd.kernels.sumSquares(simd.g[k], g[k].length);
      else for (let i = 0; i < g[k].length; i++) sq += g[k][i] * g[k][i];
    }
    const norm = Math.sqrt(sq);
    // A non-finite gradient (overflow somewhere in the step) would poison every
    // parameter it touches: skip the update instead, as mixed-precision
    // trainers do on overflow. The caller sees the non-finite norm.
    if (!Number.isFinite(norm)) return norm;
    const scale = this.clipNorm > 0 && norm > this.clipNorm ? this.clipNorm / norm : 1;
    this.t++;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    // Bias corrections folded into the step size (Kingma & Ba 2015, end of sec. 2).
    const stepSize = (this.learningRate * Math.sqrt(1 - Math.pow(b2, this.t))) / (1 - Math.pow(b1, this.t));
    const epsHat = eps * Math.sqrt(1 - Math.pow(b2, this.t));
    for (let k = 0; k < this.variables.length; k++) {
      const variable = this.variables[k];
      const gk = g[k];
      const width = this.lazyWidth[k];
      let p: Float32Array;
      let updateRange: (from: number, to: number) => void;
      if (simd) {
        const { kernels } = simd;
        kernels.f32.set(variable.dataSync() as Float32Array, simd.p >> 2);
        updateRange = (from, to) =>
          kernels.adam(simd.p + 4 * from, simd.m[k] + 4 * from, simd.v[k] + 4 * from, simd.g[k] + 4 * from, to - from, scale, b1, b2, stepSize, epsHat);
        p = kernels.f32.subarray(simd.p >> 2, (simd.p >> 2) + gk.length);
      } else {
        p = (variable.dataSync() as Float32Array).slice();
        const m = this.m[k];
        const v = this.v[k];
        updateRange = (from, to) => update(p, m, v, gk, from, to, scale, b1, b2, stepSize, epsHat);
      }
      if (width === 0) {
        updateRange(0, p.length);
      } else {
        for (let row = 0; row < p.length; row += width) {
          let any = false;
          for (let i = row; i < row + width; i++) {
            if (gk[i] !== 0) {
              any = true;
              break;
            }
          }
          if (any) updateRange(row, row + width);
        }
      }
      // A copy out of the SIMD memory: some backends keep the array given to `tf.tensor`.
      const values = simd ? p.slice() : p;
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
    }
    return norm;
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
      ...this.m.map((a, i) => ({ name: `${i}/m`, shape: this.variables[i].shape.slice(), values: a.slice() })),
      ...this.v.map((a, i) => ({ name: `${i}/v`, shape: this.variables[i].shape.slice(), values: a.slice() })),
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
      if (m.values.length !== this.m[i].length || v.values.length !== this.v[i].length) {
        throw new RangeError(`optimizer state for variable ${i} has ${m.values.length} values; expected ${this.m[i].length}`);
      }
      this.m[i].set(m.values);
      this.v[i].set(v.values);
    }
    this.t = state[0].values[0];
  }
}

/** The Adam update of elements [from, to) in place (Kingma & Ba 2015, algorithm 1, bias corrections folded into `stepSize` and `epsHat`). */
function update(
  p: Float32Array,
  m: Float32Array,
  v: Float32Array,
  g: Float32Array,
  from: number,
  to: number,
  scale: number,
  b1: number,
  b2: number,
  stepSize: number,
  epsHat: number,
): void {
  for (let i = from; i < to; i++) {
    const gi = g[i] * scale;
    const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
    const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
    p[i] -= (stepSize * mi) / (Math.sqrt(vi) + epsHat);
  }
}

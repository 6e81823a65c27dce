/**
 * Where a training step spends its time, by category, without reading any
 * tensor back (unlike `tf.profile`, which copies every kernel's output off
 * the device and so changes what it measures).
 *
 * While a {@link StepProfiler} is active, every kernel of the backend runs
 * inside a timing wrapper (the wasm and cpu kernels are synchronous: the
 * wall time of the call is the kernel's time). Each kernel call is charged to
 * a category:
 *  - `matmul`: every `BatchMatMul` / `_FusedMatMul`, with its FLOPs
 *    (2·batch·M·K·N) counted from the input shapes, and the products a
 *    kernel runs itself (the whole-sequence kernels report theirs through
 *    {@link chargeMatmul});
 *  - otherwise the category of the innermost {@link region} the model code
 *    opened when the kernel ran: `cell` (the recurrent cells' element-wise
 *    work), `attention`, `embedding`, `readout`, `loss`. The backward pass
 *    inherits the region of the forward operation whose gradient it is (the
 *    profiler tags every tape node with the region that recorded it);
 *  - `other` for kernels outside any region (reshapes, concatenations, …).
 *
 * Regions opened with `{ wall: true }` (`loss`, `optimizer`, `exchange`,
 * `sync`) also charge the JavaScript time spent in them outside kernels to
 * their category (the fused cross-entropy's sweep, the Adam update, the
 * data-parallel exchange — copying the gradient share to the shared memory,
 * combining the shares, copying the parameters back — and waiting for the
 * other data-parallel replicas). What remains of the step's wall time
 * is "outside kernels": TensorFlow.js's own bookkeeping between kernels
 * (op dispatch, the gradient tape, tensor disposal) and the model's
 * JavaScript.
 *
 * {@link region} costs one property read when no profiler is active.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Categories of a step's time (see the module comment). */
export const PROFILE_CATEGORIES = ['matmul', 'cell', 'attention', 'embedding', 'readout', 'loss', 'optimizer', 'exchange', 'sync', 'other'] as const;
export type ProfileCategory = (typeof PROFILE_CATEGORIES)[number];
/** The categories model code opens regions for. */
export type RegionCategory = Exclude<ProfileCategory, 'matmul' | 'other'>;

/** One category of a {@link StepProfile}. */
export interface CategoryTime {
  /** Kernel time plus, for wall-clock regions, their JavaScript time (ms). */
  ms: number;
  /** Kernel calls charged to the category. */
  kernels: number;
}

/** What a {@link StepProfiler} measured. */
export interface StepProfile {
  /** Wall time between `start` and `stop` (ms). */
  wallMs: number;
  /** Per category (every category present, possibly zero). */
  categories: Record<ProfileCategory, CategoryTime>;
  /** Wall time not charged to any category: JavaScript between kernels (ms). */
  outsideMs: number;
  /** All kernel calls. */
  kernels: number;
  /** Floating-point operations of the matrix products (2·M·K·N each). */
  matmulFlops: number;
  /** Kernel calls and time by kernel name, largest time first. */
  byKernel: { kernel: string; calls: number; ms: number }[];
}

interface ActiveRegion {
  category: RegionCategory;
  wall: boolean;
  /** Time inside this region already charged (kernels, inner wall regions), for the JavaScript remainder of wall regions. */
  accountedMs: number;
}

/** The profiler currently collecting, if any (one per thread). */
let active: StepProfiler | null = null;

/**
 * Run `fn` with its kernels (and their gradients) charged to `category`.
 * @param opts.wall also charge the JavaScript time inside `fn` (outside kernels) to `category`
 */
export function region<T>(category: RegionCategory, fn: () => T, opts?: { wall?: boolean }): T {
  const p = active;
  if (p === null) return fn();
  return p.within({ category, wall: opts?.wall === true, accountedMs: 0 }, fn);
}

/** {@link region} for asynchronous work (data-parallel waits); always a wall-clock region. */
export async function regionAsync<T>(category: RegionCategory, fn: () => Promise<T>): Promise<T> {
  const p = active;
  if (p === null) return fn();
  const t0 = performance.now();
  const kernelsBefore = p.kernelMsTotal;
  try {
    return await fn();
  } finally {
    // Kernels that ran meanwhile on this thread were charged as usual; the rest of the wait is this category's.
    p.chargeWall(category, performance.now() - t0 - (p.kernelMsTotal - kernelsBefore));
  }
}

/** Whether a profiler is collecting on this thread. */
export function profiling(): boolean {
  return active !== null;
}

/**
 * Charge a matrix product run inside a kernel (the whole-sequence kernels of
 * `src/core/kernels/sequence.ts` run their products themselves) to
 * `matmul`, taking its time out of the enclosing kernel's category.
 * @param ms its wall time; @param flops 2·M·K·N
 */
export function chargeMatmul(ms: number, flops: number): void {
  active?.chargeNestedMatmul(ms, flops);
}

const MATMUL_KERNELS = new Set(['BatchMatMul', '_FusedMatMul']);

/** FLOPs of a `BatchMatMul` / `_FusedMatMul` call: 2·batch·M·K·N. */
export function matmulFlops(a: readonly number[], b: readonly number[], transposeA: boolean, transposeB: boolean): number {
  const ra = a.length;
  const rb = b.length;
  if (ra < 2 || rb < 2) return 0;
  const m = transposeA ? a[ra - 1] : a[ra - 2];
  const k = transposeA ? a[ra - 2] : a[ra - 1];
  const n = transposeB ? b[rb - 2] : b[rb - 1];
  let batch = 1;
  for (let i = 0; i < Math.max(ra, rb) - 2; i++) {
    const da = i < ra - 2 ? a[ra - 3 - i] : 1;
    const db = i < rb - 2 ? b[rb - 3 - i] : 1;
    batch *= Math.max(da, db);
  }
  return 2 * batch * m * k * n;
}

interface TapeNodeLike {
  gradient?: (dys: tf.Tensor[]) => unknown;
}
interface EngineLike {
  addTapeNode: (...args: unknown[]) => void;
  state: { activeTape: TapeNodeLike[] | null };
}

/**
 * Collects a {@link StepProfile} on this thread between `start()` and
 * `stop()`. One profiler at a time per thread.
 */
export class StepProfiler {
  private readonly cat = new Map<ProfileCategory, CategoryTime>();
  private readonly kernelStats = new Map<string, { calls: number; ms: number }>();
  private readonly stack: ActiveRegion[] = [];
  private wrapped: { name: string; original: tf.KernelConfig }[] = [];
  private restoreTape: (() => void) | null = null;
  private depth = 0;
  /** Time of products charged by `chargeMatmul` during the running kernel. */
  private nestedMs = 0;
  private t0 = 0;
  private flops = 0;
  private calls = 0;
  /** Kernel time so far (ms). */
  kernelMsTotal = 0;

  /**
   * Wrap the active backend's kernels and the gradient tape, and start the clock.
   * @throws Error when another profiler is active on this thread
   */
  start(): void {
    if (active !== null) throw new Error('StepProfiler.start: another profiler is active on this thread');
    for (const c of PROFILE_CATEGORIES) this.cat.set(c, { ms: 0, kernels: 0 });
    const backendName = tf.getBackend();
    for (const config of tf.getKernelsForBackend(backendName)) {
      const original = config;
      const kernelFunc: tf.KernelFunc = (args) => this.timeKernel(original, args);
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel({ ...config, kernelFunc });
      this.wrapped.push({ name: config.kernelName, original });
    }
    this.hookTape();
    active = this;
    this.t0 = performance.now();
  }

  /** Stop collecting, restore the kernels. @returns what was measured */
  stop(): StepProfile {
    const wallMs = performance.now() - this.t0;
    active = null;
    const backendName = tf.getBackend();
    for (const { name, original } of this.wrapped) {
      tf.unregisterKernel(name, backendName);
      tf.registerKernel(original);
    }
    this.wrapped = [];
    this.restoreTape?.();
    this.restoreTape = null;
    const categories = Object.fromEntries(PROFILE_CATEGORIES.map((c) => [c, { ...this.cat.get(c)! }])) as Record<ProfileCategory, CategoryTime>;
    const charged = PROFILE_CATEGORIES.reduce((s, c) => s + categories[c].ms, 0);
    return {
      wallMs,
      categories,
      outsideMs: Math.max(0, wallMs - charged),
      kernels: this.calls,
      matmulFlops: this.flops,
      byKernel: [...this.kernelStats.entries()].map(([kernel, s]) => ({ kernel, ...s })).sort((a, b) => b.ms - a.ms),
    };
  }

  /** @internal Run `fn` inside region `r`. */
  within<T>(r: ActiveRegion, fn: () => T): T {
    this.stack.push(r);
    const t0 = r.wall ? performance.now() : 0;
    try {
      return fn();
    } finally {
      this.stack.pop();
      let accounted = r.accountedMs;
      if (r.wall) {
        const elapsed = performance.now() - t0;
        this.chargeWall(r.category, elapsed - r.accountedMs);
        accounted = elapsed;
      }
      // What an inner region charged is accounted for in the outer one too.
      const outer = this.stack[this.stack.length - 1];
      if (outer) outer.accountedMs += accounted;
    }
  }

  /** @internal Charge JavaScript wall time (outside kernels) to a category. */
  chargeWall(category: ProfileCategory, ms: number): void {
    if (ms > 0) this.cat.get(category)!.ms += ms;
  }

  /** @internal See {@link chargeMatmul}. */
  chargeNestedMatmul(ms: number, flops: number): void {
    if (this.depth === 0) return;
    this.nestedMs += ms;
    this.cat.get('matmul')!.ms += ms;
    this.flops += flops;
  }

  private timeKernel(config: tf.KernelConfig, args: Parameters<tf.KernelFunc>[0]): ReturnType<tf.KernelFunc> {
    // Kernels called from inside another kernel (through the engine) belong to the outer one.
    if (this.depth > 0) return config.kernelFunc(args);
    this.depth++;
    this.nestedMs = 0;
    const t0 = performance.now();
    try {
      return config.kernelFunc(args);
    } finally {
      const total = performance.now() - t0;
      // Products the kernel ran itself were charged to matmul already.
      const ms = total - this.nestedMs;
      this.depth--;
      const name = config.kernelName;
      let category: ProfileCategory;
      if (MATMUL_KERNELS.has(name)) {
        category = 'matmul';
        const a = args.inputs.a as tf.TensorInfo | undefined;
        const b = args.inputs.b as tf.TensorInfo | undefined;
        const at = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
        if (a && b) this.flops += matmulFlops(a.shape, b.shape, Boolean(at.transposeA), Boolean(at.transposeB));
      } else {
        category = this.stack[this.stack.length - 1]?.category ?? 'other';
      }
      const c = this.cat.get(category)!;
      c.ms += ms;
      c.kernels++;
      this.calls++;
      this.kernelMsTotal += total;
      const top = this.stack[this.stack.length - 1];
      if (top) top.accountedMs += total;
      const k = this.kernelStats.get(name) ?? { calls: 0, ms: 0 };
      k.calls++;
      k.ms += total;
      this.kernelStats.set(name, k);
    }
  }

  /** Tag each gradient tape node with the region that recorded it, so that its backward kernels are charged there. */
  private hookTape(): void {
    const engine = tf.engine() as unknown as EngineLike;
    const own = Object.prototype.hasOwnProperty.call(engine, 'addTapeNode');
    const original = engine.addTapeNode;
    engine.addTapeNode = (...args: unknown[]) => {
      original.apply(engine, args);
      const tape = engine.state.activeTape;
      const node = tape?.[tape.length - 1];
      const r = this.stack[this.stack.length - 1];
      if (!node?.gradient || !r) return;
      const gradient = node.gradient;
      // Backward kernels of this node: the region's category, never its wall clock (the backward pass is not inside the region).
      const tag: ActiveRegion = { category: r.category, wall: false, accountedMs: 0 };
      node.gradient = (dys) => (active === this ? this.within({ ...tag }, () => gradient(dys)) : gradient(dys));
    };
    this.restoreTape = () => {
      if (own) engine.addTapeNode = original;
      else delete (engine as Partial<EngineLike>).addTapeNode;
    };
  }
}

/** Σ over categories of {@link StepProfile}s (e.g. several profiled steps), with wall times summed. */
export function sumProfiles(ps: StepProfile[]): StepProfile {
  const categories = Object.fromEntries(PROFILE_CATEGORIES.map((c) => [c, { ms: 0, kernels: 0 }])) as Record<ProfileCategory, CategoryTime>;
  const byKernel = new Map<string, { calls: number; ms: number }>();
  let wallMs = 0;
  let outsideMs = 0;
  let kernels = 0;
  let matmulFlops = 0;
  for (const p of ps) {
    wallMs += p.wallMs;
    outsideMs += p.outsideMs;
    kernels += p.kernels;
    matmulFlops += p.matmulFlops;
    for (const c of PROFILE_CATEGORIES) {
      // Profiles recorded before a category existed (bench/results/profile-before.json has no `exchange`) count 0 there.
      categories[c].ms += p.categories[c]?.ms ?? 0;
      categories[c].kernels += p.categories[c]?.kernels ?? 0;
    }
    for (const k of p.byKernel) {
      const e = byKernel.get(k.kernel) ?? { calls: 0, ms: 0 };
      e.calls += k.calls;
      e.ms += k.ms;
      byKernel.set(k.kernel, e);
    }
  }
  return { wallMs, categories, outsideMs, kernels, matmulFlops, byKernel: [...byKernel.entries()].map(([kernel, s]) => ({ kernel, ...s })).sort((a, b) => b.ms - a.ms) };
}

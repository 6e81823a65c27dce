/**
 * Synchronous data-parallel training on several threads of one machine.
 *
 * The wasm backend runs single-threaded in Node, so a second core only helps
 * if a second model works on part of every batch. The trainer's thread
 * (replica 0) and `threads − 1` worker threads each hold a copy of the model.
 * Every step, each replica computes the gradients of its share of the batch
 * (scored against the candidate words the trainer drew for the whole batch,
 * with `train.softmaxCandidates`) and writes them to its slot of one shared
 * memory. The update is then split, not repeated: the parameters are cut
 * into one contiguous range per replica, and each replica combines the
 * shares into the token-weighted mean over its own range, sums its squares
 * (for clipping by the global norm), and applies Adam to that range of the
 * master parameters and moments, which live in the shared memory too (the
 * optimizer-state partitioning of ZeRO stage 1, Rajbhandari et al. 2020,
 * over shared memory instead of a network; synchronous SGD with all-reduce
 * as in Goyal et al. 2017). Every replica then copies the new parameters
 * into its model, so all copies stay bit-identical, and each element is
 * computed by exactly one thread in exactly one order.
 *
 * Message flow per step (main = replica 0):
 *   main → r: step{share, candidates}   r: load the parameters, gradients → write slot r → computed{loss, tokens}
 *   main: gradients(share 0) → write slot 0; wait for every computed
 *   main → r: combine{tokens}            everyone: mean of the slots over its range → partial{Σ g²}
 *   main: norm = √(Σ partials in replica order) → r: update{norm}
 *   everyone: Adam on its range → r → main: updated
 *   main → r: load                       everyone: copy the parameters into its model
 */
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { AUTO_THREADS_MAX, type ModelConfig, type TrainConfig } from '../config/config';
import { Batch, EncodedPair, makeBatch } from '../data/batching';
import { heapSimd } from '../kernels/fused';
import { SimdKernels } from '../kernels/simd';
import type { SampledCandidates } from '../model/types';
import type { NamedArray } from '../runs/checkpoint';
import { region, regionAsync, type StepProfile } from '../profile';
import { disposeAll } from '../tensors';
import { Adam, adamUpdate } from './optimizer';
import { Updater } from './updater';

/**
 * The number of data-parallel threads a run uses, and why (for the log).
 * A number in `train.threads` is used as it is; `auto` takes
 * `SEQ2SEQ_THREADS` (a positive integer, or `auto`) when it is set, else
 * min(cores, {@link AUTO_THREADS_MAX}). The `tensorflow` backend always
 * trains on one thread (tfjs-node fails to load in a second worker thread).
 * @param cores the machine's cores (`os.availableParallelism()`)
 * @throws Error when `SEQ2SEQ_THREADS` is neither a positive integer nor `auto`
 */
export function resolveThreads(
  threads: number | 'auto',
  backend: string,
  env: NodeJS.ProcessEnv = process.env,
  cores: number = os.availableParallelism?.() ?? os.cpus().length,
): { threads: number; why: string } {
  let n: number;
  let why: string;
  const fromEnv = env.SEQ2SEQ_THREADS?.trim();
  if (threads !== 'auto') {
    n = threads;
    why = `train.threads = ${threads}`;
  } else if (fromEnv && fromEnv !== 'auto') {
    n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 1) throw new Error(`SEQ2SEQ_THREADS must be a positive integer or "auto" (got "${fromEnv}")`);
    why = `train.threads = auto, SEQ2SEQ_THREADS = ${n}`;
  } else {
    n = Math.max(1, Math.min(cores, AUTO_THREADS_MAX));
    why = `train.threads = auto: ${cores} core${cores === 1 ? '' : 's'}, at most ${AUTO_THREADS_MAX}`;
  }
  if (backend === 'tensorflow' && n > 1) return { threads: 1, why: `${why}; one thread with the tensorflow backend` };
  return { threads: n, why };
}

/** Everything a replica needs to build the same model and optimiser state. */
export interface ReplicaInit {
  model: ModelConfig;
  train: TrainConfig;
  srcVocabSize: number;
  tgtVocabSize: number;
  /** Current parameter values (in `model.params.names` order). */
  weights: NamedArray[];
  /** Current optimiser slots (`optimizer.getWeights()` order), absent before the first step. */
  optimizer?: NamedArray[];
  learningRate: number;
}

/** Messages main → replica. */
export type ToReplica =
  | { type: 'init'; init: ReplicaInit; index: number; memory: WebAssembly.Memory; exchange: ExchangeLayout }
  | { type: 'step'; batch: Batch | null; candidates?: SampledCandidates }
  | { type: 'combine'; tokens: number[] }
  | { type: 'update'; norm: number }
  | { type: 'load' }
  | { type: 'lr'; learningRate: number }
  | { type: 'profile'; on: boolean }
  | { type: 'close' };

/** Messages replica → main. */
export type FromReplica =
  | { type: 'ready' }
  | { type: 'computed'; loss: number; tokens: number }
  | { type: 'partial'; sumSquares: number }
  | { type: 'updated' }
  | { type: 'profiled'; profile: StepProfile | null }
  | { type: 'error'; message: string; detail?: string };

/** Size in floats of each shape and their running offsets. */
export function layout(shapes: number[][]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const s of shapes) {
    offsets.push(total);
    total += s.reduce((a, b) => a * b, 1);
  }
  return { offsets, total };
}

/**
 * Where everything lives in the shared memory of data-parallel training
 * (byte offsets; `total` floats per array, in the order of `layout(shapes)`).
 */
export interface ExchangeLayout {
  shapes: number[][];
  /** Each variable's first element in the flat order. */
  offsets: number[];
  total: number;
  replicas: number;
  /** Per replica: its range [from, to) of the flat parameters (elements). */
  ranges: [number, number][];
  /** Per replica: 16 bytes per replica for the combining kernel's table. */
  tables: number;
  /** Master parameters, first and second Adam moments. */
  params: number;
  m: number;
  v: number;
  /** Gradient slot of each replica. */
  grads: number[];
  bytes: number;
}

/**
 * Cut `total` parameters into one contiguous range per replica, as equal as
 * possible, each boundary moved forward to a multiple of 4 elements and, in a
 * lazily updated variable (row width > 0), to a row boundary (a row is
 * updated or skipped whole).
 */
export function replicaRanges(shapes: number[][], lazyWidths: number[], replicas: number): [number, number][] {
  const { offsets, total } = layout(shapes);
  const cuts = [0];
  for (let r = 1; r < replicas; r++) {
    let cut = Math.max(cuts[r - 1], Math.min(total, Math.round((r * total) / replicas)));
    let k = offsets.findIndex((o, i) => cut >= o && cut < (i + 1 < offsets.length ? offsets[i + 1] : total));
    if (k >= 0 && lazyWidths[k] > 0) {
      const w = lazyWidths[k];
      cut = Math.min(offsets[k] + Math.ceil((cut - offsets[k]) / w) * w, k + 1 < offsets.length ? offsets[k + 1] : total);
    } else {
      cut = Math.min(total, Math.ceil(cut / 4) * 4);
      k = offsets.findIndex((o, i) => cut > o && cut < (i + 1 < offsets.length ? offsets[i + 1] : total));
      // Rounding up to 4 must not land inside a lazy row.
      if (k >= 0 && lazyWidths[k] > 0) cut = Math.min(offsets[k] + Math.ceil((cut - offsets[k]) / lazyWidths[k]) * lazyWidths[k], k + 1 < offsets.length ? offsets[k + 1] : total);
    }
    cuts.push(cut);
  }
  cuts.push(total);
  return cuts.slice(0, -1).map((c, r) => [c, cuts[r + 1]]);
}

/** The shared memory's layout for `replicas` threads (see {@link ExchangeLayout}). */
export function exchangeLayout(shapes: number[][], lazyWidths: number[], replicas: number): ExchangeLayout {
  const { offsets, total } = layout(shapes);
  const floats = Math.ceil(total / 4) * 4;
  const tables = 0;
  const params = Math.ceil((16 * replicas * replicas) / 64) * 64;
  const m = params + 4 * floats;
  const v = m + 4 * floats;
  const grads = Array.from({ length: replicas }, (_, r) => v + 4 * floats * (r + 1));
  return { shapes, offsets, total, replicas, ranges: replicaRanges(shapes, lazyWidths, replicas), tables, params, m, v, grads, bytes: grads[replicas - 1] + 4 * floats };
}

/** A shared `WebAssembly.Memory` of at least `bytes` (its buffer is a `SharedArrayBuffer`). */
export function sharedMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

/**
 * One replica's side of the shared update: writes its gradient share,
 * combines all shares over its range, updates that range of the master
 * parameters and moments, and loads the parameters into its model. With
 * WebAssembly SIMD the combining and Adam run on the kernels of
 * `src/core/kernels/simd.wat` over the shared memory, else in JavaScript
 * (the same arithmetic: float64, rounded once to float32).
 */
export class SharedUpdate {
  private readonly f32: Float32Array;
  private readonly simd: SimdKernels | undefined;

  /**
   * @param index this replica (0 = the trainer's thread)
   * @param adam this replica's optimiser: its moments become views of the shared memory (`Adam.shareState`)
   * @param copyState the trainer's thread: copy its optimiser state and parameters into the shared memory first
   */
  constructor(
    readonly memory: WebAssembly.Memory,
    readonly exchange: ExchangeLayout,
    readonly index: number,
    private readonly adam: Adam,
    private readonly variables: tf.Variable[],
    copyState: boolean,
  ) {
    this.f32 = new Float32Array(memory.buffer);
    this.simd = SimdKernels.onMemory(memory);
    const view = (base: number) => exchange.offsets.map((o, k) => this.f32.subarray((base >> 2) + o, (base >> 2) + o + sizeOf(exchange.shapes[k])));
    adam.shareState(view(exchange.m), view(exchange.v), copyState);
    if (copyState) variables.forEach((v, k) => this.f32.set(v.dataSync() as Float32Array, (exchange.params >> 2) + exchange.offsets[k]));
  }

  /** Write this replica's gradients (in `variables` order) to its slot. */
  writeGradients(grads: tf.Tensor[]): void {
    const slot = this.exchange.grads[this.index] >> 2;
    const heap = heapSimd(tf.backend());
    grads.forEach((g, k) => {
      const at = slot + this.exchange.offsets[k];
      if (heap && g.dtype === 'float32') {
        // Straight from the wasm heap: no intermediate copy.
        const off = (tf.backend() as unknown as { dataIdMap: { get(d: object): { memoryOffset: number } } }).dataIdMap.get(g.dataId).memoryOffset;
        this.f32.set(new Float32Array(heap.f32.buffer, off, g.size), at);
      } else {
        this.f32.set(g.dataSync() as Float32Array, at);
      }
    });
  }

  /**
   * The token-weighted mean of every replica's slot over this replica's
   * range, written over its own slot there.
   * @param tokens target tokens per replica (0 = no share: its slot is ignored)
   * @returns Σ of the squares of the combined gradient over the range (float64)
   */
  combine(tokens: number[]): number {
    const [from, to] = this.exchange.ranges[this.index];
    const n = to - from;
    const total = tokens.reduce((a, b) => a + b, 0);
    const shares = tokens.map((t, r) => ({ w: total > 0 ? t / total : 0, at: this.exchange.grads[r] + 4 * from })).filter((_, r) => tokens[r] > 0);
    const dst = this.exchange.grads[this.index] + 4 * from;
    if (n <= 0) return 0;
    if (this.simd) {
      const table = this.exchange.tables + 16 * this.exchange.replicas * this.index;
      const dv = new DataView(this.memory.buffer);
      shares.forEach((sh, i) => {
        dv.setFloat64(table + 16 * i, sh.w, true);
        dv.setInt32(table + 16 * i + 8, sh.at, true);
      });
      if (shares.length === 0) {
        this.f32.fill(0, dst >> 2, (dst >> 2) + n);
        return 0;
      }
      return this.simd.raw.combineSq(dst, n, shares.length, table);
    }
    const views = shares.map((sh) => this.f32.subarray(sh.at >> 2, (sh.at >> 2) + n));
    const out = this.f32.subarray(dst >> 2, (dst >> 2) + n);
    let sq = 0;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let r = 0; r < views.length; r++) sum += shares[r].w * views[r][i];
      out[i] = sum;
      sq += out[i] * out[i];
    }
    return sq;
  }

  /**
   * Adam on this replica's range (after {@link combine} everywhere), with
   * the global norm before clipping.
   * @returns false when the norm is not finite (the update is skipped everywhere)
   */
  update(norm: number): boolean {
    const step = this.adam.beginUpdate(norm);
    if (!step) return false;
    const { offsets, shapes } = this.exchange;
    const [from, to] = this.exchange.ranges[this.index];
    const P = this.exchange.params;
    const G = this.exchange.grads[this.index];
    for (let k = 0; k < offsets.length; k++) {
      const lo = Math.max(from, offsets[k]);
      const hi = Math.min(to, offsets[k] + sizeOf(shapes[k]));
      if (lo >= hi) continue;
      const base = offsets[k];
      const g = this.f32.subarray((G >> 2) + base, (G >> 2) + base + sizeOf(shapes[k]));
      const simd = this.simd;
      const range = simd
        ? (a: number, b: number) =>
            simd.raw.adam(P + 4 * (base + a), this.exchange.m + 4 * (base + a), this.exchange.v + 4 * (base + a), G + 4 * (base + a), b - a, step.scale, step.b1, step.b2, step.stepSize, step.epsHat)
        : (a: number, b: number) => {
            const at = (x: number) => this.f32.subarray((x >> 2) + base, (x >> 2) + base + sizeOf(shapes[k]));
            adamUpdate(at(P), at(this.exchange.m), at(this.exchange.v), g, a, b, step);
          };
      this.adam.forRows(k, g, lo - base, hi - base, range);
    }
    return true;
  }

  /** Copy the master parameters into this replica's model. */
  loadParameters(): void {
    const P = this.exchange.params >> 2;
    // The wasm backend copies the values onto its heap; others may keep the array given to `tf.tensor`: give them a copy.
    const copies = heapSimd(tf.backend()) === null;
    tf.tidy(() =>
      this.variables.forEach((v, k) => {
        const o = P + this.exchange.offsets[k];
        const values = this.f32.subarray(o, o + v.size);
        v.assign(tf.tensor(copies ? values.slice() : values, v.shape, 'float32'));
      }),
    );
  }
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Split a batch's pairs into `k` contiguous shares (some may be empty). */
export function shareBatch(batch: Batch, pairs: EncodedPair[], k: number): (Batch | null)[] {
  const out: (Batch | null)[] = [];
  const per = Math.ceil(batch.indices.length / k);
  for (let r = 0; r < k; r++) {
    const idx = batch.indices.slice(r * per, (r + 1) * per);
    out.push(idx.length ? makeBatch(pairs, idx) : null);
  }
  return out;
}

function replicaEntry(): { file: string; execArgv: string[] } {
  // Bundled: dist/replica.js next to this bundle. From sources (tests): the .ts file through tsx.
  if (__filename.endsWith('.ts')) return { file: path.join(__dirname, '..', '..', 'worker', 'replicaWorker.ts'), execArgv: ['--require', 'tsx/cjs'] };
  return { file: path.join(__dirname, 'replica.js'), execArgv: [] };
}

interface ReplicaHandle {
  worker: Worker;
  queue: FromReplica[];
  waiters: ((m: FromReplica) => void)[];
  failed?: Error;
}

/** The next message of a replica (an `error` message once it has failed). */
function nextMessage(h: ReplicaHandle): Promise<FromReplica> {
  if (h.queue.length) return Promise.resolve(h.queue.shift()!);
  if (h.failed) return Promise.resolve({ type: 'error', message: h.failed.message });
  return new Promise((resolve) => h.waiters.push(resolve));
}

/**
 * The next message of a replica, which must be of `type`.
 * @throws Error with the replica's message when it failed, or when it sent another message
 */
async function expectMessage<T extends FromReplica['type']>(h: ReplicaHandle, type: T): Promise<Extract<FromReplica, { type: T }>> {
  const m = await nextMessage(h);
  if (m.type === 'error') throw new Error(`data-parallel replica failed: ${m.message}${m.detail ? `\n${m.detail}` : ''}`);
  if (m.type !== type) throw new Error(`data-parallel replica sent ${m.type}, expected ${type}`);
  return m as Extract<FromReplica, { type: T }>;
}

/** The main thread's side of data-parallel training. */
export class DataParallel {
  /** Replicas that have not yet reported `updated` for the last step (empty between steps). */
  private pending: Promise<void> = Promise.resolve();

  private constructor(
    private readonly replicas: ReplicaHandle[],
    private readonly shared: SharedUpdate,
  ) {}

  /** Number of threads including the caller's. */
  get threads(): number {
    return this.replicas.length + 1;
  }

  /**
   * Start `threads − 1` replica workers with the given state, and move the
   * trainer's parameters and optimiser state into the shared memory.
   * @param main the trainer's updater and model variables (its optimiser's moments move to the shared memory)
   * @throws Error when a replica fails to start (e.g. its backend cannot load)
   */
  static async start(threads: number, init: ReplicaInit, main: { updater: Updater; variables: tf.Variable[] }): Promise<DataParallel> {
    const shapes = main.variables.map((v) => v.shape.slice());
    const exchange = exchangeLayout(shapes, shapes.map((_, k) => main.updater.optimizer.lazyRowWidth(k)), threads);
    const memory = sharedMemory(exchange.bytes);
    const entry = replicaEntry();
    const replicas: ReplicaHandle[] = [];
    for (let r = 1; r < threads; r++) {
      const worker = new Worker(entry.file, { execArgv: entry.execArgv, env: process.env });
      const h: ReplicaHandle = { worker, queue: [], waiters: [] };
      worker.on('message', (m: FromReplica) => {
        const w = h.waiters.shift();
        if (w) w(m);
        else h.queue.push(m);
      });
      const fail = (e: Error) => {
        h.failed = e;
        for (const w of h.waiters.splice(0)) w({ type: 'error', message: e.message });
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`data-parallel replica ${r} exited (code ${code})`)));
      replicas.push(h);
      worker.postMessage({ type: 'init', init, index: r, memory, exchange } satisfies ToReplica);
    }
    try {
      await Promise.all(replicas.map((h) => expectMessage(h, 'ready')));
    } catch (e) {
      await Promise.all(replicas.map((h) => h.worker.terminate()));
      throw e;
    }
    // Only now (every replica started) do the trainer's parameters and optimiser state move to the shared memory.
    return new DataParallel(replicas, new SharedUpdate(memory, exchange, 0, main.updater.optimizer, main.variables, true));
  }

  private all<T extends FromReplica['type']>(type: T): Promise<Extract<FromReplica, { type: T }>[]> {
    return regionAsync('sync', () => Promise.all(this.replicas.map((h) => expectMessage(h, type))));
  }

  private post(m: ToReplica): void {
    for (const h of this.replicas) h.worker.postMessage(m);
  }

  /**
   * One synchronous data-parallel step; when it returns, the caller's model
   * holds the updated parameters and its optimiser the updated state.
   * @param pairs the encoded pairs the batch's `indices` refer to
   * @returns mean per-token loss over the whole batch
   */
  async step(updater: Updater, batch: Batch, pairs: EncodedPair[]): Promise<number> {
    const shares = shareBatch(batch, pairs, this.threads);
    // One candidate draw for the whole batch: every share is scored against it, as one thread would score the batch.
    const candidates = updater.sampleCandidates(batch);
    this.replicas.forEach((h, i) => h.worker.postMessage({ type: 'step', batch: shares[i + 1], candidates } satisfies ToReplica));
    const own = updater.gradients(shares[0]!, undefined, candidates); // share 0 is never empty: a batch has at least one pair
    let computed: Extract<FromReplica, { type: 'computed' }>[];
    try {
      region('exchange', () => this.shared.writeGradients(own.grads), { wall: true });
    } finally {
      disposeAll(own.grads);
    }
    computed = await this.all('computed');
    const tokens = [own.tokens, ...computed.map((c) => c.tokens)];
    this.post({ type: 'combine', tokens });
    const sq0 = region('exchange', () => this.shared.combine(tokens), { wall: true });
    const partials = await this.all('partial');
    // Summed in replica order here and sent to all: every replica clips with the very same norm.
    const norm = Math.sqrt([sq0, ...partials.map((p) => p.sumSquares)].reduce((a, b) => a + b, 0));
    this.post({ type: 'update', norm });
    const updated = region('optimizer', () => this.shared.update(norm), { wall: true });
    if (!updated) updater.skippedUpdates++;
    this.pending = this.all('updated').then(() => undefined);
    await this.pending;
    if (updated) {
      // Every range is updated: all threads copy the new parameters at once.
      this.post({ type: 'load' });
      region('exchange', () => this.shared.loadParameters(), { wall: true });
    }
    const total = tokens.reduce((a, b) => a + b, 0);
    return (own.loss * own.tokens + computed.reduce((a, c) => a + c.loss * c.tokens, 0)) / Math.max(total, 1);
  }

  /**
   * Start (`on`) or stop profiling on every replica thread (see
   * `src/core/profile.ts`); a replica's idle time between messages counts
   * as synchronisation.
   * @returns when stopping, each replica's profile since it started (in replica order)
   */
  async profileReplicas(on: boolean): Promise<StepProfile[]> {
    await this.pending;
    this.post({ type: 'profile', on });
    const replies = await Promise.all(this.replicas.map((h) => expectMessage(h, 'profiled')));
    return replies.map((r) => r.profile).filter((p): p is StepProfile => p !== null);
  }

  /** Change the learning rate on every replica (the caller changes its own). */
  setLearningRate(lr: number): void {
    this.post({ type: 'lr', learningRate: lr });
  }

  /** Wait for the last step everywhere, then stop the replica threads. */
  async dispose(): Promise<void> {
    await this.pending.catch(() => undefined);
    await Promise.all(
      this.replicas.map(async (h) => {
        h.worker.postMessage({ type: 'close' } satisfies ToReplica);
        await h.worker.terminate();
      }),
    );
  }
}

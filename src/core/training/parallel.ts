/**
 * Synchronous data-parallel training on several threads of one machine.
 *
 * The wasm backend runs single-threaded in Node, so a second core only helps
 * if a second model works on part of every batch. The trainer's thread
 * (replica 0) and `threads − 1` worker threads each hold an identical copy of
 * the model and the optimiser. Every step, each replica computes the
 * gradients of its share of the batch and writes them to its own
 * `SharedArrayBuffer`; then every replica reads all shares, combines them
 * into the token-weighted mean in the same fixed order, clips and applies
 * the same Adam update. The copies therefore stay bit-identical without ever
 * sending weights (the scheme of synchronous SGD with all-reduce, e.g.
 * Goyal et al. 2017, with the all-reduce done through shared memory).
 *
 * Message flow per step (main = replica 0):
 *   main → r: step{batch share}      r: gradients → write sab[r] → computed{loss, tokens}
 *   main: gradients(share 0) → wait until every r applied the previous step → write sab[0]
 *   main waits for every computed → main → r: combine{tokens[]}
 *   everyone: read the other shares, combine, clip, Adam → r → main: applied
 */
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { AUTO_THREADS_MAX, type ModelConfig, type TrainConfig } from '../config/config';
import { Batch, EncodedPair, makeBatch } from '../data/batching';
import type { NamedArray } from '../runs/checkpoint';
import { region, regionAsync, type StepProfile } from '../profile';
import { disposeAll } from '../tensors';
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
  | { type: 'init'; init: ReplicaInit; index: number; buffers: SharedArrayBuffer[]; shapes: number[][] }
  | { type: 'step'; batch: Batch | null }
  | { type: 'combine'; tokens: number[] }
  | { type: 'lr'; learningRate: number }
  | { type: 'profile'; on: boolean }
  | { type: 'close' };

/** Messages replica → main. */
export type FromReplica =
  | { type: 'ready' }
  | { type: 'computed'; loss: number; tokens: number }
  | { type: 'applied' }
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

/** Copy gradients into a shared buffer at the layout's offsets. */
export function writeGradients(grads: tf.Tensor[], buffer: SharedArrayBuffer, offsets: number[]): void {
  const view = new Float32Array(buffer);
  grads.forEach((g, i) => view.set(g.dataSync() as Float32Array, offsets[i]));
}

/**
 * Token-weighted mean of every replica's gradients, read from the shared
 * buffers (each replica has written its own share there) and summed in
 * replica order in plain JavaScript (one pass, each element summed in
 * float64 and rounded once): identical inputs in identical order give
 * identical results on every replica, so their parameters stay bit-identical.
 * Returns a writer for `Adam.applyWith`, which fills the optimiser's own
 * gradient storage directly (no arrays allocated per step).
 * @param tokens target tokens per replica (0 = the replica had no share; its buffer is ignored)
 * @param offsets each variable's offset in the buffers (see `layout`)
 * @returns `(k, dst)` writing the combined gradient of variable `k` into `dst`
 */
export function combineShares(tokens: number[], buffers: SharedArrayBuffer[], offsets: number[]): (k: number, dst: Float32Array) => void {
  const total = tokens.reduce((a, b) => a + b, 0);
  const shares = tokens.map((t, r) => ({ w: total > 0 ? t / total : 0, view: new Float32Array(buffers[r]) })).filter((_, r) => tokens[r] > 0);
  return (k, dst) => region('sync', () => sumShares(shares, offsets[k], dst), { wall: true });
}

/** `dst[i] = Σ_r w_r · share_r[off + i]` (see {@link combineShares}). */
function sumShares(shares: { w: number; view: Float32Array }[], off: number, dst: Float32Array): void {
  const n = dst.length;
  if (shares.length === 0) {
    dst.fill(0);
    return;
  }
  // One pass, each element's sum in float64, rounded once; two replicas (the usual case) without an inner loop.
  const views = shares.map((sh) => sh.view.subarray(off, off + n));
  const w = shares.map((sh) => sh.w);
  if (views.length === 1) {
    const [v0] = views;
    for (let i = 0; i < n; i++) dst[i] = w[0] * v0[i];
  } else if (views.length === 2) {
    const [v0, v1] = views;
    const [w0, w1] = w;
    for (let i = 0; i < n; i++) dst[i] = w0 * v0[i] + w1 * v1[i];
  } else {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let r = 0; r < views.length; r++) sum += w[r] * views[r][i];
      dst[i] = sum;
    }
  }
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

/** The main thread's side of data-parallel training. */
export class DataParallel {
  private applied: Promise<void> = Promise.resolve();
  private readonly offsets: number[];

  private constructor(
    private readonly replicas: ReplicaHandle[],
    private readonly buffers: SharedArrayBuffer[],
    shapes: number[][],
  ) {
    this.offsets = layout(shapes).offsets;
  }

  /** Number of threads including the caller's. */
  get threads(): number {
    return this.replicas.length + 1;
  }

  /**
   * Start `threads − 1` replica workers with the given state.
   * @throws Error when a replica fails to start (e.g. its backend cannot load)
   */
  static async start(threads: number, init: ReplicaInit, shapes: number[][]): Promise<DataParallel> {
    const { total } = layout(shapes);
    const buffers = Array.from({ length: threads }, () => new SharedArrayBuffer(total * 4));
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
      worker.postMessage({ type: 'init', init, index: r, buffers, shapes } satisfies ToReplica);
    }
    const dp = new DataParallel(replicas, buffers, shapes);
    try {
      await Promise.all(replicas.map((h) => dp.expect(h, 'ready')));
    } catch (e) {
      await dp.dispose();
      throw e;
    }
    return dp;
  }

  private next(h: ReplicaHandle): Promise<FromReplica> {
    if (h.queue.length) return Promise.resolve(h.queue.shift()!);
    if (h.failed) return Promise.resolve({ type: 'error', message: h.failed.message });
    return new Promise((resolve) => h.waiters.push(resolve));
  }

  private async expect<T extends FromReplica['type']>(h: ReplicaHandle, type: T): Promise<Extract<FromReplica, { type: T }>> {
    const m = await this.next(h);
    if (m.type === 'error') throw new Error(`data-parallel replica failed: ${m.message}${m.detail ? `\n${m.detail}` : ''}`);
    if (m.type !== type) throw new Error(`data-parallel replica sent ${m.type}, expected ${type}`);
    return m as Extract<FromReplica, { type: T }>;
  }

  /**
   * One synchronous data-parallel step.
   * @param pairs the encoded pairs the batch's `indices` refer to
   * @returns mean per-token loss over the whole batch
   */
  async step(updater: Updater, batch: Batch, pairs: EncodedPair[]): Promise<number> {
    const shares = shareBatch(batch, pairs, this.threads);
    this.replicas.forEach((h, i) => h.worker.postMessage({ type: 'step', batch: shares[i + 1] } satisfies ToReplica));
    const own = updater.gradients(shares[0]!); // share 0 is never empty: a batch has at least one pair
    try {
      await regionAsync('sync', () => this.applied); // replicas have read the previous step's buffers
      region('sync', () => writeGradients(own.grads, this.buffers[0], this.offsets), { wall: true });
      const computed = await regionAsync('sync', () => Promise.all(this.replicas.map((h) => this.expect(h, 'computed'))));
      const tokens = [own.tokens, ...computed.map((c) => c.tokens)];
      this.replicas.forEach((h) => h.worker.postMessage({ type: 'combine', tokens } satisfies ToReplica));
      updater.applyCombined(combineShares(tokens, this.buffers, this.offsets));
      this.applied = Promise.all(this.replicas.map((h) => this.expect(h, 'applied'))).then(() => undefined);
      const total = tokens.reduce((a, b) => a + b, 0);
      return (own.loss * own.tokens + computed.reduce((a, c) => a + c.loss * c.tokens, 0)) / Math.max(total, 1);
    } finally {
      disposeAll(own.grads);
    }
  }

  /**
   * Start (`on`) or stop profiling on every replica thread (see
   * `src/core/profile.ts`); a replica's idle time between messages counts
   * as synchronisation.
   * @returns when stopping, each replica's profile since it started (in replica order)
   */
  async profileReplicas(on: boolean): Promise<StepProfile[]> {
    await this.applied;
    this.replicas.forEach((h) => h.worker.postMessage({ type: 'profile', on } satisfies ToReplica));
    const replies = await Promise.all(this.replicas.map((h) => this.expect(h, 'profiled')));
    return replies.map((r) => r.profile).filter((p): p is StepProfile => p !== null);
  }

  /** Change the learning rate on every replica (the caller changes its own). */
  setLearningRate(lr: number): void {
    for (const h of this.replicas) h.worker.postMessage({ type: 'lr', learningRate: lr } satisfies ToReplica);
  }

  /** Wait for the last step everywhere, then stop the replica threads. */
  async dispose(): Promise<void> {
    await this.applied.catch(() => undefined);
    await Promise.all(
      this.replicas.map(async (h) => {
        h.worker.postMessage({ type: 'close' } satisfies ToReplica);
        await h.worker.terminate();
      }),
    );
  }
}

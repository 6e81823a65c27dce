/**
 * How much two busy cores slow each other on this machine, with no data
 * parallelism involved (part `profile` of `npm run bench`): the same work
 * in one worker thread alone, then in two worker threads at once —
 *  - the packed GEMM on `[n, n] × [n, n]` (compute-bound);
 *  - the forward and backward pass of half a batch of the default model
 *    (`Updater.gradients` on 32 of the 64 sentences: what each replica of a
 *    two-thread step computes), which also streams gradients, packed
 *    operands and activations through memory.
 * The slowdown of the second measurement bounds what two data-parallel
 * threads can gain here before any synchronisation: a step cannot be faster
 * than the slower replica's half.
 */
import { Worker, isMainThread, parentPort, workerData } from 'worker_threads';
import * as path from 'path';
import type { CoresJob, CoresResult } from './jobs';

interface Task {
  kind: 'gemm' | 'gradients';
  n: number;
  model?: unknown;
  windowMs: number;
  softmaxCandidates: number;
}

/** Run `task` in `k` workers at once; @returns each worker's figure (GFLOP/s or ms per pass). */
function inWorkers(task: Task, k: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const out: number[] = [];
    const ws = Array.from({ length: k }, () => new Worker(__filename, { workerData: task, execArgv: __filename.endsWith('.ts') ? ['--require', 'tsx/cjs'] : [] }));
    for (const w of ws) {
      w.on('message', (m: number) => {
        out.push(m);
        if (out.length === k) {
          ws.forEach((x) => void x.terminate());
          resolve(out);
        }
      });
      w.on('error', reject);
    }
  });
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** GEMM GFLOP/s and half-batch gradient ms, alone and two at once, interleaved over `rounds`. */
export async function measureCores(job: CoresJob): Promise<CoresResult> {
  const gemm: Task = { kind: 'gemm', n: job.n, windowMs: job.windowMs, softmaxCandidates: 0 };
  const grads: Task = { kind: 'gradients', n: 0, model: job.model, windowMs: job.windowMs, softmaxCandidates: job.softmaxCandidates };
  const r = { gemmAlone: [] as number[], gemmTogether: [] as number[], gradAlone: [] as number[], gradTogether: [] as number[] };
  for (let i = 0; i < job.rounds; i++) {
    r.gemmAlone.push(...(await inWorkers(gemm, 1)));
    r.gemmTogether.push(median(await inWorkers(gemm, 2)));
    r.gradAlone.push(...(await inWorkers(grads, 1)));
    r.gradTogether.push(Math.max(...(await inWorkers(grads, 2))));
  }
  return {
    n: job.n,
    gemmAloneGflops: median(r.gemmAlone),
    gemmTogetherGflops: median(r.gemmTogether),
    gradientsAloneMs: median(r.gradAlone),
    gradientsTogetherMs: median(r.gradTogether),
    softmaxCandidates: job.softmaxCandidates,
  };
}

async function worker(task: Task): Promise<number> {
  const root = path.join(__dirname, '..', '..');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const req = (p: string) => require(path.join(root, p));
  if (task.kind === 'gemm') {
    const { SimdKernels } = req('src/core/kernels/simd');
    const n = task.n;
    const k = SimdKernels.create();
    const rnd = (i: number) => Math.sin(i) * 0.5;
    const A = k.store(Float32Array.from({ length: n * n }, (_, i) => rnd(i)));
    const B = k.store(Float32Array.from({ length: n * n }, (_, i) => rnd(i + 7)));
    const [C, ap, bp, tmp] = [k.alloc(n * n), k.alloc(n * n), k.alloc(Math.ceil(n / 8) * 8 * n), k.alloc(32)];
    const one = () => {
      k.raw.packA(A, n, n, n, 1, ap);
      k.raw.packB(B, n, n, n, 1, bp);
      k.raw.gemm(ap, bp, C, n, n, n, n, 0, tmp);
    };
    one();
    let c = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < task.windowMs || c < 2) {
      one();
      c++;
      t = performance.now();
    }
    return (2 * n ** 3 * c) / ((t - t0) * 1e6);
  }
  await req('src/core/kernels/backend').initBackend('wasm');
  const { syntheticBatches, prepare } = req('bench/lib/batches');
  const { createModel } = req('src/core/model/index');
  const { Updater } = req('src/core/training/updater');
  const { Random } = req('src/core/random');
  const { DEFAULT_TRAIN } = req('src/core/config/config');
  const prepared = prepare(syntheticBatches({ srcVocab: 8000, tgtVocab: 8000, length: 10, batchSize: 32, count: 8, seed: 1234 }));
  const model = createModel(task.model, 8000, 8000, 42);
  const u = new Updater(model, { ...DEFAULT_TRAIN, batchSize: 32, learningRate: 0.003, clipNorm: 1, teacherForcing: 1, softmaxCandidates: task.softmaxCandidates }, new Random(7));
  for (let i = 0; i < 3; i++) u.step(prepared[i % prepared.length].batch);
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; times.length < 5 || performance.now() - t0 < task.windowMs; i++) {
    const s = performance.now();
    const g = u.gradients(prepared[i % prepared.length].batch);
    g.grads.forEach((x: { dispose(): void }) => x.dispose());
    times.push(performance.now() - s);
  }
  return median(times);
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  worker(workerData as Task).then(
    (x) => port.postMessage(x),
    (e) => {
      throw e;
    },
  );
}

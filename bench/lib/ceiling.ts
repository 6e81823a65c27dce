/**
 * The practical ceiling of the matrix products a training step runs: GFLOP/s
 * (2·n³ per product) of large square products `[n, n] × [n, n]` on this
 * machine, through the same kernels training uses (`tf.matMul` on the wasm
 * backend with the project's kernels of `src/core/kernels/wasm.ts`), and
 * through the project's own WebAssembly SIMD product (`src/core/kernels/simd.wat`).
 * Each variant is timed in short rounds interleaved with the others; the
 * median round counts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SimdKernels } from '../../src/core/kernels/simd';
import type { CeilingJob, CeilingRow } from './jobs';

interface Variant {
  key: string;
  label: string;
  /** One product; returns when it is done. */
  run: () => void;
  dispose?: () => void;
}

function randomArray(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

function variants(n: number): Variant[] {
  const aArr = randomArray(n * n, 1);
  const bArr = randomArray(n * n, 2);
  const a = tf.tensor2d(aArr, [n, n]);
  const b = tf.tensor2d(bArr, [n, n]);
  const out: Variant[] = [
    {
      key: 'xnnpack',
      label: 'BatchMatMul (XNNPACK GEMM), right operand packed once',
      run: () => tf.matMul(a, b).dispose(),
    },
    {
      // Training's products: every weight is a fresh tensor after each update, every gradient product has a fresh right operand.
      key: 'xnnpack-fresh',
      label: 'BatchMatMul (XNNPACK GEMM), fresh right operand (packed every call, as in training)',
      run: () => {
        const fresh = tf.tensor2d(bArr, [n, n]);
        tf.matMul(a, fresh).dispose();
        fresh.dispose();
      },
    },
    {
      key: 'xnnpack-tA',
      label: 'BatchMatMul Aᵀ·B (a weight gradient: blocked transpose, then XNNPACK)',
      run: () => tf.matMul(a, b, true, false).dispose(),
    },
  ];
  const simd = SimdKernels.create();
  if (simd) {
    const w = simd.store(bArr);
    const x = simd.store(aArr);
    const y = simd.alloc(n * n);
    out.push({
      key: 'simd',
      label: "the project's SIMD matmul (src/core/kernels/simd.wat, y = x·wᵀ)",
      run: () => simd.matmul(w, x, y, 0, n, n, n),
    });
  }
  out[0].dispose = () => {
    a.dispose();
    b.dispose();
  };
  return out;
}

/** Median of the rounds of each variant, interleaved. */
export function measureCeiling(job: CeilingJob): CeilingRow[] {
  const { n, windowMs } = job;
  const vs = variants(n);
  const rounds = 5;
  const times = new Map<string, number[]>(vs.map((v) => [v.key, []]));
  for (const v of vs) v.run(); // warm-up (JIT, XNNPACK operator creation)
  for (let r = 0; r < rounds; r++) {
    for (const v of vs) {
      let k = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < windowMs / rounds || k < 2) {
        v.run();
        k++;
        t = performance.now();
      }
      times.get(v.key)!.push((t - t0) / k);
    }
  }
  for (const v of vs) v.dispose?.();
  const flops = 2 * n ** 3;
  return vs.map((v) => {
    const ts = times.get(v.key)!.sort((x, y) => x - y);
    const ms = ts[Math.floor(ts.length / 2)];
    return { key: v.key, label: v.label, n, ms, gflops: flops / ms / 1e6 };
  });
}

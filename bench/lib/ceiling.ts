/**
 * The practical ceiling of the matrix products a training step runs: GFLOP/s
 * (2·n³ per product) of large square products `[n, n] × [n, n]` on this
 * machine, through the kernel training uses (`tf.matMul` → `BatchMatMul` on
 * the project's packed SIMD GEMM, `src/core/kernels/fused.ts`), through the
 * wasm backend's XNNPACK GEMM it replaced, and through the GEMM alone in its
 * two forms (relaxed SIMD's fused multiply–add, and multiply-then-add: their
 * ratio says whether this machine's cores gain from FMA).
 * Each variant is timed in short rounds interleaved with the others; the
 * best round counts (other processes only ever slow a round down).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SimdKernels, simdForm, type SimdForm } from '../../src/core/kernels/simd';
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

/** `tf.matMul` with `BatchMatMul` on the given kernel (see `gemmKernel` in `src/core/kernels/wasm.ts`). */
function withGemm(kernel: 'project' | 'xnnpack', f: () => void): () => void {
  return () => {
    const before = process.env.SEQ2SEQ_GEMM;
    process.env.SEQ2SEQ_GEMM = kernel;
    try {
      f();
    } finally {
      if (before === undefined) delete process.env.SEQ2SEQ_GEMM;
      else process.env.SEQ2SEQ_GEMM = before;
    }
  };
}

/** The packed GEMM of `simd.wat` in one form, in a memory of its own (pack both operands, multiply). */
function rawGemm(form: Exclude<SimdForm, 'none'>, n: number, aArr: Float32Array, bArr: Float32Array): Variant | undefined {
  const k = SimdKernels.create(form);
  if (!k) return undefined;
  const a = k.store(aArr);
  const b = k.store(bArr);
  const c = k.alloc(n * n);
  const ap = k.alloc(Math.ceil(n / 4) * 4 * n);
  const bp = k.alloc(Math.ceil(n / 8) * 8 * n);
  const tmp = k.alloc(32);
  return {
    key: `gemm-${form}`,
    label: `the packed GEMM alone, ${form === 'relaxed' ? 'relaxed SIMD (f32x4.relaxed_madd)' : 'plain SIMD (f32x4.mul + f32x4.add)'}`,
    run: () => {
      k.raw.packA(a, n, n, n, 1, ap);
      k.raw.packB(b, n, n, n, 1, bp);
      k.raw.gemm(ap, bp, c, n, n, n, n, 0, tmp);
    },
  };
}

function variants(n: number): Variant[] {
  const aArr = randomArray(n * n, 1);
  const bArr = randomArray(n * n, 2);
  const a = tf.tensor2d(aArr, [n, n]);
  const b = tf.tensor2d(bArr, [n, n]);
  // Training's products: every weight is a fresh tensor after each update, every gradient product has a fresh right operand.
  const fresh = (tA: boolean) => () => {
    const bb = tf.tensor2d(bArr, [n, n]);
    tf.matMul(a, bb, tA, false).dispose();
    bb.dispose();
  };
  const out: Variant[] = [
    { key: 'gemm', label: `BatchMatMul on the project's packed SIMD GEMM (${simdForm()} form; what training runs)`, run: withGemm('project', fresh(false)) },
    { key: 'gemm-tA', label: "BatchMatMul Aᵀ·B on the project's GEMM (a weight gradient)", run: withGemm('project', fresh(true)) },
    { key: 'xnnpack', label: 'BatchMatMul on XNNPACK (the wasm backend\'s GEMM), right operand packed once', run: withGemm('xnnpack', () => tf.matMul(a, b).dispose()) },
    { key: 'xnnpack-fresh', label: 'BatchMatMul on XNNPACK, fresh right operand (packed every call, as in training)', run: withGemm('xnnpack', fresh(false)) },
  ];
  for (const form of ['relaxed', 'simd'] as const) {
    const v = rawGemm(form, n, aArr, bArr);
    if (v) out.push(v);
  }
  const simd = SimdKernels.create();
  if (simd) {
    const w = simd.store(bArr);
    const x = simd.store(aArr);
    const y = simd.alloc(n * n);
    out.push({
      key: 'simd-dot',
      label: "the project's dot-product matmul of one-sentence inference (y = x·wᵀ)",
      run: () => simd.matmul(w, x, y, 0, n, n, n),
    });
  }
  out[0].dispose = () => {
    a.dispose();
    b.dispose();
  };
  return out;
}

/** The best of the rounds of each variant, interleaved. */
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
    // The best round: a ceiling is what the kernel reaches when nothing else gets in its way.
    const ms = Math.min(...times.get(v.key)!);
    return { key: v.key, label: v.label, n, ms, gflops: flops / ms / 1e6 };
  });
}

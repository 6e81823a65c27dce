/**
 * Micro-benchmark for the custom wasm kernels (src/core/kernels/wasm.ts).
 *
 *   npx tsx bench/kernels.ts            # all sections
 *   npx tsx bench/kernels.ts --quick    # shorter timing windows
 *   node --experimental-wasm-relaxed-simd --require tsx/cjs bench/kernels.ts   # with relaxed SIMD on Node 20
 *
 * Prints GFLOP/s of matMul variants (2·M·K·N flops per product) with the wasm
 * backend's original kernels ("before") and with ours ("after"), the batched
 * attention products, and the time of the gradient of an embedding lookup
 * (`tf.gather`), which the original wasm backend cannot compute at all.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, initBackend } from '../src/core/kernels/backend';
import { registerWasmKernels, unregisterWasmKernels } from '../src/core/kernels/wasm';
import { simdForm } from '../src/core/kernels/simd';

const quick = process.argv.includes('--quick');
const WINDOW_MS = quick ? 150 : 500;

/**
 * Milliseconds per call of `fn` over a window of about `windowMs`. wasm
 * kernels run synchronously, so the work is done when `fn` returns; results
 * are not read back (that would time a heap copy too).
 */
function timeIt(fn: () => tf.Tensor | tf.Tensor[], windowMs = WINDOW_MS): number {
  const run = (): void => {
    tf.dispose(tf.tidy(fn));
  };
  run();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < windowMs || n < 2) {
    run();
    n++;
    t = performance.now();
  }
  return (t - t0) / n;
}

/**
 * Times `fn` with the original wasm kernels and with ours, alternating in
 * several short rounds and keeping each side's best round, so that load from
 * other processes on the machine distorts the comparison less.
 * @returns [before, after] in ms per call; `before` is null when it throws.
 */
function compare(fn: () => tf.Tensor | tf.Tensor[], rounds = quick ? 3 : 5): [number | null, number] {
  let before: number | null = Infinity;
  let after = Infinity;
  for (let r = 0; r < rounds; r++) {
    if (before !== null) {
      unregisterWasmKernels();
      try {
        before = Math.min(before, timeIt(fn, WINDOW_MS / rounds));
      } catch {
        before = null;
      }
    }
    registerWasmKernels();
    after = Math.min(after, timeIt(fn, WINDOW_MS / rounds));
  }
  return [before, after];
}

function fmt(x: number, digits = 1): string {
  return x.toFixed(digits).padStart(7);
}

interface Row {
  label: string;
  before: number | null;
  after: number | null;
  unit: string;
  /** true for times (speedup = before/after), false for rates (after/before). */
  lowerIsBetter?: boolean;
}

function printRows(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  console.log(`${'case'.padEnd(58)} ${'before'.padStart(7)} ${'after'.padStart(7)}  speedup`);
  for (const r of rows) {
    const sp = r.before !== null && r.after !== null ? (r.lowerIsBetter ? r.before / r.after : r.after / r.before) : NaN;
    const b = r.before === null ? '    n/a' : fmt(r.before);
    const a = r.after === null ? '    n/a' : fmt(r.after);
    console.log(`${r.label.padEnd(58)} ${b} ${a}  ${Number.isNaN(sp) ? '' : sp.toFixed(1) + 'x'} ${r.unit}`);
  }
}

function gflops(flops: number, before: number | null, after: number): Pick<Row, 'before' | 'after' | 'unit'> {
  return { before: before === null ? null : flops / (before * 1e6), after: flops / (after * 1e6), unit: 'GFLOP/s' };
}

function matMulRows(): Row[] {
  const shapes: [number, number, number, string][] = [
    [64, 512, 768, 'GRU gates  [64,512]x[512,768]'],
    [640, 256, 4000, 'output proj [640,256]x[256,4000]'],
    [256, 640, 768, 'weight grad-like [256,640]x[640,768]'],
  ];
  const rows: Row[] = [];
  for (const [m, k, n, name] of shapes) {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as [boolean, boolean][]) {
      const a = tf.randomNormal(ta ? [k, m] : [m, k]) as tf.Tensor2D;
      const b = tf.randomNormal(tb ? [n, k] : [k, n]) as tf.Tensor2D;
      const flops = 2 * m * k * n;
      const [before, after] = compare(() => tf.matMul(a, b, ta, tb));
      rows.push({ label: `${name} tA=${ta ? 1 : 0} tB=${tb ? 1 : 0}`, ...gflops(flops, before, after) });
      tf.dispose([a, b]);
    }
  }
  // fused matMul + bias + relu, transposed weights (a layer stored as [out, in])
  {
    const [m, k, n] = [640, 256, 1024];
    const a = tf.randomNormal([m, k]) as tf.Tensor2D;
    const w = tf.randomNormal([n, k]) as tf.Tensor2D;
    const bias = tf.randomNormal([n]);
    const flops = 2 * m * k * n;
    const [before, after] = compare(() => tf.fused.matMul({ a, b: w, transposeB: true, bias, activation: 'relu' }));
    rows.push({ label: `fused matMul+bias+relu [640,256]x[1024,256]^T`, ...gflops(flops, before, after) });
    tf.dispose([a, w, bias]);
  }
  // 3-D activations times a 2-D weight (batch folding)
  {
    const [bsz, t, k, n] = [64, 20, 256, 256];
    const x = tf.randomNormal([bsz, t, k]) as tf.Tensor3D;
    const w = tf.randomNormal([k, n]) as tf.Tensor2D;
    const flops = 2 * bsz * t * k * n;
    const [before, after] = compare(() => tf.matMul(x, w));
    rows.push({ label: `3-D x 2-D [64,20,256]x[256,256]`, ...gflops(flops, before, after) });
    tf.dispose([x, w]);
  }
  return rows;
}

function attentionRows(): Row[] {
  const rows: Row[] = [];
  const [bsz, s, h] = [64, 20, 256];
  const q = tf.randomNormal([bsz, 1, h]) as tf.Tensor3D;
  const keys = tf.randomNormal([bsz, s, h]) as tf.Tensor3D; // encoder states [B,S,H]
  const keysT = tf.transpose(keys, [0, 2, 1]) as tf.Tensor3D; // [B,H,S]
  const w = tf.randomNormal([bsz, 1, s]) as tf.Tensor3D; // attention weights
  const sq = tf.randomNormal([bsz, s, s]) as tf.Tensor3D; // all-steps score gradient
  const flops = 2 * bsz * s * h;
  const allSteps = 2 * bsz * s * s * h;
  const cases: [string, () => tf.Tensor, number?][] = [
    ['scores q·Kᵀ  [64,1,256]x[64,20,256]^T (tB=1)', () => tf.matMul(q, keys, false, true)],
    ['scores q·K   [64,1,256]x[64,256,20]', () => tf.matMul(q, keysT)],
    ['scores as mul+sum  (q*K).sum(-1)', () => tf.sum(tf.mul(q, keys), -1)],
    ['context w·V  [64,1,20]x[64,20,256]', () => tf.matMul(w, keys)],
    ['context as mul+sum  (wᵀ*V).sum(1)', () => tf.sum(tf.mul(tf.reshape(w, [bsz, s, 1]), keys), 1)],
    ['grad of scores wrt K: dSᵀ·q  [64,20,1]x[64,1,256]', () => tf.matMul(w, q, true, false)],
    ['all-steps scores Q·Kᵀ [64,20,256]x[64,20,256]^T', () => tf.matMul(keys, keys, false, true), allSteps],
    ['all-steps scores Q·K  [64,20,256]x[64,256,20]', () => tf.matMul(keys, keysT), allSteps],
    ['all-steps grad Qᵀ·dS  [64,256,20]^T x[64,20,20]', () => tf.matMul(keys, sq, true, false), allSteps],
  ];
  // A Transformer's attention (src/core/model/transformer/): batch 64 × 4 heads, 11 positions, d_k 32.
  const tq = tf.randomNormal([256, 11, 32]) as tf.Tensor3D;
  const tw = tf.randomNormal([256, 11, 11]) as tf.Tensor3D;
  const tFlops = 2 * 256 * 11 * 11 * 32;
  cases.push(
    ['Transformer context W·V [256,11,11]x[256,11,32]', () => tf.matMul(tw, tq), tFlops],
    ['Transformer grad Wᵀ·dC [256,11,11]^T x[256,11,32]', () => tf.matMul(tw, tq, true, false), tFlops],
    ['Transformer scores Q·Kᵀ [256,11,32]x[256,11,32]^T', () => tf.matMul(tq, tq, false, true), tFlops],
  );
  for (const [label, fn, caseFlops = flops] of cases) {
    const [before, after] = compare(fn);
    rows.push({
      label,
      before: before === null ? null : before * 1000,
      after: after * 1000,
      unit: `µs/call (${(caseFlops / 1e6).toFixed(2)} MFLOP)`,
      lowerIsBetter: true,
    });
  }
  tf.dispose([q, keys, keysT, w, sq, tq, tw]);
  return rows;
}

/** Times `fn` with `BatchMatMul` on XNNPACK ("before") and on the project's GEMM ("after"), interleaved; best round each. */
function compareGemm(fn: () => tf.Tensor, rounds = quick ? 3 : 5): [number, number] {
  let before = Infinity;
  let after = Infinity;
  const saved = process.env.SEQ2SEQ_GEMM;
  try {
    for (let r = 0; r < rounds; r++) {
      process.env.SEQ2SEQ_GEMM = 'xnnpack';
      before = Math.min(before, timeIt(fn, WINDOW_MS / rounds));
      process.env.SEQ2SEQ_GEMM = 'project';
      after = Math.min(after, timeIt(fn, WINDOW_MS / rounds));
    }
  } finally {
    if (saved === undefined) delete process.env.SEQ2SEQ_GEMM;
    else process.env.SEQ2SEQ_GEMM = saved;
  }
  return [before, after];
}

/** The products of a training step of the default model (batch 64, 11 positions), XNNPACK vs the project's packed GEMM. */
function gemmRows(): Row[] {
  const shapes: [number, number, number, boolean, boolean, string][] = [
    [704, 128, 768, false, false, 'input projection [704,128]x[128,768]'],
    [64, 256, 768, false, false, 'recurrence h·W_h [64,256]x[256,768]'],
    [704, 896, 512, false, false, 'maxout readout [704,896]x[896,512]'],
    [704, 256, 8000, false, true, 'output x·W_outᵀ [704,256]x[8000,256]^T'],
    [704, 8000, 256, false, false, 'its input gradient dZ·W_out'],
    [8000, 704, 256, true, false, 'its weight gradient dZᵀ·X'],
    [64, 768, 256, false, true, 'recurrence gradient dG·W_hᵀ'],
  ];
  const rows: Row[] = [];
  for (const [m, k, n, ta, tb, label] of shapes) {
    const a = tf.randomNormal(ta ? [k, m] : [m, k]) as tf.Tensor2D;
    const b = tf.randomNormal(tb ? [n, k] : [k, n]) as tf.Tensor2D;
    // A fresh right operand each call, as in training (weights change every step): XNNPACK packs it every time.
    const [before, after] = compareGemm(() => {
      const fresh = tf.clone(tf.add(b, 0));
      const y = tf.matMul(a, fresh, ta, tb);
      fresh.dispose();
      return y;
    });
    rows.push({ label, ...gflops(2 * m * k * n, before, after) });
    tf.dispose([a, b]);
  }
  return rows;
}

function gatherGradRows(): Row[] {
  const [vocab, dim, n] = [8000, 256, 64 * 20];
  const table = tf.randomNormal([vocab, dim]);
  const ids = tf.randomUniform([n], 0, vocab, 'int32');
  const grad = tf.grad((e: tf.Tensor) => tf.sum(tf.gather(e, ids)));
  // stock wasm has no UnsortedSegmentSum: `before` comes back null
  const [before, after] = compare(() => grad(table));
  tf.dispose([table, ids]);
  return [{ label: `gather grad [8000,256] table, 1280 ids (ms/call)`, before, after, unit: 'ms/call', lowerIsBetter: true }];
}

async function main(): Promise<void> {
  const name = await initBackend('wasm');
  if (name !== 'wasm') throw new Error(`bench/kernels.ts needs the wasm backend, got ${name}`);
  console.log('backend', JSON.stringify(describeBackend()), 'tfjs-core', tf.version_core);
  if (!process.argv.includes('--attention-only')) {
    printRows('matMul (GFLOP/s, higher is better; before = stock wasm kernels, after = the project\'s)', matMulRows());
    printRows(`training-step products (GFLOP/s; before = XNNPACK, after = the project's packed GEMM, ${simdForm()} SIMD)`, gemmRows());
  }
  printRows('attention-shaped batched products (µs/call, lower is better)', attentionRows());
  printRows('embedding gradient', gatherGradRows());
  registerWasmKernels();
  console.log('\nnumTensors at end:', tf.memory().numTensors);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

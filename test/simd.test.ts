import { strict as assert } from 'assert';
import { readFile } from 'fs/promises';
import * as path from 'path';
import fc from 'fast-check';
import { spawnSync } from 'child_process';
import { pad4, simdAvailable, simdForm, simdFormAvailable, SimdKernels } from '../src/core/kernels/simd';

/** float64 reference of `SimdKernels.matmul`. */
function referenceMatmul(w: Float32Array, x: Float32Array, b: Float32Array | undefined, y0: Float32Array | undefined, K: number, N: number, M: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = (b ? b[n] : 0) + (y0 ? y0[m * N + n] : 0);
      for (let k = 0; k < K; k++) s += w[n * K + k] * x[m * K + k];
      y[m * N + n] = s;
    }
  }
  return y;
}

const floats = (n: number, seed: number, scale = 1) => {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (((s >>> 0) / 2 ** 32) * 2 - 1) * scale;
  });
};

describe('SIMD kernels (src/core/kernels/simd.ts)', () => {
  it('runs here (Node 20 has WebAssembly SIMD)', () => {
    assert.equal(simdAvailable(), true);
    assert.ok(SimdKernels.create());
  });

  it('the committed binary is the assembled src/core/kernels/simd.wat (run `npm run build:wasm` after editing it)', async () => {
    const { assembleSimdModule } = await import('../scripts/build-wasm.mjs');
    const committed = await readFile(path.join(__dirname, '../src/core/kernels/simdBinary.ts'), 'utf8');
    assert.equal(committed, await assembleSimdModule());
  });

  it('matmul equals a float64 reference for any shape, with and without bias and accumulation', () => {
    const simd = SimdKernels.create()!;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 23 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1e9 }),
        (K4, N, M, withBias, add, seed) => {
          const K = 4 * K4;
          const w = floats(N * K, seed);
          const x = floats(M * K, seed + 1);
          const b = withBias ? floats(N, seed + 2) : undefined;
          const y0 = add ? floats(M * N, seed + 3) : undefined;
          const wP = simd.store(w);
          const xP = simd.store(x);
          const bP = b ? simd.store(b) : 0;
          const yP = y0 ? simd.store(y0) : simd.alloc(M * N);
          simd.matmul(wP, xP, yP, bP, K, N, M, add);
          const got = simd.f32.subarray(yP >> 2, (yP >> 2) + M * N);
          const want = referenceMatmul(w, x, b, y0, K, N, M);
          want.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-5 * (1 + Math.abs(v)), `y[${i}] = ${got[i]}, want ${v} (K ${K}, N ${N}, M ${M})`));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('is built in two forms and runs the fastest this runtime validates: relaxed SIMD here (mocha runs Node 20 with --experimental-wasm-relaxed-simd), plain SIMD without the flag or with SEQ2SEQ_SIMD=simd', () => {
    assert.equal(simdFormAvailable('simd'), true);
    assert.equal(simdFormAvailable('relaxed'), true, 'the tests run with relaxed SIMD (.mocharc.json node-option)');
    assert.equal(simdForm(), 'relaxed');
    assert.equal(SimdKernels.create('simd')!.form, 'simd');
    const probe = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, [...args, '--require', 'tsx/cjs', '-e', "process.stdout.write(require('./src/core/kernels/simd').simdForm())"], {
        cwd: path.join(__dirname, '..'),
        encoding: 'utf8',
        env: { ...process.env, ...env },
      }).stdout;
    const nodeMajor = Number(process.versions.node.split('.')[0]);
    if (nodeMajor === 20) assert.equal(probe([]), 'simd', 'Node 20 without the flag: plain SIMD');
    assert.equal(probe(['--experimental-wasm-relaxed-simd'], { SEQ2SEQ_SIMD: 'simd' }), 'simd', 'SEQ2SEQ_SIMD=simd asks for plain SIMD');
    assert.equal(probe(['--experimental-wasm-relaxed-simd'], { SEQ2SEQ_SIMD: 'none' }), 'none');
  });

  it('the packed GEMM equals a float64 reference for any shape, strides (transposed operands) and accumulation, in both forms', () => {
    for (const form of ['relaxed', 'simd'] as const) {
      const k = SimdKernels.create(form)!;
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 13 }),
          fc.integer({ min: 1, max: 21 }),
          fc.integer({ min: 1, max: 19 }),
          fc.boolean(),
          fc.boolean(),
          fc.boolean(),
          fc.integer({ min: 1, max: 1e9 }),
          (M, K, N, tA, tB, acc, seed) => {
            const A = floats(M * K, seed);
            const B = floats(K * N, seed + 1);
            const C0 = floats(M * N, seed + 2);
            const [a, b, c] = [k.store(A), k.store(B), k.store(C0)];
            const ap = k.alloc(Math.ceil(M / 4) * 4 * K);
            const bp = k.alloc(Math.ceil(N / 8) * 8 * K);
            const tmp = k.alloc(32);
            // A stored [M, K] or (tA) [K, M]; B stored [K, N] or (tB) [N, K].
            k.raw.packA(a, M, K, tA ? 1 : K, tA ? M : 1, ap);
            k.raw.packB(b, K, N, tB ? 1 : N, tB ? K : 1, bp);
            k.raw.gemm(ap, bp, c, M, K, N, N, acc ? 1 : 0, tmp);
            const got = k.f32.subarray(c >> 2, (c >> 2) + M * N);
            for (let m = 0; m < M; m++) {
              for (let n = 0; n < N; n++) {
                let want = acc ? C0[m * N + n] : 0;
                for (let p = 0; p < K; p++) want += (tA ? A[p * M + m] : A[m * K + p]) * (tB ? B[n * K + p] : B[p * N + n]);
                assert.ok(Math.abs(got[m * N + n] - want) <= 1e-5 * (1 + Math.abs(want)), `${form}: C[${m}, ${n}] = ${got[m * N + n]}, want ${want} (M ${M}, K ${K}, N ${N}, tA ${tA}, tB ${tB})`);
              }
            }
          },
        ),
        { numRuns: 60 },
      );
    }
  });

  it('both forms give the same results within float32 rounding (matmul, GEMM, GRU and attention kernels)', () => {
    const r = SimdKernels.create('relaxed')!;
    const p = SimdKernels.create('simd')!;
    const both = (f: (k: SimdKernels) => Float32Array) => [f(r), f(p)];
    const B = 5;
    const H = 8;
    const run = (k: SimdKernels) => {
      const x = k.store(floats(B * 3 * H, 1));
      const hp = k.store(floats(B * 3 * H, 2));
      const bh = k.store(floats(3 * H, 3));
      const h = k.store(floats(B * H, 4));
      const out = k.alloc(B * H);
      const g = k.alloc(B * 4 * H);
      k.raw.gruForward(x, hp, bh, h, 0, out, g, B, H);
      const keys = k.store(floats(B * 3 * H, 5));
      const q = k.store(floats(B * H, 6));
      const v = k.store(floats(H, 7));
      const vals = k.store(floats(B * 3 * 12, 8));
      const bias = k.store(new Float32Array(B * 3));
      const ctx = k.alloc(B * 12);
      const al = k.alloc(B * 3);
      const e = k.alloc(B * 3 * H);
      k.raw.attentionForward(0, keys, q, v, vals, bias, ctx, al, e, B, 3, H, 12);
      const w = k.store(floats(9 * 16, 9));
      const y = k.alloc(3 * 9);
      k.matmul(w, k.store(floats(3 * 16, 10)), y, 0, 16, 9, 3);
      const f = k.f32;
      return Float32Array.from([...f.subarray(out >> 2, (out >> 2) + B * H), ...f.subarray(ctx >> 2, (ctx >> 2) + B * 12), ...f.subarray(y >> 2, (y >> 2) + 27)]);
    };
    const [a, b] = both(run);
    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) <= 1e-6 * (1 + Math.abs(b[i])), `value ${i}: relaxed ${x}, plain ${b[i]}`));
  });

  it('matmul rejects a row length that is not a multiple of 4', () => {
    const simd = SimdKernels.create()!;
    assert.throws(() => simd.matmul(16, 16, 16, 0, 6, 1, 1), /multiple of 4/);
    assert.equal(pad4(6), 8);
    assert.equal(pad4(8), 8);
  });

  it('max returns the largest element for any length, and leaves the array unchanged', () => {
    const simd = SimdKernels.create()!;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 1e9 }), (V, seed) => {
        const z = floats(V, seed, 50);
        const zP = simd.store(z);
        assert.equal(simd.max(zP, V), Math.max(...z));
        assert.deepEqual(Array.from(simd.f32.subarray(zP >> 2, (zP >> 2) + V)), Array.from(z));
      }),
      { numRuns: 200 },
    );
  });

  it('sumExp equals Σ exp(z − max) to 1e-6 relative, for any length, with far-below-maximum logits counted as 0', () => {
    const simd = SimdKernels.create()!;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 1e9 }), fc.double({ min: 0.1, max: 100, noNaN: true }), (V, seed, scale) => {
        const z = floats(V, seed, scale);
        z[seed % V] = -1e4; // a suppressed token, as the benchmark does with <eos>
        const zP = simd.store(z);
        const max = Math.max(...z);
        let want = 0;
        for (const v of z) want += Math.exp(v - max);
        const got = simd.sumExp(zP, V, max);
        assert.ok(Math.abs(got - want) <= 1e-6 * want, `sumExp ${got}, want ${want} (V ${V})`);
      }),
      { numRuns: 200 },
    );
  });

  it('exp is accurate to 1.5e-7 relative over [−87, 0]', () => {
    const simd = SimdKernels.create()!;
    const zP = simd.alloc(1);
    let worst = 0;
    for (let i = 0; i <= 20000; i++) {
      const x = Math.fround(-87 * (i / 20000));
      simd.f32[zP >> 2] = x;
      const got = simd.sumExp(zP, 1, 0);
      const want = Math.exp(x);
      worst = Math.max(worst, Math.abs(got - want) / want);
    }
    assert.ok(worst < 1.5e-7, `worst relative error ${worst}`);
  });

  it('memory grows on demand and keeps what was stored before', () => {
    const simd = SimdKernels.create()!;
    const first = floats(1000, 7);
    const p = simd.store(first);
    const big = simd.alloc(300_000); // > 1 MB: several pages of growth
    simd.f32[(big >> 2) + 299_999] = 42;
    assert.deepEqual(Array.from(simd.f32.subarray(p >> 2, (p >> 2) + 1000)), Array.from(first));
    assert.equal(simd.f32[(big >> 2) + 299_999], 42);
    assert.equal(big % 16, 0, '16-byte aligned');
    // A scratch slot is reused while large enough and replaced when not.
    const s1 = simd.scratch(0, 100);
    assert.equal(simd.scratch(0, 50), s1);
    assert.notEqual(simd.scratch(0, 500), s1);
  });
});

import { strict as assert } from 'assert';
import { readFile } from 'fs/promises';
import * as path from 'path';
import fc from 'fast-check';
import { pad4, simdAvailable, SimdKernels } from '../src/core/kernels/simd';

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

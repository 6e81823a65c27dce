import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../src/core/kernels/backend';
import { WASM_KERNEL_NAMES, registerWasmKernels, transposeBlocked, wasmKernelsRegistered } from '../src/core/kernels/wasm';

/** Deterministic pseudo-random values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Runs `fn` on `backend`, returning every output tensor's values; restores wasm afterwards. */
async function runOn(backend: 'wasm' | 'cpu', fn: () => tf.Tensor[]): Promise<{ shape: number[]; data: Float32Array }[]> {
  await tf.setBackend(backend);
  try {
    const outs = tf.tidy(fn);
    const res = outs.map((t) => ({ shape: t.shape.slice(), data: Float32Array.from(t.dataSync()) }));
    tf.dispose(outs);
    return res;
  } finally {
    await tf.setBackend('wasm');
  }
}

async function assertSameOnCpu(fn: () => tf.Tensor[], tol = 1e-4, what = ''): Promise<void> {
  const w = await runOn('wasm', fn);
  const c = await runOn('cpu', fn);
  assert.equal(w.length, c.length);
  for (let i = 0; i < w.length; i++) {
    assert.deepEqual(w[i].shape, c[i].shape, `${what} output ${i} shape`);
    let worst = 0;
    for (let j = 0; j < c[i].data.length; j++) {
      const d = Math.abs(w[i].data[j] - c[i].data[j]) / Math.max(1, Math.abs(c[i].data[j]));
      if (!(d <= worst)) worst = d; // also catches NaN
    }
    assert.ok(worst <= tol, `${what} output ${i}: max relative difference ${worst} > ${tol}`);
  }
}

function transposed(shape: number[], t: boolean): number[] {
  if (!t) return shape;
  const r = shape.length;
  return [...shape.slice(0, r - 2), shape[r - 1], shape[r - 2]];
}

describe('core/kernels/wasm', () => {
  before(async function () {
    const name = await initBackend('wasm');
    if (name !== 'wasm') this.skip(); // e.g. SEQ2SEQ_BACKEND=cpu
    await tf.setBackend('wasm');
  });

  it('registers its kernels on wasm (idempotently)', () => {
    registerWasmKernels();
    registerWasmKernels();
    assert.ok(wasmKernelsRegistered());
    for (const k of WASM_KERNEL_NAMES) assert.ok(tf.getKernel(k, 'wasm'), `${k} registered`);
  });

  // [label, A shape (untransposed), B shape (untransposed)]
  const matMulShapes: [string, number[], number[]][] = [
    ['2-D', [13, 17], [17, 11]],
    ['2-D, one row', [1, 17], [17, 11]],
    ['2-D, one column', [13, 17], [17, 1]],
    ['2-D, outer product (k = 1)', [13, 1], [1, 11]],
    ['3-D x 2-D (folded batch)', [4, 5, 7], [7, 3]],
    ['batched, B broadcast', [4, 5, 7], [1, 7, 3]],
    ['batched, A broadcast', [1, 9, 7], [4, 7, 10]],
    ['batched small (SIMD small-slice path)', [4, 5, 7], [4, 7, 3]],
    ['batched small, A broadcast (SIMD small-slice path)', [1, 5, 6], [3, 6, 9]],
    ['batched attention scores and context (SIMD small-slice path)', [32, 11, 32], [32, 32, 11]],
    ['batched per-slice XNNPACK', [6, 24, 40], [6, 40, 30]],
    ['batched one-row (attention step)', [8, 1, 32], [8, 32, 12]],
    ['batched outer product (attention grad)', [5, 16, 1], [5, 1, 80]],
    ['rank 4', [2, 3, 10, 12], [2, 3, 12, 9]],
  ];
  for (const [label, sa, sb] of matMulShapes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`matMul ${label} tA=${ta} tB=${tb} equals cpu`, async () => {
          const A = transposed(sa, ta);
          const B = transposed(sb, tb);
          const av = values(A.reduce((p, d) => p * d, 1), 1);
          const bv = values(B.reduce((p, d) => p * d, 1), 2);
          await assertSameOnCpu(() => [tf.matMul(tf.tensor(av, A), tf.tensor(bv, B), ta, tb)], 1e-4, label);
        });
      }
    }
  }

  it('tanh (2σ(2x) − 1 above the size threshold) equals cpu to 2e-7, saturates, keeps NaN, and its gradient matches', async () => {
    const n = 4096;
    const xs = new Float32Array(n);
    for (let i = 0; i < n; i++) xs[i] = ((i * 7919) % n) / n * 40 - 20; // [-20, 20)
    xs.set([0, 1e-7, -1e-7, 1e-3, 88, -88, 1e4, -1e4], 0);
    await assertSameOnCpu(() => [tf.tanh(tf.tensor1d(xs))], 2e-7, 'tanh');
    const y = tf.tanh(tf.tensor1d(Float32Array.from([1e4, -1e4, NaN, ...new Float32Array(600)])));
    const yv = y.dataSync();
    assert.equal(yv[0], 1);
    assert.equal(yv[1], -1);
    assert.ok(Number.isNaN(yv[2]));
    y.dispose();
    await assertSameOnCpu(() => [tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.tanh(x), tf.tensor1d(xs))))(tf.tensor1d(xs))], 1e-5, 'tanh gradient');
  });

  it('fused matMul with bias + activation and transposes equals cpu', async () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as [boolean, boolean][]) {
      for (const activation of ['linear', 'relu'] as const) {
        const A = ta ? [17, 13] : [13, 17];
        const B = tb ? [11, 17] : [17, 11];
        await assertSameOnCpu(
          () => [
            tf.fused.matMul({
              a: tf.tensor2d(values(13 * 17, 3), A as [number, number]),
              b: tf.tensor2d(values(17 * 11, 4), B as [number, number]),
              transposeA: ta,
              transposeB: tb,
              bias: tf.tensor1d(values(11, 5)),
              activation,
            }),
          ],
          1e-4,
          `fused tA=${ta} tB=${tb} ${activation}`,
        );
      }
    }
  });

  it('matMul gradients (all transpose combinations) equal cpu', async () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as [boolean, boolean][]) {
      await assertSameOnCpu(() => {
        const a = tf.tensor2d(values(6 * 9, 6), (ta ? [9, 6] : [6, 9]) as [number, number]);
        const b = tf.tensor2d(values(9 * 5, 7), (tb ? [5, 9] : [9, 5]) as [number, number]);
        const w = tf.tensor2d(values(6 * 5, 8), [6, 5]);
        return tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D, ta, tb), w)))([a, b]);
      });
    }
  });

  it('UnsortedSegmentSum equals cpu (float32 and int32, repeated and out-of-range ids)', async () => {
    const ids = [3, 0, 3, 3, 1, -1, 0, 7];
    await assertSameOnCpu(() => [
      tf.unsortedSegmentSum(tf.tensor2d(values(8 * 5, 9), [8, 5]), tf.tensor1d(ids.map((i) => (i >= 5 ? 4 : i)), 'int32'), 5),
      tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8], 'int32'), tf.tensor1d([0, 1, 0, 1, 2, 2, 0, 1], 'int32'), 3),
      tf.unsortedSegmentSum(tf.tensor3d(values(4 * 2 * 3, 10), [4, 2, 3]), tf.tensor1d([1, 1, 0, 1], 'int32'), 2),
    ]);
    // TF semantics: negative ids are dropped.
    const r = tf.unsortedSegmentSum(tf.tensor1d([1, 2, 4]), tf.tensor1d([0, -1, 0], 'int32'), 2);
    assert.deepEqual(Array.from(r.dataSync()), [5, 0]);
    r.dispose();
  });

  it('gather (axis 0 / 1 / batchDims, float32 / int32) equals cpu and rejects bad indices', async () => {
    await assertSameOnCpu(() => [
      tf.gather(tf.tensor2d(values(10 * 20, 51), [10, 20]), tf.tensor2d([[1, 9, 9], [0, 3, 1]], [2, 3], 'int32')),
      tf.gather(tf.tensor3d(values(4 * 5 * 3, 52), [4, 5, 3]), tf.tensor1d([4, 0, 4], 'int32'), 1),
      tf.gather(tf.tensor3d(values(2 * 5 * 3, 53), [2, 5, 3]), tf.tensor2d([[1, 2], [4, 4]], [2, 2], 'int32'), 1, 1),
      tf.cast(tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), tf.tensor1d([2, 2, 0], 'int32')), 'float32'),
    ]);
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const bad = tf.tensor1d([0, 2], 'int32');
    const n = tf.memory().numTensors;
    assert.throws(() => tf.gather(x, bad), /GatherV2: the index value 2 is not in \[0, 1\]/);
    assert.equal(tf.memory().numTensors, n);
    tf.dispose([x, bad]);
  });

  it('transpose (incl. permutations that only move size-1 axes) equals cpu', async () => {
    await assertSameOnCpu(() => {
      const a = tf.tensor3d(values(4 * 1 * 6, 54), [4, 1, 6]);
      const b = tf.tensor3d(values(4 * 3 * 6, 55), [4, 3, 6]);
      return [tf.transpose(a, [1, 0, 2]), tf.transpose(a, [0, 2, 1]), tf.transpose(b, [0, 1, 2]), tf.transpose(b, [2, 0, 1]),
        tf.add(tf.transpose(a, [1, 0, 2]), 1)];
    });
  });

  it('clone (Identity) and a same-dtype cast share the data instead of copying it; other casts convert', () => {
    const x = tf.tensor2d([1.5, -2.25, 3, 4], [2, 2]);
    const buffersBefore = tf.memory().numDataBuffers;
    const c = tf.clone(x);
    const same = tf.cast(x, 'float32');
    const asInt = tf.cast(x, 'int32');
    assert.equal(c.dataId, x.dataId, 'clone aliases');
    assert.equal(same.dataId, x.dataId, 'same-dtype cast aliases');
    assert.notEqual(asInt.dataId, x.dataId);
    assert.deepEqual(Array.from(asInt.dataSync()), [1, -2, 3, 4]);
    assert.equal(tf.memory().numDataBuffers - buffersBefore, 1, 'only the int32 cast allocated a buffer');
    // Reference counted: the data lives while any alias does.
    x.dispose();
    c.dispose();
    assert.deepEqual(Array.from(same.dataSync()), [1.5, -2.25, 3, 4]);
    tf.dispose([same, asInt]);
    // The engine clones every tensor it saves for the backward pass: gradients are unchanged.
    const w = tf.variable(tf.tensor2d([[0.5, -1], [2, 0.25]]));
    const g = tf.variableGrads(() => tf.sum(tf.square(tf.tanh(tf.matMul(tf.tensor2d([[1, 2]]), w)))) as tf.Scalar, [w]);
    const t = Math.tanh;
    const h = [t(0.5 + 4), t(-1 + 0.5)];
    const want = [1, 2].flatMap((xi) => h.map((hj) => 2 * hj * (1 - hj * hj) * xi));
    Array.from(g.grads[w.name].dataSync()).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-6, `dW[${i}] ${v} vs ${want[i]}`));
    tf.dispose([w, g.value, g.grads[w.name]]);
  });

  it('transposeBlocked swaps the last two axes for any shape (tails of the 4-row passes and 64-wide blocks)', () => {
    for (const [batch, r, c] of [[1, 1, 1], [1, 130, 67], [3, 7, 129], [2, 64, 64], [1, 5, 1]]) {
      const src = Float32Array.from({ length: batch * r * c }, (_, i) => i);
      const dst = new Float32Array(src.length).fill(NaN);
      transposeBlocked(src, dst, batch, r, c);
      for (let b = 0; b < batch; b++) for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) assert.equal(dst[b * r * c + j * r + i], src[b * r * c + i * c + j], `[${batch},${r},${c}] at ${b},${i},${j}`);
    }
  });

  it('sum over leading axes (one pass over the rows), and every other reduction, equals cpu', async () => {
    await assertSameOnCpu(() => {
      const big = tf.tensor2d(values(1409 * 37, 71), [1409, 37]); // odd row count: the 4-row passes leave a tail
      const b3 = tf.tensor3d(values(33 * 9 * 20, 72), [33, 9, 20]);
      return [
        tf.sum(big, 0),
        tf.sum(big, [0], true),
        tf.sum(big, -2),
        tf.sum(b3, [0, 1]),
        tf.sum(b3, [1, 0], true),
        tf.sum(b3, 0),
        tf.sum(b3, 1), // a middle axis: the stock kernel
        tf.sum(b3, 2),
        tf.sum(big), // all axes: the stock kernel
        tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2]), 0), // too small: the stock kernel
      ];
    }, 1e-5);
    // int32 goes to the stock kernel and stays int32.
    const ints = tf.sum(tf.tensor2d(Array.from({ length: 4096 * 2 }, (_, i) => i % 7), [4096, 2], 'int32'), 0);
    assert.equal(ints.dtype, 'int32');
    assert.deepEqual(Array.from(ints.dataSync()), [Array.from({ length: 4096 }, (_, i) => (2 * i) % 7).reduce((a, b) => a + b, 0), Array.from({ length: 4096 }, (_, i) => (2 * i + 1) % 7).reduce((a, b) => a + b, 0)]);
    ints.dispose();
  });

  it('unstack and stack along every axis (float32 and int32) equal cpu, and stack is unstack\'s gradient', async () => {
    const x = tf.tensor3d(values(3 * 4 * 5, 21), [3, 4, 5]);
    const xi = tf.tensor3d(Int32Array.from(values(3 * 4 * 5, 22), (v) => Math.round(v * 100)), [3, 4, 5], 'int32');
    for (const axis of [0, 1, 2, -1]) {
      await assertSameOnCpu(() => tf.unstack(x, axis), 0, `unstack axis ${axis}`);
      await assertSameOnCpu(() => tf.unstack(xi, axis), 0, `unstack int32 axis ${axis}`);
      await assertSameOnCpu(() => [tf.stack(tf.unstack(x, axis), axis)], 0, `stack axis ${axis}`);
      await assertSameOnCpu(() => [tf.stack([x, tf.neg(x)], axis)], 0, `stack of two, axis ${axis}`);
    }
    await assertSameOnCpu(() => [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.stack(tf.unstack(t, 1).map((u, i) => tf.mul(u, i + 1)), 0), 2)))(x)], 1e-6, 'gradient');
    tf.dispose([x, xi]);
  });

  it('gather gradient (embedding lookup with repeated ids) equals cpu', async () => {
    await assertSameOnCpu(() => {
      const table = tf.tensor2d(values(10 * 6, 11), [10, 6]);
      const ids = tf.tensor2d([[1, 3, 3, 9], [3, 0, 1, 1]], [2, 4], 'int32');
      const w = tf.tensor3d(values(2 * 4 * 6, 12), [2, 4, 6]);
      return [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), w)))(table)];
    });
  });

  it('GRU-like step with attention and softmax cross-entropy: variableGrads equal cpu', async () => {
    const B = 3, S = 4, E = 5, H = 6, V = 7;
    const fn = (): tf.Tensor[] => {
      const emb = tf.variable(tf.tensor2d(values(V * E, 21), [V, E]), true, 'emb');
      const wx = tf.variable(tf.tensor2d(values(E * 3 * H, 22), [E, 3 * H]), true, 'wx');
      const wh = tf.variable(tf.tensor2d(values(H * 3 * H, 23), [H, 3 * H]), true, 'wh');
      const bias = tf.variable(tf.tensor1d(values(3 * H, 24)), true, 'b');
      const wo = tf.variable(tf.tensor2d(values(2 * H * V, 25), [2 * H, V]), true, 'wo');
      const enc = tf.tensor3d(values(B * S * H, 26), [B, S, H]);
      const src = tf.tensor2d([[1, 2, 2], [0, 6, 3]], [2, B], 'int32');
      const tgt = tf.tensor2d([[4, 1, 0], [2, 2, 5]], [2, B], 'int32');
      const res = tf.variableGrads(() => {
        let h = tf.zeros([B, H]) as tf.Tensor2D;
        const losses: tf.Scalar[] = [];
        for (let t = 0; t < 2; t++) {
          const x = tf.gather(emb, tf.squeeze(tf.slice(src, [t, 0], [1, B]), [0]));
          const gx = tf.add(tf.matMul(x as tf.Tensor2D, wx), bias);
          const gh = tf.matMul(h, wh);
          const [xr, xz, xn] = tf.split(gx, 3, 1);
          const [hr, hz, hn] = tf.split(gh, 3, 1);
          const r = tf.sigmoid(tf.add(xr, hr));
          const z = tf.sigmoid(tf.add(xz, hz));
          const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
          h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as tf.Tensor2D;
          // Luong dot attention over encoder states
          const scores = tf.squeeze(tf.matMul(tf.expandDims(h, 1) as tf.Tensor3D, enc, false, true), [1]);
          const mask = tf.tensor2d([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]], [B, S]);
          const masked = tf.where(tf.greater(mask, 0), scores, tf.fill([B, S], -1e9));
          const alpha = tf.softmax(masked);
          const ctx = tf.squeeze(tf.matMul(tf.expandDims(alpha, 1) as tf.Tensor3D, enc), [1]);
          const logits = tf.matMul(tf.concat([h, ctx], 1) as tf.Tensor2D, wo);
          const y = tf.oneHot(tf.squeeze(tf.slice(tgt, [t, 0], [1, B]), [0]) as tf.Tensor1D, V);
          losses.push(tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar);
        }
        return tf.addN(losses) as tf.Scalar;
      });
      const names = Object.keys(res.grads).sort();
      const out = [res.value, ...names.map((k) => res.grads[k])];
      // global-norm clipping, as the trainer does
      const norm = tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(res.grads[k])))));
      out.push(norm, tf.mul(res.grads[names[0]], tf.minimum(1, tf.div(0.5, norm))));
      tf.dispose([emb, wx, wh, bias, wo]);
      return out;
    };
    await assertSameOnCpu(fn, 1e-4, 'GRU step');
  });

  it('Adam step on an embedding table leaves wasm and cpu weights equal', async () => {
    const fn = (): tf.Tensor[] => {
      const v = tf.variable(tf.tensor2d(values(8 * 4, 31), [8, 4]), true, 'adamEmb');
      const opt = tf.train.adam(0.01);
      for (let i = 0; i < 3; i++) {
        opt.minimize(() => tf.sum(tf.square(tf.gather(v, tf.tensor1d([1, 1, 5, 7], 'int32')))) as tf.Scalar);
      }
      const out = v.clone();
      opt.dispose();
      v.dispose();
      return [out];
    };
    await assertSameOnCpu(fn);
  });

  // XNNPACK caches its packed-weights operator under the right operand's tensor
  // id only; the same memory relabelled with a unit dimension ([G,1] vs [1,G],
  // via free transposes, Transpose aliases or Reshape) must not reuse it.
  it('the same tensor as right operand with [K,1] and [1,K] labellings gives correct products', () => {
    const K = 192, M = 64;
    const v = tf.tensor2d(values(K, 61), [K, 1]);
    const h = tf.tensor2d(values(M * K, 62), [M, K]);
    const d = tf.tensor2d(values(M, 63), [M, 1]);
    const vv = v.dataSync(), hv = h.dataSync(), dv = d.dataSync();
    const expectClose = (t: tf.Tensor, ref: (i: number, j: number) => number, what: string): void => {
      const [r, c] = t.shape;
      const got = t.dataSync();
      for (let i = 0; i < r; i++) {
        for (let j = 0; j < c; j++) {
          const e = ref(i, j);
          assert.ok(Math.abs(got[i * c + j] - e) <= 1e-4 * Math.max(1, Math.abs(e)), `${what} [${i},${j}]: ${got[i * c + j]} vs ${e}`);
        }
      }
      t.dispose();
    };
    const dot = (i: number): number => {
      let s = 0;
      for (let k = 0; k < K; k++) s += hv[i * K + k] * vv[k];
      return s;
    };
    expectClose(tf.matMul(h, v), (i) => dot(i), 'h·v'); // v as [K, 1]
    expectClose(tf.matMul(d, v, false, true), (i, j) => dv[i] * vv[j], 'd·vᵀ'); // v relabelled [1, K]
    const vt = tf.transpose(v); // aliasing transpose: same memory, [1, K]
    expectClose(tf.matMul(d, vt), (i, j) => dv[i] * vv[j], 'd·transpose(v)');
    const vr = tf.reshape(vt, [K, 1]);
    expectClose(tf.matMul(h, vr), (i) => dot(i), 'h·reshape(vᵀ)');
    tf.dispose([v, h, d, vt, vr]);
  });

  it('one-sentence batch: GRU-style weight gradients Xᵀ·dY with X = [1, hidden] equal cpu', async () => {
    // With batch 1, dY [1, G] is first read as [G, 1] (dX = dY·Wᵀ computed as
    // (W·dYᵀ)ᵀ) and then as [1, G] (dW = Xᵀ·dY): the second product used to reuse
    // the first one's XNNPACK operator and return mostly uninitialised memory.
    const H = 64, G = 3 * H, E = 32;
    const fn = (): tf.Tensor[] => {
      const wx = tf.variable(tf.tensor2d(values(E * G, 71), [E, G]), true, 'b1wx');
      const wh = tf.variable(tf.tensor2d(values(H * G, 72), [H, G]), true, 'b1wh');
      const wq = tf.variable(tf.tensor2d(values(H * H, 73), [H, H]), true, 'b1wq');
      const x = tf.tensor2d(values(3 * E, 74), [3, E]);
      const res = tf.variableGrads(() => {
        let h = tf.tanh(tf.matMul(tf.tensor2d(values(H, 75), [1, H]), wq)) as tf.Tensor2D;
        const xs = tf.split(tf.matMul(x, wx), 3, 0) as tf.Tensor2D[];
        let loss = tf.scalar(0);
        for (const xt of xs) {
          const g = tf.add(xt, tf.matMul(h, wh));
          const [r, z, n] = tf.split(g, 3, 1);
          h = tf.add(tf.mul(tf.sigmoid(z), h), tf.mul(tf.sigmoid(r), tf.tanh(n))) as tf.Tensor2D;
          loss = tf.add(loss, tf.sum(tf.square(h)));
        }
        return loss as tf.Scalar;
      }, [wx, wh, wq]);
      const out = [res.value, res.grads[wx.name], res.grads[wh.name], res.grads[wq.name]];
      tf.dispose([wx, wh, wq, x]);
      return out;
    };
    await assertSameOnCpu(fn, 1e-4, 'batch-1 GRU grads');
  });

  it('does not leak tensors across repeated calls', () => {
    const a = tf.tensor3d(values(6 * 24 * 40, 41), [6, 24, 40]);
    const b = tf.tensor3d(values(6 * 30 * 40, 42), [6, 30, 40]);
    const b2 = tf.tensor3d(values(6 * 24 * 30, 45), [6, 24, 30]);
    const w = tf.tensor2d(values(40 * 16, 43), [16, 40]);
    const table = tf.tensor2d(values(10 * 40, 44), [10, 40]);
    const ids = tf.tensor1d([1, 1, 2, 9], 'int32');
    const step = (): void => {
      tf.tidy(() => {
        tf.matMul(a, b, false, true).dataSync();
        tf.matMul(a, b2, true, false).dataSync();
        tf.matMul(tf.reshape(a, [144, 40]) as tf.Tensor2D, w, false, true).dataSync();
        tf.fused.matMul({ a: tf.reshape(a, [144, 40]) as tf.Tensor2D, b: w, transposeB: true, bias: tf.ones([16]) }).dataSync();
        tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, ids)))(table).dataSync();
        tf.transpose(tf.reshape(a, [6, 1, 960]), [1, 0, 2]).dataSync();
      });
    };
    step();
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 5; i++) step();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(tf.memory().numBytes, bytes);
    tf.dispose([a, b, b2, w, table, ids]);
  });
});

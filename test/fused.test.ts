import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DEFAULT_MODEL, type ModelConfig } from '../src/core/config/config';
import { initBackend } from '../src/core/kernels/backend';
import { FUSED_KERNEL_NAMES, fusedKernelsAvailable, registerFusedKernels, unregisterFusedKernels } from '../src/core/kernels/fused';
import { BahdanauAttention, LuongAttention, maskBias } from '../src/core/model/attention';
import { smoothedCrossEntropy } from '../src/core/model/loss';
import { ParameterStore } from '../src/core/model/parameters';
import { GruCell, LstmCell } from '../src/core/model/rnn';
import { Seq2SeqModel } from '../src/core/model/seq2seq';
import { StepProfiler } from '../src/core/profile';
import { registerSequenceKernels, unregisterSequenceKernels } from '../src/core/kernels/sequence';
import { Random } from '../src/core/random';

/** Deterministic pseudo-random values in [-scale, scale). */
function values(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 31 - 1) * scale;
  }
  return out;
}

type Outputs = { shape: number[]; data: Float32Array }[];

/** `fn`'s outputs on `backend` (wasm runs the fused kernels, cpu the stock ops), read back. */
async function runOn(backend: 'wasm' | 'cpu', fn: () => tf.Tensor[]): Promise<Outputs> {
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

function assertClose(a: Outputs, b: Outputs, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: number of outputs`);
  for (let i = 0; i < a.length; i++) {
    assert.deepEqual(a[i].shape, b[i].shape, `${what} output ${i} shape`);
    let worst = 0;
    for (let j = 0; j < a[i].data.length; j++) {
      const d = Math.abs(a[i].data[j] - b[i].data[j]) / Math.max(1, Math.abs(b[i].data[j]));
      if (!(d <= worst)) worst = d; // also catches NaN
    }
    assert.ok(worst <= tol, `${what} output ${i}: max relative difference ${worst} > ${tol}`);
  }
}

/** The fused kernels on wasm against the stock ops on cpu: values, then the gradients of Σ outputs·R with respect to `wrt`. */
async function assertFusedEqualsStock(build: () => { outputs: tf.Tensor[]; wrt: tf.Tensor[] }, what: string, tol = 2e-5): Promise<void> {
  const fn = () => {
    const probe = build();
    const objective = (...xs: tf.Tensor[]) => {
      void xs;
      const { outputs } = build();
      return tf.addN(outputs.map((o, i) => tf.sum(tf.mul(o, tf.tensor(values(o.size, 100 + i), o.shape))))) as tf.Scalar;
    };
    const grads = tf.grads(objective)(probe.wrt);
    return [...probe.outputs, ...grads];
  };
  assert.ok(fusedKernelsAvailable(), 'the fused kernels run on wasm here');
  const fused = await runOn('wasm', fn);
  const stock = await runOn('cpu', fn);
  assertClose(fused, stock, tol, what);
}

describe('fused training kernels (src/core/kernels/fused.ts)', function () {
  this.timeout(120000);
  before(async function () {
    const name = await initBackend('wasm');
    if (name !== 'wasm') this.skip();
    await tf.setBackend('wasm');
    registerFusedKernels();
  });

  it('are registered on wasm, and absent elsewhere so the model uses the stock ops', async () => {
    for (const k of FUSED_KERNEL_NAMES) assert.ok(tf.getKernel(k, 'wasm'), k);
    assert.equal(fusedKernelsAvailable(), true);
    await tf.setBackend('cpu');
    try {
      assert.equal(fusedKernelsAvailable(), false);
    } finally {
      await tf.setBackend('wasm');
    }
  });

  for (const masked of [false, true]) {
    it(`GRU step${masked ? ' with the padding mask' : ''}: state and gradients (inputs, W_x, W_h, b_x, b_h, previous state) equal the stock ops`, async () => {
      const params = new ParameterStore(new Random(3), 'fan-in');
      const cell = new GruCell(params, 'g', 8, 12);
      const x = tf.tensor2d(values(5 * 8, 1), [5, 8]);
      const h = tf.tensor2d(values(5 * 12, 2, 0.8), [5, 12]);
      const mask = tf.tensor2d([1, 0, 1, 1, 0], [5, 1]);
      await assertFusedEqualsStock(() => {
        const xp = cell.projectInputs(x);
        const s = masked ? cell.stepMasked(xp, { h }, mask) : cell.step(xp, { h });
        return { outputs: [s.h], wrt: [x, h, ...params.variables] };
      }, `gru${masked ? ' masked' : ''}`);
      params.dispose();
    });

    it(`LSTM step${masked ? ' with the padding mask' : ''}: h, c and gradients equal the stock ops`, async () => {
      const params = new ParameterStore(new Random(4), 'fan-in');
      const cell = new LstmCell(params, 'l', 8, 12);
      const x = tf.tensor2d(values(5 * 8, 5), [5, 8]);
      const h = tf.tensor2d(values(5 * 12, 6, 0.8), [5, 12]);
      const c = tf.tensor2d(values(5 * 12, 7, 2), [5, 12]);
      const mask = tf.tensor2d([0, 1, 1, 0, 1], [5, 1]);
      await assertFusedEqualsStock(() => {
        const xp = cell.projectInputs(x);
        const s = masked ? cell.stepMasked(xp, { h, c }, mask) : cell.step(xp, { h, c });
        return { outputs: [s.h, s.c!], wrt: [x, h, c, ...params.variables] };
      }, `lstm${masked ? ' masked' : ''}`);
      params.dispose();
    });
  }

  const attentions: [string, (p: ParameterStore) => BahdanauAttention | LuongAttention][] = [
    ['bahdanau', (p) => new BahdanauAttention(p, 12, 16, 12)],
    ['luong-general', (p) => new LuongAttention(p, 'luong-general', 12, 16)],
    ['luong-dot', (p) => new LuongAttention(p, 'luong-dot', 16, 16)],
  ];
  for (const [kind, make] of attentions) {
    it(`${kind} attention: context, weights (exactly 0 on padding) and gradients equal the stock ops`, async () => {
      const params = new ParameterStore(new Random(5), 'fan-in');
      const att = make(params);
      const qDim = kind === 'luong-dot' ? 16 : 12;
      const query = tf.tensor2d(values(3 * qDim, 8), [3, qDim]);
      const enc = tf.tensor3d(values(3 * 5 * 16, 9), [3, 5, 16]);
      const srcMask = tf.tensor2d([1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0], [3, 5]);
      await assertFusedEqualsStock(() => {
        const r = att.attend(query, att.precompute(enc), enc, maskBias(srcMask));
        return { outputs: [r.context, r.weights], wrt: [query, enc, ...params.variables] };
      }, kind);
      const w = tf.tidy(() => att.attend(query, att.precompute(enc), enc, maskBias(srcMask)).weights.arraySync());
      assert.deepEqual([w[0][3], w[0][4], w[2][1], w[2][4]], [0, 0, 0, 0]);
      params.dispose();
    });
  }

  for (const epsilon of [0, 0.1]) {
    it(`softmax cross-entropy${epsilon ? ' with label smoothing' : ''}: loss, NLL and gradient equal the JavaScript path, padding rows exactly 0`, async () => {
      const n = 7;
      const V = 1003; // not a multiple of 4: the kernels' scalar tails
      const z = values(n * V, 31, 8);
      z[2 * V + 5] = -200; // far below the maximum
      z[4 * V + 9] = 60;
      const logits = tf.tensor2d(z, [n, V]);
      const targets = Int32Array.from([5, 17, 5, 1000, 9, 3, 0]);
      const mask = Float32Array.from([1, 1, 1, 0, 1, 1, 0]);
      const fn = () => {
        const r = smoothedCrossEntropy(logits, targets, mask, epsilon, true);
        const g = tf.grad((t: tf.Tensor) => smoothedCrossEntropy(t as tf.Tensor2D, targets, mask, epsilon, true).loss)(logits);
        const ev = smoothedCrossEntropy(logits, targets, mask, epsilon, false);
        return [r.loss, r.nllSum, g, ev.loss, ev.nllSum];
      };
      const fused = await runOn('wasm', fn);
      assertClose(fused, await runOn('cpu', fn), 2e-6, `cross-entropy ε=${epsilon}`);
      assert.ok(fused[2].data.subarray(3 * V, 4 * V).every((x) => x === 0), 'a padding row has zero gradient');
    });
  }

  const models: [string, Partial<ModelConfig>][] = [
    ['gru + bahdanau (the whole decoder and each encoder direction on one kernel)', { cell: 'gru', attention: 'bahdanau' }],
    ['lstm + bahdanau', { cell: 'lstm', attention: 'bahdanau' }],
    ['gru + bahdanau, bridge init (no context fed to the cell), attentional readout', { cell: 'gru', attention: 'bahdanau', bridge: 'init', readout: 'attentional' }],
    ['lstm + bahdanau, two layers (the decoder step by step)', { cell: 'lstm', attention: 'bahdanau', layers: 2 }],
    ['lstm + luong-general', { cell: 'lstm', attention: 'luong-general' }],
    ['gru + luong-dot', { cell: 'gru', attention: 'luong-dot' }],
  ];
  for (const [label, over] of models) {
    it(`a whole ${label} model: loss and every parameter's gradient equal the stock ops, with padding`, async () => {
      const config: ModelConfig = { ...DEFAULT_MODEL, ...over, embeddingSize: 8, hiddenSize: 16, dropout: 0 };
      const model = new Seq2SeqModel(config, 20, 24, 7);
      const b = 4;
      const srcIds = tf.tensor2d([5, 6, 7, 0, 8, 9, 0, 0, 10, 11, 12, 13, 4, 0, 0, 0], [b, 4], 'int32');
      const srcMask = tf.tensor2d([1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0], [b, 4]);
      const tgtIn = tf.tensor2d([2, 5, 6, 2, 7, 0, 2, 8, 9, 2, 0, 0], [b, 3], 'int32');
      const tgtOut = Int32Array.from([5, 6, 3, 7, 3, 0, 8, 9, 3, 3, 0, 0]);
      const tgtMask = Float32Array.from([1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0]);
      const fn = () => {
        const { value, grads } = tf.variableGrads(() => model.loss({ srcIds, srcMask, tgtIn, tgtOut, tgtMask }, 9, { training: true, teacherForcing: 1, random: new Random(1) }).loss, model.variables);
        return [value, ...model.variables.map((v) => grads[v.name])];
      };
      const fused = await runOn('wasm', fn);
      const stock = await runOn('cpu', fn);
      assertClose(fused, stock, 5e-5, label);
      model.dispose();
    });
  }

  it('a training step of the default model launches far fewer kernels with them: one per cell step and attention, and fewer still with one per sequence', () => {
    const config: ModelConfig = { ...DEFAULT_MODEL, embeddingSize: 16, hiddenSize: 32, dropout: 0 };
    const model = new Seq2SeqModel(config, 50, 50, 3);
    const b = 8;
    const L = 6;
    const ids = (seed: number) => tf.tensor2d(Int32Array.from(values(b * L, seed), (v) => 4 + Math.floor(Math.abs(v) * 40)), [b, L], 'int32');
    const batch = { srcIds: ids(1), srcMask: tf.ones([b, L]) as tf.Tensor2D, tgtIn: ids(2), tgtOut: new Int32Array(b * L).fill(5), tgtMask: new Float32Array(b * L).fill(1) };
    const count = () => {
      const p = new StepProfiler();
      p.start();
      try {
        tf.dispose(tf.variableGrads(() => model.loss(batch, b * L, { training: true, teacherForcing: 1, random: new Random(1) }).loss, model.variables) as unknown as tf.TensorContainer);
      } finally {
        return p.stop().kernels;
      }
    };
    const whole = count();
    unregisterSequenceKernels();
    let perStep: number;
    let stock: number;
    try {
      perStep = count();
      unregisterFusedKernels();
      stock = count();
    } finally {
      registerFusedKernels();
      registerSequenceKernels();
    }
    assert.ok(perStep * 2.5 < stock, `${perStep} kernels with one per cell step and attention vs ${stock} stock`);
    assert.ok(whole * 3 < perStep, `${whole} kernels with whole sequences vs ${perStep} with one per step`);
    model.dispose();
  });
});

import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/kernels/backend';
import { AttentionKind, CellKind, DEFAULT_MODEL, ModelConfig } from '../src/core/config/config';
import { makeBatch } from '../src/core/data/batching';
import { batchTensors, sourceTensors } from '../src/core/metrics/evaluation';
import { Seq2SeqModel } from '../src/core/model/seq2seq';
import { Random } from '../src/core/random';
import { disposeAll, tidy } from '../src/core/tensors';

const ATTENTIONS: AttentionKind[] = ['none', 'bahdanau', 'luong-dot', 'luong-general'];
const CELLS: CellKind[] = ['gru', 'lstm'];

function config(over: Partial<ModelConfig> = {}): ModelConfig {
  return { ...DEFAULT_MODEL, embeddingSize: 8, hiddenSize: 12, layers: 1, bidirectional: true, dropout: 0, ...over };
}

// Three pairs of different lengths → a batch with padding on both sides.
const PAIRS = [
  { src: [4, 5, 6], tgt: [7, 8, 9, 10] },
  { src: [4, 5, 6, 7, 8], tgt: [7] },
  { src: [9], tgt: [8, 9] },
];

describe('model', function () {
  before(async () => {
    await initBackend();
  });

  for (const attention of ATTENTIONS) {
    for (const cell of CELLS) {
      it(`${cell} + ${attention}: tensor shapes through encoder, attention and decoder`, () => {
        const m = new Seq2SeqModel(config({ cell, attention, layers: 2 }), 15, 13, 1);
        try {
          const b = makeBatch(PAIRS, [0, 1, 2]);
          const s = sourceTensors(b);
          tidy(() => {
            const src = m.encode(s.srcIds, s.srcMask);
            // hiddenSize units per direction, hiddenSize / 2 for luong-dot (model.encoderHiddenSize 0)
            const encDim = attention === 'luong-dot' ? 12 : 24;
            assert.deepEqual(src.outputs.shape, [3, b.srcLen, encDim]);
            assert.deepEqual(src.final.shape, [3, encDim]);
            if (attention === 'none') assert.equal(src.keys, undefined);
            else assert.deepEqual(src.keys!.shape.slice(0, 2), [3, b.srcLen]);
            const state = m.initialState(src);
            assert.equal(state.layers.length, 2);
            const r = m.decodeStep(tf.tensor1d([2, 2, 2], 'int32'), state, src);
            assert.deepEqual(r.logProbs.shape, [3, 13]);
            assert.deepEqual(r.state.layers[1].h.shape, [3, 12]);
            if (cell === 'lstm') assert.deepEqual(r.state.layers[0].c!.shape, [3, 12]);
            if (attention === 'none') assert.equal(r.weights, undefined);
            else assert.deepEqual(r.weights!.shape, [3, b.srcLen]);
            // log-probabilities normalise
            const sums = tf.sum(tf.exp(r.logProbs), 1).arraySync() as number[];
            for (const x of sums) assert.ok(Math.abs(x - 1) < 1e-4);
            return [];
          });
          disposeAll(s.srcIds, s.srcMask);
        } finally {
          m.dispose();
        }
      });
    }
  }

  for (const attention of ['bahdanau', 'luong-dot', 'luong-general'] as AttentionKind[]) {
    it(`${attention}: attention rows sum to 1 with exactly zero weight on padding`, () => {
      const m = new Seq2SeqModel(config({ attention }), 15, 13, 2);
      try {
        const b = makeBatch(PAIRS, [0, 1, 2]);
        const s = sourceTensors(b);
        const weights = tidy(() => {
          const src = m.encode(s.srcIds, s.srcMask);
          let state = m.initialState(src);
          const rows: number[][][] = [];
          let prev = tf.tensor1d([2, 2, 2], 'int32');
          for (let t = 0; t < 3; t++) {
            const r = m.decodeStep(prev, state, src);
            rows.push(r.weights!.arraySync() as number[][]);
            state = r.state;
            prev = tf.cast(tf.argMax(r.logProbs, 1), 'int32') as tf.Tensor1D;
          }
          return rows;
        });
        disposeAll(s.srcIds, s.srcMask);
        for (const step of weights) {
          step.forEach((row, i) => {
            const sum = row.reduce((a, x) => a + x, 0);
            assert.ok(Math.abs(sum - 1) < 1e-5, `row sums to ${sum}`);
            for (let j = b.srcLengths[i]; j < b.srcLen; j++) assert.equal(row[j], 0, `padding position ${j} of row ${i} has weight ${row[j]}`);
            for (let j = 0; j < b.srcLengths[i]; j++) assert.ok(row[j] > 0);
          });
        }
      } finally {
        m.dispose();
      }
    });
  }

  for (const attention of ATTENTIONS) {
    for (const cell of CELLS) {
      it(`${cell} + ${attention}: the loss is unchanged when extra padding is added to a batch`, () => {
        const m = new Seq2SeqModel(config({ cell, attention, layers: 2 }), 15, 13, 3);
        try {
          // Same three pairs; the fourth pair is long on both sides, so the first three get more padding.
          const long = { src: [4, 5, 6, 7, 8, 9, 10, 11, 12], tgt: [7, 8, 9, 10, 11, 12, 7, 8] };
          const lossOf = (pairs: typeof PAIRS, idx: number[]) => {
            const b = makeBatch(pairs, idx);
            const t = batchTensors(b);
            const nll = tidy(() => m.loss(t, b.tokens, { training: false, teacherForcing: 1, random: new Random(0) }).nllSum.dataSync()[0]);
            disposeAll(t);
            return nll;
          };
          const tight = lossOf(PAIRS, [0, 1, 2]);
          const all = [...PAIRS, long];
          const padded = lossOf(all, [0, 1, 2, 3]) - lossOf(all, [3]);
          assert.ok(Math.abs(tight - padded) < 1e-3 * Math.max(1, Math.abs(tight)), `${tight} vs ${padded}`);
          // and one sentence alone equals its share in the batch
          const single = lossOf(PAIRS, [2]);
          const rest = lossOf(PAIRS, [0, 1]);
          assert.ok(Math.abs(single + rest - tight) < 1e-3 * Math.max(1, tight));
        } finally {
          m.dispose();
        }
      });
    }
  }

  for (const cell of CELLS) {
    for (const attention of ['none', 'bahdanau'] as AttentionKind[]) {
      it(`${cell} + ${attention}, bridgeFrom mean: the loss is unchanged when extra padding is added to a batch`, () => {
        const m = new Seq2SeqModel(config({ cell, attention, layers: 2, bridgeFrom: 'mean' }), 15, 13, 3);
        try {
          const long = { src: [4, 5, 6, 7, 8, 9, 10, 11, 12], tgt: [7, 8, 9, 10, 11, 12, 7, 8] };
          const all = [...PAIRS, long];
          const lossOf = (idx: number[]) => {
            const b = makeBatch(all, idx);
            const t = batchTensors(b);
            const nll = tidy(() => m.loss(t, b.tokens, { training: false, teacherForcing: 1, random: new Random(0) }).nllSum.dataSync()[0]);
            disposeAll(t);
            return nll;
          };
          // Each sentence alone (no padding) against the batch with the long pair (up to 8 padded source
          // positions). At initialisation s_0 moves the loss little (a mean over the padding too changes it
          // by ~1e-4 relative), hence the tight tolerance; float32 batching differences are ~1e-8.
          const alone = [0, 1, 2, 3].map((i) => lossOf([i])).reduce((a, x) => a + x, 0);
          const batched = lossOf([0, 1, 2, 3]);
          assert.ok(Math.abs(alone - batched) < 1e-5 * Math.max(1, alone), `${alone} vs ${batched}`);
        } finally {
          m.dispose();
        }
      });
    }
  }

  it('bridgeFrom: s_0 = tanh(W_b x + b_b) with x the final states or the mean encoder output over the real tokens', () => {
    for (const bridgeFrom of ['final', 'mean'] as const) {
      const m = new Seq2SeqModel(config({ bridgeFrom }), 15, 13, 6);
      try {
        const b = makeBatch(PAIRS, [0, 1, 2]);
        const s = sourceTensors(b);
        const { outputs, final, h0, w, bias } = tidy(() => {
          const src = m.encode(s.srcIds, s.srcMask);
          return {
            outputs: src.outputs.arraySync() as number[][][],
            final: src.final.arraySync() as number[][],
            h0: m.initialState(src).layers[0].h.arraySync() as number[][],
            w: m.params.get('decoder/Wbridge').arraySync() as number[][],
            bias: Array.from(m.params.get('decoder/bbridge').dataSync()),
          };
        });
        disposeAll(s.srcIds, s.srcMask);
        const D = final[0].length;
        b.srcLengths.forEach((len, i) => {
          const mean = Array.from({ length: D }, (_, d) => outputs[i].slice(0, len).reduce((a, row) => a + row[d], 0) / len);
          const x = bridgeFrom === 'mean' ? mean : final[i];
          const other = bridgeFrom === 'mean' ? final[i] : mean;
          const bridgeOf = (v: number[]) => bias.map((bj, j) => Math.tanh(v.reduce((a, vk, k) => a + vk * w[k][j], bj)));
          const want = bridgeOf(x);
          want.forEach((y, j) => assert.ok(Math.abs(h0[i][j] - y) < 1e-5, `${bridgeFrom}, row ${i}, unit ${j}: ${h0[i][j]} vs ${y}`));
          // The sentence of length 1 has mean = its only output, which is not the final state of both directions.
          if (len > 1) assert.ok(bridgeOf(other).some((y, j) => Math.abs(h0[i][j] - y) > 1e-3), `${bridgeFrom}, row ${i}: s_0 does not depend on the choice`);
        });
      } finally {
        m.dispose();
      }
    }
  });

  it('gradients reach every parameter, embeddings included (wasm gather gradient)', () => {
    const m = new Seq2SeqModel(config({ attention: 'bahdanau', bridge: 'both' }), 15, 13, 4);
    try {
      const b = makeBatch(PAIRS, [0, 1, 2]);
      const t = batchTensors(b);
      const norms = tidy(() => {
        const { grads } = tf.variableGrads(() => m.loss(t, b.tokens, { training: true, teacherForcing: 1, random: new Random(1) }).loss, m.variables);
        return m.params.names.map((n, i) => [n, tf.sum(tf.abs(grads[m.variables[i].name])).dataSync()[0]] as const);
      });
      disposeAll(t);
      for (const [name, norm] of norms) assert.ok(norm > 0, `no gradient for ${name}`);
    } finally {
      m.dispose();
    }
  });

  it('teacher forcing below 1 still gives a finite loss and gradients', () => {
    const m = new Seq2SeqModel(config({ attention: 'luong-general', cell: 'lstm' }), 15, 13, 5);
    try {
      const b = makeBatch(PAIRS, [0, 1, 2]);
      const t = batchTensors(b);
      const loss = tidy(() => tf.variableGrads(() => m.loss(t, b.tokens, { training: true, teacherForcing: 0.5, random: new Random(1) }).loss, m.variables).value.dataSync()[0]);
      disposeAll(t);
      assert.ok(Number.isFinite(loss) && loss > 0);
    } finally {
      m.dispose();
    }
  });

  it('equal seeds give identical parameters; different seeds do not', async () => {
    const a = new Seq2SeqModel(config(), 15, 13, 7);
    const b = new Seq2SeqModel(config(), 15, 13, 7);
    const c = new Seq2SeqModel(config(), 15, 13, 8);
    try {
      const [wa, wb, wc] = await Promise.all([a, b, c].map((m) => m.params.export()));
      assert.deepEqual(wa.map((w) => Array.from(w.values)), wb.map((w) => Array.from(w.values)));
      assert.notDeepEqual(wa[0].values, wc[0].values);
    } finally {
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  it('rejects an odd hidden size for luong-dot with a bidirectional encoder with a clear message', () => {
    assert.throws(() => new Seq2SeqModel(config({ hiddenSize: 13, attention: 'luong-dot' }), 15, 13, 1), /hiddenSize must be even for luong-dot/);
    new Seq2SeqModel(config({ hiddenSize: 13 }), 15, 13, 1).dispose();
  });

  it('encoderHiddenSize sets the units per direction', () => {
    const m = new Seq2SeqModel(config({ encoderHiddenSize: 5, attention: 'luong-general' }), 15, 13, 1);
    try {
      assert.deepEqual(m.params.get('encoder/l0/fwd/Wh').shape, [5, 15]);
      assert.deepEqual(m.params.get('attention/Wa').shape, [10, 12]);
    } finally {
      m.dispose();
    }
  });

  it('readouts: the output projection reads [s; c; E y] (deep), its maxout, or the attentional vector', () => {
    const shapes = (readout: ModelConfig['readout']) => {
      const m = new Seq2SeqModel(config({ readout, readoutSize: 7 }), 15, 13, 1);
      const out = Object.fromEntries(m.params.names.filter((n) => /decoder\/(W|b)(out|att|readout)$/.test(n)).map((n) => [n, m.params.get(n).shape]));
      m.dispose();
      return out;
    };
    // hidden 12 + context 24 (12 per direction) + embedding 8
    assert.deepEqual(shapes('deep'), { 'decoder/Wout': [13, 44], 'decoder/bout': [13] });
    assert.deepEqual(shapes('maxout'), { 'decoder/Wreadout': [44, 14], 'decoder/breadout': [14], 'decoder/Wout': [13, 7], 'decoder/bout': [13] });
    assert.deepEqual(shapes('attentional'), { 'decoder/Watt': [36, 12], 'decoder/batt': [12], 'decoder/Wout': [13, 12], 'decoder/bout': [13] });
  });

  it('weights and biases start as model.weightInit says: U(±1/√fan-in) (hidden size for recurrent layers) or Glorot with zero biases', async () => {
    const range = async (weightInit: ModelConfig['weightInit']) => {
      const m = new Seq2SeqModel(config({ weightInit, hiddenSize: 16, embeddingSize: 8, cell: 'lstm' }), 15, 13, 1);
      const w = Object.fromEntries((await m.params.export()).map((x) => [x.name, x.values]));
      m.dispose();
      const maxAbs = (a: Float32Array) => a.reduce((x, y) => Math.max(x, Math.abs(y)), 0);
      return { w, maxAbs };
    };
    const f = await range('fan-in');
    // LSTM: hidden 16 → 1/4 for every recurrent weight; the output layer reads [s; c; E y] = 16 + 32 + 8 = 56 features.
    assert.ok(f.maxAbs(f.w['encoder/l0/fwd/Wx']) <= 0.25 && f.maxAbs(f.w['encoder/l0/fwd/Wx']) > 0.2);
    assert.ok(f.maxAbs(f.w['decoder/Wout']) <= 1 / Math.sqrt(56) && f.maxAbs(f.w['decoder/bout']) > 0);
    // The LSTM forget gate (second quarter of the bias) still starts around 1.
    const bx = f.w['encoder/l0/fwd/bx'];
    assert.ok(bx.slice(16, 32).every((x) => x >= 0.75 && x <= 1.25) && bx.slice(0, 16).some((x) => x !== 0));
    const g = await range('glorot');
    assert.equal(g.maxAbs(g.w['decoder/bout']), 0);
    assert.deepEqual(Array.from(g.w['encoder/l0/fwd/bx'].slice(16, 32)), new Array(16).fill(1));
    assert.ok(g.maxAbs(g.w['decoder/Wout']) <= Math.sqrt(6 / (13 + 56)));
  });

  it('embeddings start as model.embeddingInit and embeddingInitScale say', async () => {
    const stats = async (over: Partial<ModelConfig>) => {
      const m = new Seq2SeqModel(config({ embeddingSize: 64, ...over }), 400, 13, 1);
      const v = (await m.params.export()).find((w) => w.name === 'encoder/embedding')!.values;
      m.dispose();
      let sum = 0;
      let sq = 0;
      let max = 0;
      for (const x of v) {
        sum += x;
        sq += x * x;
        max = Math.max(max, Math.abs(x));
      }
      return { mean: sum / v.length, std: Math.sqrt(sq / v.length), max };
    };
    const normal = await stats({ embeddingInit: 'normal', embeddingInitScale: 1 });
    assert.ok(Math.abs(normal.mean) < 0.02 && Math.abs(normal.std - 1) < 0.02 && normal.max > 3, JSON.stringify(normal));
    const uniform = await stats({ embeddingInit: 'uniform', embeddingInitScale: 0.1 });
    assert.ok(uniform.max <= 0.1 && Math.abs(uniform.std - 0.1 / Math.sqrt(3)) < 0.002, JSON.stringify(uniform));
  });

  it('does not leak tensors across training steps', () => {
    const m = new Seq2SeqModel(config({ attention: 'bahdanau' }), 15, 13, 9);
    const opt = tf.train.adam(0.01);
    try {
      const b = makeBatch(PAIRS, [0, 1, 2]);
      const step = () => {
        const t = batchTensors(b);
        tidy(() => {
          const { value, grads } = tf.variableGrads(() => m.loss(t, b.tokens, { training: true, teacherForcing: 1, random: new Random(1) }).loss, m.variables);
          opt.applyGradients(m.variables.map((v) => ({ name: v.name, tensor: grads[v.name] })));
          return value;
        }).dispose();
        disposeAll(t);
      };
      step(); // creates the optimizer's slots
      const after1 = tf.memory().numTensors;
      for (let i = 0; i < 20; i++) step();
      assert.equal(tf.memory().numTensors, after1);
    } finally {
      opt.dispose();
      m.dispose();
    }
  });
});

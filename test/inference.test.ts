import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/kernels/backend';
import { AttentionKind, BridgeFromKind, BridgeKind, CellKind, DEFAULT_MODEL, ModelConfig, ReadoutKind } from '../src/core/config/config';
import { makeBatch } from '../src/core/data/batching';
import { EOS_ID } from '../src/core/data/vocabulary';
import { decodeAll, sourceTensors } from '../src/core/metrics/evaluation';
import { InferenceModel } from '../src/core/decoding/inference';
import { Seq2SeqModel } from '../src/core/model/seq2seq';
import { beamSearch, beamSearchFast, greedyDecode, greedyDecodeFast, Hypothesis } from '../src/core/decoding/search';

const ATTENTIONS: AttentionKind[] = ['none', 'bahdanau', 'luong-dot', 'luong-general'];
const CELLS: CellKind[] = ['gru', 'lstm'];
const READOUTS: ReadoutKind[] = ['deep', 'maxout', 'attentional'];
const SRC_VOCAB = 23;
const TGT_VOCAB = 19;
const SENTENCES = [[4, 5, 6, 7, 8, 9, 10], [11], [12, 4, 20, 21, 22, 5, 6, 7, 8, 9, 13, 14]];

function config(over: Partial<ModelConfig>): ModelConfig {
  return { ...DEFAULT_MODEL, embeddingSize: 8, hiddenSize: 10, layers: 1, bidirectional: true, dropout: 0, ...over };
}

/**
 * A random model whose `<eos>` logit is lowered, so that outputs are long
 * enough to compare many steps. With `bridgeFrom` `mean` the bridge weights
 * are enlarged, so that s_0 from the final states would give other outputs.
 */
function randomModel(c: ModelConfig, seed: number): Seq2SeqModel {
  const m = new Seq2SeqModel(c, SRC_VOCAB, TGT_VOCAB, seed);
  tf.tidy(() => {
    if (c.bridgeFrom === 'mean' && m.params.names.includes('decoder/Wbridge')) {
      const wb = m.params.get('decoder/Wbridge');
      wb.assign(tf.mul(wb, 4));
    }
    const bout = m.params.get('decoder/bout');
    // Larger output weights make the distributions peaked (no near-ties between float32 and float64 arithmetic).
    const wout = m.params.get('decoder/Wout');
    wout.assign(tf.mul(wout, 4));
    bout.assign(tf.add(bout, tf.oneHot(tf.tensor1d([EOS_ID], 'int32'), TGT_VOCAB).reshape([TGT_VOCAB]).mul(-2)));
  });
  return m;
}

function assertSame(fast: Hypothesis, ref: Hypothesis, what: string): void {
  assert.deepEqual(fast.ids, ref.ids, `${what}: tokens`);
  assert.equal(fast.finished, ref.finished, `${what}: finished`);
  assert.ok(Math.abs(fast.logProb - ref.logProb) < 1e-4, `${what}: logProb ${fast.logProb} vs ${ref.logProb}`);
  assert.ok(Math.abs(fast.score - ref.score) < 1e-4, `${what}: score ${fast.score} vs ${ref.score}`);
  assert.equal(fast.attention.length, ref.attention.length, `${what}: attention rows`);
  fast.attention.forEach((row, t) => {
    assert.equal(row.length, ref.attention[t].length, `${what}: attention row ${t} length`);
    row.forEach((w, j) => assert.ok(Math.abs(w - ref.attention[t][j]) < 1e-5, `${what}: attention[${t}][${j}] ${w} vs ${ref.attention[t][j]}`));
  });
  assert.equal(fast.candidates?.length, ref.candidates?.length, `${what}: candidate rows`);
  fast.candidates?.forEach((row, t) => {
    assert.deepEqual(
      row.map((c) => c.id),
      ref.candidates![t].map((c) => c.id),
      `${what}: candidate ids at step ${t}`,
    );
    row.forEach((c, i) => assert.ok(Math.abs(c.prob - ref.candidates![t][i].prob) < 1e-5, `${what}: candidate prob at step ${t}`));
  });
}

describe('fast inference path (src/core/decoding/inference.ts) against the tensor path', function () {
  before(async () => {
    await initBackend();
  });

  type Case = { cell: CellKind; attention: AttentionKind; bridge: BridgeKind; layers: number; bidirectional: boolean; readout: ReadoutKind; encoderHiddenSize?: number; bridgeFrom?: BridgeFromKind };
  const cases: Case[] = [];
  for (const readout of READOUTS) {
    for (const cell of CELLS) for (const attention of ATTENTIONS) cases.push({ cell, attention, bridge: 'both', layers: 1, bidirectional: true, readout });
    cases.push({ cell: 'gru', attention: 'bahdanau', bridge: 'init', layers: 2, bidirectional: false, readout });
    cases.push({ cell: 'lstm', attention: 'luong-general', bridge: 'input', layers: 2, bidirectional: true, readout });
    cases.push({ cell: 'lstm', attention: 'none', bridge: 'init', layers: 1, bidirectional: false, readout });
    cases.push({ cell: 'gru', attention: 'luong-dot', bridge: 'init', layers: 1, bidirectional: true, readout });
  }
  cases.push({ cell: 'gru', attention: 'bahdanau', bridge: 'both', layers: 2, bidirectional: true, readout: 'deep', encoderHiddenSize: 3 });
  // The bridge from the mean of the encoder outputs (model.bridgeFrom).
  cases.push({ cell: 'gru', attention: 'bahdanau', bridge: 'both', layers: 1, bidirectional: true, readout: 'deep', bridgeFrom: 'mean' });
  cases.push({ cell: 'lstm', attention: 'none', bridge: 'init', layers: 2, bidirectional: false, readout: 'deep', bridgeFrom: 'mean' });
  cases.push({ cell: 'gru', attention: 'luong-general', bridge: 'init', layers: 1, bidirectional: true, readout: 'maxout', bridgeFrom: 'mean' });
  cases.push({ cell: 'lstm', attention: 'bahdanau', bridge: 'both', layers: 2, bidirectional: true, readout: 'attentional', encoderHiddenSize: 3, bridgeFrom: 'mean' });

  for (const c of cases) {
    const name = `${c.cell} + ${c.attention}, bridge ${c.bridge}, ${c.layers} layer(s)${c.bidirectional ? ', bidirectional' : ''}, readout ${c.readout}${c.encoderHiddenSize ? `, encoder ${c.encoderHiddenSize} units` : ''}${c.bridgeFrom ? `, bridge from ${c.bridgeFrom}` : ''}`;
    it(`${name}: greedy and beam search give the same tokens, attention and probabilities`, () => {
      const model = randomModel(config(c), 3 + c.layers);
      // The SIMD kernels (the default), and the fallback with all products in JavaScript or all on the backend.
      const variants = ['SIMD', 'JavaScript', 'backend'];
      const fastModels = [new InferenceModel(model), new InferenceModel(model, { simd: false, backendMinMacs: Infinity }), new InferenceModel(model, { simd: false, backendMinMacs: 0 })];
      assert.deepEqual(
        fastModels.map((m) => m.usesSimd),
        [true, false, false],
        'SIMD runs here (Node 20) and can be turned off',
      );
      const before = tf.memory().numTensors;
      try {
        for (const sentence of SENTENCES) {
          const batch = makeBatch([{ src: sentence, tgt: [] }], [0]);
          const src = Array.from(batch.srcIds);
          const s = sourceTensors(batch);
          try {
            const ref = greedyDecode(model, s, 1.5, { topK: 3 })[0];
            assert.ok(ref.ids.length > 2, 'the reference output is long enough to compare several steps');
            const refBeam = beamSearch(model, s, 3, 1, 1.5, { topK: 3 });
            const refBeam1 = beamSearch(model, s, 1, 0.6, 1.5);
            for (const [i, fast] of fastModels.entries()) {
              const tag = `${name}, sentence of ${sentence.length}, ${variants[i]} products`;
              assertSame(greedyDecodeFast(fast, src, 1.5, { topK: 3 }), ref, `greedy, ${tag}`);
              assertSame(beamSearchFast(fast, src, 3, 1, 1.5, { topK: 3 }), refBeam, `beam 3, ${tag}`);
              assertSame(beamSearchFast(fast, src, 1, 0.6, 1.5), refBeam1, `beam 1, ${tag}`);
            }
          } finally {
            tf.dispose([s.srcIds, s.srcMask]);
          }
        }
        assert.equal(tf.memory().numTensors, before, 'decoding leaks no tensors');
      } finally {
        for (const f of fastModels) f.dispose();
        model.dispose();
      }
    });
  }

  for (const bridgeFrom of ['final', 'mean'] as BridgeFromKind[]) {
    it(`bridge from ${bridgeFrom}: greedy decoding of a padded batch on the tensor path gives the fast path's sentence-by-sentence results`, () => {
      for (const c of [config({ attention: 'bahdanau', bridgeFrom }), config({ attention: 'none', bridge: 'init', cell: 'lstm', bridgeFrom })]) {
        const model = randomModel(c, 11);
        const fast = new InferenceModel(model);
        try {
          const batch = makeBatch(SENTENCES.map((src) => ({ src, tgt: [] })), [0, 1, 2]);
          const s = sourceTensors(batch);
          let batched: Hypothesis[];
          try {
            batched = greedyDecode(model, s, 1.5, { topK: 3 });
          } finally {
            tf.dispose([s.srcIds, s.srcMask]);
          }
          SENTENCES.forEach((sentence, i) => {
            const src = Array.from(makeBatch([{ src: sentence, tgt: [] }], [0]).srcIds);
            const one = greedyDecodeFast(fast, src, 1.5, { topK: 3 });
            // The batch's attention rows span its padded width: compare the real positions (the rest is 0).
            const ref = { ...batched[i], attention: batched[i].attention.map((row) => row.slice(0, src.length)) };
            assertSame(one, ref, `attention ${c.attention}, sentence ${i} (${sentence.length} tokens, ${batch.srcLen - src.length} padded)`);
          });
        } finally {
          fast.dispose();
          model.dispose();
        }
      }
    });
  }

  it("decodeAll's beam search (one sentence at a time on the fast path) gives beamSearch's hypotheses", () => {
    const model = randomModel(config({ attention: 'bahdanau' }), 5);
    try {
      const opts = { beamSize: 3, lengthPenalty: 0.6, maxOutputRatio: 1.5, batchSize: 2 };
      const before = tf.memory().numTensors;
      const got = decodeAll(model, SENTENCES, opts);
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      SENTENCES.forEach((sentence, i) => {
        const s = sourceTensors(makeBatch([{ src: sentence, tgt: [] }], [0]));
        try {
          const ref = beamSearch(model, s, opts.beamSize, opts.lengthPenalty, opts.maxOutputRatio);
          assert.deepEqual(got[i].ids, ref.ids, `sentence ${i}: tokens`);
          assert.ok(Math.abs(got[i].score - ref.score) < 1e-4, `sentence ${i}: score ${got[i].score} vs ${ref.score}`);
        } finally {
          tf.dispose([s.srcIds, s.srcMask]);
        }
      });
      // Stopped after the first sentence: the rest are empty.
      let polls = 0;
      const stopped = decodeAll(model, SENTENCES, opts, () => polls++ > 0);
      assert.deepEqual(stopped[0].ids, got[0].ids);
      assert.deepEqual(stopped.slice(1).map((h) => h.ids), [[], []]);
    } finally {
      model.dispose();
    }
  });

  it('greedyDecodeFast without attention or candidates records neither', () => {
    const model = randomModel(config({ attention: 'bahdanau' }), 1);
    const fast = new InferenceModel(model);
    try {
      const h = greedyDecodeFast(fast, [4, 5, EOS_ID], 2, { attention: false });
      assert.deepEqual(h.attention, []);
      assert.equal(h.candidates, undefined);
    } finally {
      fast.dispose();
      model.dispose();
    }
  });

  it('rejects ids outside the vocabulary, an empty source and a bad beam size', () => {
    const model = randomModel(config({}), 1);
    const fast = new InferenceModel(model);
    try {
      assert.throws(() => fast.encode([4, SRC_VOCAB]), /outside the vocabulary/);
      assert.throws(() => fast.encode([]), /empty source/);
      assert.throws(() => beamSearchFast(fast, [4, EOS_ID], 0, 1, 1), /beam size/);
    } finally {
      fast.dispose();
      model.dispose();
    }
  });

  it('dispose frees every tensor the snapshot holds', () => {
    const model = randomModel(config({ attention: 'luong-general', cell: 'lstm' }), 2);
    try {
      const before = tf.memory().numTensors;
      new InferenceModel(model).dispose();
      new InferenceModel(model, { simd: false }).dispose();
      assert.equal(tf.memory().numTensors, before);
    } finally {
      model.dispose();
    }
  });
});

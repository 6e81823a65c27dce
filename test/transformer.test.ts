/**
 * The Transformer family (src/core/model/transformer/): shapes, the padding
 * and causal masks (asserted exactly), incremental decoding against the
 * parallel pass, beam 1 = greedy, n-best order, a tiny reverse task learned,
 * and the run folder round trip through `train` and `Translator`.
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/kernels/backend';
import { DEFAULT_MODEL, DEFAULT_TRANSFORMER, ModelConfig, TransformerConfig, withDefaults } from '../src/core/config/config';
import { ConfigError, validateConfigObject } from '../src/core/config/configLoader';
import { EncodedPair, makeBatch } from '../src/core/data/batching';
import { batchTensors, decodeAll, sourceTensors } from '../src/core/metrics/evaluation';
import { createModel } from '../src/core/model/index';
import { TransformerModel } from '../src/core/model/transformer/model';
import { Random } from '../src/core/random';
import { beamSearchNBest, greedyDecode, Hypothesis } from '../src/core/decoding/search';
import { loadCheckpoint, RUN_FORMAT, upgradeManifest, type RunManifest } from '../src/core/runs/checkpoint';
import { checkRunConfig } from '../src/core/config/configLoader';
import type { ProgressEvent, TrainingEvent } from '../src/core/training/events';
import { disposeAll, tidy } from '../src/core/tensors';
import { train } from '../src/core/training/training';
import { Translator } from '../src/core/decoding/translator';
import { inverseSqrtSchedule } from '../src/core/training/schedule';
import { Updater } from '../src/core/training/updater';

const SRC_VOCAB = 17;
const TGT_VOCAB = 15;

function config(over: Partial<TransformerConfig> = {}, dropout = 0): ModelConfig {
  return { ...DEFAULT_MODEL, type: 'transformer', dropout, transformer: { ...DEFAULT_TRANSFORMER, layers: 2, heads: 2, modelSize: 8, ffSize: 16, ...over } };
}

function model(over: Partial<TransformerConfig> = {}, seed = 1): TransformerModel {
  const m = createModel(config(over), SRC_VOCAB, TGT_VOCAB, seed);
  assert.ok(m instanceof TransformerModel);
  return m;
}

// Pairs of different lengths → padding on both sides.
const PAIRS: EncodedPair[] = [
  { src: [4, 5, 6], tgt: [7, 8, 9, 10] },
  { src: [4, 5, 6, 7, 8], tgt: [7] },
  { src: [9], tgt: [8, 9] },
];

const VARIANTS: [string, Partial<TransformerConfig>][] = [
  ['pre-norm, sinusoidal', {}],
  ['post-norm, learned positions, tied embeddings', { norm: 'post', positional: 'learned', tiedEmbeddings: true }],
];

/** Values of a tensor as a plain array (disposes nothing). */
const values = (t: tf.Tensor) => Array.from(t.dataSync());

function close(a: number, b: number, what: string, tol = 1e-4): void {
  assert.ok(Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);
}

function assertSameHyp(a: Hypothesis, b: Hypothesis, what: string, score = true): void {
  assert.deepEqual(a.ids, b.ids, `${what}: tokens`);
  assert.equal(a.finished, b.finished, `${what}: finished`);
  close(a.logProb, b.logProb, `${what}: logProb`);
  if (score) close(a.score, b.score, `${what}: score`);
}

describe('transformer', function () {
  this.timeout(600000);
  before(async () => {
    await initBackend();
  });

  for (const [name, over] of VARIANTS) {
    it(`${name}: tensor shapes of encode, decodeStep, heads and the loss; no tensor leaks`, () => {
      const m = model(over);
      const before = tf.memory().numTensors;
      try {
        const b = makeBatch(PAIRS, [0, 1, 2]);
        const s = sourceTensors(b);
        tidy(() => {
          const src = m.encode(s.srcIds, s.srcMask);
          assert.deepEqual(src.memory.shape, [3, 6, 8]); // the longest source, 5 tokens and <eos>
          assert.equal(src.cross.length, 2);
          assert.deepEqual(src.cross[0].k.shape, [3 * 2, 6, 4]);
          assert.deepEqual(src.encoderSelf.map((w) => w.shape), [
            [3, 2, 6, 6],
            [3, 2, 6, 6],
          ]);
          let state = m.initialState();
          for (let t = 0; t < 3; t++) {
            const r = m.decodeStep(tf.tensor1d([1, 5, 6], 'int32'), state, src);
            assert.deepEqual(r.logProbs.shape, [3, TGT_VOCAB]);
            assert.deepEqual(r.weights!.shape, [3, 6]);
            assert.deepEqual(r.heads!.cross.map((w) => w.shape), [
              [3, 2, 6],
              [3, 2, 6],
            ]);
            assert.deepEqual(r.heads!.self[0].shape, [3, 2, t + 1]);
            assert.deepEqual(r.state.cache[1]!.k.shape, [6, t + 1, 4]);
            // Rows of probabilities sum to 1.
            const sums = values(tf.sum(tf.exp(r.logProbs), 1));
            sums.forEach((x) => close(x, 1, 'sum of probabilities', 1e-5));
            state = r.state;
          }
          const loss = m.loss(batchTensors(b), b.tokens, { training: false, teacherForcing: 1, random: new Random(0) });
          assert.deepEqual(loss.loss.shape, []);
          assert.ok(Number.isFinite(loss.loss.dataSync()[0]));
        });
        disposeAll(s);
        assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      } finally {
        m.dispose();
      }
    });

    it(`${name}: incremental decodeStep equals the parallel teacher-forced pass at every position`, () => {
      const m = model(over, 3);
      try {
        const b = makeBatch(PAIRS, [0, 1, 2]);
        const t = batchTensors(b);
        tidy(() => {
          const full = m.teacherForcedLogProbs(t.srcIds, t.srcMask, t.tgtIn).arraySync();
          const src = m.encode(t.srcIds, t.srcMask);
          let state = m.initialState();
          const cols = tf.unstack(t.tgtIn, 1) as tf.Tensor1D[];
          cols.forEach((ids, pos) => {
            const r = m.decodeStep(ids, state, src);
            const step = r.logProbs.arraySync();
            for (let i = 0; i < 3; i++) for (let v = 0; v < TGT_VOCAB; v++) close(step[i][v], full[i][pos][v], `sentence ${i}, position ${pos}, word ${v}`, 1e-4);
            state = r.state;
          });
        });
        disposeAll(t.srcIds, t.srcMask, t.tgtIn);
      } finally {
        m.dispose();
      }
    });

    it(`${name}: changing a future target token changes no earlier output, exactly (causal mask)`, () => {
      const m = model(over, 5);
      try {
        tidy(() => {
          const src = tf.tensor2d([[4, 5, 6, 2]], [1, 4], 'int32');
          const mask = tf.ones([1, 4]) as tf.Tensor2D;
          const a = m.teacherForcedLogProbs(src, mask, tf.tensor2d([[1, 7, 8, 9, 10]], [1, 5], 'int32')).arraySync()[0];
          for (const changed of [[1, 7, 8, 9, 3], [1, 7, 8, 12, 3], [1, 7, 14, 13, 11]]) {
            const first = changed.findIndex((x, i) => x !== [1, 7, 8, 9, 10][i]);
            const b = m.teacherForcedLogProbs(src, mask, tf.tensor2d([changed], [1, 5], 'int32')).arraySync()[0];
            for (let pos = 0; pos < first; pos++) assert.deepEqual(b[pos], a[pos], `position ${pos} with input ${changed}`);
            assert.notDeepEqual(b[first], a[first], `position ${first} does see its own input`);
          }
        });
      } finally {
        m.dispose();
      }
    });

    it(`${name}: changing a padded source token changes no real output, exactly (padding mask), and padding gets zero weight`, () => {
      const m = model(over, 7);
      try {
        tidy(() => {
          const mask = tf.tensor2d([[1, 1, 1, 0, 0]]) as tf.Tensor2D;
          const tgtIn = tf.tensor2d([[1, 7, 8]], [1, 3], 'int32');
          const run = (pad: number[]) => {
            const srcIds = tf.tensor2d([[4, 5, 2, ...pad]], [1, 5], 'int32');
            const src = m.encode(srcIds, mask);
            const memory = src.memory.arraySync()[0].slice(0, 3);
            const step = m.decodeStep(tf.tensor1d([1], 'int32'), m.initialState(), src);
            return { memory, lp: m.teacherForcedLogProbs(srcIds, mask, tgtIn).arraySync(), weights: step.heads!.cross.map((w) => w.arraySync()), enc: src.encoderSelf.map((w) => w.arraySync()) };
          };
          const a = run([0, 0]);
          for (const pad of [[9, 10], [16, 3], [2, 2]]) {
            const b = run(pad);
            assert.deepEqual(b.memory, a.memory, `encoder outputs at real positions with padding ${pad}`);
            assert.deepEqual(b.lp, a.lp, `decoder outputs with padding ${pad}`);
          }
          for (const layer of a.weights) for (const head of layer[0]) assert.deepEqual(head.slice(3), [0, 0], 'cross-attention on padding');
          for (const layer of a.enc) for (const head of layer[0]) for (const row of head) assert.deepEqual(row.slice(3), [0, 0], 'encoder self-attention on padding');
        });
      } finally {
        m.dispose();
      }
    });
  }

  it('decoder self-attention puts exactly zero weight on future positions (causal mask)', () => {
    const m = model();
    try {
      tidy(() => {
        const srcIds = tf.tensor2d([[4, 5, 2]], [1, 3], 'int32');
        const mask = tf.ones([1, 3]) as tf.Tensor2D;
        const memory = tf.reshape(m.encode(srcIds, mask).memory, [3, 8]) as tf.Tensor2D;
        const { self } = m.decodeAll(tf.tensor2d([[1, 7, 8, 9]], [1, 4], 'int32'), memory, tf.zeros([1, 1, 1, 3]), 3, undefined);
        for (const layer of self) {
          for (const head of layer.arraySync()[0]) {
            head.forEach((row, t) => {
              row.slice(t + 1).forEach((w) => assert.equal(w, 0, `position ${t} attends to the future`));
              close(
                row.reduce((x, y) => x + y, 0),
                1,
                'row sum',
                1e-5,
              );
            });
          }
        }
      });
    } finally {
      m.dispose();
    }
  });

  it('beam 1 equals greedy, batched greedy equals one sentence at a time, and n-best lists are in score order', () => {
    const m = model({}, 11);
    // Sharper distributions: longer, less tied outputs.
    tf.tidy(() => {
      const w = m.params.get('decoder/Wout');
      w.assign(tf.mul(w, 6));
      const b = m.params.get('decoder/bout');
      const shift = new Float32Array(TGT_VOCAB);
      shift[2] = -3;
      b.assign(tf.add(b, tf.tensor1d(shift)));
    });
    const sentences = [[4, 5, 6, 7, 8, 9, 10], [11], [12, 4, 13, 14, 5, 6]];
    const before = tf.memory().numTensors;
    try {
      const all = sourceTensors(makeBatch(sentences.map((src) => ({ src, tgt: [] })), [0, 1, 2]));
      const batched = greedyDecode(m, all, 1.5);
      disposeAll(all.srcIds, all.srcMask);
      sentences.forEach((src, i) => {
        const s = sourceTensors(makeBatch([{ src, tgt: [] }], [0]));
        try {
          const greedy = greedyDecode(m, s, 1.5)[0];
          assertSameHyp(batched.find((_, j) => j === i)!, greedy, `sentence ${i}: batched vs single greedy`);
          assert.equal(greedy.attention.length, greedy.ids.length + (greedy.finished ? 1 : 0), 'one attention row per step');
          assertSameHyp(beamSearchNBest(m, s, 1, 0, 1.5)[0], greedy, `sentence ${i}: beam 1`);
          assertSameHyp(beamSearchNBest(m, s, 1, 0.6, 1.5)[0], greedy, `sentence ${i}: beam 1, α 0.6`, false);
          // With every head recorded: the same heads from both searches, the default matrix their last layer's mean.
          const gh = greedyDecode(m, s, 1.5, { heads: true })[0];
          const bh = beamSearchNBest(m, s, 1, 0, 1.5, { heads: true })[0];
          assert.ok(gh.heads && bh.heads, 'heads recorded');
          for (const kind of ['cross', 'decoderSelf', 'encoderSelf'] as const) {
            gh.heads![kind].forEach((layer, l) =>
              layer.forEach((head, j) => head.forEach((row, t) => row.forEach((w, k) => close(w, bh.heads![kind][l][j][t][k], `${kind}[${l}][${j}][${t}][${k}]`, 1e-5)))),
            );
          }
          assert.equal(gh.heads!.cross[0][0].length, gh.attention.length);
          assert.equal(gh.heads!.encoderSelf[0][0].length, src.length + 1, 'source positions with <eos>');
          for (const rules of [{}, { noRepeatNgramSize: 2 }, { repetitionPenalty: 1.5 }]) {
            const list = beamSearchNBest(m, s, 4, 0.6, 1.5, { ...rules, nBest: 4 });
            assert.equal(list.length, 4, 'four hypotheses');
            for (let k = 1; k < list.length; k++) assert.ok(list[k - 1].score >= list[k].score, `scores ${list.map((h) => h.score)}`);
            assert.equal(new Set(list.map((h) => h.ids.join(','))).size, 4, 'distinct');
          }
        } finally {
          disposeAll(s.srcIds, s.srcMask);
        }
      });
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    } finally {
      m.dispose();
    }
  });

  it('recurrent models record no heads (the attention view shows no selector for them)', () => {
    const rnn = createModel({ ...DEFAULT_MODEL, embeddingSize: 8, hiddenSize: 8, dropout: 0 }, SRC_VOCAB, TGT_VOCAB, 1);
    try {
      const s = sourceTensors(makeBatch([{ src: [4, 5, 6], tgt: [] }], [0]));
      const g = greedyDecode(rnn, s, 1.5, { heads: true })[0];
      const b = beamSearchNBest(rnn, s, 2, 0, 1.5, { heads: true })[0];
      disposeAll(s.srcIds, s.srcMask);
      assert.equal(g.heads, undefined);
      assert.equal(b.heads, undefined);
      assert.ok(g.attention.length > 0, 'the default matrix is there');
    } finally {
      rnn.dispose();
    }
  });

  it('learns to reverse sequences of 3–6 symbols to ≥ 95% exact match (greedy and beam 3), with the warm-up schedule', () => {
    const m = createModel(config({ layers: 1, heads: 2, modelSize: 32, ffSize: 64 }), 14, 14, 1);
    const random = new Random(3);
    const pairs = (n: number): EncodedPair[] =>
      Array.from({ length: n }, () => {
        const len = 3 + random.int(4);
        const src = Array.from({ length: len }, () => 4 + random.int(10));
        return { src, tgt: [...src].reverse() };
      });
    const updater = new Updater(m, { learningRate: 5e-3, clipNorm: 1, teacherForcing: 1, softmaxCandidates: 0 }, random);
    try {
      for (let step = 0; step < 500; step++) {
        updater.learningRate = inverseSqrtSchedule(5e-3, step + 1, 50);
        const batch = pairs(32);
        updater.step(makeBatch(batch, batch.map((_, i) => i)));
      }
      const test = pairs(200);
      const hyps = decodeAll(m, test.map((p) => p.src), { beamSize: 1, lengthPenalty: 1, maxOutputRatio: 1.5, batchSize: 64 });
      const exact = hyps.filter((h, i) => h.finished && h.ids.join(' ') === test[i].tgt.join(' ')).length / test.length;
      assert.ok(exact >= 0.95, `exact match ${exact}`);
      const beam = decodeAll(m, test.slice(0, 40).map((p) => p.src), { beamSize: 3, lengthPenalty: 1, maxOutputRatio: 1.5, batchSize: 64 });
      const beamExact = beam.filter((h, i) => h.ids.join(' ') === test[i].tgt.join(' ')).length / 40;
      assert.ok(beamExact >= 0.95, `beam exact match ${beamExact}`);
    } finally {
      updater.dispose();
      m.dispose();
    }
  });

  it('config: heads must divide modelSize, sinusoidal needs an even size, teacher forcing 1; old configs are rnn', () => {
    const base = { data: { train: 'x.tsv' } };
    const problems = (obj: unknown) => {
      try {
        validateConfigObject(obj, 'c.json');
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        return e.message;
      }
      return '';
    };
    assert.match(problems({ ...base, model: { type: 'transformer', transformer: { heads: 3, modelSize: 64 } } }), /model\.transformer\.heads must divide model\.transformer\.modelSize \(got 3 heads for 64\)/);
    assert.match(problems({ ...base, model: { type: 'transformer', transformer: { heads: 1, modelSize: 33 } } }), /modelSize must be even/);
    assert.match(problems({ ...base, model: { type: 'transformer' }, train: { teacherForcing: 0.5 } }), /train\.teacherForcing must be 1 with model\.type transformer/);
    assert.match(problems({ ...base, model: { type: 'transformers' } }), /model\.type/);
    assert.match(problems({ ...base, model: { transformer: { norm: 'middle' } } }), /model\.transformer\.norm/);
    assert.equal(problems({ ...base, model: { type: 'transformer', transformer: { heads: 3, modelSize: 48, positional: 'learned' } } }), '');
    // A run.json without model.type (every format before the Transformer) is a recurrent run.
    for (const format of ['seq2seq-lab/run@1', 'seq2seq-lab/run@2', 'seq2seq-lab/run@3', RUN_FORMAT]) {
      const recorded = { format, config: { data: { train: 'x.tsv' }, model: { cell: 'gru', hiddenSize: 16 }, train: {} } } as unknown as RunManifest;
      const cfg = checkRunConfig(upgradeManifest(recorded).config, 'run.json');
      assert.equal(cfg.model.type, 'rnn', format);
    }
    const old = validateConfigObject({ ...base, model: { cell: 'lstm' } }, 'c.json');
    assert.equal(old.model.type, 'rnn');
    assert.deepEqual(old.model.transformer, DEFAULT_TRANSFORMER);
    assert.equal(validateConfigObject({ ...base, model: { type: 'transformer', transformer: { layers: 3 } } }, 'c.json').model.transformer.heads, DEFAULT_TRANSFORMER.heads);
  });

  it('train --resume is exact for a Transformer with dropout, label smoothing and the warm-up schedule', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-transformer-resume-'));
    try {
      const r = new Random(4);
      const lines = Array.from({ length: 200 }, () => {
        const w = Array.from({ length: 3 + r.int(4) }, () => r.pick('abcdefgh'.split('')));
        return `${w.join(' ')}\t${[...w].reverse().join(' ')}`;
      });
      const tsv = path.join(dir, 'r.tsv');
      await fs.writeFile(tsv, lines.join('\n') + '\n');
      const cfg = () =>
        withDefaults({
          data: { train: tsv, validFraction: 0.1, testFraction: 0, maxValidSentences: 20 },
          model: { type: 'transformer', dropout: 0.2, transformer: { layers: 1, heads: 2, modelSize: 16, ffSize: 32 } },
          train: { batchSize: 16, epochs: 3, logEvery: 1, validEvery: 9, threads: 1, schedule: 'inverse-sqrt', warmupSteps: 10, labelSmoothing: 0.1, seed: 3 },
        });
      const progress = (ev: TrainingEvent[]) => ev.filter((e): e is ProgressEvent => e.type === 'progress');
      const whole: TrainingEvent[] = [];
      const a = await train({ config: cfg(), outDir: path.join(dir, 'whole'), resume: false, listener: (e) => whole.push(e) });
      const parts: TrainingEvent[] = [];
      let step = 0;
      await train({ config: cfg(), outDir: path.join(dir, 'split'), resume: false, listener: (e) => { parts.push(e); if (e.type === 'progress') step = e.step; }, shouldStop: () => step >= 13 });
      const b = await train({ config: cfg(), outDir: path.join(dir, 'split'), resume: true, listener: (e) => parts.push(e) });
      assert.equal(b.step, a.step);
      const byStep = new Map(progress(whole).map((p) => [p.step, p]));
      const resumed = progress(parts).filter((p) => p.step > 13);
      assert.ok(resumed.length > 5);
      for (const p of resumed) {
        const q = byStep.get(p.step)!;
        assert.ok(Math.abs(p.loss - q.loss) <= 1e-5 * Math.max(1, q.loss), `step ${p.step}: loss ${p.loss} vs ${q.loss}`);
        assert.equal(p.learningRate, q.learningRate, `step ${p.step}: learning rate`);
      }
      const [la, lb] = await Promise.all([loadCheckpoint(path.join(dir, 'whole', 'last')), loadCheckpoint(path.join(dir, 'split', 'last'))]);
      la.weights.forEach((w, i) => w.values.forEach((v, j) => assert.ok(Math.abs(v - lb.weights[i].values[j]) <= 1e-5, `${w.name}[${j}]`)));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('train with warm-up and label smoothing → run folder → two Translator.loads agree (the fast engine falls back to the tensor path), beam and greedy', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-transformer-'));
    try {
      const lines = ['a b c', 'b c d', 'c d e', 'd e a', 'e a b', 'a c e', 'b d a', 'c e b'].map((s) => `${s}\t${s.split(' ').reverse().join(' ')}`);
      await fs.writeFile(path.join(dir, 'train.tsv'), lines.join('\n') + '\n');
      const tsv = path.join(dir, 'train.tsv');
      const cfg = withDefaults({
        data: { train: tsv, valid: tsv, test: tsv },
        model: { type: 'transformer', dropout: 0.1, transformer: { layers: 1, heads: 2, modelSize: 16, ffSize: 32, tiedEmbeddings: true } },
        train: { batchSize: 4, epochs: 3, logEvery: 1, validEvery: 4, earlyStoppingPatience: 0, threads: 1, schedule: 'inverse-sqrt', warmupSteps: 3, labelSmoothing: 0.1, beamSize: 2 },
      });
      const runDir = path.join(dir, 'run');
      const done = await train({ config: cfg, outDir: runDir, resume: false });
      assert.equal(done.type, 'done');
      const metrics = (await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      const progress = metrics.filter((e) => e.type === 'progress');
      assert.ok(progress.length > 0);
      // Warm-up: the rate rises to learningRate at step 3, then falls as 1/√step.
      const lrAt = (step: number) => progress.find((e) => e.step === step)?.learningRate;
      const base = cfg.train.learningRate;
      for (const [step, want] of [[1, base / 3], [3, base], [6, base * Math.sqrt(3 / 6)]] as const) {
        assert.ok(Math.abs(lrAt(step) - want) < 1e-12, `learning rate at step ${step}: ${lrAt(step)} vs ${want}`);
      }
      const t1 = await Translator.load(runDir);
      const t2 = await Translator.load(runDir);
      try {
        assert.equal(t1.model instanceof TransformerModel, true);
        for (const text of ['a b c', 'e a b', 'c']) {
          for (const beamSize of [1, 3]) {
            const a = t1.translate(text, { beamSize });
            const b = t2.translate(text, { beamSize, engine: 'tensor' });
            assert.deepEqual(a.targetTokens, b.targetTokens, `${text}, beam ${beamSize}`);
            const bare = t1.translate(text, { beamSize, heads: false });
            assert.equal(bare.heads, undefined, 'heads: false records no heads');
            assert.deepEqual([bare.targetTokens, bare.attention], [a.targetTokens, a.attention], 'and changes nothing else');
            close(a.logProb, b.logProb, 'logProb');
            assert.equal(a.attention.length, a.targetTokens.length, 'an attention row per output token');
            a.attention.forEach((row) => assert.equal(row.length, a.sourceTokens.length));
            // Every layer and head: [layers][heads][T][S], [layers][heads][T][T], [layers][heads][S][S].
            const T = a.targetTokens.length;
            const S = a.sourceTokens.length;
            const hd = a.heads!;
            const dims = (x: number[][][][]) => [x.length, x[0].length, x[0][0].length, x[0][0][0].length];
            assert.deepEqual(dims(hd.cross), [1, 2, T, S]);
            assert.deepEqual(dims(hd.decoderSelf), [1, 2, T, T]);
            assert.deepEqual(dims(hd.encoderSelf), [1, 2, S, S]);
            // The default matrix is the mean over heads of the last layer's cross-attention.
            a.attention.forEach((row, t) => row.forEach((w, j) => close(w, (hd.cross[0][0][t][j] + hd.cross[0][1][t][j]) / 2, `mean of heads [${t}][${j}]`, 1e-6)));
            hd.decoderSelf[0].forEach((head) => head.forEach((row, t) => row.forEach((w, k) => k > t && assert.equal(w, 0, 'causal'))));
            for (const kind of [hd.cross, hd.decoderSelf, hd.encoderSelf]) kind[0].forEach((head) => head.forEach((row) => close(row.reduce((x, y) => x + y, 0), 1, 'row sum', 1e-5)));
          }
        }
      } finally {
        t1.dispose();
        t2.dispose();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

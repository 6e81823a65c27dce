/**
 * Beam search, richer (src/core/decoding/search.ts): n-best lists, the no-repeat
 * n-gram ban and the repetition penalty, for every model type and in both
 * engines (the training graph's ops and the fast inference path), plus
 * `seq2seq translate --n-best`.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/kernels/backend';
import { AttentionKind, CellKind, DEFAULT_MODEL, ModelConfig, withDefaults } from '../src/core/config/config';
import { makeBatch } from '../src/core/data/batching';
import { EOS_ID } from '../src/core/data/vocabulary';
import { decodeAll, sourceTensors } from '../src/core/metrics/evaluation';
import { InferenceModel } from '../src/core/decoding/inference';
import { Seq2SeqModel } from '../src/core/model/seq2seq';
import {
  bannedNgramTokens,
  beamSearchFast,
  beamSearchFastNBest,
  beamSearchNBest,
  greedyDecode,
  greedyDecodeFast,
  Hypothesis,
  SearchOptions,
  searchScores,
} from '../src/core/decoding/search';
import { train } from '../src/core/training/training';
import { Translator } from '../src/core/decoding/translator';
import { nBestPickItems } from '../src/host/logic/translateText';
import { InferenceClient } from '../src/host/translateClient';

const ATTENTIONS: AttentionKind[] = ['none', 'bahdanau', 'luong-dot', 'luong-general'];
const CELLS: CellKind[] = ['gru', 'lstm'];
const SRC_VOCAB = 23;
const TGT_VOCAB = 19;
const SENTENCES = [[4, 5, 6, 7, 8, 9, 10], [11], [12, 4, 20, 21, 22, 5, 6, 7, 8, 9, 13, 14]];
/** Option sets every equality test runs with: none, each rule alone, both. */
const RULES: SearchOptions[] = [{}, { noRepeatNgramSize: 2 }, { repetitionPenalty: 1.8 }, { noRepeatNgramSize: 3, repetitionPenalty: 1.3 }, { noRepeatNgramSize: 1 }];

function config(over: Partial<ModelConfig>): ModelConfig {
  return { ...DEFAULT_MODEL, embeddingSize: 8, hiddenSize: 10, layers: 1, bidirectional: true, dropout: 0, ...over };
}

/**
 * A random model with peaked output distributions, its `<eos>` logit
 * lowered (long outputs) and `favoured` tokens' biases raised by `boost`, so
 * that, left alone, it repeats them.
 */
function repetitiveModel(c: ModelConfig, seed: number, favoured: number[] = [6, 9], boost = 2.5): Seq2SeqModel {
  const m = new Seq2SeqModel(c, SRC_VOCAB, TGT_VOCAB, seed);
  tf.tidy(() => {
    const wout = m.params.get('decoder/Wout');
    wout.assign(tf.mul(wout, 4));
    const bout = m.params.get('decoder/bout');
    const shift = new Float32Array(TGT_VOCAB);
    shift[EOS_ID] = -2;
    for (const v of favoured) shift[v] += boost;
    bout.assign(tf.add(bout, tf.tensor1d(shift)));
  });
  return m;
}

function hasRepeatedNgram(ids: number[], n: number): boolean {
  const seen = new Set<string>();
  for (let i = 0; i + n <= ids.length; i++) {
    const g = ids.slice(i, i + n).join(',');
    if (seen.has(g)) return true;
    seen.add(g);
  }
  return false;
}

/** Tokens equal to an earlier token of the same output. */
function repeatedTokens(ids: number[]): number {
  return ids.length - new Set(ids).size;
}

function close(a: number, b: number, what: string, tol = 1e-4): void {
  assert.ok(Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);
}

function assertSameHyp(a: Hypothesis, b: Hypothesis, what: string, opts: { score?: boolean; attention?: boolean } = {}): void {
  assert.deepEqual(a.ids, b.ids, `${what}: tokens`);
  assert.equal(a.finished, b.finished, `${what}: finished`);
  close(a.logProb, b.logProb, `${what}: logProb`);
  if (opts.score !== false) close(a.score, b.score, `${what}: score`);
  if (opts.attention) {
    assert.equal(a.attention.length, b.attention.length, `${what}: attention rows`);
    a.attention.forEach((row, t) => row.forEach((w, j) => close(w, b.attention[t][j], `${what}: attention[${t}][${j}]`, 1e-5)));
  }
}

/** Run `f` with each sentence as a one-sentence tensor batch and as fast-path ids. */
function eachSentence(f: (s: ReturnType<typeof sourceTensors>, src: number[], i: number) => void): void {
  SENTENCES.forEach((sentence, i) => {
    const batch = makeBatch([{ src: sentence, tgt: [] }], [0]);
    const s = sourceTensors(batch);
    try {
      f(s, Array.from(batch.srcIds), i);
    } finally {
      tf.dispose([s.srcIds, s.srcMask]);
    }
  });
}

describe('search options: n-best, no-repeat n-gram, repetition penalty', function () {
  this.timeout(600000);
  before(async () => {
    await initBackend();
  });

  for (const cell of CELLS) {
    for (const attention of ATTENTIONS) {
      const name = `${cell} + ${attention}`;

      it(`${name}: beam 1 equals greedy (tokens, log-prob and score) in both engines, with and without the repetition rules`, () => {
        const model = repetitiveModel(config({ cell, attention }), 7);
        const fast = new InferenceModel(model);
        const before = tf.memory().numTensors;
        try {
          for (const rules of RULES) {
            const tag = `${name} ${JSON.stringify(rules)}`;
            // Greedy on the tensor path decodes the sentences as one batch.
            const all = makeBatch(
              SENTENCES.map((src) => ({ src, tgt: [] })),
              SENTENCES.map((_, i) => i),
            );
            const sAll = sourceTensors(all);
            let batched: Hypothesis[];
            try {
              batched = greedyDecode(model, sAll, 1.5, rules);
            } finally {
              tf.dispose([sAll.srcIds, sAll.srcMask]);
            }
            eachSentence((s, src, i) => {
              const greedy = greedyDecode(model, s, 1.5, rules)[0];
              assertSameHyp(batched[i], greedy, `${tag}, sentence ${i}: batched greedy vs one sentence`);
              assertSameHyp(greedyDecodeFast(fast, src, 1.5, rules), greedy, `${tag}, sentence ${i}: fast greedy`);
              // α = 0: beam scores are not length-normalised, so they equal greedy's.
              assertSameHyp(beamSearchNBest(model, s, 1, 0, 1.5, rules)[0], greedy, `${tag}, sentence ${i}: tensor beam 1`);
              assertSameHyp(beamSearchFast(fast, src, 1, 0, 1.5, rules), greedy, `${tag}, sentence ${i}: fast beam 1`);
              // Any α: the same tokens and log-probability.
              assertSameHyp(beamSearchFast(fast, src, 1, 0.6, 1.5, rules), greedy, `${tag}, sentence ${i}: fast beam 1, α 0.6`, { score: false });
            });
          }
          assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
        } finally {
          fast.dispose();
          model.dispose();
        }
      });

      it(`${name}: n-best hypotheses in score order, distinct, the first the 1-best; the engines agree with the options on`, () => {
        const model = repetitiveModel(config({ cell, attention }), 11);
        const fast = new InferenceModel(model);
        const before = tf.memory().numTensors;
        try {
          for (const rules of RULES) {
            eachSentence((s, src, i) => {
              const tag = `${name} ${JSON.stringify(rules)}, sentence ${i}`;
              const list = beamSearchFastNBest(fast, src, 4, 0.6, 1.5, { ...rules, nBest: 4, topK: 2 });
              assert.equal(list.length, 4, `${tag}: four hypotheses`);
              for (let k = 1; k < list.length; k++) assert.ok(list[k - 1].score >= list[k].score, `${tag}: scores ${list.map((h) => h.score)}`);
              assert.equal(new Set(list.map((h) => h.ids.join(','))).size, list.length, `${tag}: distinct`);
              assertSameHyp(list[0], beamSearchFast(fast, src, 4, 0.6, 1.5, { ...rules, topK: 2 }), `${tag}: first = 1-best`);
              const ref = beamSearchNBest(model, s, 4, 0.6, 1.5, { ...rules, nBest: 4, topK: 2 });
              assert.equal(ref.length, list.length, `${tag}: tensor list length`);
              list.forEach((h, k) => assertSameHyp(h, ref[k], `${tag}: hypothesis ${k}, fast vs tensor`, { attention: true }));
              // Fewer than the beam: the top of the same list.
              const two = beamSearchFastNBest(fast, src, 4, 0.6, 1.5, { ...rules, nBest: 2 });
              two.forEach((h, k) => assertSameHyp(h, list[k], `${tag}: 2-best vs 4-best ${k}`));
            });
          }
          assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
        } finally {
          fast.dispose();
          model.dispose();
        }
      });
    }
  }

  it('no-repeat n-gram size n: no output of greedy or beam search (any n-best entry) contains an n-gram twice (property)', () => {
    const models = new Map<string, { model: Seq2SeqModel; fast: InferenceModel }>();
    try {
      // The property is not vacuous: unconstrained, these models repeat.
      const probe = repetitiveModel(config({ attention: 'bahdanau' }), 3);
      const probeFast = new InferenceModel(probe);
      try {
        const free = greedyDecodeFast(probeFast, [...SENTENCES[0], EOS_ID], 1.5);
        assert.ok(hasRepeatedNgram(free.ids, 2), `without the rule the output repeats a bigram: ${free.ids}`);
        assert.ok(!hasRepeatedNgram(greedyDecodeFast(probeFast, [...SENTENCES[0], EOS_ID], 1.5, { noRepeatNgramSize: 2 }).ids, 2));
      } finally {
        probeFast.dispose();
        probe.dispose();
      }
      fc.assert(
        fc.property(
          fc.constantFrom(...ATTENTIONS),
          fc.constantFrom(...CELLS),
          fc.integer({ min: 1, max: 4 }),
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 4 }),
          fc.array(fc.integer({ min: 4, max: SRC_VOCAB - 1 }), { minLength: 1, maxLength: 8 }),
          fc.constantFrom(1, 1.5),
          (attention, cell, seed, n, beam, sentence, theta) => {
            const key = `${attention}/${cell}/${seed}`;
            let m = models.get(key);
            if (!m) {
              const model = repetitiveModel(config({ attention, cell }), seed, [4 + seed, 9 + seed]);
              m = { model, fast: new InferenceModel(model) };
              models.set(key, m);
            }
            const src = [...sentence, EOS_ID];
            const rules = { noRepeatNgramSize: n, repetitionPenalty: theta };
            const outputs = [greedyDecodeFast(m.fast, src, 2, rules), ...beamSearchFastNBest(m.fast, src, beam, 0.6, 2, { ...rules, nBest: beam })];
            for (const h of outputs) assert.ok(!hasRepeatedNgram(h.ids, n), `${key}, n ${n}, beam ${beam}: ${h.ids}`);
          },
        ),
        { numRuns: 120, seed: 20261201 },
      );
    } finally {
      for (const m of models.values()) {
        m.fast.dispose();
        m.model.dispose();
      }
    }
  });

  it('bannedNgramTokens bans exactly the tokens completing an n-gram already in the hypothesis', () => {
    assert.deepEqual([...bannedNgramTokens([], 2)], []);
    assert.deepEqual([...bannedNgramTokens([5, 6, 5, 7], 1)].sort(), [5, 6, 7]);
    // Bigrams (5,6), (6,5), (5,7); the hypothesis ends in 7: nothing starts with 7 yet.
    assert.deepEqual([...bannedNgramTokens([5, 6, 5, 7], 2)], []);
    // Ends in 5: (5,6) and (5,7) would repeat.
    assert.deepEqual([...bannedNgramTokens([5, 6, 5, 7, 5], 2)].sort(), [6, 7]);
    // Trigrams: ends in (6,5); (6,5,7) exists.
    assert.deepEqual([...bannedNgramTokens([5, 6, 5, 7, 6, 5], 3)], [7]);
    assert.deepEqual([...bannedNgramTokens([5, 6], 3)], []);
    assert.deepEqual([...bannedNgramTokens([5, 6], 0)], []);
  });

  it('repetition penalty: θ = 1 changes nothing; θ > 1 divides the probability of tokens already generated by θ', () => {
    // A constructed distribution over 8 tokens.
    const logits = [0.3, -1, 2, 0.5, 1.5, 1.2, -0.4, 0.9];
    const z = Math.log(logits.reduce((s, x) => s + Math.exp(x), 0));
    const row = Float32Array.from(logits.map((x) => x - z));
    assert.equal(searchScores(row, 0, 8, [4, 5, 4], { repetitionPenalty: 1 }).row, row, 'θ = 1: the row itself');
    const theta = 2.5;
    const pen = searchScores(row, 0, 8, [4, 5, 4], { repetitionPenalty: theta });
    for (let v = 0; v < 8; v++) {
      const p = Math.exp(row[v]);
      const q = Math.exp(pen.row[pen.offset + v]);
      if (v === 4 || v === 5) close(q, p / theta, `token ${v}: p / θ`, 1e-7);
      else close(q, p, `token ${v}: unchanged`, 1e-7);
    }
    // Here token 4 is the arg-max of the model, and the penalty moves greedy's choice off it.
    const argmax = (r: ArrayLike<number>) => Array.from(r).indexOf(Math.max(...Array.from(r)));
    assert.equal(argmax(row), 2);
    assert.equal(argmax(searchScores(row, 0, 8, [2], { repetitionPenalty: 2 }).row), 4);
    // With the ban: −∞ for the banned token, the penalty for the others.
    const both = searchScores(row, 0, 8, [4, 5, 4], { repetitionPenalty: theta, noRepeatNgramSize: 2 });
    assert.equal(both.row[both.offset + 5], -Infinity, '(4, 5) would repeat');
    close(both.row[both.offset + 4], row[4] - Math.log(theta), 'token 4 penalised');
  });

  it('repetition penalty in decoding: θ = 1 is the plain search; θ > 1 repeats less, and score = logProb − r · log θ', () => {
    const model = repetitiveModel(config({ attention: 'luong-general', cell: 'lstm' }), 5);
    const fast = new InferenceModel(model);
    try {
      const repeats = new Map<number, number>();
      eachSentence((s, src, i) => {
        for (const [a, b] of [
          [greedyDecode(model, s, 1.5, { repetitionPenalty: 1 })[0], greedyDecode(model, s, 1.5)[0]],
          [greedyDecodeFast(fast, src, 1.5, { repetitionPenalty: 1, noRepeatNgramSize: 0 }), greedyDecodeFast(fast, src, 1.5)],
          [beamSearchFast(fast, src, 3, 0.6, 1.5, { repetitionPenalty: 1 }), beamSearchFast(fast, src, 3, 0.6, 1.5)],
          [beamSearchNBest(model, s, 3, 0.6, 1.5, { repetitionPenalty: 1 })[0], beamSearchNBest(model, s, 3, 0.6, 1.5)[0]],
        ]) {
          assert.deepEqual(a, b, `sentence ${i}: θ = 1 gives exactly the plain search`);
        }
        for (const theta of [1, 1.5, 3, 10]) {
          const g = greedyDecodeFast(fast, src, 1.5, { repetitionPenalty: theta });
          const r = repeatedTokens(g.ids);
          repeats.set(theta, (repeats.get(theta) ?? 0) + r);
          close(g.score, g.logProb - r * Math.log(theta), `sentence ${i}, θ ${theta}: greedy score`);
          const b = beamSearchFast(fast, src, 3, 0, 1.5, { repetitionPenalty: theta });
          close(b.score, b.logProb - repeatedTokens(b.ids) * Math.log(theta), `sentence ${i}, θ ${theta}: beam score (α 0)`);
        }
      });
      const counts = [1, 1.5, 3, 10].map((t) => repeats.get(t)!);
      assert.ok(counts[0] > 0, 'the model repeats without a penalty');
      for (let k = 1; k < counts.length; k++) assert.ok(counts[k] <= counts[k - 1], `repeated tokens by θ: ${counts}`);
      assert.ok(counts[3] < counts[0], `a large θ repeats less: ${counts}`);
    } finally {
      fast.dispose();
      model.dispose();
    }
  });

  it('decodeAll applies the rules to batched greedy and to beam search', () => {
    const model = repetitiveModel(config({ attention: 'bahdanau' }), 2);
    try {
      for (const beamSize of [1, 3]) {
        const opts = { beamSize, lengthPenalty: 0.6, maxOutputRatio: 1.5, batchSize: 2, noRepeatNgramSize: 2 };
        const got = decodeAll(model, SENTENCES, opts);
        for (const h of got) assert.ok(!hasRepeatedNgram(h.ids, 2), `beam ${beamSize}: ${h.ids}`);
        const plain = decodeAll(model, SENTENCES, { ...opts, noRepeatNgramSize: 0 });
        assert.ok(plain.some((h) => hasRepeatedNgram(h.ids, 2)), `beam ${beamSize}: without the rule some output repeats`);
      }
    } finally {
      model.dispose();
    }
  });

  it('rejects an n-best above the beam and bad rule values', () => {
    const model = repetitiveModel(config({}), 1);
    const fast = new InferenceModel(model);
    try {
      assert.throws(() => beamSearchFastNBest(fast, [4, EOS_ID], 2, 1, 1, { nBest: 3 }), /nBest/);
      assert.throws(() => beamSearchFastNBest(fast, [4, EOS_ID], 2, 1, 1, { nBest: 0 }), /nBest/);
      assert.throws(() => greedyDecodeFast(fast, [4, EOS_ID], 1, { noRepeatNgramSize: 1.5 }), /noRepeatNgramSize/);
      assert.throws(() => greedyDecodeFast(fast, [4, EOS_ID], 1, { repetitionPenalty: 0 }), /repetitionPenalty/);
    } finally {
      fast.dispose();
      model.dispose();
    }
  });

  describe('Translator and `seq2seq translate --n-best` on a trained model', function () {
    let dir: string;
    let runDir: string;
    const BIN = path.join(__dirname, '..', 'bin', 'seq2seq.js');
    const cli = (args: string[], input: string) => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 300000 });

    before(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-nbest-'));
      const pairs = ['a b c', 'b c d', 'c d e', 'd e a', 'e a b', 'a c e', 'b d a', 'c e b'].map((s) => `${s}\t${s.split(' ').reverse().join(' ')}`);
      await fs.writeFile(path.join(dir, 'train.tsv'), pairs.join('\n') + '\n');
      const config = withDefaults({
        data: { train: path.join(dir, 'train.tsv'), valid: path.join(dir, 'train.tsv'), test: path.join(dir, 'train.tsv') },
        model: { embeddingSize: 8, hiddenSize: 16, dropout: 0 },
        train: { batchSize: 4, epochs: 6, logEvery: 1, validEvery: 0, earlyStoppingPatience: 0, threads: 1, nBest: 3, beamSize: 1 },
      });
      runDir = path.join(dir, 'run');
      await train({ config, outDir: runDir, resume: false });
    });
    after(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('Translator: the n best (the run’s train.nBest by default) in score order, the same in both engines, the first the translation', async () => {
      const t = await Translator.load(runDir);
      try {
        for (const rules of [{}, { noRepeatNgramSize: 1, repetitionPenalty: 1.4 }]) {
          const fastT = t.translate('a b c d', rules);
          const tensorT = t.translate('a b c d', { ...rules, engine: 'tensor' });
          assert.equal(fastT.nBest?.length, 3, 'train.nBest = 3 widens the beam to 3');
          assert.equal(fastT.nBest![0].text, fastT.text);
          close(fastT.nBest![0].score, fastT.score!, 'first = the translation');
          for (let k = 1; k < 3; k++) assert.ok(fastT.nBest![k - 1].score >= fastT.nBest![k].score);
          fastT.nBest!.forEach((e, k) => {
            assert.deepEqual(e.tokens, tensorT.nBest![k].tokens, `hypothesis ${k}: tokens`);
            close(e.score, tensorT.nBest![k].score, `hypothesis ${k}: score`);
            close(e.logProb, tensorT.nBest![k].logProb, `hypothesis ${k}: logProb`);
          });
          if ('noRepeatNgramSize' in rules) for (const e of fastT.nBest!) assert.equal(new Set(e.tokens).size, e.tokens.length, `no token twice: ${e.tokens}`);
        }
        assert.equal(t.translate('a b c d', { nBest: 1 }).nBest, undefined, 'n-best 1: no list');
      } finally {
        t.dispose();
      }
    });

    it('CLI: --n-best N prints N "score<TAB>translation" lines per input, best first, and a blank line; --json carries nBest', () => {
      const r = cli(['translate', '--model', runDir, '--n-best', '4'], 'a b c\n\nc d e\n');
      assert.equal(r.status, 0, r.stderr);
      // Per input line a block of 4 lines then a blank line; the blank input line gives just the blank line.
      const lines = r.stdout.split('\n');
      assert.equal(lines.pop(), '', 'output ends with a newline');
      assert.equal(lines.length, 4 + 1 + 1 + 4 + 1, JSON.stringify(r.stdout));
      assert.deepEqual([lines[4], lines[5], lines[10]], ['', '', ''], JSON.stringify(r.stdout));
      const blocks = [lines.slice(0, 4), lines.slice(6, 10)];
      for (const block of blocks) {
        const scores = block.map((l) => {
          const m = /^(-?\d+\.\d{4})\t(.*)$/.exec(l);
          assert.ok(m, `score<TAB>translation: ${JSON.stringify(l)}`);
          return Number(m[1]);
        });
        for (let k = 1; k < 4; k++) assert.ok(scores[k - 1] >= scores[k], `best first: ${scores}`);
        assert.equal(new Set(block.map((l) => l.split('\t')[1])).size, 4, 'distinct translations');
      }
      // The first of each block is what the 4-beam translation prints.
      const best = cli(['translate', '--model', runDir, '--beam', '4', '--n-best', '1'], 'a b c\n\nc d e\n');
      assert.equal(best.status, 0, best.stderr);
      assert.deepEqual(best.stdout.split('\n').slice(0, 3), [blocks[0][0].split('\t')[1], '', blocks[1][0].split('\t')[1]]);

      const js = cli(['translate', '--model', runDir, '--n-best', '2', '--no-repeat-ngram', '1', '--repetition-penalty', '1.5', '--json'], 'a b c\n');
      assert.equal(js.status, 0, js.stderr);
      const obj = JSON.parse(js.stdout);
      assert.equal(obj.nBest.length, 2);
      assert.deepEqual(Object.keys(obj.nBest[0]).sort(), ['logProb', 'score', 'text', 'tokens']);
      assert.equal(obj.nBest[0].text, obj.text);
      for (const e of obj.nBest) assert.equal(new Set(e.tokens).size, e.tokens.length, `no token twice: ${e.tokens}`);

      const ev = cli(['eval', '--model', runDir, '--test', path.join(dir, 'train.tsv'), '--no-repeat-ngram', '2', '--repetition-penalty', '1.2', '--beam', '2', '--json'], '');
      assert.equal(ev.status, 0, ev.stderr);
      assert.equal(JSON.parse(ev.stdout).sentences, 8);
      const bad = cli(['translate', '--model', runDir, '--repetition-penalty', '0'], 'a\n');
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /repetition-penalty/);
    });

    it('inference worker: a translate request with nBest returns the n best (what Translate Selection (n-best)… offers)', async () => {
      const client = new InferenceClient({ workerPath: path.join(__dirname, '..', 'dist', 'inference.js') });
      try {
        await client.ensureLoaded(runDir);
        const { translations } = await client.translate(['a b c', ''], { nBest: 5 }).result;
        assert.equal(translations[0].nBest?.length, 5);
        assert.equal(translations[0].nBest![0].text, translations[0].text);
        assert.equal(translations[1].nBest, undefined, 'a blank line: nothing to pick');
        // Without nBest: the run's train.nBest (3).
        const dflt = await client.translate(['a b c']).result;
        assert.equal(dflt.translations[0].nBest?.length, 3);
        const items = nBestPickItems(translations[0].nBest!);
        assert.deepEqual(
          items.map((i) => i.index),
          [0, 1, 2, 3, 4],
        );
        items.forEach((it, k) => {
          const e = translations[0].nBest![k];
          assert.equal(it.label, e.text === '' ? '(no output: the model ended the translation at once)' : e.text);
          assert.equal(it.description, `score ${e.score.toFixed(3)} · log-prob ${e.logProb.toFixed(3)}`);
        });
      } finally {
        client.dispose();
      }
    });
  });
});

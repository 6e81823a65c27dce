/**
 * Forced decoding (`SearchOptions.prefix` in src/core/decoding/search.ts) and
 * the tools built on it (src/core/decoding/forced.ts): what-if decoding, the
 * reference's score, exposure bias, search error or model error, coverage,
 * and where a reference fell out of the beam (src/core/decoding/beamTree.ts).
 * Properties (fast-check) for every model family — GRU and LSTM with no
 * attention, Bahdanau, Luong dot and Luong general attention, and the
 * Transformer — in both decoding engines where the family has both.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/kernels/backend';
import { AttentionKind, CellKind, DEFAULT_MODEL, DEFAULT_TRANSFORMER, ModelConfig } from '../src/core/config/config';
import { makeBatch } from '../src/core/data/batching';
import { EOS_ID } from '../src/core/data/vocabulary';
import { batchTensors } from '../src/core/metrics/evaluation';
import { createModel, type AnyModel } from '../src/core/model/index';
import { Seq2SeqModel } from '../src/core/model/seq2seq';
import { TransformerModel } from '../src/core/model/transformer/model';
import { InferenceModel } from '../src/core/decoding/inference';
import { BeamTreeRecorder, referenceFallOut } from '../src/core/decoding/beamTree';
import { Random } from '../src/core/random';
import { greedyDecode, greedyDecodeFast, beamSearchFastNBest, type Hypothesis, type SearchOptions } from '../src/core/decoding/search';
import {
  continueAfter,
  coverage,
  exposureBias,
  fastSentence,
  forceTarget,
  judgeOutput,
  searchScore,
  tensorSentence,
  type SentenceSearch,
} from '../src/core/decoding/forced';

const SRC_VOCAB = 23;
const TGT_VOCAB = 19;
const ATTENTIONS: AttentionKind[] = ['none', 'bahdanau', 'luong-dot', 'luong-general'];
const CELLS: CellKind[] = ['gru', 'lstm'];
const RULES: SearchOptions[] = [{}, { noRepeatNgramSize: 2 }, { repetitionPenalty: 1.6 }];

/** A model family under test: its name and how to build one. */
interface Family {
  name: string;
  config: ModelConfig;
}

const FAMILIES: Family[] = [
  ...CELLS.flatMap((cell) =>
    ATTENTIONS.map((attention) => ({
      name: `${cell} + ${attention}`,
      config: { ...DEFAULT_MODEL, cell, attention, embeddingSize: 8, hiddenSize: 10, layers: 1, bidirectional: true, dropout: 0 },
    })),
  ),
  {
    name: 'transformer',
    config: { ...DEFAULT_MODEL, type: 'transformer', dropout: 0, transformer: { ...DEFAULT_TRANSFORMER, layers: 2, heads: 2, modelSize: 8, ffSize: 16 } },
  },
];

/**
 * A random model with peaked output distributions and `<eos>` made less
 * likely, so that outputs run for several steps and greedy and beam search
 * disagree now and then.
 */
function sharpModel(f: Family, seed: number): AnyModel {
  const m = createModel(f.config, SRC_VOCAB, TGT_VOCAB, seed);
  tf.tidy(() => {
    const wout = m.params.get('decoder/Wout');
    wout.assign(tf.mul(wout, f.config.type === 'transformer' ? 6 : 4));
    const shift = new Float32Array(TGT_VOCAB);
    shift[EOS_ID] = -1.5;
    const bout = m.params.get('decoder/bout');
    bout.assign(tf.add(bout, tf.tensor1d(shift)));
  });
  return m;
}

/** Built models, by family and seed, each with its fast engine when it has one. */
const built = new Map<string, { model: AnyModel; fast?: InferenceModel }>();
function get(f: Family, seed: number): { model: AnyModel; fast?: InferenceModel } {
  const key = `${f.name}/${seed}`;
  let m = built.get(key);
  if (!m) {
    const model = sharpModel(f, seed);
    m = { model, fast: model instanceof Seq2SeqModel ? new InferenceModel(model) : undefined };
    built.set(key, m);
  }
  return m;
}

/** Run `body` with the sentence in each engine the family has (tensor first). */
function engines(m: { model: AnyModel; fast?: InferenceModel }, src: number[], body: (s: SentenceSearch) => void): void {
  const t = tensorSentence(m.model, src, 1.5);
  try {
    body(t);
  } finally {
    t.dispose();
  }
  if (m.fast) body(fastSentence(m.fast, src, 1.5));
}

function close(a: number, b: number, what: string, tol = 1e-4): void {
  assert.ok(Math.abs(a - b) <= tol || (a === b), `${what}: ${a} vs ${b}`);
}

function closeAll(a: readonly number[], b: readonly number[], what: string, tol = 1e-4): void {
  assert.equal(a.length, b.length, `${what}: length`);
  a.forEach((x, i) => close(x, b[i], `${what}[${i}]`, tol));
}

function closeMatrix(a: number[][], b: number[][], what: string, tol = 1e-5): void {
  assert.equal(a.length, b.length, `${what}: rows`);
  a.forEach((row, i) => closeAll(row, b[i], `${what}[${i}]`, tol));
}

/** The output as forced-decoding input: its tokens, then `<eos>` when it produced one. */
const asPrefix = (h: Hypothesis) => (h.finished ? [...h.ids, EOS_ID] : [...h.ids]);

const sentenceArb = fc.array(fc.integer({ min: 4, max: SRC_VOCAB - 1 }), { minLength: 1, maxLength: 7 });
const referenceArb = fc.array(fc.integer({ min: 4, max: TGT_VOCAB - 1 }), { minLength: 0, maxLength: 8 });
const familyArb = fc.constantFrom(...FAMILIES);
const seedArb = fc.integer({ min: 1, max: 3 });

describe('forced decoding: what-if, reference score, exposure bias, search errors, coverage', function () {
  this.timeout(900_000);
  before(async () => {
    await initBackend();
  });
  after(() => {
    for (const m of built.values()) {
      m.fast?.dispose();
      m.model.dispose();
    }
    built.clear();
  });

  it('forcing the greedy output (any prefix of it) and continuing greedily gives the greedy output, in every family and engine (property)', () => {
    fc.assert(
      fc.property(familyArb, seedArb, sentenceArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...RULES), (f, seed, src, frac, rules) => {
        const m = get(f, seed);
        engines(m, src, (s) => {
          const tag = `${f.name}/${seed} ${s.engine} ${JSON.stringify(rules)} src ${src}`;
          const greedy = s.search(1, 0, { ...rules, topK: 3 })[0];
          const full = asPrefix(greedy);
          const k = Math.round(frac * full.length);
          const [cont] = continueAfter(s, full.slice(0, k), { beamSize: 1, lengthPenalty: 0, ...rules, topK: 3 });
          assert.deepEqual(cont.ids, greedy.ids, `${tag}, prefix ${k}: tokens`);
          assert.equal(cont.finished, greedy.finished, `${tag}: finished`);
          assert.equal(cont.forced, k > 0 ? k : undefined, `${tag}: forced steps`);
          close(cont.logProb, greedy.logProb, `${tag}: logProb`);
          close(cont.score, greedy.score, `${tag}: score`);
          closeAll(cont.tokenLogProbs!, greedy.tokenLogProbs!, `${tag}: tokenLogProbs`);
          closeMatrix(cont.attention, greedy.attention, `${tag}: attention`);
          assert.deepEqual(cont.candidates!.map((r) => r.map((c) => c.id)), greedy.candidates!.map((r) => r.map((c) => c.id)), `${tag}: candidates`);
        });
      }),
      { numRuns: 60, seed: 18 },
    );
  });

  it('the reference score is the sum of its per-token log-probabilities, equals the teacher-forced loss, and at beam 1 with the greedy output as reference equals the greedy score (property)', () => {
    fc.assert(
      fc.property(familyArb, seedArb, sentenceArb, referenceArb, (f, seed, src, ref) => {
        const m = get(f, seed);
        // Independently: the training graph's teacher-forced NLL of the pair (a batch of one).
        const b = batchTensors(makeBatch([{ src, tgt: ref }], [0]));
        const nll = tf.tidy(() => m.model.loss(b, ref.length + 1, { training: false, teacherForcing: 1, random: new Random(0) }).nllSum.dataSync()[0]);
        tf.dispose([b.srcIds, b.srcMask, b.tgtIn]);
        engines(m, src, (s) => {
          const tag = `${f.name}/${seed} ${s.engine} src ${src} ref ${ref}`;
          const r = forceTarget(s, ref, { beamSize: 1, lengthPenalty: 1 });
          assert.equal(r.tokenLogProbs.length, ref.length + 1, `${tag}: one log-prob per token and <eos>`);
          close(r.logProb, r.tokenLogProbs.reduce((a, x) => a + x, 0), `${tag}: Σ token log-probs`, 1e-9);
          close(r.logProb, -nll, `${tag}: −(teacher-forced NLL)`, 2e-4);
          close(r.perToken, r.logProb / (ref.length + 1), `${tag}: per token`, 1e-12);
          close(r.score, r.logProb, `${tag}: greedy score without rules = log-prob`, 1e-9);
          // Length-normalised under beam search's penalty.
          close(forceTarget(s, ref, { beamSize: 4, lengthPenalty: 0.7 }).score, r.logProb / Math.pow((5 + ref.length + 1) / 6, 0.7), `${tag}: GNMT-normalised`, 1e-6);
          // Prefix-consistency: forcing only the first tokens gives the first log-probs.
          const part = forceTarget(s, ref.slice(0, 2), { beamSize: 1, lengthPenalty: 1, complete: false });
          closeAll(part.tokenLogProbs, r.tokenLogProbs.slice(0, Math.min(2, ref.length)), `${tag}: prefix only`, 1e-5);
          // The greedy output as the reference scores exactly what greedy search scored it.
          for (const rules of RULES) {
            const greedy = s.search(1, 0, rules)[0];
            if (!greedy.finished) continue;
            const g = forceTarget(s, greedy.ids, { beamSize: 1, lengthPenalty: 1, ...rules });
            close(g.score, greedy.score, `${tag} ${JSON.stringify(rules)}: greedy score`);
            close(g.logProb, greedy.logProb, `${tag} ${JSON.stringify(rules)}: greedy log-prob`);
            assert.equal(judgeOutput(greedy, { ids: greedy.ids, score: g.score }), 'correct');
          }
          // And beam search's output scores what beam search ranked it by.
          const beam = s.search(3, 0.6, { nBest: 1 })[0];
          if (beam.finished) close(forceTarget(s, beam.ids, { beamSize: 3, lengthPenalty: 0.6 }).score, beam.score, `${tag}: beam 3 score`);
        });
      }),
      { numRuns: 60, seed: 1801 },
    );
  });

  it('coverage sums to the number of target steps, for outputs and forced references (property)', () => {
    fc.assert(
      fc.property(familyArb, seedArb, sentenceArb, referenceArb, (f, seed, src, ref) => {
        const m = get(f, seed);
        engines(m, src, (s) => {
          for (const attention of [s.search(1, 0, {})[0].attention, s.search(3, 0.6, {})[0].attention, forceTarget(s, ref, { beamSize: 1, lengthPenalty: 1 }).attention]) {
            const c = coverage(attention);
            if (f.config.attention === 'none' && f.config.type !== 'transformer') {
              assert.deepEqual(c, [], 'no attention, no coverage');
              continue;
            }
            assert.equal(c.length, src.length + 1, 'one entry per source token and <eos>');
            close(c.reduce((a, x) => a + x, 0), attention.length, `${f.name} ${s.engine}: Σ coverage = target steps`, 1e-4);
            assert.ok(c.every((x) => x >= 0));
          }
        });
      }),
      { numRuns: 40, seed: 1802 },
    );
  });

  it('every quantity is equal in the two decoding engines, for each cell and attention kind (property)', () => {
    const rnn = FAMILIES.filter((f) => f.config.type !== 'transformer');
    fc.assert(
      fc.property(fc.constantFrom(...rnn), seedArb, sentenceArb, referenceArb, fc.integer({ min: 1, max: 4 }), fc.constantFrom(...RULES), (f, seed, src, ref, beam, rules) => {
        const m = get(f, seed);
        const tensor = tensorSentence(m.model, src, 1.5);
        const fast = fastSentence(m.fast!, src, 1.5);
        const tag = `${f.name}/${seed} src ${src} ref ${ref} beam ${beam} ${JSON.stringify(rules)}`;
        try {
          const opts = { beamSize: beam, lengthPenalty: 0.6, ...rules, topK: 3 };
          // The reference's score.
          const [a, b] = [tensor, fast].map((s) => forceTarget(s, ref, opts));
          closeAll(a.tokenLogProbs, b.tokenLogProbs, `${tag}: reference token log-probs`);
          close(a.score, b.score, `${tag}: reference score`);
          closeMatrix(a.attention, b.attention, `${tag}: forced alignment`);
          a.candidates!.forEach((row, t) => closeAll(row.map((c) => c.prob), b.candidates![t].map((c) => c.prob), `${tag}: candidates step ${t}`, 1e-5));
          // What-if: a forced prefix, then the search.
          const prefix = ref.slice(0, 2);
          const trees = [new BeamTreeRecorder(), new BeamTreeRecorder()];
          const [ca, cb] = [tensor, fast].map((s, i) => continueAfter(s, prefix, { ...opts, nBest: beam, tree: trees[i] }));
          assert.equal(ca.length, cb.length);
          ca.forEach((h, k) => {
            assert.deepEqual(h.ids, cb[k].ids, `${tag}: continuation ${k} tokens`);
            assert.deepEqual(h.ids.slice(0, prefix.length), prefix, `${tag}: starts with the prefix`);
            close(h.score, cb[k].score, `${tag}: continuation ${k} score`);
            closeAll(h.tokenLogProbs!, cb[k].tokenLogProbs!, `${tag}: continuation ${k} token log-probs`);
          });
          if (beam > 1) assert.deepEqual(trees[0].nodes.map((n) => [n.parent, n.token, n.status]), trees[1].nodes.map((n) => [n.parent, n.token, n.status]), `${tag}: trees`);
          // Exposure bias.
          const [ea, eb] = [tensor, fast].map((s) => exposureBias(s, ref, rules));
          closeAll(ea.teacherForced, eb.teacherForced, `${tag}: teacher-forced track`);
          assert.deepEqual(ea.ownPrefix.map((x) => x === null), eb.ownPrefix.map((x) => x === null));
          ea.ownPrefix.forEach((x, t) => x !== null && close(x, eb.ownPrefix[t]!, `${tag}: own-prefix track ${t}`));
          assert.equal(ea.divergence, eb.divergence, `${tag}: divergence`);
          // The verdict and where the reference fell out of the beam.
          const [oa, ob] = [tensor, fast].map((s) => s.search(beam, 0.6, { ...rules }));
          assert.equal(judgeOutput(oa[0], a), judgeOutput(ob[0], b), `${tag}: verdict`);
          const target = [...ref, EOS_ID];
          const [ta, tb] = [tensor, fast].map((s) => {
            const tree = new BeamTreeRecorder();
            s.search(Math.max(2, beam), 0.6, { ...rules, tree });
            return referenceFallOut(tree.nodes, target);
          });
          assert.deepEqual(ta, tb, `${tag}: fall-out`);
        } finally {
          tensor.dispose();
        }
      }),
      { numRuns: 60, seed: 1803 },
    );
  });

  it('the Transformer: forced decoding step by step equals the parallel teacher-forced pass (property)', () => {
    const f = FAMILIES.find((x) => x.config.type === 'transformer')!;
    fc.assert(
      fc.property(seedArb, sentenceArb, referenceArb, (seed, src, ref) => {
        const m = get(f, seed).model as TransformerModel;
        const s = tensorSentence(m, src, 1.5);
        try {
          const r = forceTarget(s, ref, { beamSize: 1, lengthPenalty: 1, topK: 2 });
          const b = makeBatch([{ src, tgt: ref }], [0]);
          const t = batchTensors(b);
          const lp = tf.tidy(() => m.teacherForcedLogProbs(t.srcIds, t.srcMask, t.tgtIn).arraySync()[0]);
          tf.dispose([t.srcIds, t.srcMask, t.tgtIn]);
          const gold = [...ref, EOS_ID];
          closeAll(r.tokenLogProbs, gold.map((y, i) => lp[i][y]), `src ${src} ref ${ref}: token log-probs`, 1e-4);
          r.candidates!.forEach((row, i) => close(row[0].prob, Math.exp(Math.max(...lp[i])), `step ${i}: top candidate`, 1e-4));
        } finally {
          s.dispose();
        }
      }),
      { numRuns: 25, seed: 1804 },
    );
  });

  it('exposure bias: the two tracks agree up to the first divergence; the greedy output as reference gives equal tracks and no divergence (property)', () => {
    let diverged = 0;
    fc.assert(
      fc.property(familyArb, seedArb, sentenceArb, referenceArb, (f, seed, src, ref) => {
        const m = get(f, seed);
        engines(m, src, (s) => {
          const tag = `${f.name}/${seed} ${s.engine} src ${src} ref ${ref}`;
          const e = exposureBias(s, ref);
          assert.equal(e.teacherForced.length, ref.length + 1);
          assert.equal(e.ownPrefix.length, ref.length + 1);
          const last = e.divergence < 0 ? ref.length : e.divergence;
          for (let t = 0; t <= last; t++) close(e.ownPrefix[t]!, e.teacherForced[t], `${tag}: step ${t} ≤ divergence ${e.divergence}`);
          if (e.divergence >= 0) {
            diverged++;
            assert.notEqual([...e.greedy.ids, ...(e.greedy.finished ? [EOS_ID] : [])][e.divergence], [...ref, EOS_ID][e.divergence]);
          }
          // Greedy's own output as the reference: the model always reads its own prefix.
          if (e.greedy.finished) {
            const own = exposureBias(s, e.greedy.ids);
            assert.equal(own.divergence, -1, `${tag}: greedy output as reference`);
            own.ownPrefix.forEach((x, t) => close(x!, own.teacherForced[t], `${tag}: own track ${t}`));
          }
        });
      }),
      { numRuns: 40, seed: 1805 },
    );
    assert.ok(diverged > 0, 'some references leave greedy decoding');
  });

  it('search error or model error: a reference the model prefers over greedy’s output is a search error at beam 1, and beam search can find it', () => {
    // Non-vacuous: look for sentences where beam 8 finds an output greedy missed, and score it as a reference.
    let found = 0;
    for (const f of FAMILIES) {
      for (const seed of [1, 2, 3]) {
        const m = get(f, seed);
        for (const src of [[4, 5, 6], [7, 8, 9, 10, 11], [12], [13, 14, 15, 16, 17, 18, 19]]) {
          engines(m, src, (s) => {
            const greedy = s.search(1, 0, {})[0];
            const beam = s.search(8, 0, {})[0];
            if (!beam.finished) return;
            const asRef = forceTarget(s, beam.ids, { beamSize: 1, lengthPenalty: 0 });
            const verdict = judgeOutput(greedy, asRef);
            const same = greedy.finished && greedy.ids.join() === beam.ids.join();
            if (same) assert.equal(verdict, 'correct');
            else if (asRef.score > greedy.score) {
              assert.equal(verdict, 'search-error', `${f.name}: the reference outscores greedy’s output`);
              found++;
            } else assert.equal(verdict, 'model-error');
            // At beam 8 with α = 0 the reference is beam search's own output: correct.
            assert.equal(judgeOutput(beam, forceTarget(s, beam.ids, { beamSize: 8, lengthPenalty: 0 })), 'correct');
          });
        }
      }
    }
    assert.ok(found > 0, 'greedy misses a sentence beam search finds for some model and sentence');
    assert.equal(judgeOutput({ ids: [5], finished: true, score: -3 }, { ids: [6], score: -2 }), 'search-error');
    assert.equal(judgeOutput({ ids: [5], finished: true, score: -1 }, { ids: [6], score: -2 }), 'model-error');
    assert.equal(judgeOutput({ ids: [5], finished: false, score: -1 }, { ids: [5], score: -0.5 }), 'search-error', 'an unfinished output is not the reference');
    assert.equal(searchScore(-6, 3, 1, 1), -6);
    close(searchScore(-6, 3, 2, 1), -6 / (8 / 6), 'GNMT', 1e-12);
  });

  it('where the reference fell out of the beam: its path is kept up to there, then pruned or not ranked; finished hypotheses never fall out (property)', () => {
    let fellWithNode = 0;
    const rnnAndTransformer = [FAMILIES[1], FAMILIES[6], FAMILIES[8]];
    fc.assert(
      fc.property(fc.constantFrom(...rnnAndTransformer), seedArb, sentenceArb, referenceArb, fc.integer({ min: 2, max: 4 }), (f, seed, src, ref, beam) => {
        const m = get(f, seed);
        engines(m, src, (s) => {
          const tree = new BeamTreeRecorder();
          s.search(beam, 0.6, { tree, nBest: 1 });
          for (const fin of tree.finished) {
            if (fin.hypothesis.finished) assert.equal(referenceFallOut(tree.nodes, [...fin.hypothesis.ids, EOS_ID]), undefined, 'a finished hypothesis was kept to its end');
          }
          const target = [...ref, EOS_ID];
          const out = referenceFallOut(tree.nodes, target);
          if (!out) return;
          // The path to `parent` spells the reference's first step − 1 tokens, all kept.
          const path: number[] = [];
          for (let n = out.parent; n > 0; n = tree.nodes[n].parent) {
            assert.ok(tree.nodes[n].status === 'kept' || tree.nodes[n].status === 'finished');
            path.unshift(tree.nodes[n].token);
          }
          assert.deepEqual(path, target.slice(0, out.step - 1));
          if (out.node !== undefined) {
            fellWithNode++;
            assert.equal(tree.nodes[out.node].status, 'pruned');
            assert.equal(tree.nodes[out.node].token, target[out.step - 1]);
          }
        });
      }),
      { numRuns: 50, seed: 1806 },
    );
    assert.ok(fellWithNode > 0, 'some references are pruned where the tree shows it');
  });

  it('forced decoding with no-repeat rules scores a banned reference token −∞; bad prefixes are refused', () => {
    const m = get(FAMILIES[1], 1);
    const s = fastSentence(m.fast!, [4, 5], 1.5);
    const r = forceTarget(s, [6, 6], { beamSize: 1, lengthPenalty: 1, noRepeatNgramSize: 1 });
    assert.equal(r.score, -Infinity, 'the second 6 repeats a unigram');
    assert.ok(Number.isFinite(r.logProb), 'the model’s log-probability stays finite');
    assert.throws(() => s.search(1, 0, { prefix: [6, EOS_ID, 7] }), /<eos> may only end a forced prefix/);
    assert.throws(() => s.search(1, 0, { prefix: [TGT_VOCAB] }), /prefix\[0\] = 19 is outside the target vocabulary/);
    assert.throws(() => s.search(2, 0, { probe: [4] }), /probe is recorded by greedy search only/);
    assert.throws(() => greedyDecodeFast(m.fast!, [4, EOS_ID], 1.5, { probe: [-1] }), /probe\[0\]/);
    // prefixOnly with nothing forced: nothing decoded.
    const empty = s.search(1, 0, { prefix: [], prefixOnly: true })[0];
    assert.deepEqual([empty.ids, empty.tokenLogProbs, empty.finished], [[], [], false]);
  });

  it('batched greedy decoding forces a different prefix per row, as one sentence at a time does; no tensor leaks', () => {
    const m = get(FAMILIES[2], 2);
    const sources = [[4, 5, 6], [7], [8, 9, 10, 11, 12]];
    const prefixes = [[5, 6, EOS_ID], [], new Array<number>(16).fill(7)];
    const before = tf.memory().numTensors;
    const b = makeBatch(sources.map((src) => ({ src, tgt: [] })), [0, 1, 2]);
    const s = { srcIds: tf.tensor2d(b.srcIds, [3, b.srcLen], 'int32'), srcMask: tf.tensor2d(b.srcMask, [3, b.srcLen], 'float32'), srcLengths: b.srcLengths };
    const batched = greedyDecode(m.model, s, 1.5, { prefixes, topK: 2 });
    tf.dispose([s.srcIds, s.srcMask]);
    sources.forEach((src, i) => {
      const one = fastSentence(m.fast!, src, 1.5).search(1, 0, { prefix: prefixes[i], topK: 2 })[0];
      assert.deepEqual(batched[i].ids, one.ids, `row ${i}`);
      closeAll(batched[i].tokenLogProbs!, one.tokenLogProbs!, `row ${i}`);
    });
    assert.deepEqual(batched[0].ids, [5, 6], 'a prefix ending in <eos> is the whole output');
    assert.ok(batched[0].finished);
    // The length limit of a 5-word source is ceil(1.5 · 6) + 5 = 14 tokens.
    assert.deepEqual(batched[2].ids, prefixes[2], 'a prefix beyond the length limit is decoded whole, and nothing after it');
    assert.equal(batched[2].finished, false);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    // Beam search from the same long prefix, in the fast engine: starts with it too.
    const beam = beamSearchFastNBest(m.fast!, [8, 9, 10, 11, 12, EOS_ID], 3, 0.6, 1.5, { prefix: prefixes[2], nBest: 2 });
    for (const h of beam) assert.deepEqual(h.ids, prefixes[2]);
  });
});

/**
 * The recorded beam search tree (src/core/decoding/beamTree.ts, `tree` in the beam
 * search options): what the search kept, finished and pruned at each step,
 * the same in both engines, without changing the search's result, and as
 * text in `Translation.beamTree`.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { initBackend } from '../src/core/kernels/backend';
import { BeamTreeRecorder } from '../src/core/decoding/beamTree';
import { DEFAULT_MODEL, ModelConfig, withDefaults } from '../src/core/config/config';
import { makeBatch } from '../src/core/data/batching';
import { BOS_ID, EOS_ID } from '../src/core/data/vocabulary';
import { sourceTensors } from '../src/core/metrics/evaluation';
import { InferenceModel } from '../src/core/decoding/inference';
import { Seq2SeqModel } from '../src/core/model/seq2seq';
import { beamSearchFastNBest, beamSearchNBest, Hypothesis, SearchOptions } from '../src/core/decoding/search';
import { train } from '../src/core/training/training';
import { Translator, type BeamTreeView } from '../src/core/decoding/translator';
import { beamTreeText, layoutBeamTree, pathToRoot, shortLabel } from '../src/shared/beamTreeLayout';

const SRC_VOCAB = 23;
const TGT_VOCAB = 19;

function model(seed: number, over: Partial<ModelConfig> = {}): Seq2SeqModel {
  const m = new Seq2SeqModel({ ...DEFAULT_MODEL, embeddingSize: 8, hiddenSize: 10, layers: 1, bidirectional: true, dropout: 0, ...over }, SRC_VOCAB, TGT_VOCAB, seed);
  // Sharper distributions and a lowered <eos>: hypotheses of several lengths finish.
  tf.tidy(() => {
    const wout = m.params.get('decoder/Wout');
    wout.assign(tf.mul(wout, 4));
    const shift = new Float32Array(TGT_VOCAB);
    shift[EOS_ID] = -1;
    const bout = m.params.get('decoder/bout');
    bout.assign(tf.add(bout, tf.tensor1d(shift)));
  });
  return m;
}

function tensorSearch(m: Seq2SeqModel, src: number[], beam: number, opts: SearchOptions & { tree?: BeamTreeRecorder }): Hypothesis[] {
  const s = sourceTensors(makeBatch([{ src: src.slice(0, -1), tgt: [] }], [0]));
  try {
    return beamSearchNBest(m, s, beam, 0.6, 1.5, { ...opts, nBest: beam });
  } finally {
    tf.dispose([s.srcIds, s.srcMask]);
  }
}

/** Token ids from the root to `node` (the root's `<bos>` left out). */
function pathTokens(tree: BeamTreeRecorder, node: number): number[] {
  const ids: number[] = [];
  for (let n = node; n > 0; n = tree.nodes[n].parent) ids.unshift(tree.nodes[n].token);
  return ids;
}

describe('beam search tree', function () {
  this.timeout(120_000);
  before(async () => {
    await initBackend();
  });

  it('records kept, finished and pruned expansions consistently with the search it watched', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 2, max: 5 }), fc.array(fc.integer({ min: 4, max: SRC_VOCAB - 1 }), { minLength: 1, maxLength: 8 }), (seed, beam, words) => {
        const m = model(seed);
        try {
          const src = [...words, EOS_ID];
          const tree = new BeamTreeRecorder();
          const hyps = beamSearchFastNBest(new InferenceModel(m), src, beam, 0.6, 1.5, { nBest: beam, tree });
          const plain = beamSearchFastNBest(new InferenceModel(m), src, beam, 0.6, 1.5, { nBest: beam });
          // Recording changes nothing.
          assert.deepEqual(hyps.map((h) => h.ids), plain.map((h) => h.ids));
          assert.equal(tree.nodes[0].status, 'root');
          assert.equal(tree.nodes[0].token, BOS_ID);
          const steps = new Map<number, typeof tree.nodes>();
          tree.nodes.forEach((n, i) => {
            if (i === 0) return;
            assert.ok(n.parent >= 0 && n.parent < i, 'a parent comes before its children');
            const p = tree.nodes[n.parent];
            assert.ok(p.status === 'root' || p.status === 'kept', 'only kept beams are expanded');
            assert.equal(n.step, p.step + 1);
            steps.set(n.step, [...(steps.get(n.step) ?? []), n]);
          });
          for (const [, nodes] of steps) {
            assert.ok(nodes.filter((n) => n.status === 'kept').length <= beam, 'at most beamSize kept per step');
            assert.ok(nodes.length <= 2 * beam, 'at most 2·beamSize expansions per step');
            // Kept prefixes outrank the pruned prefixes that did not end.
            const kept = nodes.filter((n) => n.status === 'kept').map((n) => n.score);
            const prunedOpen = nodes.filter((n) => n.status === 'pruned' && n.token !== EOS_ID).map((n) => n.score);
            if (kept.length && prunedOpen.length) assert.ok(Math.min(...kept) >= Math.max(...prunedOpen) - 1e-9);
          }
          // Every finished node carries its hypothesis, whose tokens are the path to it.
          assert.equal(tree.finished.length, tree.nodes.filter((n) => n.status === 'finished').length);
          for (const f of tree.finished) {
            assert.equal(tree.nodes[f.node].status, 'finished');
            const ids = pathTokens(tree, f.node);
            assert.deepEqual(f.hypothesis.finished ? [...f.hypothesis.ids, EOS_ID] : f.hypothesis.ids, ids);
            assert.equal(tree.nodes[f.node].score, f.hypothesis.score);
          }
          // The winner is the returned best.
          const w = tree.finished.find((f) => f.node === tree.winner);
          if (hyps[0].finished || tree.finished.length) {
            assert.ok(w, 'winner is a finished node');
            assert.deepEqual(w!.hypothesis.ids, hyps[0].ids);
            assert.ok(tree.finished.every((f) => f.hypothesis.score <= w!.hypothesis.score));
          }
        } finally {
          m.dispose();
        }
      }),
      { numRuns: 25, seed: 11 },
    );
  });

  it('both engines record the same tree (tokens, parents, statuses; scores to float32 rounding)', () => {
    for (const attention of ['none', 'bahdanau', 'luong-general'] as const) {
      for (const opts of [{}, { noRepeatNgramSize: 2, repetitionPenalty: 1.4 }] as SearchOptions[]) {
        const m = model(7, { attention });
        try {
          const src = [4, 9, 12, 5, 7, EOS_ID];
          const a = new BeamTreeRecorder();
          const b = new BeamTreeRecorder();
          beamSearchFastNBest(new InferenceModel(m), src, 4, 0.6, 1.5, { ...opts, nBest: 4, tree: a });
          tensorSearch(m, src, 4, { ...opts, tree: b });
          assert.equal(a.nodes.length, b.nodes.length, `${attention}: node count`);
          a.nodes.forEach((n, i) => {
            const o = b.nodes[i];
            assert.deepEqual([n.parent, n.step, n.token, n.status, n.finished], [o.parent, o.step, o.token, o.status, o.finished], `${attention}: node ${i}`);
            assert.ok(Math.abs(n.score - o.score) < 1e-4 && Math.abs(n.logProb - o.logProb) < 1e-4);
          });
          assert.equal(a.winner, b.winner);
          assert.deepEqual(
            a.finished.map((f) => f.hypothesis.attention.length),
            b.finished.map((f) => f.hypothesis.attention.length),
          );
        } finally {
          m.dispose();
        }
      }
    }
  });

  describe('on a trained model: Translation.beamTree, the layout and `seq2seq translate --beam-tree`', function () {
    let dir: string;
    let runDir: string;
    const BIN = path.join(__dirname, '..', 'bin', 'seq2seq.js');

    before(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-beamtree-'));
      const pairs = ['a b c', 'b c d', 'c d e', 'd e a', 'e a b', 'a c e', 'b d a', 'c e b'].map((x) => `${x}\t${x.split(' ').reverse().join(' ')}`);
      await fs.writeFile(path.join(dir, 'train.tsv'), pairs.join('\n') + '\n');
      const config = withDefaults({
        data: { train: path.join(dir, 'train.tsv'), valid: path.join(dir, 'train.tsv'), test: path.join(dir, 'train.tsv') },
        model: { embeddingSize: 8, hiddenSize: 16, dropout: 0 },
        train: { batchSize: 4, epochs: 6, logEvery: 1, validEvery: 0, earlyStoppingPatience: 0, threads: 1, beamSize: 3 },
      });
      runDir = path.join(dir, 'run');
      await train({ config, outDir: runDir, resume: false });
    });
    after(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('the translation is the winner: its tokens are the path to the winner node, its alignment that of the winning hypothesis', async () => {
      const t = await Translator.load(runDir);
      try {
        for (const engine of ['fast', 'tensor'] as const) {
          const tr = t.translate('a b c d', { beamTree: true, engine });
          const tree = tr.beamTree!;
          assert.ok(tree, `${engine}: a tree with beam 3`);
          assert.equal(tree.beamSize, 3);
          assert.equal(tree.nodes[0].token, '<bos>');
          const path = pathToRoot(tree, tree.winner).slice(1).map((n) => tree.nodes[n].token);
          assert.deepEqual(path, tr.targetTokens, `${engine}: winning path = the translation's tokens`);
          const w = tree.finished.find((f) => f.node === tree.winner)!;
          assert.equal(w.text, tr.text);
          assert.deepEqual(w.attention, tr.attention);
          for (const f of tree.finished) {
            assert.equal(f.attention.length, f.tokens.length, 'one attention row per output token');
            assert.ok(f.attention.every((row) => row.length === tr.sourceTokens.length));
          }
          assert.equal(t.translate('a b c d', { beamSize: 1, beamTree: true }).beamTree, undefined, 'greedy: no tree');
          assert.equal(t.translate('a b c d', { engine }).beamTree, undefined, 'only when asked');
        }
      } finally {
        t.dispose();
      }
    });

    it('layoutBeamTree: a column per step, rows in rank order, one edge per non-root node, the winning path marked', async () => {
      const t = await Translator.load(runDir);
      let tree: BeamTreeView;
      try {
        tree = t.translate('b c d e a', { beamTree: true }).beamTree!;
      } finally {
        t.dispose();
      }
      const L = layoutBeamTree(tree, { columnWidth: 80, rowHeight: 30, top: 20 });
      assert.equal(L.edges.length, tree.nodes.length - 1);
      assert.equal(L.columns, Math.max(...tree.nodes.map((n) => n.step)) + 1);
      assert.ok(L.rows <= 2 * tree.beamSize);
      const seen = new Map<number, number[]>();
      L.nodes.forEach((n, i) => {
        assert.equal(n.x, L.columnX[tree.nodes[i].step]);
        seen.set(tree.nodes[i].step, [...(seen.get(tree.nodes[i].step) ?? []), n.y]);
        assert.ok(n.x + L.nodeWidth / 2 <= L.width && n.y + L.nodeHeight / 2 <= L.height, 'inside the drawing');
      });
      for (const ys of seen.values()) ys.forEach((y, r) => assert.equal(y, 20 + r * 30 + 15, 'rows in recorded (rank) order'));
      const path = new Set(pathToRoot(tree, tree.winner));
      assert.deepEqual(L.nodes.filter((n) => n.onPath).map((n) => n.index), [...path].sort((a, b) => a - b));
      assert.equal(L.edges.filter((e) => e.onPath).length, path.size - 1);
      assert.ok(L.edges.every((e) => e.pruned === (tree.nodes[e.to].status === 'pruned')));
      // Broken input is refused.
      const broken = { ...tree, nodes: tree.nodes.map((n, i) => (i === 1 ? { ...n, parent: 5 } : n)) };
      assert.throws(() => layoutBeamTree(broken), /node 1: parent 5 must be an earlier node/);
      assert.equal(shortLabel('ab', 3), 'ab');
      assert.equal(shortLabel('abcdef', 4), 'abc…');
      assert.equal(shortLabel('😀😀😀😀', 3), '😀😀…', 'counts code points');
    });

    it('`seq2seq translate --beam-tree` prints the translation, then the tree with the winning path starred', () => {
      const r = spawnSync(process.execPath, [BIN, 'translate', '--model', runDir, '--beam', '3', '--beam-tree'], { input: 'a b c d\n', encoding: 'utf8', timeout: 300000 });
      assert.equal(r.status, 0, r.stderr);
      const [first, ...rest] = r.stdout.trimEnd().split('\n');
      const lines = rest.filter((l) => l.length);
      assert.match(lines[0], /^\*  <bos>$/);
      const starred = lines.filter((l) => l.startsWith('*')).map((l) => l.slice(3).trim().split(/\s+/)[0]);
      assert.deepEqual(starred.slice(1, -1), first.split(' '), 'the starred path spells the translation');
      assert.equal(starred[starred.length - 1], '<eos>');
      assert.ok(lines.some((l) => l[1] === '✗'), 'pruned expansions are listed');
      const json = spawnSync(process.execPath, [BIN, 'translate', '--model', runDir, '--beam-tree', '--json'], { input: 'a b c d\n', encoding: 'utf8', timeout: 300000 });
      const obj = JSON.parse(json.stdout.trim()) as { beamTree: BeamTreeView };
      assert.equal(obj.beamTree.beamSize, 3);
      assert.ok(beamTreeText(obj.beamTree).split('\n').length === obj.beamTree.nodes.length);
    });
  });
});

import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withDefaults } from '../src/core/config/config';
import type { TrainingEvent } from '../src/core/training/events';
import { train } from '../src/core/training/training';
import { DEFAULT_TRAIN, ModelConfig, DEFAULT_MODEL } from '../src/core/config/config';
import { EncodedPair, makeBatches } from '../src/core/data/batching';
import { initBackend } from '../src/core/kernels/backend';
import { Seq2SeqModel } from '../src/core/model/seq2seq';
import { DataParallel, exchangeLayout, layout, replicaRanges, resolveThreads, shareBatch, SharedUpdate, sharedMemory } from '../src/core/training/parallel';
import { Adam } from '../src/core/training/optimizer';
import { simdForm } from '../src/core/kernels/simd';
import { AUTO_THREADS_MAX } from '../src/core/config/config';
import { loadConfig } from '../src/core/config/configLoader';
import { Random } from '../src/core/random';
import { Updater } from '../src/core/training/updater';

const MODEL: ModelConfig = { ...DEFAULT_MODEL, embeddingSize: 8, hiddenSize: 16, dropout: 0, attention: 'luong-general' };
const TRAIN = { ...DEFAULT_TRAIN, learningRate: 0.01, clipNorm: 1 };

function pairs(n: number, seed: number): EncodedPair[] {
  const r = new Random(seed);
  return Array.from({ length: n }, () => {
    const src = Array.from({ length: 1 + r.int(6) }, () => 4 + r.int(10));
    return { src, tgt: src.map((x) => x + 1) };
  });
}

async function weights(m: Seq2SeqModel): Promise<Float32Array[]> {
  return (await m.params.export()).map((w) => w.values);
}

describe('data-parallel training', function () {
  this.timeout(120000);
  before(async () => {
    await initBackend();
  });

  it('splits a batch into contiguous shares covering every pair once', () => {
    const data = pairs(10, 1);
    const [batch] = makeBatches(data, 10, { shuffle: false, bucket: false });
    const shares = shareBatch(batch, data, 3);
    assert.deepEqual(shares.map((s) => s?.indices), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    assert.equal(shareBatch(batch, data, 12).filter((s) => s === null).length, 2);
  });

  it('cuts the parameters into one range per replica: contiguous, covering all, on multiples of 4 and on the rows of lazily updated variables', () => {
    const shapes = [[10, 6], [7], [5, 9], [3]];
    const { total } = layout(shapes);
    for (const replicas of [1, 2, 3, 5]) {
      for (const lazy of [[0, 0, 0, 0], [6, 0, 9, 0]]) {
        const ranges = replicaRanges(shapes, lazy, replicas);
        assert.equal(ranges.length, replicas);
        assert.equal(ranges[0][0], 0);
        assert.equal(ranges[replicas - 1][1], total);
        ranges.forEach(([from, to], r) => {
          assert.ok(from <= to, `range ${r} [${from}, ${to})`);
          if (r > 0) assert.equal(from, ranges[r - 1][1]);
        });
        for (const [from] of ranges.slice(1)) {
          if (from === total) continue;
          const { offsets } = layout(shapes);
          const k = offsets.findIndex((o, i) => from >= o && from < (offsets[i + 1] ?? total));
          if (lazy[k]) assert.equal((from - offsets[k]) % lazy[k], 0, `cut ${from} inside a row of variable ${k}`);
          else assert.ok(from % 4 === 0 || from === offsets[k], `cut ${from} on a multiple of 4 or a variable's start`);
        }
      }
    }
    assert.deepEqual(replicaRanges([[6]], [0], 2), [[0, 4], [4, 6]]);
  });

  it('each replica combines the token-weighted mean of every share over its own range and returns its squares; Adam on the ranges equals one Adam on everything', () => {
    const shapes = [[3, 4], [5], [2, 3]];
    const replicas = 3;
    const init = shapes.map((s, k) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(7 * k + i)));
    const grads = [0, 1, 2].map((r) => shapes.map((s, k) => Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, i) => Math.cos(r + 3 * k + i) * (r + 1))));
    const tokens = [5, 0, 3];
    const exchange = exchangeLayout(shapes, [0, 0, 0], replicas);
    const memory = sharedMemory(exchange.bytes);
    const vars = [0, 1, 2].map(() => init.map((v, k) => tf.variable(tf.tensor(v, shapes[k]))));
    const adams = vars.map((vs) => new Adam(vs, { learningRate: 0.1, clipNorm: 1 }));
    const updates = vars.map((vs, r) => new SharedUpdate(memory, exchange, r, adams[r], vs, r === 0));
    updates.forEach((u, r) => u.writeGradients(grads[r].map((g, k) => tf.tensor(g, shapes[k]))));
    const sq = updates.map((u) => u.combine(tokens));
    const mean = shapes.map((_, k) => grads[0][k].map((_, i) => Math.fround((5 / 8) * grads[0][k][i] + (3 / 8) * grads[2][k][i])));
    const want = mean.reduce((a, g) => a + g.reduce((b, x) => b + x * x, 0), 0);
    assert.ok(Math.abs(sq.reduce((a, b) => a + b, 0) - want) < 1e-9 * want, `Σ squares ${sq} vs ${want}`);
    const norm = Math.sqrt(sq.reduce((a, b) => a + b, 0));
    updates.forEach((u) => assert.equal(u.update(norm), true));
    updates.forEach((u) => u.loadParameters());
    // One optimiser over the whole mean gradient, for reference.
    const ref = init.map((v, k) => tf.variable(tf.tensor(v, shapes[k])));
    new Adam(ref, { learningRate: 0.1, clipNorm: 1, simd: false }).applyArrays(mean.map((g) => Float32Array.from(g)));
    for (const vs of vars) {
      vs.forEach((v, k) => {
        const got = v.dataSync();
        const exp = ref[k].dataSync();
        for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - exp[i]) < 1e-6, `variable ${k}[${i}]: ${got[i]} vs ${exp[i]}`);
      });
    }
    assert.equal(adams[1].iterations, 1);
    // The first replica's optimiser exports the moments every replica updated.
    const m = adams[0].exportState().filter((a) => a.name.endsWith('/m'));
    assert.ok(m.every((a) => a.values.every((x) => x !== 0)), 'every moment was updated by some replica');
    assert.ok(!updates[2].update(NaN), 'a non-finite norm skips the update');
    tf.dispose([vars, ref]);
  });

  const variants: [string, ModelConfig, typeof TRAIN][] = [
    ['full softmax', MODEL, TRAIN],
    ['the candidate softmax (one draw per batch, shared by the replicas) and lazy Adam', { ...MODEL, attention: 'bahdanau', cell: 'lstm' }, { ...TRAIN, softmaxCandidates: 4, lazyAdam: true }],
  ];
  for (const [label, model, train] of variants) {
    it(`two threads follow the single-thread trajectory step for step (${label}): losses, parameters and optimiser state`, async () => {
      const data = pairs(96, 2);
      const batches = makeBatches(data, 32, { shuffle: false, bucket: true });
      const single = new Seq2SeqModel(model, 16, 16, 5);
      const main = new Seq2SeqModel(model, 16, 16, 5);
      const u1 = new Updater(single, train, new Random(1));
      const u2 = new Updater(main, train, new Random(1));
      const dp = await DataParallel.start(
        2,
        { model, train, srcVocabSize: 16, tgtVocabSize: 16, weights: await main.params.export(), learningRate: train.learningRate },
        { updater: u2, variables: main.variables },
      );
      try {
        let tensorsAfterFirst = -1;
        for (const b of [...batches, ...batches]) {
          const l1 = u1.step(b);
          const l2 = await dp.step(u2, b, data);
          assert.ok(Math.abs(l1 - l2) < 1e-4 * Math.max(1, l1), `loss ${l1} vs ${l2}`);
          if (tensorsAfterFirst < 0) tensorsAfterFirst = tf.memory().numTensors;
        }
        assert.equal(tf.memory().numTensors, tensorsAfterFirst, 'data-parallel steps leak tensors');
        const [w1, w2] = [await weights(single), await weights(main)];
        let maxDiff = 0;
        w1.forEach((a, i) => a.forEach((x, j) => (maxDiff = Math.max(maxDiff, Math.abs(x - w2[i][j])))));
        assert.ok(maxDiff < 1e-4, `parameters differ by ${maxDiff}`);
        const [s1, s2] = [u1.optimizer.exportState(), u2.optimizer.exportState()];
        assert.equal(s2[0].values[0], s1[0].values[0], 'the same number of updates');
        let stateDiff = 0;
        s1.forEach((a, i) => a.values.forEach((x, j) => (stateDiff = Math.max(stateDiff, Math.abs(x - s2[i].values[j])))));
        assert.ok(stateDiff < 1e-4, `optimiser state differs by ${stateDiff}`);
      } finally {
        await dp.dispose();
        u1.dispose();
        u2.dispose();
        single.dispose();
        main.dispose();
      }
    });
  }

  it('the trainer runs data-parallel with train.threads = 2 and reports it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-dp-'));
    try {
      const r = new Random(9);
      const lines = Array.from({ length: 200 }, () => {
        const w = Array.from({ length: 2 + r.int(4) }, () => 'abcdef'[r.int(6)]).join(' ');
        return `${w}\t${w}`;
      });
      await fs.writeFile(path.join(dir, 'copy.tsv'), lines.join('\n') + '\n');
      const events: TrainingEvent[] = [];
      const done = await train({
        config: withDefaults({
          data: { train: path.join(dir, 'copy.tsv') },
          model: { embeddingSize: 8, hiddenSize: 16, dropout: 0 },
          train: { epochs: 2, batchSize: 16, threads: 2, logEvery: 5 },
        }),
        outDir: path.join(dir, 'run'),
        resume: false,
        listener: (e) => events.push(e),
      });
      assert.equal(done.reason, 'epochs');
      assert.ok(events.some((e) => e.type === 'log' && /data-parallel training on 2 threads/.test(e.message)));
      // Which form of the WebAssembly kernels runs is in the started event (the Training panel's badge) and the log.
      const started = events.find((e) => e.type === 'started');
      assert.ok(started && started.type === 'started' && started.simd === simdForm(), `started.simd ${started && 'simd' in started ? started.simd : '?'}`);
      assert.ok(events.some((e) => e.type === 'log' && /WebAssembly kernels: (relaxed SIMD \(fused multiply–add\)|SIMD without relaxed SIMD|no SIMD)/.test(e.message)));
      assert.ok(events.filter((e) => e.type === 'progress').length >= 2);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('train.threads "auto" (resolveThreads)', () => {
  it('uses the cores of the machine, at most AUTO_THREADS_MAX, when nothing else says', () => {
    assert.equal(resolveThreads('auto', 'wasm', {}, 1).threads, 1);
    assert.equal(resolveThreads('auto', 'wasm', {}, 2).threads, Math.min(2, AUTO_THREADS_MAX));
    assert.equal(resolveThreads('auto', 'wasm', {}, 64).threads, AUTO_THREADS_MAX);
    assert.match(resolveThreads('auto', 'wasm', {}, 64).why, /64 cores, at most/);
  });

  it('SEQ2SEQ_THREADS (the VS Code setting) decides "auto"; a number in the config wins over it', () => {
    assert.equal(resolveThreads('auto', 'wasm', { SEQ2SEQ_THREADS: '3' }, 64).threads, 3);
    assert.equal(resolveThreads('auto', 'wasm', { SEQ2SEQ_THREADS: 'auto' }, 1).threads, 1);
    assert.equal(resolveThreads(1, 'wasm', { SEQ2SEQ_THREADS: '4' }, 64).threads, 1);
    assert.equal(resolveThreads(4, 'cpu', {}, 1).threads, 4);
    assert.throws(() => resolveThreads('auto', 'wasm', { SEQ2SEQ_THREADS: 'many' }), /SEQ2SEQ_THREADS must be a positive integer or "auto" \(got "many"\)/);
    assert.throws(() => resolveThreads('auto', 'wasm', { SEQ2SEQ_THREADS: '0' }), /positive integer/);
  });

  it('the tensorflow backend trains on one thread and says so', () => {
    const r = resolveThreads(2, 'tensorflow', {}, 8);
    assert.equal(r.threads, 1);
    assert.match(r.why, /one thread with the tensorflow backend/);
  });

  it('the default config says "auto", and the schema accepts "auto" and whole numbers only', async () => {
    assert.equal(DEFAULT_TRAIN.threads, 'auto');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-threads-'));
    try {
      await fs.writeFile(path.join(dir, 'd.tsv'), 'a\tb\n');
      for (const [threads, ok] of [['"auto"', true], ['2', true], ['0', false], ['"two"', false], ['1.5', false]] as const) {
        await fs.writeFile(path.join(dir, 'c.seq2seq.json'), `{"data":{"train":"d.tsv"},"train":{"threads":${threads}}}`);
        const r = await loadConfig(path.join(dir, 'c.seq2seq.json')).then(() => true, () => false);
        assert.equal(r, ok, `threads ${threads}`);
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

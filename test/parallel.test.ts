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
import { combineShares, DataParallel, layout, resolveThreads, shareBatch } from '../src/core/training/parallel';
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

  it('combineShares writes the token-weighted mean of any number of shares, ignoring empty ones', () => {
    const shapes = [[2], [3]];
    const { offsets, total } = layout(shapes);
    const buffers = [1, 2, 3].map((r) => {
      const b = new SharedArrayBuffer(total * 4);
      new Float32Array(b).set(Array.from({ length: total }, (_, i) => r * 10 + i));
      return b;
    });
    const read = (tokens: number[]) => shapes.map((s, k) => {
      const dst = new Float32Array(s[0]).fill(NaN);
      combineShares(tokens, buffers, offsets)(k, dst);
      return Array.from(dst);
    });
    const mean = (tokens: number[]) => {
      const t = tokens.reduce((a, b) => a + b, 0);
      return shapes.map((s, k) => Array.from({ length: s[0] }, (_, i) => Math.fround(tokens.reduce((a, n, r) => a + (n / t) * ((r + 1) * 10 + offsets[k] + i), 0))));
    };
    for (const tokens of [[5, 0, 0], [1, 3, 0], [2, 0, 6], [1, 2, 3]]) {
      read(tokens).forEach((row, k) => row.forEach((x, i) => assert.ok(Math.abs(x - mean(tokens)[k][i]) < 1e-5, `${tokens}: ${x} vs ${mean(tokens)[k][i]}`)));
    }
    assert.deepEqual(read([0, 0, 0]), [[0, 0], [0, 0, 0]]);
  });

  it('two threads follow the single-thread trajectory step for step, so the replica copy stays in sync', async () => {
    const data = pairs(96, 2);
    const batches = makeBatches(data, 32, { shuffle: false, bucket: true });
    const single = new Seq2SeqModel(MODEL, 16, 16, 5);
    const main = new Seq2SeqModel(MODEL, 16, 16, 5);
    const u1 = new Updater(single, TRAIN, new Random(1));
    const u2 = new Updater(main, TRAIN, new Random(1));
    const dp = await DataParallel.start(
      2,
      { model: MODEL, train: TRAIN, srcVocabSize: 16, tgtVocabSize: 16, weights: await main.params.export(), learningRate: TRAIN.learningRate },
      main.variables.map((v) => v.shape.slice()),
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
    } finally {
      await dp.dispose();
      u1.dispose();
      u2.dispose();
      single.dispose();
      main.dispose();
    }
  });

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

import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCheckpoint } from '../src/core/runs/checkpoint';
import { loadDataset } from '../src/core/data/dataset';
import { UserConfig, withDefaults } from '../src/core/config/config';
import type { TrainingEvent } from '../src/core/training/events';
import { train } from '../src/core/training/training';
import { Translator } from '../src/core/decoding/translator';
import { Random } from '../src/core/random';

/** A reversal task: "c a d" → "d a c". Attention must learn an anti-diagonal alignment. */
async function writeReverseTask(dir: string, n: number, seed: number): Promise<string> {
  const r = new Random(seed);
  const symbols = 'abcdefghij'.split('');
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 3 + r.int(5);
    const w = Array.from({ length: len }, () => r.pick(symbols));
    lines.push(`${w.join(' ')}\t${[...w].reverse().join(' ')}`);
  }
  const file = path.join(dir, 'reverse.tsv');
  await fs.writeFile(file, lines.join('\n') + '\n');
  return file;
}

function taskConfig(file: string, over: Partial<UserConfig['train']> = {}) {
  return withDefaults({
    data: { train: file, maxLength: 20, validFraction: 0.1, testFraction: 0.1, maxValidSentences: 200 },
    model: { embeddingSize: 16, hiddenSize: 48, attention: 'bahdanau', dropout: 0 },
    train: { batchSize: 32, learningRate: 0.01, epochs: 6, logEvery: 20, stopMetric: 'bleu', earlyStoppingPatience: 0, decayPatience: 0, ...over },
  });
}

describe('learning', function () {
  this.timeout(10 * 60 * 1000);
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-learn-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('learns a small reversal task to at least 95% exact match on held-out sentences', async () => {
    const file = await writeReverseTask(dir, 2000, 11);
    const outDir = path.join(dir, 'run');
    const events: TrainingEvent[] = [];
    const done = await train({ config: taskConfig(file), outDir, resume: false, listener: (e) => events.push(e) });
    assert.equal(done.reason, 'epochs');
    assert.ok(events.some((e) => e.type === 'progress'));
    // Training loss went down.
    const progress = events.filter((e) => e.type === 'progress') as Extract<TrainingEvent, { type: 'progress' }>[];
    assert.ok(progress[progress.length - 1].loss < progress[0].loss / 4);

    const t = await Translator.load(outDir);
    try {
      // Held-out test split, rebuilt the way the trainer splits (same seed, same data).
      const ds = await loadDataset(t.config);
      assert.ok(ds.test.pairs.length >= 150);
      // The run folder keeps the held-out split for `seq2seq eval --test <run>/test.tsv`.
      const testLines = (await fs.readFile(path.join(outDir, 'test.tsv'), 'utf8')).trim().split('\n');
      assert.deepEqual(testLines, ds.test.pairs.map((p) => `${p.src}\t${p.tgt}`));
      let exact = 0;
      for (const p of ds.test.pairs) if (t.translate(p.src, { beamSize: 1, topK: 0 }).text === p.tgt) exact++;
      const rate = exact / ds.test.pairs.length;
      assert.ok(rate >= 0.95, `exact match ${(rate * 100).toFixed(1)}%`);
      // The alignment is anti-diagonal: output token i attends to source word n−1−i.
      const sample = ds.test.pairs.find((p) => p.tgt === t.translate(p.src, { beamSize: 1, topK: 0 }).text)!;
      const tr = t.translate(sample.src, { beamSize: 1 });
      const n = sample.src.split(' ').length;
      assert.deepEqual(tr.sourceTokens.slice(0, n), sample.src.split(' '));
      // Each output row puts at least a third of its weight on the mirrored source word and peaks
      // within one position of it (the peak may split with the neighbour: the query is the previous state).
      for (let i = 0; i < n; i++) {
        const row = tr.attention[i];
        const peak = row.indexOf(Math.max(...row));
        assert.ok(row[n - 1 - i] >= 1 / 3 && Math.abs(peak - (n - 1 - i)) <= 1, `row ${i}: weight ${row[n - 1 - i].toFixed(2)} on the mirrored word ${n - 1 - i}, peak at ${peak}`);
      }
      // Beam search finds the same output.
      assert.equal(t.translate(sample.src, { beamSize: 4 }).text, sample.tgt);
    } finally {
      t.dispose();
    }
  });

  it('resumes from the last checkpoint and continues the step count', async () => {
    const file = await writeReverseTask(dir, 400, 12);
    const outDir = path.join(dir, 'resume');
    let steps = 0;
    const first = await train({
      config: taskConfig(file, { epochs: 3 }),
      outDir,
      resume: false,
      shouldStop: () => steps >= 15,
      listener: (e) => {
        if (e.type === 'progress') steps = e.step;
      },
    });
    assert.equal(first.reason, 'cancelled');
    const last = await loadCheckpoint(path.join(outDir, 'last'));
    assert.equal(last.meta.step, first.step);
    assert.ok(last.optimizer && last.optimizer.length > 1);

    const events: TrainingEvent[] = [];
    const second = await train({ config: taskConfig(file, { epochs: 3 }), outDir, resume: true, listener: (e) => events.push(e) });
    const started = events.find((e) => e.type === 'started') as Extract<TrainingEvent, { type: 'started' }>;
    assert.equal(started.startStep, first.step);
    assert.equal(second.reason, 'epochs');
    assert.equal(second.step, started.stepsPerEpoch * 3);
    // metrics.jsonl holds both parts of the run, in order.
    const lines = (await fs.readFile(path.join(outDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.filter((l) => l.type === 'started').length, 2);
    assert.equal(lines[lines.length - 1].type, 'done');
  });
});

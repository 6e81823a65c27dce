import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as fc from 'fast-check';
import { initBackend } from '../src/core/kernels/backend';
import { withDefaults } from '../src/core/config/config';
import type { EncodedPair } from '../src/core/data/batching';
import { competence, competencePoolSize, curriculumBatch, difficultyOrder } from '../src/core/data/curriculum';
import type { TrainingEvent } from '../src/core/training/events';
import { Random } from '../src/core/random';
import { train } from '../src/core/training/training';

const pair = (srcLen: number, tag = 4): EncodedPair => ({ src: Array(srcLen).fill(tag), tgt: [tag, tag] });

describe('core/data/curriculum (competence-based, Platanios et al. 2019)', () => {
  it('square-root competence: c0 at step 0, 1 from step T on, eq. 7 in between, never decreasing', () => {
    assert.equal(competence(0, 100, 0.01), 0.01);
    assert.equal(competence(100, 100, 0.01), 1);
    assert.equal(competence(250, 100, 0.01), 1);
    assert.ok(Math.abs(competence(50, 100, 0.1) - Math.sqrt(0.5 * 0.99 + 0.01)) < 1e-12);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0.001, max: 1, noNaN: true }), (t, T, c0) => {
        const a = competence(t, T, c0);
        const b = competence(t + 1, T, c0);
        return a >= c0 - 1e-12 && a <= 1 && b >= a;
      }),
    );
    assert.throws(() => competence(1, 0, 0.1), /curriculum length must be positive/);
    assert.throws(() => competence(1, 10, 0), /initial competence must be in \(0, 1\]/);
  });

  it('orders pairs by source length with a CDF shared by ties', () => {
    const pairs = [pair(3), pair(1), pair(2), pair(1), pair(5)];
    const d = difficultyOrder(pairs);
    assert.deepEqual(d.order, [1, 3, 2, 0, 4]);
    assert.deepEqual(Array.from(d.cdf), [0.4, 0.4, 0.6, 0.8, 1]);
    assert.equal(competencePoolSize(d, 0.01), 2, 'at least the easiest class');
    assert.equal(competencePoolSize(d, 0.6), 3);
    assert.equal(competencePoolSize(d, 0.79), 3);
    assert.equal(competencePoolSize(d, 1), 5);
    assert.throws(() => difficultyOrder([]), /no training pairs/);
  });

  it('draws batches only from the pool the competence allows, reproducibly from the seed', () => {
    const pairs = Array.from({ length: 200 }, (_, i) => pair(1 + (i % 10), 4 + i));
    const d = difficultyOrder(pairs);
    for (const c of [0.05, 0.3, 0.7, 1]) {
      const pool = competencePoolSize(d, c);
      const maxLen = pairs[d.order[pool - 1]].src.length;
      const b = curriculumBatch(pairs, d, c, 16, new Random(3));
      assert.equal(b.size, 16);
      assert.ok(b.indices.every((i) => pairs[i].src.length <= maxLen), `competence ${c}: sources of at most ${maxLen} tokens`);
      assert.equal(new Set(b.indices).size, 16, 'no pair twice when the pool is large enough');
      assert.deepEqual(curriculumBatch(pairs, d, c, 16, new Random(3)).indices, b.indices);
    }
    const small = curriculumBatch(pairs, d, 0.01, 64, new Random(1));
    assert.equal(small.size, 64, 'a pool smaller than the batch is sampled with replacement');
    assert.ok(small.indices.every((i) => pairs[i].src.length === 1));
  });

  it('train() runs the curriculum steps before the epochs and says so', async function () {
    this.timeout(120000);
    await initBackend();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-curriculum-'));
    try {
      const lines = ['a\ta', 'b\tb', 'a b\tb a', 'b c a\ta c b', 'c a b c\tc b a c', 'a a b b c\tc c b b a'];
      await fs.writeFile(path.join(dir, 'train.tsv'), lines.join('\n') + '\n');
      const config = withDefaults({
        data: { train: path.join(dir, 'train.tsv'), valid: path.join(dir, 'train.tsv'), test: path.join(dir, 'train.tsv') },
        model: { embeddingSize: 4, hiddenSize: 4 },
        train: { batchSize: 3, epochs: 2, logEvery: 1, validEvery: 0, curriculumSteps: 5, initialCompetence: 0.2, earlyStoppingPatience: 0 },
      });
      const logs: string[] = [];
      const done = await train({
        config,
        outDir: path.join(dir, 'run'),
        resume: false,
        listener: (e: TrainingEvent) => {
          if (e.type === 'log') logs.push(e.message);
        },
      });
      assert.equal(done.step, 5 + 2 * 2, '5 curriculum steps, then 2 epochs of 2 batches');
      assert.equal(done.reason, 'epochs');
      assert.ok(logs.some((m) => /curriculum: 5 steps/.test(m)), logs.join('\n'));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

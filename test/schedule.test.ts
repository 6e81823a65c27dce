import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../src/core/kernels/backend';
import { withDefaults } from '../src/core/config/config';
import { validateConfigObject } from '../src/core/config/configLoader';
import type { TrainingEvent } from '../src/core/training/events';
import { afterValidation, initialPatience, inverseSqrtSchedule, linearSchedule } from '../src/core/training/schedule';
import { train } from '../src/core/training/training';

describe('learning-rate schedule', function () {
  this.timeout(120000);

  it('linearSchedule decays from the base rate to 0 with whichever budget is used up first', () => {
    assert.equal(linearSchedule(0.01, 0, 0), 0.01);
    assert.ok(Math.abs(linearSchedule(0.01, 0.25, 0.1) - 0.0075) < 1e-12, 'steps ahead of time');
    assert.ok(Math.abs(linearSchedule(0.01, 0.1, 0.5) - 0.005) < 1e-12, 'time ahead of steps');
    assert.equal(linearSchedule(0.01, 0.2, Infinity), 0.01 * 0.8, 'no time budget');
    assert.equal(linearSchedule(0.01, 1.3, 0), 0, 'never negative');
  });

  it('inverseSqrtSchedule: linear warm-up to the base rate at step w, then base·√(w/step) (Vaswani eq. 3 rescaled)', () => {
    assert.equal(inverseSqrtSchedule(0.002, 1, 4), 0.0005);
    assert.equal(inverseSqrtSchedule(0.002, 2, 4), 0.001);
    assert.equal(inverseSqrtSchedule(0.002, 4, 4), 0.002, 'peak at the end of warm-up');
    assert.equal(inverseSqrtSchedule(0.002, 16, 4), 0.001, '√(4/16) = 1/2');
    assert.equal(inverseSqrtSchedule(0.002, 400, 4), 0.0002, '√(4/400) = 1/10');
    // Proportional to Vaswani et al.'s d^−0.5 · min(n^−0.5, n·w^−1.5) at every step.
    const d = 512;
    const w = 4000;
    const vaswani = (n: number) => Math.pow(d, -0.5) * Math.min(Math.pow(n, -0.5), n * Math.pow(w, -1.5));
    for (const n of [1, 100, 3999, 4000, 4001, 1e5]) {
      assert.ok(Math.abs(inverseSqrtSchedule(1, n, w) / vaswani(n) - Math.sqrt(d * w)) < 1e-6 * Math.sqrt(d * w), `step ${n}`);
    }
    assert.throws(() => inverseSqrtSchedule(0.002, 0, 4), RangeError);
    assert.throws(() => inverseSqrtSchedule(0.002, 1, 0), RangeError);
  });

  it('plateau decay does not fire while BLEU is still 0 but perplexity falls; it does once both stall', () => {
    const tc = { stopMetric: 'bleu' as const, schedule: 'plateau' as const, decayPatience: 2, earlyStoppingPatience: 3 };
    let p = initialPatience('bleu');
    const seen: { isBest: boolean; decay: boolean; stop: boolean }[] = [];
    // A fresh run: BLEU 0 at the first three validations while perplexity falls, then BLEU rises,
    // then both stall (BLEU 4.0 and perplexity 40 are never beaten again).
    for (const [bleu, ppl] of [[0, 300], [0, 150], [0, 90], [2.5, 60], [4.0, 40], [3.9, 41], [3.8, 42], [3.9, 40.5]]) {
      const v = afterValidation(p, bleu, ppl, tc);
      p = v.patience;
      seen.push({ isBest: v.isBest, decay: v.decay, stop: v.stop });
    }
    assert.deepEqual(seen.map((v) => v.decay), [false, false, false, false, false, false, true, false]);
    assert.deepEqual(seen.map((v) => v.stop), [false, false, false, false, false, false, false, true]);
    // The best checkpoint still follows the stop metric: the first validation (BLEU 0 > −∞), then the rises.
    assert.deepEqual(seen.map((v) => v.isBest), [true, false, false, true, true, false, false, false]);
    assert.equal(p.best, 4.0);
    assert.equal(p.lowestPerplexity, 40);
  });

  it('with stopMetric perplexity, patience counts validations whose perplexity did not improve; linear never decays on plateau', () => {
    const tc = { stopMetric: 'perplexity' as const, schedule: 'plateau' as const, decayPatience: 1, earlyStoppingPatience: 0 };
    const a = afterValidation(initialPatience('perplexity'), 50, 50, tc);
    assert.deepEqual([a.isBest, a.decay], [true, false]);
    const b = afterValidation(a.patience, 51, 51, tc);
    assert.deepEqual([b.isBest, b.decay, b.stop], [false, true, false]);
    assert.equal(b.patience.badSinceDecay, 0, 'a decay restarts its patience');
    assert.equal(afterValidation(a.patience, 51, 51, { ...tc, schedule: 'linear' }).decay, false);
    assert.equal(afterValidation(a.patience, NaN, NaN, tc).patience.badValidations, 1, 'a non-finite validation is no progress');
  });

  it('minDelta: perplexity creeping towards 1 in the fourth decimal is no progress, so patience runs out (the built-in dates run)', () => {
    // Validation perplexity every 100 steps of `seq2seq train` without --config (BLEU 100 from step 300).
    const ppl = [1.41961, 1.02563, 1.00505, 1.00189, 1.00103, 1.00067, 1.0005, 1.00038, 1.00028];
    const run = (minDelta: number) => {
      const tc = { stopMetric: 'perplexity' as const, schedule: 'plateau' as const, decayPatience: 0, earlyStoppingPatience: 3, minDelta };
      let p = initialPatience('perplexity');
      const out: { step: number; isBest: boolean; stop: boolean }[] = [];
      ppl.forEach((x, i) => {
        const v = afterValidation(p, x, x, tc, 100 * (i + 1));
        p = v.patience;
        out.push({ step: 100 * (i + 1), isBest: v.isBest, stop: v.stop });
      });
      return { out, p };
    };
    const strict = run(0);
    assert.ok(strict.out.every((v) => v.isBest && !v.stop), 'without minDelta every validation is progress: no stop');
    const { out, p } = run(0.01);
    assert.equal(out.find((v) => v.stop)?.step, 600, 'stops at the third validation after step 300');
    assert.ok(out.every((v) => v.isBest), 'the best checkpoint still follows every improvement');
    assert.equal(p.progressStep, 300);
    assert.equal(p.progressPerplexity, 1.00505, 'the reference stays at the last progress');
    assert.equal(p.lowestPerplexity, 1.00028, 'while the best value follows every improvement');
  });

  it('minDelta compares with the values at the last progress (Keras), so small steady gains count once they add up', () => {
    const tc = { stopMetric: 'bleu' as const, schedule: 'plateau' as const, decayPatience: 0, earlyStoppingPatience: 3, minDelta: 1 };
    let p = initialPatience('bleu');
    const bad: number[] = [];
    // BLEU +0.4 per validation, perplexity flat: progress every third validation (+1.2 > 1).
    for (let i = 0; i < 9; i++) {
      const v = afterValidation(p, 20 + 0.4 * i, 5, tc, 10 * (i + 1));
      p = v.patience;
      assert.equal(v.stop, false, `validation ${i + 1}: no stop`);
      bad.push(p.badValidations);
    }
    assert.deepEqual(bad, [0, 1, 2, 0, 1, 2, 0, 1, 2]);
    // Either rule is progress: BLEU flat, perplexity falls by more than minDelta.
    assert.equal(afterValidation(p, p.progressBest, 3.9, tc).patience.badValidations, 0);
    assert.equal(afterValidation(p, p.progressBest, 4.1, tc).patience.badValidations, 3);
    assert.equal(afterValidation(p, p.progressBest, 4.1, tc).stop, true);
  });

  it('the config accepts train.minDelta ≥ 0 (default 0) and rejects a negative one', () => {
    assert.equal(withDefaults({ data: { train: 'x.tsv' } }).train.minDelta, 0);
    assert.equal(validateConfigObject({ data: { train: 'x.tsv' }, train: { minDelta: 0.01 } }, 'c.json').train.minDelta, 0.01);
    assert.throws(() => validateConfigObject({ data: { train: 'x.tsv' }, train: { minDelta: -1 } }, 'c.json'), /minDelta/);
  });

  it('the config accepts schedule "linear" and rejects unknown schedules', () => {
    const ok = validateConfigObject({ data: { train: 'x.tsv' }, train: { schedule: 'linear' } }, 'c.json');
    assert.equal(ok.train.schedule, 'linear');
    assert.throws(() => validateConfigObject({ data: { train: 'x.tsv' }, train: { schedule: 'cosine' } }, 'c.json'), /schedule/);
  });

  it('train() with schedule "linear" reports a learning rate falling linearly to ~0 at the last step', async () => {
    await initBackend();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-schedule-'));
    try {
      const pairs = ['a b\tb a', 'b c\tc b', 'c a\ta c', 'a a\ta a'];
      await fs.writeFile(path.join(dir, 'train.tsv'), pairs.join('\n') + '\n');
      const config = withDefaults({
        data: { train: path.join(dir, 'train.tsv'), valid: path.join(dir, 'train.tsv'), test: path.join(dir, 'train.tsv') },
        model: { embeddingSize: 4, hiddenSize: 4 },
        train: { batchSize: 4, epochs: 40, logEvery: 1, validEvery: 0, schedule: 'linear', learningRate: 0.01, earlyStoppingPatience: 0 },
      });
      const rates = new Map<number, number>();
      await train({
        config,
        outDir: path.join(dir, 'run'),
        resume: false,
        listener: (e: TrainingEvent) => {
          if (e.type === 'progress') rates.set(e.step, e.learningRate);
        },
      });
      assert.equal(rates.size, 40);
      // Step s (1-based) was taken with rate 0.01·(1 − (s−1)/40).
      for (const [step, lr] of rates) assert.ok(Math.abs(lr - 0.01 * (1 - (step - 1) / 40)) < 1e-9, `step ${step}: lr ${lr}`);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

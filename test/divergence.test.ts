/**
 * Numerical blow-up: a step with a non-finite gradient is skipped and logged;
 * `train.maxNonFiniteSteps` of them in a row stop the run with a
 * DivergenceError naming the step, and the last good checkpoint stays.
 * The gradients are poisoned where the optimiser receives them (one NaN
 * entry), so the trainer's own detection and skipping run unchanged.
 */
import { strict as assert } from 'assert';
import * as tf from '@tensorflow/tfjs-core';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCheckpoint } from '../src/core/runs/checkpoint';
import { withDefaults } from '../src/core/config/config';
import { describeError, DivergenceError } from '../src/core/errors';
import type { TrainingEvent } from '../src/core/training/events';
import { Adam } from '../src/core/training/optimizer';
import { train } from '../src/core/training/training';
import { Translator } from '../src/core/decoding/translator';

const PAIRS = ['a b c', 'b c d', 'c d e', 'd e a', 'e a b', 'a c e', 'b d a', 'c e b'].map((s) => `${s}\t${s}`);

describe('non-finite steps (train.maxNonFiniteSteps)', function () {
  this.timeout(5 * 60 * 1000);
  let dir: string;
  const original = Adam.prototype.apply;
  /** 1-based update numbers (= steps) whose gradient gets a NaN. */
  let poisoned: (step: number) => boolean = () => false;
  /** Updates so far in the current run. */
  let calls = 0;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-nan-'));
    await fs.writeFile(path.join(dir, 'train.tsv'), PAIRS.join('\n') + '\n');
    Adam.prototype.apply = function (this: Adam, grads: tf.Tensor[]) {
      const step = ++calls;
      if (!poisoned(step)) return original.call(this, grads);
      const values = grads[0].dataSync().slice();
      values[0] = NaN;
      const bad = tf.tensor(values, grads[0].shape, 'float32');
      try {
        return original.call(this, [bad, ...grads.slice(1)]);
      } finally {
        bad.dispose();
      }
    };
  });
  after(async () => {
    Adam.prototype.apply = original;
    await fs.rm(dir, { recursive: true, force: true });
  });
  const reset = () => (calls = 0);

  const config = (over: Record<string, number> = {}) =>
    withDefaults({
      data: { train: path.join(dir, 'train.tsv'), valid: path.join(dir, 'train.tsv'), test: path.join(dir, 'train.tsv') },
      model: { embeddingSize: 4, hiddenSize: 8, dropout: 0 },
      // One batch per epoch: step n is epoch n.
      train: { batchSize: 8, epochs: 20, logEvery: 1, validEvery: 6, earlyStoppingPatience: 0, decayPatience: 0, threads: 1, maxNonFiniteSteps: 4, ...over },
    });

  it('stops after maxNonFiniteSteps skipped steps in a row, naming the step, and keeps the last good checkpoint', async () => {
    reset();
    poisoned = (step) => step >= 7;
    const outDir = path.join(dir, 'stops');
    const events: TrainingEvent[] = [];
    // Validations at steps 3, 6 and 9: the one at 9 falls inside the skipped steps and must not replace last/.
    const err = await train({ config: config({ validEvery: 3 }), outDir, resume: false, listener: (e) => events.push(e) }).then(
      () => assert.fail('training went on'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DivergenceError, String(err));
    assert.match(err.message, /^training stopped at step 10: the loss or gradient was not finite in 4 steps in a row \(steps 7–10; train\.maxNonFiniteSteps = 4\); the run folder keeps its checkpoints \(last\/ of step 6\)\. Lower train\.learningRate/);
    assert.equal(describeError(err).expected, true, 'a user-facing message, no stack');
    const skips = events.filter((e) => e.type === 'log' && /gradient was not finite; update skipped/.test(e.message));
    assert.equal(skips.length, 4);
    // The last good checkpoint: step 6, finite, loads as a model; metrics.jsonl ends with the reason.
    const last = await loadCheckpoint(path.join(outDir, 'last'));
    assert.equal(last.meta.step, 6);
    assert.ok(events.some((e) => e.type === 'validation' && e.step === 9), 'validated at step 9');
    assert.ok(last.weights.every((w) => w.values.every(Number.isFinite)));
    (await Translator.load(outDir)).dispose();
    const lines = (await fs.readFile(path.join(outDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.match(lines[lines.length - 1].message, /training stopped at step 10/);
    assert.ok(!lines.some((l) => l.type === 'progress' && l.step > 10));
  });

  it('a shorter run of skipped steps is logged and training goes on; 0 never stops', async () => {
    reset();
    poisoned = (step) => step === 3 || step === 4 || step === 5 || step === 8;
    const done = await train({ config: config({ epochs: 10 }), outDir: path.join(dir, 'goes-on'), resume: false });
    assert.equal(done.reason, 'epochs');
    assert.equal(done.step, 10);

    reset();
    poisoned = (step) => step >= 2;
    const events: TrainingEvent[] = [];
    const never = await train({ config: config({ epochs: 12, maxNonFiniteSteps: 0 }), outDir: path.join(dir, 'never'), resume: false, listener: (e) => events.push(e) });
    assert.equal(never.step, 12);
    assert.equal(events.filter((e) => e.type === 'log' && /update skipped/.test(e.message)).length, 11);
  });
});

/**
 * `train --resume` is exact: a run stopped part-way (mid-epoch, between
 * validations) and resumed follows the uninterrupted run step for step —
 * the same batches (epoch order), the same dropout and teacher-forcing draws,
 * the same optimizer moments, learning-rate schedule and early-stopping
 * patience — and ends at the same step with the same weights.
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCheckpoint, type NamedArray } from '../src/core/runs/checkpoint';
import { withDefaults } from '../src/core/config/config';
import type { ProgressEvent, TrainingEvent, ValidationEvent } from '../src/core/training/events';
import { Random } from '../src/core/random';
import { afterValidation, initialPatience } from '../src/core/training/schedule';
import { train } from '../src/core/training/training';

async function writeReverseTask(file: string, n: number, seed: number): Promise<void> {
  const r = new Random(seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = Array.from({ length: 3 + r.int(5) }, () => r.pick('abcdefghij'.split('')));
    lines.push(`${w.join(' ')}\t${[...w].reverse().join(' ')}`);
  }
  await fs.writeFile(file, lines.join('\n') + '\n');
}

/** Every source of state a resume must restore: dropout, scheduled sampling, plateau decay, early stopping. */
function config(file: string, minDelta = 0) {
  return withDefaults({
    data: { train: file, maxLength: 12, validFraction: 0.1, testFraction: 0, maxValidSentences: 40 },
    model: { embeddingSize: 16, hiddenSize: 32, attention: 'bahdanau', dropout: 0.2 },
    train: {
      batchSize: 16, learningRate: 0.03, epochs: 30, logEvery: 1, validEvery: 7, teacherForcing: 0.8,
      schedule: 'plateau', decayPatience: 1, decayFactor: 0.5, stopMetric: 'perplexity', earlyStoppingPatience: 3, seed: 5, threads: 1, minDelta,
    },
  });
}

const progress = (events: TrainingEvent[]) => events.filter((e): e is ProgressEvent => e.type === 'progress');
const validations = (events: TrainingEvent[]) => events.filter((e): e is ValidationEvent => e.type === 'validation');

function assertSameArrays(a: NamedArray[], b: NamedArray[], what: string): void {
  assert.deepEqual(a.map((x) => x.name), b.map((x) => x.name), `${what}: the same arrays`);
  for (let i = 0; i < a.length; i++) {
    let worst = 0;
    for (let j = 0; j < a[i].values.length; j++) worst = Math.max(worst, Math.abs(a[i].values[j] - b[i].values[j]));
    assert.ok(worst <= 1e-5, `${what}: ${a[i].name} differs by up to ${worst}`);
  }
}

describe('exact resume', function () {
  this.timeout(5 * 60 * 1000);
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-resume-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /**
   * Train `config(file, minDelta)` whole and, in another folder, stopped 3 steps after the validation
   * `pickStop` picks, then resumed; the two must agree.
   */
  async function resumeMatches(name: string, minDelta: number, pickStop: (whole: TrainingEvent[]) => ValidationEvent | undefined) {
    const file = path.join(dir, 'reverse.tsv');
    await writeReverseTask(file, 300, 3);

    const whole: TrainingEvent[] = [];
    const a = await train({ config: config(file, minDelta), outDir: path.join(dir, `${name}-whole`), resume: false, listener: (e) => whole.push(e) });

    const parts: TrainingEvent[] = [];
    const split = path.join(dir, `${name}-split`);
    // Stop with the patience counters running: 3 steps after the picked validation
    // (between validations, every 7 steps, and inside an epoch of 17 steps).
    const noProgress = pickStop(whole);
    assert.ok(noProgress, 'the whole run has the validation to stop after');
    const stopAt = noProgress!.step + 3;
    assert.equal(a.reason, 'early-stopping', 'the whole run ends by early stopping');
    const rates = (from: number) => new Set(progress(whole).filter((p) => p.step > from).map((p) => p.learningRate)).size;
    assert.ok(rates(stopAt) > 1, 'the learning rate decays after the stop');
    let step = 0;
    const first = await train({
      config: config(file, minDelta), outDir: split, resume: false,
      listener: (e) => { parts.push(e); if (e.type === 'progress') step = e.step; },
      shouldStop: () => step >= stopAt,
    });
    assert.equal(first.reason, 'cancelled');
    assert.ok(first.step < a.step, `stopped (step ${first.step}) before the whole run ended (step ${a.step})`);
    const b = await train({ config: config(file, minDelta), outDir: split, resume: true, listener: (e) => parts.push(e) });

    assert.equal(b.reason, a.reason, 'ends for the same reason');
    assert.equal(b.step, a.step, 'ends at the same step');
    const wholeSteps = new Map(progress(whole).map((p) => [p.step, p]));
    const resumed = progress(parts).filter((p) => p.step > first.step);
    assert.ok(resumed.length > 10, 'the resumed part trained');
    for (const p of resumed) {
      const q = wholeSteps.get(p.step)!;
      assert.ok(q, `step ${p.step} in the whole run`);
      assert.equal(p.epoch, q.epoch, `step ${p.step}: epoch`);
      assert.ok(Math.abs(p.loss - q.loss) <= 1e-5 * Math.max(1, q.loss), `step ${p.step}: loss ${p.loss} vs ${q.loss}`);
      assert.equal(p.learningRate, q.learningRate, `step ${p.step}: learning rate`);
    }
    const vw = validations(whole);
    const vp = validations(parts);
    assert.deepEqual(vp.map((v) => v.step), vw.map((v) => v.step), 'validations at the same steps');
    vp.forEach((v, i) => {
      assert.ok(Math.abs(v.perplexity - vw[i].perplexity) <= 1e-4 * vw[i].perplexity, `validation at step ${v.step}: perplexity`);
      assert.equal(v.isBest, vw[i].isBest, `validation at step ${v.step}: best or not`);
    });
    const [la, lb] = await Promise.all([loadCheckpoint(path.join(dir, `${name}-whole`, 'last')), loadCheckpoint(path.join(split, 'last'))]);
    assert.equal(lb.meta.step, la.meta.step);
    assertSameArrays(lb.weights, la.weights, 'last/ weights');
    assertSameArrays(lb.optimizer!, la.optimizer!, 'last/ optimizer state');
    const [ba, bb] = await Promise.all([loadCheckpoint(path.join(dir, `${name}-whole`, 'best')), loadCheckpoint(path.join(split, 'best'))]);
    assert.equal(bb.meta.step, ba.meta.step, 'the same best step');
    assertSameArrays(bb.weights, ba.weights, 'best/ weights');
    return { whole, parts, done: b };
  }

  it('a run stopped mid-epoch and resumed equals the uninterrupted run: losses, learning rates, validations, last step and weights', async () => {
    await resumeMatches('plain', 0, (whole) => validations(whole).find((v) => !v.isBest));
  });

  it('with train.minDelta, the resumed run keeps the patience reference: stopped after a validation that was a new best but no progress', async () => {
    const minDelta = 0.2;
    const { whole, done } = await resumeMatches('min-delta', minDelta, (events) => {
      // Replay the patience rule over the whole run: the first validation whose perplexity was a new best
      // without falling by more than minDelta (so the reference and the best differ from here on).
      let p = initialPatience('perplexity');
      for (const v of validations(events)) {
        p = afterValidation(p, v.perplexity, v.perplexity, { stopMetric: 'perplexity', schedule: 'plateau', decayPatience: 1, earlyStoppingPatience: 3, minDelta }, v.step).patience;
        if (v.isBest && p.progressPerplexity !== p.lowestPerplexity) return v;
      }
      return undefined;
    });
    const info = done.earlyStopping;
    assert.ok(info, 'the done event says why it stopped');
    assert.equal(info!.minDelta, minDelta);
    assert.equal(info!.patience, 3);
    const last = validations(whole).filter((v) => v.step <= info!.sinceStep).pop();
    assert.equal(last?.step, info!.sinceStep, 'the last progress is a validation of the run');
    assert.ok(Math.abs(info!.perplexity - last!.perplexity) <= 1e-9, 'with its perplexity');
  });

  it('a run stopped between two progress events logs the same mean losses after its resume (the loss window is in last/)', async () => {
    const file = path.join(dir, 'reverse5.tsv');
    await writeReverseTask(file, 300, 3);
    const cfg = () => {
      const c = config(file);
      return { ...c, train: { ...c.train, logEvery: 5, earlyStoppingPatience: 0, maxSteps: 60 } };
    };
    const whole: TrainingEvent[] = [];
    await train({ config: cfg(), outDir: path.join(dir, 'whole5'), resume: false, listener: (e) => whole.push(e) });
    const parts: TrainingEvent[] = [];
    const split = path.join(dir, 'split5');
    // shouldStop is asked before each step: stop after step 23, whose loss (with 21 and 22) the step-25 event averages.
    let asked = 0;
    const stopped = await train({ config: cfg(), outDir: split, resume: false, listener: (e) => parts.push(e), shouldStop: () => ++asked > 23 });
    assert.equal(stopped.step, 23);
    const first = 23;
    await train({ config: cfg(), outDir: split, resume: true, listener: (e) => parts.push(e) });
    const w = new Map(progress(whole).map((p) => [p.step, p.loss]));
    const after = progress(parts).filter((p) => p.step > first);
    assert.ok(after.length >= 5);
    for (const p of after) assert.ok(Math.abs(p.loss - w.get(p.step)!) <= 1e-5 * Math.max(1, p.loss), `step ${p.step}: mean loss ${p.loss} vs ${w.get(p.step)}`);
  });
});

import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/kernels/backend';
import { withDefaults } from '../src/core/config/config';
import type { TrainingEvent } from '../src/core/training/events';
import { train } from '../src/core/training/training';
import { Translator } from '../src/core/decoding/translator';

const PAIRS = [
  ['the cat sleeps', 'le chat dort'],
  ['the dog runs', 'le chien court'],
  ['a cat runs', 'un chat court'],
  ['a dog sleeps', 'un chien dort'],
  ['the cat eats', 'le chat mange'],
  ['a dog eats', 'un chien mange'],
];

/**
 * Issue 4: "the number of live tensors is the same after step 10 and step
 * 1000". A tiny model on tiny data so that 1000 real steps of the trainer's
 * own loop (forward, backward, clipping, Adam, progress events, validation
 * with greedy decoding and checkpoints every 50 steps) take seconds.
 */
describe('no tensor leaks', function () {
  this.timeout(300000);
  let dir: string;

  before(async () => {
    await initBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-leaks-'));
    await fs.writeFile(path.join(dir, 'train.tsv'), PAIRS.map((p) => p.join('\t')).join('\n') + '\n');
    await fs.writeFile(path.join(dir, 'valid.tsv'), PAIRS.slice(0, 2).map((p) => p.join('\t')).join('\n') + '\n');
  });

  after(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('train(): live tensors after step 1000 equal those after step 10 (validation every 50 steps included)', async () => {
    const config = withDefaults({
      data: { train: path.join(dir, 'train.tsv'), valid: path.join(dir, 'valid.tsv'), test: path.join(dir, 'valid.tsv') },
      model: { embeddingSize: 4, hiddenSize: 4, dropout: 0.1 },
      // One batch per epoch: 1000 epochs = 1000 steps. No early stop, no learning-rate floor.
      train: { batchSize: PAIRS.length, epochs: 1000, logEvery: 10, validEvery: 50, stopMetric: 'loss', earlyStoppingPatience: 0, decayPatience: 1000, minLearningRate: 0, learningRate: 0.01 },
    });
    const live = new Map<number, number>();
    let validations = 0;
    const done = await train({
      config,
      outDir: path.join(dir, 'run'),
      resume: false,
      listener: (e: TrainingEvent) => {
        if (e.type === 'progress') live.set(e.step, tf.memory().numTensors);
        if (e.type === 'validation') validations++;
      },
    });
    assert.equal(done.step, 1000, `the run trained 1000 steps (stopped: ${done.reason})`);
    assert.ok(validations >= 19, `validated every 50 steps (${validations} validations)`);
    assert.ok(live.has(10) && live.has(1000));
    assert.equal(live.get(1000), live.get(10), `live tensors: ${live.get(10)} after step 10, ${live.get(1000)} after step 1000`);
  });

  for (const engine of ['fast', 'tensor'] as const) {
    it(`Translator (${engine} engine): live tensors after 200 translations equal those after 1`, async () => {
      const translator = await Translator.load(path.join(dir, 'run'));
      try {
        const sentences = PAIRS.map((p) => p[0]).concat(['the unknownword cat', '']);
        const once = (i: number) => translator.translate(sentences[i % sentences.length], { beamSize: i % 2 ? 3 : 1, engine });
        once(0);
        const after1 = tf.memory().numTensors;
        for (let i = 1; i < 200; i++) once(i);
        assert.equal(tf.memory().numTensors, after1);
      } finally {
        translator.dispose();
      }
    });
  }
});

import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withDefaults } from '../src/core/config/config';
import type { EncodedPair } from '../src/core/data/batching';
import { describeError, isOutOfMemory } from '../src/core/errors';
import type { TrainingEvent } from '../src/core/training/events';
import { largestBatch, train } from '../src/core/training/training';
import { Updater } from '../src/core/training/updater';

const WASM_ABORT = 'Aborted(). Build with -sASSERTIONS for more info.';

describe('running out of memory in training', function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-memory-'));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('isOutOfMemory recognises the wasm abort and failed allocations, and nothing else', () => {
    for (const m of [WASM_ABORT, 'Array buffer allocation failed', 'WebAssembly.Memory(): could not allocate memory', 'OOM when allocating tensor', 'JavaScript heap out of memory']) {
      assert.ok(isOutOfMemory(new Error(m)), m);
    }
    for (const m of ['data.tsv:3: expected 2 columns', 'Aborting the run', 'shape mismatch']) assert.ok(!isOutOfMemory(new Error(m)), m);
  });

  it('largestBatch covers the longest source and the longest target, and the largest source × target pairs', () => {
    const pair = (s: number, t: number): EncodedPair => ({ src: Array(s).fill(5), tgt: Array(t).fill(6) });
    const pairs = [pair(3, 3), pair(30, 2), pair(4, 4), pair(2, 25), pair(10, 10), pair(9, 9), pair(1, 1)];
    const b = largestBatch(pairs, 4);
    assert.equal(b.size, 4);
    assert.deepEqual([...b.indices].sort(), [1, 3, 4, 5]);
    assert.equal(b.srcLen, 31, 'longest source + <eos>');
    assert.equal(b.tgtLen, 26, 'longest target + <bos>/<eos>');
    assert.equal(largestBatch(pairs, 100).size, pairs.length);
    assert.throws(() => largestBatch([], 4), RangeError);
  });

  describe('train()', () => {
    const original = Updater.prototype.gradients;
    afterEach(() => {
      Updater.prototype.gradients = original;
    });

    async function setup(name: string) {
      const lines = Array.from({ length: 60 }, (_, i) => `${'a b c d e'.slice(0, 1 + 2 * (i % 5))}\t${'x y z'.slice(0, 1 + 2 * (i % 3))}`);
      const file = path.join(dir, `${name}.tsv`);
      await fs.writeFile(file, lines.join('\n') + '\n');
      const config = withDefaults({
        data: { train: file, validFraction: 0.1, testFraction: 0.1 },
        model: { embeddingSize: 8, hiddenSize: 8 },
        train: { batchSize: 8, epochs: 1, logEvery: 1 },
      });
      return { config, outDir: path.join(dir, name) };
    }

    /** Train, expecting a ResourceError; @returns it and the events emitted before it. */
    async function failedTraining(config: ReturnType<typeof withDefaults>, outDir: string): Promise<{ err: Error; events: TrainingEvent[] }> {
      const events: TrainingEvent[] = [];
      const err = await train({ config, outDir, resume: false, listener: (e) => events.push(e) }).then(
        () => assert.fail('training should have failed'),
        (e: unknown) => e as Error,
      );
      assert.equal(err.name, 'ResourceError', err.stack);
      return { err, events };
    }

    it('checks the largest batch before the first step and fails at once, naming the settings to lower', async () => {
      const { config, outDir } = await setup('probe');
      const seen: number[] = [];
      Updater.prototype.gradients = function (this: Updater, batch, random) {
        seen.push(batch.size);
        if (batch.srcLen >= 6) throw new Error(WASM_ABORT); // only the largest batch (sources of 5 words + <eos>) is too big
        return original.call(this, batch, random);
      };
      const { err, events } = await failedTraining(config, outDir);
      assert.match(err.message, /^Training needs more than the wasm backend's 4 GB heap: a batch of 8 pairs with sources up to 6 and targets up to 4 tokens does not fit\. Lower train\.batchSize or data\.maxLength/);
      assert.equal(describeError(err).expected, true, 'shown as a user error, without a stack');
      assert.deepEqual(seen, [8], 'no training step ran');
      assert.ok(!events.some((e) => e.type === 'progress'));
    });

    it('an out-of-memory in a later step says which step and which checkpoint is kept; a normal run logs the memory check', async () => {
      const { config, outDir } = await setup('later');
      let calls = 0;
      Updater.prototype.gradients = function (this: Updater, batch, random) {
        if (++calls === 4) throw new Error(WASM_ABORT); // the probe, then steps 1 and 2 succeed
        return original.call(this, batch, random);
      };
      const { err, events } = await failedTraining(config, outDir);
      assert.match(err.message, /^Training step 3 needs more than the wasm backend's 4 GB heap: a batch of \d+ pairs/);
      assert.match(err.message, /No checkpoint had been saved yet\.$/);
      const check = events.find((e) => e.type === 'log' && e.message.startsWith('memory check'));
      assert.ok(check && check.type === 'log', 'memory check logged');
      assert.match(check.message, /^memory check: the largest batch \(8 pairs, up to 6 source × 4 target tokens\) fits; wasm heap \d+\.\d\d GB of 4 GB$/);
    });
  });
});

/**
 * Alignment as it is learned (src/core/training/alignments.ts): every
 * validation event of a run with attention carries the attention of its
 * first sample sentences — the output's and the reference's forced
 * alignment — bounded in size, in metrics.jsonl and to the listener.
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/kernels/backend';
import { DEFAULT_MODEL, withDefaults } from '../src/core/config/config';
import { Vocabulary } from '../src/core/data/vocabulary';
import { createModel } from '../src/core/model/index';
import { ALIGNMENT_MAX_TOKENS, ALIGNMENT_SENTENCES, recordAlignments } from '../src/core/training/alignments';
import type { TrainingEvent, ValidationEvent } from '../src/core/training/events';
import { train } from '../src/core/training/training';
import { forceTarget, tensorSentence } from '../src/core/decoding/forced';

describe('alignment as it is learned: the trainer records the sample sentences’ attention at each validation', function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    await initBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-align-'));
    const words = ['a', 'b', 'c', 'd', 'e', 'f'];
    const pairs: string[] = [];
    for (let i = 0; i < 40; i++) {
      const s = Array.from({ length: 2 + (i % 4) }, (_, k) => words[(i + 2 * k) % words.length]);
      pairs.push(`${s.join(' ')}\t${[...s].reverse().join(' ')}`);
    }
    await fs.writeFile(path.join(dir, 'train.tsv'), pairs.join('\n') + '\n');
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function run(name: string, model: Record<string, unknown>): Promise<{ events: TrainingEvent[]; logged: ValidationEvent[] }> {
    const config = withDefaults({
      data: { train: path.join(dir, 'train.tsv'), valid: path.join(dir, 'train.tsv'), test: path.join(dir, 'train.tsv') },
      model: { embeddingSize: 8, hiddenSize: 16, dropout: 0, ...model },
      train: { batchSize: 8, epochs: 2, logEvery: 1, validEvery: 3, earlyStoppingPatience: 0, threads: 1 },
    });
    const events: TrainingEvent[] = [];
    await train({ config, outDir: path.join(dir, name), resume: false, listener: (e) => events.push(e) });
    const lines = (await fs.readFile(path.join(dir, name, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as TrainingEvent);
    return { events, logged: lines.filter((e): e is ValidationEvent => e.type === 'validation') };
  }

  it('records the output’s and the reference’s attention of the first samples, in per mille, in metrics.jsonl and to the listener', async () => {
    const { events, logged } = await run('bahdanau', { attention: 'bahdanau' });
    const live = events.filter((e): e is ValidationEvent => e.type === 'validation');
    assert.ok(logged.length >= 3, `several validations (${logged.length})`);
    assert.deepEqual(logged.map((e) => e.alignments), live.map((e) => e.alignments), 'the same in the file and live');
    for (const v of logged) {
      const a = v.alignments!;
      assert.equal(a.length, Math.min(ALIGNMENT_SENTENCES, v.samples.length));
      a.forEach((s, i) => {
        assert.equal(s.source.join(' '), v.samples[i].source + ' <eos>', 'the sample’s source tokens, then <eos>');
        assert.equal(s.reference.slice(0, -1).join(' '), v.samples[i].reference, 'the sample’s reference');
        assert.equal(s.referenceAttention.length, s.reference.length, 'one forced row per reference token');
        assert.equal(s.outputAttention.length, s.output.length, 'one row per output token');
        for (const row of [...s.referenceAttention, ...s.outputAttention]) {
          assert.equal(row.length, s.source.length);
          assert.ok(row.every((w) => Number.isInteger(w) && w >= 0 && w <= 1000));
          const sum = row.reduce((x, y) => x + y, 0);
          assert.ok(Math.abs(sum - 1000) <= row.length, `a row sums to 1000 ‰ up to rounding (${sum})`);
        }
        assert.ok(s.referenceLogProb < 0);
      });
    }
    // The diagonal is learned: the reference's alignment changes between the first and the last validation.
    const first = logged[0].alignments![0].referenceAttention;
    const last = logged[logged.length - 1].alignments![0].referenceAttention;
    assert.notDeepEqual(first, last);
    const bytes = JSON.stringify(logged[logged.length - 1].alignments).length;
    assert.ok(bytes < 4000, `small per validation for short sentences (${bytes} bytes)`);
  });

  it('a model without attention records none (the event has no alignments field)', async () => {
    const { logged } = await run('none', { attention: 'none' });
    assert.ok(logged.length > 0);
    for (const v of logged) assert.equal('alignments' in v, false);
  });

  it('the forced alignment is forced decoding’s; sentences above 40 tokens are cut and flagged (bounded size)', () => {
    const model = createModel({ ...DEFAULT_MODEL, attention: 'luong-general', embeddingSize: 6, hiddenSize: 8, dropout: 0 }, 12, 11, 3);
    try {
      const vocab = Vocabulary.fromJSON({ tokens: ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'b', 'c', 'd', 'e', 'f', 'g'] });
      const long = Array.from({ length: 55 }, (_, i) => 4 + (i % 7));
      const pairs = [
        { src: [4, 5, 6], tgt: [7, 8] },
        { src: long, tgt: long },
      ];
      const rec = recordAlignments(model, pairs, vocab, vocab, { beamSize: 1, lengthPenalty: 1, maxOutputRatio: 1.5 });
      assert.equal(rec.length, 2);
      const s = tensorSentence(model, [4, 5, 6], 1.5);
      const forced = forceTarget(s, [7, 8], { beamSize: 1, lengthPenalty: 1 });
      s.dispose();
      assert.deepEqual(rec[0].referenceAttention, forced.attention.map((row) => row.map((w) => Math.round(w * 1000))));
      assert.equal(rec[0].truncated, undefined);
      assert.equal(rec[1].truncated, true);
      for (const m of [rec[1].referenceAttention, rec[1].outputAttention]) {
        assert.ok(m.length <= ALIGNMENT_MAX_TOKENS && m.every((r) => r.length <= ALIGNMENT_MAX_TOKENS));
      }
      assert.equal(rec[1].source.length, ALIGNMENT_MAX_TOKENS);
      const bytes = JSON.stringify(rec).length;
      assert.ok(bytes < 60_000, `bounded: ${bytes} bytes`);
      // Beam search records its own output's attention.
      const before = tf.memory().numTensors;
      const beam = recordAlignments(model, pairs.slice(0, 1), vocab, vocab, { beamSize: 3, lengthPenalty: 1, maxOutputRatio: 1.5 });
      assert.equal(beam[0].outputAttention.length, beam[0].output.length);
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    } finally {
      model.dispose();
    }
  });
});

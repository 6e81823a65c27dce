/**
 * A checkpoint is data: property-based tests (fast-check) that mutate the
 * files of a real run's checkpoints — shapes, offsets, names, the format,
 * the length of the .bin files, random bytes — and load them the ways the lab
 * does (Translator.load for eval / translate / Translate Selection, and
 * `train --resume`). A mutated checkpoint either still describes the same
 * model and loads, or is refused with a CheckpointError naming the file;
 * nothing else is thrown, no tensor is left behind, a refused resume leaves
 * the run folder as it was.
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/core/kernels/backend';
import { CHECKPOINT_FORMAT, CheckpointError, loadCheckpoint } from '../src/core/runs/checkpoint';
import { withDefaults } from '../src/core/config/config';
import { train } from '../src/core/training/training';
import { Translator } from '../src/core/decoding/translator';

const PAIRS = ['a b c', 'b c d', 'c d e', 'd e a', 'e a b', 'a c e', 'b d a', 'c e b'].map((s) => `${s}\t${s.split(' ').reverse().join(' ')}`);

type Kind = 'best' | 'last';

describe('checkpoint validation (mutated real checkpoints)', function () {
  this.timeout(10 * 60 * 1000);
  let dir: string;
  let runDir: string;
  /** Pristine bytes of every checkpoint file, by path relative to the run folder. */
  const pristine = new Map<string, Buffer>();
  let config: ReturnType<typeof withDefaults>;

  before(async () => {
    await initBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-ckpt-'));
    await fs.writeFile(path.join(dir, 'train.tsv'), PAIRS.join('\n') + '\n');
    config = withDefaults({
      data: { train: path.join(dir, 'train.tsv'), valid: path.join(dir, 'train.tsv'), test: path.join(dir, 'train.tsv') },
      model: { embeddingSize: 4, hiddenSize: 8, dropout: 0 },
      train: { batchSize: 4, epochs: 2, logEvery: 1, validEvery: 2, earlyStoppingPatience: 0, decayPatience: 0, threads: 1 },
    });
    runDir = path.join(dir, 'run');
    await train({ config, outDir: runDir, resume: false });
    for (const kind of ['best', 'last']) {
      for (const f of await fs.readdir(path.join(runDir, kind))) pristine.set(`${kind}/${f}`, await fs.readFile(path.join(runDir, kind, f)));
    }
    pristine.set('metrics.jsonl', await fs.readFile(path.join(runDir, 'metrics.jsonl')));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const file = (rel: string) => path.join(runDir, rel);
  const json = (rel: string) => JSON.parse(pristine.get(rel)!.toString('utf8'));
  async function restore(): Promise<void> {
    for (const [rel, bytes] of pristine) await fs.writeFile(file(rel), bytes);
  }

  /** Load `kind` as eval/translate do; resolves 'loaded' or the CheckpointError; rejects on anything else or a leak. */
  async function loadAs(kind: Kind): Promise<'loaded' | CheckpointError> {
    const before = tf.memory().numTensors;
    let result: 'loaded' | CheckpointError;
    try {
      const t = await Translator.load(file(kind));
      t.dispose();
      result = 'loaded';
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw new Error(`not a CheckpointError: ${(e as Error).stack}`);
      result = e;
    }
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    return result;
  }

  /** `train --resume` on the run: must be refused before anything in the run folder changes. */
  async function resumeRefused(): Promise<CheckpointError> {
    const err = await train({ config, outDir: runDir, resume: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof CheckpointError, `expected a CheckpointError, got ${err instanceof Error ? err.stack : err}`);
    assert.deepEqual(await fs.readFile(file('metrics.jsonl')), pristine.get('metrics.jsonl'), 'metrics.jsonl untouched');
    return err;
  }

  const kindArb = fc.constantFrom<Kind>('best', 'last');

  it('the unmodified checkpoints load, and a manifest without a format key (older runs) still does', async () => {
    assert.equal(await loadAs('best'), 'loaded');
    assert.equal(await loadAs('last'), 'loaded');
    const w = json('best/weights.json');
    assert.equal(w.format, CHECKPOINT_FORMAT);
    delete w.format;
    await fs.writeFile(file('best/weights.json'), JSON.stringify(w));
    assert.equal(await loadAs('best'), 'loaded');
    await restore();
  });

  it('a hand-edited shape is refused naming the file, the array and the expected shape, before anything is allocated', async () => {
    const w = json('best/weights.json');
    w.arrays[0].shape = [1e9, 1e9];
    await fs.writeFile(file('best/weights.json'), JSON.stringify(w));
    const err = await loadAs('best');
    assert.ok(err instanceof CheckpointError);
    assert.match(err.message, new RegExp(`best[/\\\\]weights\\.json: arrays\\[0\\] \\(${w.arrays[0].name}\\): shape \\[1000000000,1000000000\\] needs 4000000000000000000 bytes from byte 0 on, but .*weights\\.bin has \\d+ bytes \\(it was cut short, or the shape was edited\\)\\. The checkpoint is damaged or was edited: use the run's other checkpoint`));
    await restore();
    // Same size, other shape: named with the shape the run's model needs.
    const k = w.arrays.findIndex((a: { shape: number[] }) => a.shape.length === 2 && a.shape[0] !== a.shape[1]);
    const [r0, c0] = json('best/weights.json').arrays[k].shape;
    const t = json('best/weights.json');
    t.arrays[k].shape = [c0, r0];
    await fs.writeFile(file('best/weights.json'), JSON.stringify(t));
    const err2 = await loadAs('best');
    assert.ok(err2 instanceof CheckpointError);
    assert.match(err2.message, new RegExp(`weights\\.json: ${t.arrays[k].name} has shape \\[${c0},${r0}\\]; the run's config and vocabularies \\(run\\.json\\) give \\[${r0},${c0}\\]`));
    await restore();

    await fc.assert(
      fc.asyncProperty(
        kindArb,
        fc.nat(),
        fc.array(fc.oneof(fc.nat(64), fc.integer({ min: -3, max: 2 ** 31 }), fc.constantFrom(1e9, 2 ** 53, 0.5, -1)), { maxLength: 4 }),
        async (kind, pick, shape) => {
          const rel = `${kind}/weights.json`;
          const w = json(rel);
          const entry = w.arrays[pick % w.arrays.length];
          fc.pre(JSON.stringify(shape) !== JSON.stringify(entry.shape));
          entry.shape = shape;
          await fs.writeFile(file(rel), JSON.stringify(w));
          try {
            const r = await loadAs(kind);
            assert.ok(r instanceof CheckpointError, `shape ${JSON.stringify(shape)} for ${entry.name} was accepted`);
            assert.ok(r.message.includes(path.join(kind, 'weights.json')) || r.message.includes(path.join(kind, 'weights.bin')), r.message);
          } finally {
            await restore();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a truncated or extended .bin file is refused with the sizes found and expected', async () => {
    await fc.assert(
      fc.asyncProperty(kindArb, fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 64 }), async (kind, cut, where, extra) => {
        const rel = `${kind}/weights.bin`;
        const bytes = pristine.get(rel)!;
        const mutated = cut ? bytes.subarray(0, Math.floor(where * (bytes.length - 1))) : Buffer.concat([bytes, Buffer.alloc(extra)]);
        await fs.writeFile(file(rel), mutated);
        try {
          const r = await loadAs(kind);
          assert.ok(r instanceof CheckpointError, `a ${mutated.length}-byte weights.bin (of ${bytes.length}) was accepted`);
          assert.match(r.message, /weights\.bin has \d+ bytes/);
        } finally {
          await restore();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a manifest of another format version is refused, naming the versions this one reads', async () => {
    await fc.assert(
      fc.asyncProperty(kindArb, fc.oneof(fc.string(), fc.constant('seq2seq-lab/checkpoint@2'), fc.integer(), fc.constant(null)), async (kind, format) => {
        fc.pre(format !== CHECKPOINT_FORMAT && format !== null);
        const rel = `${kind}/weights.json`;
        const w = json(rel);
        w.format = format;
        await fs.writeFile(file(rel), JSON.stringify(w));
        try {
          const r = await loadAs(kind);
          assert.ok(r instanceof CheckpointError);
          assert.match(r.message, /weights\.json: format .* is not one this version of Seq2Seq Lab reads \(seq2seq-lab\/checkpoint@1\)/);
        } finally {
          await restore();
        }
      }),
      { numRuns: 30 },
    );
  });

  it('any field of any manifest entry replaced by any JSON value: loads only if it still describes the same arrays', async () => {
    await fc.assert(
      fc.asyncProperty(kindArb, fc.nat(), fc.constantFrom('name', 'shape', 'offset', 'meta'), fc.jsonValue({ maxDepth: 2 }), async (kind, pick, field, value) => {
        const rel = `${kind}/weights.json`;
        const w = json(rel);
        const entry = w.arrays[pick % w.arrays.length];
        const same = JSON.stringify(field === 'meta' ? w.meta : entry[field]) === JSON.stringify(value);
        if (field === 'meta') w.meta = value;
        else entry[field] = value;
        await fs.writeFile(file(rel), JSON.stringify(w));
        try {
          const r = await loadAs(kind);
          if (same) assert.equal(r, 'loaded');
          else assert.ok(r instanceof CheckpointError, `${field} = ${JSON.stringify(value)} was accepted`);
        } finally {
          await restore();
        }
      }),
      { numRuns: 80 },
    );
  });

  it('random bytes written into any checkpoint file: loaded whole or refused, never a crash', async () => {
    const files = [...pristine.keys()].filter((k) => k !== 'metrics.jsonl');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...files),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        async (rel, edits) => {
          const bytes = Buffer.from(pristine.get(rel)!);
          for (const [where, value] of edits) bytes[Math.min(bytes.length - 1, Math.floor(where * bytes.length))] = value;
          await fs.writeFile(file(rel), bytes);
          try {
            const kind = rel.split('/')[0] as Kind;
            await loadAs(kind);
            // The direct reader, with what the model expects, too (optimizer.json / trainer.json are not read by Translator).
            const t = await Translator.load(file('best')).catch(() => undefined);
            if (t) {
              const specs = t.model.params.specs;
              t.dispose();
              await loadCheckpoint(file(kind), { weights: specs }).catch((e) => {
                if (!(e instanceof CheckpointError)) throw e;
              });
            }
          } finally {
            await restore();
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a hand-edited run.json config is refused naming the file and the key, before a model is built from it', async () => {
    const manifestFile = file('run.json');
    const original = await fs.readFile(manifestFile, 'utf8');
    const edits: [(c: any) => void, RegExp][] = [
      [(c) => (c.model.hiddenSize = 1e9), /run\.json \(its "config"\): model\.hiddenSize must be <= 4096 \(got 1000000000\)/],
      [(c) => (c.model.embeddingSize = -3), /model\.embeddingSize must be >= 1/],
      [(c) => (c.model.attention = 'dot'), /model\.attention must be one of/],
      [(c) => (c.model.layers = 'two'), /model\.layers must be an integer \(got "two"\)/],
    ];
    try {
      for (const [edit, message] of edits) {
        const m = JSON.parse(original);
        edit(m.config);
        await fs.writeFile(manifestFile, JSON.stringify(m));
        const before = tf.memory().numBytes;
        await assert.rejects(Translator.load(runDir), (e: Error) => (assert.match(e.message, message), true));
        assert.equal(tf.memory().numBytes, before, 'nothing allocated');
        await assert.rejects(train({ config, outDir: runDir, resume: true }), (e: Error) => (assert.match(e.message, message), true));
      }
    } finally {
      await fs.writeFile(manifestFile, original);
    }
    (await Translator.load(runDir)).dispose();
  });

  it('train --resume refuses a mutated last/ before it changes anything', async () => {
    const mutations: ((o: { w: any; opt: any; tr: any }) => void)[] = [
      ({ w }) => (w.arrays[1].shape = [1e9, 1e9]),
      ({ opt }) => (opt.arrays[2].shape = [3]),
      ({ opt }) => (opt.arrays = opt.arrays.slice(0, -1)),
      ({ opt }) => (opt.format = 'seq2seq-lab/checkpoint@9'),
      ({ tr }) => (tr.step = 1),
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...mutations.keys()), async (m) => {
        const o = { w: json('last/weights.json'), opt: json('last/optimizer.json'), tr: json('last/trainer.json') };
        mutations[m](o);
        await fs.writeFile(file('last/weights.json'), JSON.stringify(o.w));
        await fs.writeFile(file('last/optimizer.json'), JSON.stringify(o.opt));
        await fs.writeFile(file('last/trainer.json'), JSON.stringify(o.tr));
        try {
          const err = await resumeRefused();
          assert.match(err.message, /last[/\\](weights|optimizer|trainer)\.(json|bin)/);
          if (m === 4) assert.match(err.message, /trainer\.json is from step 1, weights\.json from step \d+: the checkpoint mixes two steps/);
        } finally {
          await restore();
        }
      }),
      { numRuns: 10 },
    );
    // And the restored run resumes.
    const done = await train({ config: { ...config, train: { ...config.train, epochs: 3 } }, outDir: runDir, resume: true });
    assert.equal(done.reason, 'epochs');
  });
});

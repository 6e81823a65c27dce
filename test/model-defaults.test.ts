/**
 * The model defaults learn: on the generated English→French set
 * (`sample-data/en-fr.tsv`), a fixed number of seeded steps with the current
 * defaults reaches a validation perplexity that the first version's model
 * choices (`legacyModelKeys`: embeddings U(−0.1, 0.1), Luong's attentional
 * readout, hidden/2 encoder units per direction) do not. And runs saved with
 * those choices (run format 1, before `bridgeFrom` too) still load and
 * translate as they were trained.
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../src/core/kernels/backend';
import { RUN_FORMAT } from '../src/core/runs/checkpoint';
import { DEFAULT_MODEL, legacyModelKeys, ModelConfig, withDefaults } from '../src/core/config/config';
import { makeBatches } from '../src/core/data/batching';
import { loadDataset } from '../src/core/data/dataset';
import { teacherForcedLoss } from '../src/core/metrics/evaluation';
import { Seq2SeqModel } from '../src/core/model/seq2seq';
import { Random } from '../src/core/random';
import { train } from '../src/core/training/training';
import { Translator } from '../src/core/decoding/translator';
import { Updater } from '../src/core/training/updater';

const EN_FR = path.join(__dirname, '..', 'sample-data', 'en-fr.tsv');
const STEPS = 60;
/** Validation perplexity after STEPS steps: the defaults must get below it, the first version's choices must not. */
const BOUND = 20;
/** `train.learningRate`'s default before it was chosen by measurement. */
const FIRST_LEARNING_RATE = 1e-3;

describe('model defaults', function () {
  this.timeout(5 * 60 * 1000);
  before(async () => {
    await initBackend();
  });

  /** Validation perplexity after `STEPS` seeded steps of batch 32 with the given model and learning rate (default: the defaults). */
  async function perplexityAfterSteps(model: Partial<ModelConfig>, learningRate?: number): Promise<number> {
    const config = withDefaults({
      data: { train: EN_FR, maxLength: 25, validFraction: 0.05, testFraction: 0.05 },
      model: { embeddingSize: 32, hiddenSize: 64, dropout: 0, ...model },
      train: { batchSize: 32, seed: 7, ...(learningRate ? { learningRate } : {}) },
    });
    const ds = await loadDataset(config);
    const m = new Seq2SeqModel(config.model, ds.srcVocab.size, ds.tgtVocab.size, 7);
    const updater = new Updater(m, config.train, new Random(8));
    try {
      const batches = makeBatches(ds.train.encoded, 32, { shuffle: true, random: new Random(9), bucket: true });
      for (let i = 0; i < STEPS; i++) updater.step(batches[i]);
      return teacherForcedLoss(m, ds.valid.encoded.slice(0, 400), 100).perplexity;
    } finally {
      updater.dispose();
      m.dispose();
    }
  }

  it(`the defaults reach validation perplexity < ${BOUND} in ${STEPS} steps on generated en→fr; the first version's choices do not`, async () => {
    const now = await perplexityAfterSteps({});
    const first = await perplexityAfterSteps(legacyModelKeys({ hiddenSize: 64, bidirectional: true }), FIRST_LEARNING_RATE);
    assert.ok(now < BOUND, `defaults: perplexity ${now.toFixed(2)} after ${STEPS} steps`);
    assert.ok(first > BOUND, `first version: perplexity ${first.toFixed(2)} after ${STEPS} steps (the bound must tell them apart)`);
  });

  it('a run saved in format 1 (before readout and embedding keys existed) loads with the choices it was trained with', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-legacy-'));
    try {
      const data = path.join(dir, 'pairs.tsv');
      await fs.writeFile(data, (await fs.readFile(EN_FR, 'utf8')).split('\n').slice(0, 300).join('\n') + '\n');
      const legacy = legacyModelKeys({ hiddenSize: 32, bidirectional: true });
      const config = withDefaults({
        data: { train: data, validFraction: 0.1, testFraction: 0.1 },
        model: { embeddingSize: 16, hiddenSize: 32, ...legacy },
        train: { batchSize: 32, epochs: 1, validEvery: 0, logEvery: 5 },
      });
      const outDir = path.join(dir, 'run');
      await train({ config, outDir, resume: false });
      const sentence = 'the cat is in my pretty heavy letter .';
      const before = await Translator.load(outDir);
      const expected = before.translate(sentence, { beamSize: 1 });
      before.dispose();
      // Rewrite run.json as the first format wrote it: no new model keys.
      const manifestFile = path.join(outDir, 'run.json');
      const manifest = JSON.parse(await fs.readFile(manifestFile, 'utf8'));
      assert.equal(manifest.format, RUN_FORMAT);
      manifest.format = 'seq2seq-lab/run@1';
      for (const key of [...Object.keys(legacy), 'bridgeFrom']) delete manifest.config.model[key];
      await fs.writeFile(manifestFile, JSON.stringify(manifest));
      const after = await Translator.load(outDir);
      try {
        assert.deepEqual(
          (({ readout, encoderHiddenSize, embeddingInit, embeddingInitScale, bridgeFrom }) => ({ readout, encoderHiddenSize, embeddingInit, embeddingInitScale, bridgeFrom }))(after.config.model),
          { readout: 'attentional', encoderHiddenSize: 16, embeddingInit: 'uniform', embeddingInitScale: 0.1, bridgeFrom: 'final' },
        );
        const got = after.translate(sentence, { beamSize: 1 });
        assert.equal(got.text, expected.text);
        assert.deepEqual(got.attention, expected.attention);
      } finally {
        after.dispose();
      }
      // The current defaults differ from the legacy choices (otherwise this test proves nothing).
      assert.notEqual(DEFAULT_MODEL.readout, legacy.readout);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * `model.bridgeFrom` through a run folder: a run trained with the bridge from
 * the mean of the encoder outputs keeps that choice in run.json, resumes and
 * translates with it (fast and tensor engines alike), and runs written before
 * the key existed (run formats 1 and 2) load with the final-state bridge they
 * were trained with.
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../src/core/kernels/backend';
import { readRunManifest, RUN_FORMAT, upgradeManifest, type RunManifest } from '../src/core/runs/checkpoint';
import { withDefaults } from '../src/core/config/config';
import { train } from '../src/core/training/training';
import { Translator } from '../src/core/decoding/translator';

const EN_FR = path.join(__dirname, '..', 'sample-data', 'en-fr.tsv');
const SENTENCE = 'the cat is in my pretty heavy letter .';

describe('model.bridgeFrom in run folders', function () {
  this.timeout(5 * 60 * 1000);
  let dir: string;
  let runDir: string;
  before(async () => {
    await initBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-bridge-from-'));
    const data = path.join(dir, 'pairs.tsv');
    await fs.writeFile(data, (await fs.readFile(EN_FR, 'utf8')).split('\n').slice(0, 300).join('\n') + '\n');
    const config = withDefaults({
      data: { train: data, validFraction: 0.1, testFraction: 0.1 },
      model: { embeddingSize: 16, hiddenSize: 32, bridgeFrom: 'mean' },
      train: { batchSize: 32, epochs: 1, validEvery: 0, logEvery: 5, threads: 1 },
    });
    runDir = path.join(dir, 'run');
    await train({ config, outDir: runDir, resume: false });
    // Resuming reads the model from run.json: the second epoch trains the same model on.
    const done = await train({ config: { ...config, train: { ...config.train, epochs: 2 } }, outDir: runDir, resume: true });
    assert.equal(done.epoch, 2);
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function translate(run: string, engine: 'fast' | 'tensor', beamSize = 1) {
    const t = await Translator.load(run);
    try {
      return { bridgeFrom: t.manifest.config.model.bridgeFrom, ...t.translate(SENTENCE, { beamSize, engine }) };
    } finally {
      t.dispose();
    }
  }

  /** A copy of the run whose run.json `edit` rewrites. */
  async function editedCopy(name: string, edit: (manifest: { format: string; config: { model: Record<string, unknown> } }) => void): Promise<string> {
    const copy = path.join(dir, name);
    await fs.cp(runDir, copy, { recursive: true });
    const file = path.join(copy, 'run.json');
    const manifest = JSON.parse(await fs.readFile(file, 'utf8'));
    edit(manifest);
    await fs.writeFile(file, JSON.stringify(manifest));
    return copy;
  }

  it('a run trained with bridgeFrom mean records it, and after save and load both engines translate with it alike', async () => {
    const manifest = JSON.parse(await fs.readFile(path.join(runDir, 'run.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.format, RUN_FORMAT);
    assert.equal(manifest.config.model.bridgeFrom, 'mean');
    for (const beam of [1, 3]) {
      const fast = await translate(runDir, 'fast', beam);
      const tensor = await translate(runDir, 'tensor', beam);
      assert.equal(fast.bridgeFrom, 'mean');
      assert.ok(fast.targetTokens.length > 0 && Number.isFinite(fast.logProb), `beam ${beam}: a translation (${JSON.stringify(fast.text)})`);
      assert.deepEqual(fast.targetTokens, tensor.targetTokens, `beam ${beam}: tokens`);
      assert.ok(Math.abs(fast.logProb - tensor.logProb) < 1e-3, `beam ${beam}: logProb ${fast.logProb} vs ${tensor.logProb}`);
    }
  });

  it('the loaded run decodes from the mean: the same weights read as bridgeFrom final score the output otherwise', async () => {
    const asFinal = await editedCopy('as-final', (m) => (m.config.model.bridgeFrom = 'final'));
    const mean = await translate(runDir, 'fast');
    const final = await translate(asFinal, 'fast');
    assert.equal(final.bridgeFrom, 'final');
    assert.ok(mean.logProb !== final.logProb || mean.text !== final.text, 'the bridge input changes the decoding');
    assert.notDeepEqual(mean.attention, final.attention);
  });

  it('a run.json of format 2 or 1, without bridgeFrom, loads as bridgeFrom final', async () => {
    const reference = await translate(await editedCopy('final-key', (m) => (m.config.model.bridgeFrom = 'final')), 'fast');
    for (const format of ['seq2seq-lab/run@2', 'seq2seq-lab/run@1']) {
      const old = await editedCopy(`format-${format.slice(-1)}`, (m) => {
        m.format = format;
        delete m.config.model.bridgeFrom;
      });
      const manifest = await readRunManifest(old);
      assert.equal(manifest.format, RUN_FORMAT, `${format}: upgraded`);
      assert.equal(manifest.config.model.bridgeFrom, 'final', `${format}: bridgeFrom`);
      if (format.endsWith('@2')) {
        // Format 2 already had the readout and initialisation keys: nothing else changes.
        const raw = JSON.parse(await fs.readFile(path.join(old, 'run.json'), 'utf8'));
        assert.deepEqual(manifest.config.model, { ...raw.config.model, bridgeFrom: 'final' });
        const got = await translate(old, 'fast');
        assert.equal(got.text, reference.text);
        assert.equal(got.logProb, reference.logProb);
      }
    }
    // A current manifest is left as it is.
    const current = await readRunManifest(runDir);
    assert.equal(upgradeManifest(current), current);
  });
});

import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InferenceClient, TranslationCancelledError } from '../src/host/translateClient';
import { chooseActiveModel, listRuns } from '../src/host/logic/modelsList';

const ROOT = path.join(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'seq2seq.js');
const WORKER = path.join(ROOT, 'dist', 'inference.js');

/** Train a tiny copy-task model with the CLI into `runsDir/<name>`. */
function trainTiny(dir: string, name: string, attention: string): void {
  const cfg = path.join(dir, `${name}.seq2seq.json`);
  require('fs').writeFileSync(
    cfg,
    JSON.stringify({
      name,
      data: { train: 'copy.tsv', maxLength: 10 },
      model: { embeddingSize: 16, hiddenSize: 32, dropout: 0, attention },
      train: { epochs: 3, batchSize: 16, learningRate: 0.01, logEvery: 20 },
    }),
  );
  const r = spawnSync(process.execPath, [BIN, 'train', '--config', cfg, '--out', path.join(dir, 'runs', name)], { encoding: 'utf8', timeout: 300000 });
  assert.equal(r.status, 0, r.stderr);
}

describe('inference worker protocol (via InferenceClient)', function () {
  this.timeout(300000);
  let dir: string;
  let client: InferenceClient;

  before(async function () {
    try {
      await fs.access(WORKER);
    } catch {
      throw new Error('dist/inference.js is missing: run `npm run build` (npm test does this first)');
    }
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-infer-'));
    const lines = [];
    for (let i = 0; i < 400; i++) {
      const w = Array.from({ length: 2 + (i % 4) }, (_, k) => String.fromCharCode(97 + ((i * 5 + k * 3) % 7)));
      lines.push(`${w.join(' ')}\t${w.join(' ')}`);
    }
    await fs.writeFile(path.join(dir, 'copy.tsv'), lines.join('\n') + '\n');
    trainTiny(dir, 'tiny', 'bahdanau');
    trainTiny(dir, 'flat', 'none');
    client = new InferenceClient({ workerPath: WORKER });
  });
  after(async () => {
    client?.dispose();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('lists the trained runs and picks one with a best/ checkpoint by default', async () => {
    const runs = await listRuns(path.join(dir, 'runs'));
    assert.deepEqual(runs.map((r) => r.name).sort(), ['flat', 'tiny']);
    for (const r of runs) {
      assert.ok(r.hasBest && r.hasLast, `${r.folder} has checkpoints`);
      assert.equal(r.backend, 'wasm');
      assert.equal(typeof r.bestBleu, 'number');
    }
    const active = chooseActiveModel(runs, path.join(dir, 'runs', 'tiny'));
    assert.equal(active?.name, 'tiny');
  });

  it('load → loaded with a config summary, backend and load time', async () => {
    const loaded = await client.ensureLoaded(path.join(dir, 'runs', 'tiny'));
    assert.equal(loaded.type, 'loaded');
    assert.equal(loaded.summary.name, 'tiny');
    assert.equal(loaded.summary.attention, 'bahdanau');
    assert.equal(loaded.summary.hiddenSize, 32);
    assert.equal(loaded.summary.checkpointDir, path.join(dir, 'runs', 'tiny', 'best'));
    assert.equal(loaded.backend, 'wasm');
    assert.ok(loaded.loadMs > 0);
    // Asking again for the same model does not reload.
    assert.equal(await client.ensureLoaded(path.join(dir, 'runs', 'tiny')), loaded);
  });

  it('translate → progress … result, one translation per line, blank lines kept', async () => {
    await client.ensureLoaded(path.join(dir, 'runs', 'tiny'));
    const progress: [number, number][] = [];
    const { result } = client.translate(['f b e', '', 'a zzz c'], { onProgress: (d, t) => progress.push([d, t]) });
    const { translations, ms } = await result;
    assert.equal(translations.length, 3);
    assert.equal(translations[0].source, 'f b e');
    assert.equal(translations[1].text, '');
    assert.deepEqual(translations[1].sourceTokens, []);
    assert.deepEqual(translations[2].sourceTokens, ['a', '<unk>', 'c', '<eos>']);
    const t = translations[0];
    assert.deepEqual(t.sourceTokens, ['f', 'b', 'e', '<eos>']);
    assert.equal(t.attention.length, t.targetTokens.length);
    for (const row of t.attention) {
      assert.equal(row.length, t.sourceTokens.length);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-3);
    }
    assert.equal(t.candidates.length, t.targetTokens.length);
    assert.equal(t.candidates[0].length, 5);
    assert.deepEqual(progress[progress.length - 1], [3, 3]);
    assert.ok(ms >= 0);
  });

  it('cancel stops a long request with `cancelled`', async () => {
    await client.ensureLoaded(path.join(dir, 'runs', 'tiny'));
    const lines = Array.from({ length: 400 }, (_, i) => ['a b c d', 'e f g', 'b d f a c'][i % 3]);
    let cancelledAt = -1;
    const req = client.translate(lines, {
      onProgress: (done) => {
        if (cancelledAt < 0) {
          cancelledAt = done;
          client.cancel(req.id);
        }
      },
    });
    await assert.rejects(req.result, (e: unknown) => e instanceof TranslationCancelledError && e.done < lines.length);
    // The worker is still usable afterwards.
    const again = await client.translate(['a b']).result;
    assert.equal(again.translations.length, 1);
  });

  it('switches models; attention "none" gives no weights but still candidates', async () => {
    const loaded = await client.ensureLoaded(path.join(dir, 'runs', 'flat'));
    assert.equal(loaded.summary.attention, 'none');
    const { translations } = await client.translate(['c d e']).result;
    assert.deepEqual(translations[0].attention, []);
    assert.ok(translations[0].candidates.length > 0);
    assert.ok(translations[0].targetTokens.length > 0);
  });

  it('a folder without a checkpoint is a load error naming it; the previous model stays loaded', async () => {
    const empty = path.join(dir, 'runs', 'empty');
    await fs.mkdir(empty, { recursive: true });
    await assert.rejects(client.ensureLoaded(empty), /empty holds no checkpoint/);
    assert.equal(client.loaded?.summary.name, 'flat');
    const { translations } = await client.translate(['a b']).result;
    assert.equal(translations.length, 1);
  });

  it('translate before any load is an error message, not a hang', async () => {
    const fresh = new InferenceClient({ workerPath: WORKER });
    try {
      await assert.rejects(fresh.translate(['a b']).result, /No model is loaded/);
    } finally {
      fresh.dispose();
    }
  });
});

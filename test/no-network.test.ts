/**
 * No network at run time: the bundles that train and translate (dist/cli.js,
 * dist/worker.js with its data-parallel replicas, dist/inference.js) do
 * their whole job with every networking API stubbed to throw and log
 * (test/fixtures/no-network.cjs), and nothing was attempted.
 */
import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const PRELOAD = path.join(__dirname, 'fixtures', 'no-network.cjs');

describe('no network at run time', function () {
  this.timeout(300_000);
  let dir: string;
  let logFile: string;
  const node = (args: string[], input?: string) =>
    execFileSync(process.execPath, ['--require', PRELOAD, ...args], {
      cwd: dir,
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_NETWORK_LOG: logFile, SEQ2SEQ_BACKEND: 'wasm' },
    });
  const attempts = async () => (existsSync(logFile) ? (await fs.readFile(logFile, 'utf8')).trim().split('\n').filter(Boolean) : []);

  before(async () => {
    for (const f of ['cli.js', 'worker.js', 'inference.js']) assert.ok(existsSync(path.join(ROOT, 'dist', f)), `dist/${f} missing: run npm run build`);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-nonet-'));
    logFile = path.join(dir, 'network-attempts.log');
    const lines = Array.from({ length: 240 }, (_, i) => {
      const w = Array.from({ length: 3 + (i % 4) }, (_, k) => String.fromCharCode(97 + ((i * 5 + k * 3) % 8)));
      return `${w.join(' ')}\t${[...w].reverse().join(' ')}`;
    });
    await fs.writeFile(path.join(dir, 'rev.tsv'), lines.join('\n') + '\n');
    const config = {
      data: { train: 'rev.tsv', validFraction: 0.1, testFraction: 0.1 },
      model: { embeddingSize: 16, hiddenSize: 32, attention: 'bahdanau' },
      train: { batchSize: 16, epochs: 2, logEvery: 5, validEvery: 10, threads: 2 },
    };
    await fs.writeFile(path.join(dir, 'rev.seq2seq.json'), JSON.stringify(config));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('the stubs do block: a connection attempt throws and is logged', async () => {
    assert.throws(() => node(['-e', "require('http').get('http://127.0.0.1:9')"]), /network access blocked in this test: http.get/);
    assert.deepEqual(await attempts(), ['http.get']);
    await fs.rm(logFile);
  });

  it('seq2seq train (two data-parallel threads), eval and translate open no connection', async () => {
    const cli = path.join(ROOT, 'dist', 'cli.js');
    const trained = node([cli, 'train', '--config', 'rev.seq2seq.json', '--out', 'run']);
    assert.match(trained, /done \(epochs\)/);
    assert.match(trained, /data-parallel/);
    assert.match(node([cli, 'eval', '--model', 'run', '--test', 'run/test.tsv']), /^BLEU /m);
    assert.equal(node([cli, 'translate', '--model', 'run'], 'a b c\n').split('\n').length, 2);
    assert.deepEqual(await attempts(), []);
  });

  it('the extension host\'s training and inference workers open no connection', async () => {
    // Drive dist/worker.js and dist/inference.js as the extension host does (worker threads).
    const driver = `
      const { Worker } = require('worker_threads');
      const path = require('path');
      const dist = ${JSON.stringify(path.join(ROOT, 'dist'))};
      const talk = (w, msg, isDone) => new Promise((resolve, reject) => {
        const on = (m) => { if (m.type === 'error') reject(new Error(m.message)); else if (isDone(m)) { w.off('message', on); resolve(m); } };
        w.on('message', on);
        w.postMessage(msg);
      });
      (async () => {
        const { loadConfig } = require(path.join(dist, 'configLoader.js'));
        const { config } = await loadConfig(path.resolve('rev.seq2seq.json'));
        const trainer = new Worker(path.join(dist, 'worker.js'));
        trainer.on('error', (e) => { console.error(e); process.exit(1); });
        await talk(trainer, { type: 'start', config, outDir: path.resolve('run2'), resume: false }, (m) => m.type === 'event' && m.event.type === 'done');
        await trainer.terminate();
        const inference = new Worker(path.join(dist, 'inference.js'));
        inference.on('error', (e) => { console.error(e); process.exit(1); });
        await talk(inference, { type: 'load', modelPath: path.resolve('run2') }, (m) => m.type === 'loaded');
        const r = await talk(inference, { type: 'translate', id: 1, lines: ['a b c'] }, (m) => m.type === 'result');
        await inference.terminate();
        console.log('trained and translated', r.translations.length);
      })().catch((e) => { console.error(e); process.exit(1); });`;
    assert.match(node(['-e', driver]), /trained and translated 1/);
    assert.deepEqual(await attempts(), []);
  });
});

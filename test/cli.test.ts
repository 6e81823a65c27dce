import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Random } from '../src/core/random';

const BIN = path.join(__dirname, '..', 'bin', 'seq2seq.js');

function run(args: string[], opts: { input?: string; cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: opts.input ?? '', cwd: opts.cwd, encoding: 'utf8', timeout: 300000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('seq2seq CLI', function () {
  this.timeout(300000);
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-cli-'));
    const r = new Random(5);
    const lines: string[] = ['f b e\tf b e'];
    for (let i = 0; i < 600; i++) {
      const w = Array.from({ length: 2 + r.int(4) }, () => 'abcdefg'[r.int(7)]);
      lines.push(`${w.join(' ')}\t${w.join(' ')}`);
    }
    await fs.writeFile(path.join(dir, 'copy.tsv'), lines.join('\n') + '\n');
    await fs.writeFile(path.join(dir, 'test.tsv'), lines.slice(0, 40).join('\n') + '\n');
    await fs.writeFile(
      path.join(dir, 'tiny.seq2seq.json'),
      JSON.stringify({
        data: { train: 'copy.tsv', maxLength: 10 },
        model: { embeddingSize: 16, hiddenSize: 64, dropout: 0 },
        train: { epochs: 10, batchSize: 16, learningRate: 0.005, logEvery: 10, earlyStoppingPatience: 0 },
      }),
    );
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('train → eval → translate on a tiny config', () => {
    const out = path.join(dir, 'run');
    const t = run(['train', '--config', path.join(dir, 'tiny.seq2seq.json'), '--out', out]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /backend wasm/);
    assert.match(t.stdout, /step 10 \| epoch 1 \| loss \d/);
    assert.match(t.stdout, /done \(epochs\)/);

    const e = run(['eval', '--model', out, '--test', path.join(dir, 'test.tsv'), '--json']);
    assert.equal(e.code, 0, e.stderr);
    const result = JSON.parse(e.stdout.trim());
    assert.deepEqual(Object.keys(result).slice(0, 3), ['bleu', 'perplexity', 'sentences']);
    assert.equal(result.sentences, 40);
    assert.ok(result.bleu > 80, `BLEU ${result.bleu}`);
    assert.ok(result.perplexity >= 1 && result.perplexity < 3);

    const beam = run(['eval', '--model', out, '--test', path.join(dir, 'test.tsv'), '--beam', '3', '--json']);
    assert.equal(beam.code, 0, beam.stderr);
    assert.equal(JSON.parse(beam.stdout).sentences, 40);

    const tr = run(['translate', '--model', out], { input: 'f b e\nd a e b\n' });
    assert.equal(tr.code, 0, tr.stderr);
    const outLines = tr.stdout.split('\n').filter((l) => l !== '');
    assert.equal(outLines.length, 2);
    assert.equal(outLines[0], 'f b e'); // a training sentence, copied

    const js = run(['translate', '--model', out, '--json'], { input: 'f b zzz\n' });
    const obj = JSON.parse(js.stdout);
    assert.deepEqual(obj.sourceTokens, ['f', 'b', '<unk>', '<eos>']);
    assert.equal(obj.attention.length, obj.targetTokens.length);
    assert.equal(obj.candidates[0].length, 5);
  });

  it('bleu prints sacreBLEU-compatible statistics', async () => {
    await fs.writeFile(path.join(dir, 'hyp.txt'), 'The cat sat on the mat.\nHello there!\n');
    await fs.writeFile(path.join(dir, 'ref.txt'), 'The cat sat on the mat.\nHello there!\n');
    const r = run(['bleu', '--hyp', path.join(dir, 'hyp.txt'), '--ref', path.join(dir, 'ref.txt'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.ok(Math.abs(j.bleu - 100) < 1e-9);
    assert.deepEqual(Object.keys(j).slice(0, 5), ['bleu', 'precisions', 'bp', 'sys_len', 'ref_len']);
    assert.equal(j.sys_len, 10);
  });

  it('bad input exits 1 with a message naming the file', async () => {
    await fs.writeFile(path.join(dir, 'short.txt'), 'one line\n');
    const r = run(['bleu', '--hyp', path.join(dir, 'hyp.txt'), '--ref', path.join(dir, 'short.txt')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /short\.txt has 1 lines but .*hyp\.txt has 2/);
    const m = run(['eval', '--model', path.join(dir, 'nothing-here'), '--test', path.join(dir, 'test.tsv')]);
    assert.equal(m.code, 1);
    assert.match(m.stderr, /nothing-here does not exist/);
    await fs.writeFile(path.join(dir, 'bad.json'), '{ "data": { "train": "copy.tsv" },\n  "model": { "attention": "dot" } }');
    const c = run(['train', '--config', path.join(dir, 'bad.json')]);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /bad\.json:2:\d+: .*attention/);
    const s = run(['train', '--config', path.join(dir, 'tiny.seq2seq.json'), '--set', 'model.readout=deeep', '--set', 'train.batchSiz=3']);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /model\.readout must be one of "deep", "maxout", "attentional" \(got "deeep"\)/);
    assert.match(s.stderr, /unknown key "batchSiz" in train \(did you mean "batchSize"\?/);
  });

  it('train --set overrides config keys, recorded in run.json', async () => {
    const out = path.join(dir, 'set-run');
    const t = run(['train', '--config', path.join(dir, 'tiny.seq2seq.json'), '--out', out, '--epochs', '1', '--set', 'model.readout=maxout', '--set', 'model.readoutSize=12', '--set', 'train.batchSize=32']);
    assert.equal(t.code, 0, t.stderr);
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'run.json'), 'utf8'));
    assert.equal(manifest.config.model.readout, 'maxout');
    assert.equal(manifest.config.model.readoutSize, 12);
    assert.equal(manifest.config.train.batchSize, 32);
    assert.equal(manifest.config.train.epochs, 1);
    assert.equal(manifest.config.model.hiddenSize, 64, 'keys not overridden keep the config value');
  });
});

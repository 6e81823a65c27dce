import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_SEED, frenchSurface, generateDates, generateEnFr, generateSampleData, SAMPLE_SENTENCES, sampleWorkspaceFiles, writeSampleWorkspace } from '../src/core/data/sampleData';
import { loadConfig } from '../src/core/config/configLoader';
import { Random } from '../src/core/random';
import { readPairs } from '../src/core/data/corpus';

const repoRoot = path.join(__dirname, '..');
const sampleDir = path.join(repoRoot, 'sample-data');

describe('sample data generator', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seq2seq-sample-'));
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is deterministic and the committed sample-data/ is exactly its output for the default seed', async () => {
    const a = path.join(tmp, 'a');
    const b = path.join(tmp, 'b');
    const files = await generateSampleData(a, DEFAULT_SEED);
    await generateSampleData(b, DEFAULT_SEED);
    for (const f of files) {
      const text = fs.readFileSync(path.join(a, f), 'utf8');
      assert.equal(fs.readFileSync(path.join(b, f), 'utf8'), text, `${f} differs between two runs`);
      assert.equal(fs.readFileSync(path.join(sampleDir, f), 'utf8'), text, `sample-data/${f} is not the generator's output; rerun the generator`);
      assert.ok(Buffer.byteLength(text) < 1.5e6, `${f} is too large`);
    }
  });

  it('gives different data for a different seed', () => {
    assert.notDeepEqual(generateDates(new Random(1), 50), generateDates(new Random(2), 50));
    assert.notDeepEqual(generateEnFr(new Random(1), 50), generateEnFr(new Random(2), 50));
  });

  it('dates.tsv maps distinct human dates to valid ISO dates', async () => {
    const pairs = await readPairs(path.join(sampleDir, 'dates.tsv'), { srcColumn: 0, tgtColumn: 1 });
    assert.equal(pairs.length, 20000);
    assert.equal(new Set(pairs.map((p) => p.src)).size, pairs.length);
    for (const p of pairs) {
      assert.match(p.tgt, /^(19[5-9]\d|20[0-4]\d)-\d\d-\d\d$/);
      const d = new Date(p.tgt + 'T00:00:00Z');
      assert.equal(d.toISOString().slice(0, 10), p.tgt, `invalid date ${p.tgt}`);
      // The day of month appears in the human form (as a number, possibly zero-padded or ordinal).
      assert.ok(p.src.includes(String(d.getUTCDate())), `${p.src} -> ${p.tgt}`);
    }
  });

  it('en-fr.tsv has distinct English sides and French agreement/elision/contraction', async () => {
    const pairs = await readPairs(path.join(sampleDir, 'en-fr.tsv'), { srcColumn: 0, tgtColumn: 1 });
    assert.equal(pairs.length, 20000);
    assert.equal(new Set(pairs.map((p) => p.src)).size, pairs.length);
    const fr = pairs.map((p) => p.tgt);
    assert.ok(fr.some((s) => / du /.test(s)));
    assert.ok(fr.some((s) => /n'/.test(s)));
    assert.ok(fr.some((s) => /pas d/.test(s)));
    assert.ok(!fr.some((s) => /\b(le|la|de|je|ne) [aeiouéœh]/i.test(s)), 'missing elision');
    assert.ok(!fr.some((s) => /\bde le\b|\bde les\b/.test(s)), 'missing contraction');
    const red = pairs.filter((p) => /^The red car /.test(p.src));
    assert.ok(red.length > 0);
    for (const p of red) assert.match(p.tgt, /^La voiture rouge /);
  });

  it('frenchSurface applies elision before contraction', () => {
    assert.equal(frenchSurface(['près', 'de', 'le', 'arbre']), "près de l'arbre");
    assert.equal(frenchSurface(['près', 'de', 'le', 'chien']), 'près du chien');
    assert.equal(frenchSurface(['à', 'côté', 'de', 'les', 'chats']), 'à côté des chats');
    assert.equal(frenchSurface(['je', 'ne', 'ai', 'pas', 'vu', 'le', 'homme']), "je n'ai pas vu l'homme");
  });
});

describe('sample workspace (Get Started walkthrough)', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seq2seq-sample-ws-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes data, configs with and without attention, and sentences; every config loads and differs only in what it says', async () => {
    const dir = path.join(tmp, 'ws');
    const { created, existing } = await writeSampleWorkspace(dir);
    assert.deepEqual(existing, []);
    assert.deepEqual(created.sort(), Object.keys(sampleWorkspaceFiles()).sort());
    const withAttention = (await loadConfig(path.join(dir, 'dates.seq2seq.json'))).config;
    const without = (await loadConfig(path.join(dir, 'dates-no-attention.seq2seq.json'))).config;
    assert.equal(withAttention.model.attention, 'bahdanau');
    assert.equal(without.model.attention, 'none');
    assert.deepEqual({ ...without.model, attention: 'bahdanau' }, withAttention.model);
    assert.deepEqual(without.train, withAttention.train);
    assert.equal(withAttention.data.train, path.join(dir, 'dates.tsv'));
    await loadConfig(path.join(dir, 'en-fr.seq2seq.json'));
    for (const f of created.filter((n) => n.endsWith('.json'))) assert.ok(!fs.readFileSync(path.join(dir, f), 'utf8').includes('$schema'), f);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'sentences.txt'), 'utf8').trim().split('\n'), SAMPLE_SENTENCES);
  });

  it('never overwrites a file the user has', async () => {
    const dir = path.join(tmp, 'mine');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'sentences.txt'), 'my own text\n');
    const { created, existing } = await writeSampleWorkspace(dir);
    assert.deepEqual(existing, ['sentences.txt']);
    assert.ok(!created.includes('sentences.txt'));
    assert.equal(fs.readFileSync(path.join(dir, 'sentences.txt'), 'utf8'), 'my own text\n');
    const again = await writeSampleWorkspace(dir);
    assert.deepEqual(again.created, []);
  });

  it('the dates to translate are in the formats of the training data (day-first numbers)', () => {
    const train = generateDates(new Random(DEFAULT_SEED), 2000).map(([src]) => src.toLowerCase());
    assert.ok(SAMPLE_SENTENCES.length >= 3);
    // Each sample's shape (digits → 9, letters → a) occurs among the generated sources.
    const shape = (s: string) => s.toLowerCase().replace(/\d/g, '9').replace(/[a-z]+/g, 'a');
    const shapes = new Set(train.map(shape));
    for (const s of SAMPLE_SENTENCES) assert.ok(shapes.has(shape(s)), `${s} has a shape the training data lacks`);
  });
});

import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_SEED, frenchSurface, generateDates, generateEnFr, generateSampleData } from '../scripts/generate-sample-data';
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

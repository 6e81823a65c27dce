/**
 * Streaming data reading (src/core/data/corpus.ts forEachPair, and
 * loadDataset on top of it): the same pairs, errors and dataset as the
 * whole-file path it replaced (kept in bench/lib/legacyData.ts), progress
 * reports, and a large file read without its text in memory.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import fc from 'fast-check';
import { forEachPair, readPairs, type ReadProgress } from '../src/core/data/corpus';
import { loadDataset } from '../src/core/data/dataset';
import { withDefaults } from '../src/core/config/config';
import { legacyLoadDataset, legacyReadPairs } from '../bench/lib/legacyData';
import { writeSyntheticCorpus } from '../bench/lib/syntheticCorpus';

const TATOEBA = path.join(__dirname, '..', '..', 'shared', 'data', 'tatoeba-fra-eng', 'fra-eng.tsv');
const cols = { srcColumn: 0, tgtColumn: 1 };

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seq2seq-stream-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
let n = 0;
function write(content: string | Buffer, name = `f${n++}.tsv`): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

/** The outcome of a read as comparable data: the pairs, or the error's class, message and line. */
async function outcome(read: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await read };
  } catch (e) {
    return { error: (e as Error).name, message: (e as Error).message, line: (e as { line?: number }).line };
  }
}

function datasetJSON(ds: Awaited<ReturnType<typeof loadDataset>>): unknown {
  return JSON.parse(JSON.stringify({ ...ds, srcVocab: ds.srcVocab.toJSON(), tgtVocab: ds.tgtVocab.toJSON(), srcTokenizer: ds.srcTokenizer.toJSON(), tgtTokenizer: ds.tgtTokenizer.toJSON() }));
}

describe('streaming data reader', () => {
  const fixtures: [string, string | Buffer, number?][] = [
    ['BOM, CRLF, blank lines, quotes, extra columns', '\ufeffGo.\tVa !\tCC-BY 2.0\r\n\r\n"Hi," he said.\t« Salut », dit-il.\n  \nRun!\tCours\u202f!\n'],
    ['two BOMs', '\ufeff\ufeffa\tb\n'],
    ['no final newline', 'a\tb\nc\td'],
    ['short line', 'a\tb\nc\td\nonly one column\n'],
    ['short line for column 2', 'a\tb\nc\td\n', 2],
    ['empty source', 'a\tb\n\tb\n'],
    ['empty target', 'a\t \n'],
    ['lone CR inside a line', 'a\rb\tc\r\n'],
    ['empty file', ''],
    ['only blank lines', '\n \n\t\n'],
    ['bad line then invalid UTF-8: UTF-8 wins', Buffer.concat([Buffer.from('a\tb\nbad\n'), Buffer.from([0xe9]), Buffer.from('\tx\n')])],
    ['invalid UTF-8', Buffer.concat([Buffer.from('a\tb\ncaf'), Buffer.from([0xe9]), Buffer.from('\tx\n')])],
    ['truncated UTF-8 at the end', Buffer.concat([Buffer.from('a\tb\nc\td\n'), Buffer.from([0xc3])])],
  ];
  for (const [name, content, tgtColumn] of fixtures) {
    it(`TSV: ${name} — same as the whole-file reader`, async () => {
      const f = write(content);
      const opts = { srcColumn: 0, tgtColumn: tgtColumn ?? 1 };
      assert.deepEqual(await outcome(readPairs(f, opts)), await outcome(legacyReadPairs(f, opts)));
    });
  }

  it('TSV: missing file and folder — same errors', async () => {
    for (const f of [path.join(tmp, 'nope.tsv'), tmp]) assert.deepEqual(await outcome(readPairs(f, cols)), await outcome(legacyReadPairs(f, cols)));
  });

  it('TSV: random files give the same pairs or the same error (property)', async () => {
    const piece = fc.constantFrom('a', 'b c', ' ', '\t', '\n', '\r\n', '\r', '"', 'é', '\ufeff', '!', '');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 40 }), fc.boolean(), async (parts, bom) => {
        const f = write((bom ? '\ufeff' : '') + parts.join(''));
        assert.deepEqual(await outcome(readPairs(f, cols)), await outcome(legacyReadPairs(f, cols)));
      }),
      { numRuns: 300 },
    );
  });

  it('parallel files: same pairs, length errors and line errors, read in lockstep', async () => {
    const cases: [string, string][] = [
      ['Hello.\r\nBye.\n\n', 'Bonjour.\nAu revoir.\n\n'],
      ['Hello.\r\nBye.\n\n', 'Bonjour.\n'],
      ['Hello.\r\nBye.\n\n', 'Bonjour.\n\nx\n'],
      ['a\n\nc\n', 'x\ny\n'], // a bad line and different lengths: the lengths win
      ['a\tb\n', 'x\n'], // tabs are kept in the sentence
      ['', ''],
    ];
    for (const [s, t] of cases) {
      const src = write(s, `p${n}.en`);
      const tgt = write(t, `p${n++}.fr`);
      assert.deepEqual(await outcome(readPairs({ src, tgt }, cols)), await outcome(legacyReadPairs({ src, tgt }, cols)), JSON.stringify([s, t]));
    }
    const bad = write(Buffer.from([0x61, 0x0a, 0xff, 0x0a]), 'bad.fr');
    const src = write('a\nb\n', 'ok.en');
    assert.deepEqual(await outcome(readPairs({ src, tgt: bad }, cols)), await outcome(legacyReadPairs({ src, tgt: bad }, cols)));
    assert.match(String(((await outcome(readPairs({ src, tgt: bad }, cols))) as { message: string }).message), /bad\.fr:2: not valid UTF-8/);
  });

  it('reports progress that only grows and ends with the totals', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => (i % 10 === 9 ? '' : `s${i}\tt${i}`));
    const f = write(lines.join('\n') + '\n');
    const seen: ReadProgress[] = [];
    const totals = await forEachPair(f, { ...cols, progressLines: 50, progressMs: 0, onProgress: (p) => seen.push(p) }, (p) => p.line % 2 === 0);
    assert.equal(seen.length, 1000 / 50 + 1);
    for (let i = 1; i < seen.length; i++) {
      for (const k of ['linesRead', 'pairsKept', 'bytesRead'] as const) assert.ok(seen[i][k] >= seen[i - 1][k], `${k} decreased`);
    }
    const last = seen[seen.length - 1];
    assert.deepEqual(last, { file: f, linesRead: 1000, pairsKept: 400, bytesRead: fs.statSync(f).size, totalBytes: fs.statSync(f).size, done: true });
    assert.deepEqual(totals, { linesRead: 1000, pairs: 900, pairsKept: 400 });
    assert.ok(seen.slice(0, -1).every((p) => !p.done && p.totalBytes === last.totalBytes));
  });

  it('parallel files report progress over both files', async () => {
    const src = write('a\nb\nc\nd\n', 'pp.en');
    const tgt = write('w\nx\ny\nz\n', 'pp.fr');
    const seen: ReadProgress[] = [];
    await forEachPair({ src, tgt }, { ...cols, progressLines: 2, progressMs: 0, onProgress: (p) => seen.push(p) }, () => undefined);
    assert.deepEqual(seen.map((p) => [p.linesRead, p.pairsKept, p.done]), [[2, 2, false], [4, 4, false], [4, 4, true]]);
    assert.equal(seen[2].totalBytes, 16);
  });

  it('loadDataset gives exactly the dataset of the whole-file path (long lines, groups, French punctuation, splits)', async () => {
    const f = path.join(tmp, 'synthetic.tsv');
    await writeSyntheticCorpus(f, { lines: 20000, seed: 3, longFraction: 0.2 });
    for (const data of [
      { train: f, maxLength: 20, validFraction: 0.1, testFraction: 0.1 },
      { train: f, maxLength: 12, validFraction: 0, testFraction: 0.05, lowercase: false },
      { train: f, maxLength: 50, tokenizer: 'char' as const, validFraction: 0.2, testFraction: 0 },
      { train: f, valid: write('v a l i d\tw o r d s\n'), maxLength: 15 },
    ]) {
      const cfg = withDefaults({ data });
      const seen: ReadProgress[] = [];
      const ds = await loadDataset(cfg, undefined, { onProgress: (p) => seen.push(p) });
      assert.deepEqual(datasetJSON(ds), datasetJSON(await legacyLoadDataset(cfg)), JSON.stringify(data));
      const trainDone = seen.find((p) => p.done && p.file === f)!;
      assert.equal(trainDone.pairsKept, ds.train.pairs.length + ds.valid.pairs.length * (data.valid ? 0 : 1) + ds.test.pairs.length);
    }
  });

  it('loadDataset on the Tatoeba corpus equals the whole-file path (optional real-data check)', async function () {
    if (!fs.existsSync(TATOEBA)) this.skip();
    const cfg = withDefaults({ data: { train: TATOEBA, maxLength: 10 } });
    assert.deepEqual(datasetJSON(await loadDataset(cfg)), datasetJSON(await legacyLoadDataset(cfg)));
  });

  it('reads a 200,000-line file as a stream, without fs.readFile and with bounded heap growth', async () => {
    const f = path.join(tmp, 'big.tsv');
    const bytes = await writeSyntheticCorpus(f, { lines: 200_000, seed: 5 });
    const original = fs.promises.readFile;
    let readFileCalls = 0;
    (fs.promises as { readFile: unknown }).readFile = (...args: Parameters<typeof original>) => {
      readFileCalls++;
      return original(...args);
    };
    // A full collection now and then during the read: what is live then is what the reader holds.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    try {
      gc();
      const before = process.memoryUsage().heapUsed;
      let live = 0;
      let calls = 0;
      let lines = 0;
      const totals = await forEachPair(
        f,
        {
          ...cols,
          progressMs: 0,
          onProgress: () => {
            if (calls++ % 5 !== 0) return;
            gc();
            live = Math.max(live, process.memoryUsage().heapUsed - before);
          },
        },
        () => {
          lines++;
          return false; // keep nothing: memory must not grow with the file
        },
      );
      assert.equal(readFileCalls, 0, 'fs.promises.readFile was used');
      assert.equal(totals.linesRead, 200_000);
      assert.equal(totals.pairsKept, 0);
      assert.ok(lines > 199_000);
      assert.ok(calls > 40);
      // The file's text alone would take more than `bytes`; the reader holds a few chunks.
      assert.ok(live < bytes / 3, `${live} bytes live while reading a ${bytes}-byte file`);
    } finally {
      (fs.promises as { readFile: unknown }).readFile = original;
    }
  });
});

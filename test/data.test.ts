import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { Random } from '../src/core/random';
import {
  detectSpaceBeforeHighPunctuation,
  makeTokenizer,
  normalizeText,
  SPACE_TOKEN,
  tokenizerFromJSON,
} from '../src/core/data/tokenizer';
import { BOS_ID, EOS_ID, PAD_ID, UNK_ID, Vocabulary } from '../src/core/data/vocabulary';
import { DataError, readPairs, splitPairs } from '../src/core/data/corpus';
import { makeBatch, makeBatches, paddingStats, type EncodedPair } from '../src/core/data/batching';
import { encodeSentence, loadDataset } from '../src/core/data/dataset';
import { withDefaults } from '../src/core/config/config';

const TATOEBA = path.join(__dirname, '..', '..', 'shared', 'data', 'tatoeba-fra-eng', 'fra-eng.tsv');

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seq2seq-data-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
function write(name: string, content: string | Buffer): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}

describe('Random', () => {
  it('gives identical streams for equal seeds and different ones for different seeds', () => {
    const a = new Random(7);
    const b = new Random(7);
    const c = new Random(8);
    const xa = Array.from({ length: 50 }, () => a.nextUint32());
    const xb = Array.from({ length: 50 }, () => b.nextUint32());
    const xc = Array.from({ length: 50 }, () => c.nextUint32());
    assert.deepEqual(xa, xb);
    assert.notDeepEqual(xa, xc);
  });

  it('next() is in [0, 1) and int(n) is roughly uniform', () => {
    const r = new Random(123);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100000; i++) {
      const x = r.next();
      assert.ok(x >= 0 && x < 1);
      counts[r.int(10)]++;
    }
    for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `bucket count ${c}`);
  });

  it('normal() has mean ~0 and standard deviation ~1', () => {
    const r = new Random(5);
    const xs = Array.from({ length: 40000 }, () => r.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(sd - 1) < 0.03, `sd ${sd}`);
  });

  it('shuffle() returns a permutation, in place', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer(), (xs, seed) => {
        const copy = [...xs];
        const out = new Random(seed).shuffle(copy);
        assert.equal(out, copy);
        assert.deepEqual([...out].sort((p, q) => p - q), [...xs].sort((p, q) => p - q));
      }),
    );
  });

  it('getState/fromState continue the same stream (also through JSON)', () => {
    const r = new Random(99);
    r.normal();
    const s = JSON.parse(JSON.stringify(r.getState()));
    const r2 = Random.fromState(s);
    for (let i = 0; i < 20; i++) assert.equal(r2.normal(), r.normal());
    assert.throws(() => Random.fromState({ words: [1, 2], spare: null }), RangeError);
  });

  it('rejects invalid arguments', () => {
    assert.throws(() => new Random(NaN), RangeError);
    assert.throws(() => new Random(1).int(0), RangeError);
    assert.throws(() => new Random(1).int(2.5), RangeError);
    assert.throws(() => new Random(1).pick([]), RangeError);
  });
});

describe('tokenizer', () => {
  const word = makeTokenizer('word', true);
  const wordFr = makeTokenizer('word', true, { spaceBeforeHighPunctuation: true });

  it('splits punctuation, French elisions and English clitics by the documented rule', () => {
    assert.deepEqual(word.tokenize("L'homme, ça va ?"), ["l'", 'homme', ',', 'ça', 'va', '?']);
    assert.deepEqual(word.tokenize("Don't touch Tom's dog!"), ['do', "n't", 'touch', 'tom', "'s", 'dog', '!']);
    assert.deepEqual(word.tokenize("Qu'est-ce que c'est aujourd'hui ?"), ["qu'", 'est-ce', 'que', "c'", 'est', "aujourd'hui", '?']);
    assert.deepEqual(word.tokenize('It costs $3.50, i.e. 10:30 (really)...'), [
      'it', 'costs', '$', '3.50', ',', 'i', '.', 'e', '.', '10:30', '(', 'really', ')', '.', '.', '.',
    ]);
    assert.deepEqual(word.tokenize('jusqu’à'), ['jusqu’', 'à']);
  });

  it('normalises NFC, case and all whitespace (incl. narrow no-break space)', () => {
    assert.equal(normalizeText('  Cafe\u0301\u202f!\t\nOK ', true), 'café ! ok');
    assert.equal(normalizeText('Cafe\u0301', false), 'Café');
    assert.deepEqual(word.tokenize('Va\u202f!'), ['va', '!']);
  });

  it('detokenizes with English or French punctuation spacing', () => {
    const t = word.tokenize('Attends\u00a0! « Oui », dit-il ; puis : rien ?');
    assert.equal(word.detokenize(t), 'attends! «oui», dit-il; puis: rien?');
    assert.equal(wordFr.detokenize(t), 'attends ! « oui », dit-il ; puis : rien ?');
    assert.equal(word.detokenize(word.tokenize('He said "no" (twice).')), 'he said "no" (twice).');
  });

  const letters = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzéèàçôœ');
  const plainWord = fc.array(letters, { minLength: 1, maxLength: 7 }).map((cs) => cs.join(''));
  const unit = fc.oneof(
    { weight: 6, arbitrary: plainWord },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("l'", "d'", "qu'", "j'", "n'", "jusqu'"), plainWord).map(([e, w]) => e + w) },
    { weight: 1, arbitrary: fc.tuple(plainWord, fc.constantFrom("'s", "'ll", "'re", "n't")).map(([w, c]) => w + c) },
    { weight: 1, arbitrary: fc.tuple(plainWord, plainWord).map(([a, b]) => `${a}-${b}`) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(999), fc.nat(99)).map(([a, b]) => `${a}.${b}`) },
    { weight: 1, arbitrary: fc.tuple(plainWord, fc.constantFrom(',', '.', '...')).map(([w, p]) => w + p) },
    { weight: 1, arbitrary: plainWord.map((w) => `(${w})`) },
    { weight: 1, arbitrary: plainWord.map((w) => `"${w}"`) },
  );
  const sentence = (french: boolean) =>
    fc
      .tuple(fc.array(unit, { minLength: 1, maxLength: 12 }), fc.constantFrom('', '.', '!', '?', ';', ':'))
      .map(([units, end]) => units.join(' ') + (end === '' || end === '.' || !french ? end : ' ' + end));

  it('round-trips generated English-style sentences: detokenize(tokenize(s)) === normalize(s)', () => {
    fc.assert(
      fc.property(sentence(false), (s) => {
        const tokens = word.tokenize(s);
        assert.ok(tokens.every((t) => t.length > 0 && !/\s/u.test(t)));
        assert.equal(word.detokenize(tokens), normalizeText(s, true));
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips generated French-style sentences ("Va !") with spaceBeforeHighPunctuation', () => {
    fc.assert(
      fc.property(sentence(true), (s) => {
        assert.equal(wordFr.detokenize(wordFr.tokenize(s)), normalizeText(s, true));
      }),
      { numRuns: 500 },
    );
  });

  it('char tokenizer: one token per code point, ▁ for spaces, exact round trip', () => {
    const ch = makeTokenizer('char', false);
    assert.deepEqual(ch.tokenize('Va  !'), ['V', 'a', SPACE_TOKEN, '!']);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        fc.pre(!s.includes(SPACE_TOKEN));
        const tokens = ch.tokenize(s);
        assert.ok(tokens.every((t) => Array.from(t).length === 1 && t !== ' '));
        assert.equal(ch.detokenize(tokens), normalizeText(s, false));
      }),
      { numRuns: 500 },
    );
  });

  it('word tokenizer never yields empty or whitespace tokens on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        for (const t of word.tokenize(s)) assert.ok(t.length > 0 && !/\s/u.test(t), JSON.stringify(t));
      }),
      { numRuns: 500 },
    );
  });

  it('serialises to JSON and detects the punctuation convention', () => {
    const t = tokenizerFromJSON(JSON.parse(JSON.stringify(wordFr)));
    assert.equal(t.kind, 'word');
    assert.equal(t.spaceBeforeHighPunctuation, true);
    assert.throws(() => tokenizerFromJSON({ kind: 'bpe' }), /invalid tokenizer/);
    assert.throws(() => makeTokenizer('unigram' as never, true), /unknown tokenizer "unigram"/);
    assert.throws(() => makeTokenizer('bpe', true), /"bpe" tokenizer needs learned merges/);
    assert.equal(detectSpaceBeforeHighPunctuation(['Va !', 'Qui ?', 'Cours\u202f!']), true);
    assert.equal(detectSpaceBeforeHighPunctuation(['Go!', 'Who?', 'Note: yes', 'Hi !']), false);
  });
});

describe('Vocabulary', () => {
  const sents = [
    ['b', 'a', 'c', 'a'],
    ['c', 'a', 'd'],
    ['e', '<pad>'],
  ];

  it('puts the specials first, then tokens by frequency desc, ties alphabetical', () => {
    const v = Vocabulary.build(sents, { minFrequency: 1, maxSize: 100 });
    assert.deepEqual(v.toJSON().tokens, ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'c', 'b', 'd', 'e']);
    assert.equal(v.size, 9);
    assert.equal(v.idOf('a'), 4);
    assert.equal(v.idOf('zzz'), UNK_ID);
    assert.equal(v.tokenOf(PAD_ID), '<pad>');
    assert.equal(v.tokenOf(EOS_ID), '<eos>');
    assert.throws(() => v.tokenOf(9), RangeError);
  });

  it('applies minFrequency and maxSize', () => {
    assert.deepEqual(Vocabulary.build(sents, { minFrequency: 2, maxSize: 100 }).toJSON().tokens.slice(4), ['a', 'c']);
    assert.deepEqual(Vocabulary.build(sents, { minFrequency: 1, maxSize: 6 }).toJSON().tokens.slice(4), ['a', 'c']);
    assert.throws(() => Vocabulary.build(sents, { minFrequency: 1, maxSize: 3 }), RangeError);
  });

  it('encode/decode round-trip known tokens and JSON round-trips', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.string({ minLength: 1, maxLength: 3 }), { maxLength: 8 }), { maxLength: 20 }), (ss) => {
        const v = Vocabulary.build(ss, { minFrequency: 1, maxSize: 10000 });
        for (const s of ss) {
          // Every token of the corpus it was built on is known (specials map to themselves).
          assert.deepEqual(v.decode(v.encode(s)), s);
        }
        const v2 = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v)));
        assert.deepEqual(v2.toJSON(), v.toJSON());
      }),
      { numRuns: 200 },
    );
  });

  it('fromJSON rejects malformed vocabularies with a clear message', () => {
    assert.throws(() => Vocabulary.fromJSON(null), /expected an object/);
    assert.throws(() => Vocabulary.fromJSON({ tokens: ['<unk>', '<pad>', '<bos>', '<eos>'] }), /tokens\[0\] must be "<pad>"/);
    assert.throws(() => Vocabulary.fromJSON({ tokens: ['<pad>', '<unk>', '<bos>', '<eos>', 'a', 'a'] }), /duplicate token "a"/);
    assert.throws(() => Vocabulary.fromJSON({ tokens: ['<pad>', '<unk>', '<bos>', '<eos>', 3] }), /tokens\[4\]/);
  });
});

describe('readPairs', () => {
  it('reads TSV with BOM, CRLF/LF, blank lines, quotes and extra columns', async () => {
    const f = write('ok.tsv', '\ufeffGo.\tVa !\tCC-BY 2.0\r\n\r\n"Hi," he said.\t« Salut », dit-il.\n  \nRun!\tCours\u202f!\n');
    const pairs = await readPairs(f, { srcColumn: 0, tgtColumn: 1 });
    assert.deepEqual(
      pairs.map((p) => [p.src, p.tgt, p.line]),
      [
        ['Go.', 'Va !', 1],
        ['"Hi," he said.', '« Salut », dit-il.', 3],
        ['Run!', 'Cours\u202f!', 5],
      ],
    );
    assert.equal(pairs[0].file, f);
    const swapped = await readPairs(f, { srcColumn: 1, tgtColumn: 0 });
    assert.equal(swapped[0].src, 'Va !');
  });

  it('reports a short line as file:line with the expected columns', async () => {
    const f = write('short.tsv', 'a\tb\nc\td\nonly one column\n');
    await assert.rejects(readPairs(f, { srcColumn: 0, tgtColumn: 1 }), (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.equal(e.line, 3);
      assert.equal(e.file, f);
      assert.match(e.message, /short\.tsv:3: expected at least 2 tab-separated columns \(source in column 0, target in column 1\), found 1$/);
      return true;
    });
    await assert.rejects(readPairs(f, { srcColumn: 0, tgtColumn: 2 }), /short\.tsv:1: expected at least 3 tab-separated columns/);
  });

  it('reports empty source/target fields, missing files and invalid UTF-8', async () => {
    const f = write('empty.tsv', 'a\tb\n\tb\n');
    await assert.rejects(readPairs(f, { srcColumn: 0, tgtColumn: 1 }), /empty\.tsv:2: empty source sentence \(column 0\)/);
    const g = write('emptytgt.tsv', 'a\t \n');
    await assert.rejects(readPairs(g, { srcColumn: 0, tgtColumn: 1 }), /emptytgt\.tsv:1: empty target sentence/);
    await assert.rejects(readPairs(path.join(tmp, 'nope.tsv'), { srcColumn: 0, tgtColumn: 1 }), /nope\.tsv: file not found/);
    const h = write('latin1.tsv', Buffer.concat([Buffer.from('a\tb\ncaf'), Buffer.from([0xe9]), Buffer.from('\tx\n')]));
    await assert.rejects(readPairs(h, { srcColumn: 0, tgtColumn: 1 }), /latin1\.tsv:2: not valid UTF-8/);
    await assert.rejects(readPairs(f, { srcColumn: -1, tgtColumn: 1 }), RangeError);
  });

  it('reads parallel files and rejects different line counts naming both files', async () => {
    const src = write('p.en', 'Hello.\r\nBye.\n\n');
    const tgt = write('p.fr', 'Bonjour.\nAu revoir.\n\n');
    const pairs = await readPairs({ src, tgt }, { srcColumn: 0, tgtColumn: 1 });
    assert.deepEqual(pairs.map((p) => [p.src, p.tgt, p.line]), [['Hello.', 'Bonjour.', 1], ['Bye.', 'Au revoir.', 2]]);
    const tgt2 = write('q.fr', 'Bonjour.\n');
    await assert.rejects(readPairs({ src, tgt: tgt2 }, { srcColumn: 0, tgtColumn: 1 }), (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /p\.en has 3 and .*q\.fr has 1/);
      return true;
    });
    const tgt3 = write('r.fr', 'Bonjour.\n\nx\n');
    await assert.rejects(readPairs({ src, tgt: tgt3 }, { srcColumn: 0, tgtColumn: 1 }), /r\.fr:2: empty target sentence/);
  });

  it('reads the Tatoeba corpus (optional real-data check)', async function () {
    if (!fs.existsSync(TATOEBA)) this.skip();
    const pairs = await readPairs(TATOEBA, { srcColumn: 0, tgtColumn: 1 });
    assert.ok(pairs.length > 160000);
    assert.equal(pairs[0].src, 'Go.');
    assert.equal(pairs[0].tgt, 'Va !');
  });
});

describe('splitPairs', () => {
  const items = Array.from({ length: 1000 }, (_, i) => i);

  it('is deterministic for a seed and different across seeds', () => {
    const a = splitPairs(items, { validFraction: 0.1, testFraction: 0.05, seed: 1 });
    const b = splitPairs(items, { validFraction: 0.1, testFraction: 0.05, seed: 1 });
    const c = splitPairs(items, { validFraction: 0.1, testFraction: 0.05, seed: 2 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.test, c.test);
    assert.equal(a.valid.length, 100);
    assert.equal(a.test.length, 50);
    assert.equal(a.train.length, 850);
  });

  it('produces disjoint splits covering every item exactly once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.double({ min: 0, max: 0.45, noNaN: true }),
        fc.double({ min: 0, max: 0.45, noNaN: true }),
        fc.integer(),
        (n, vf, tf, seed) => {
          const xs = Array.from({ length: n }, (_, i) => i);
          const s = splitPairs(xs, { validFraction: vf, testFraction: tf, seed });
          assert.deepEqual([...s.train, ...s.valid, ...s.test].sort((p, q) => p - q), xs);
          assert.equal(s.test.length, Math.round(n * tf));
          assert.equal(s.valid.length, Math.round(n * vf));
        },
      ),
    );
  });

  it('keeps groups together with groupBy and validates fractions', () => {
    const pairs = Array.from({ length: 300 }, (_, i) => ({ key: `s${i % 50}`, i }));
    const s = splitPairs(pairs, { validFraction: 0.2, testFraction: 0.2, seed: 3, groupBy: (p) => p.key });
    const where = new Map<string, string>();
    for (const [name, split] of Object.entries(s)) {
      for (const p of split) {
        assert.equal(where.get(p.key) ?? name, name);
        where.set(p.key, name);
      }
    }
    assert.equal(s.test.length, 10 * 6);
    assert.throws(() => splitPairs(items, { validFraction: 0.6, testFraction: 0.4, seed: 1 }), /must be < 1/);
    assert.throws(() => splitPairs(items, { validFraction: -0.1, testFraction: 0, seed: 1 }), RangeError);
  });
});

describe('batching', () => {
  it('builds padded ids, shifted decoder input/output and masks', () => {
    const pairs: EncodedPair[] = [
      { src: [5, 6], tgt: [7] },
      { src: [8], tgt: [9, 10, 11] },
    ];
    const b = makeBatch(pairs, [1, 0]);
    assert.equal(b.size, 2);
    assert.equal(b.srcLen, 3);
    assert.equal(b.tgtLen, 4);
    assert.deepEqual([...b.srcIds], [8, EOS_ID, PAD_ID, 5, 6, EOS_ID]);
    assert.deepEqual([...b.srcMask], [1, 1, 0, 1, 1, 1]);
    assert.deepEqual(b.srcLengths, [2, 3]);
    assert.deepEqual([...b.tgtIn], [BOS_ID, 9, 10, 11, BOS_ID, 7, PAD_ID, PAD_ID]);
    assert.deepEqual([...b.tgtOut], [9, 10, 11, EOS_ID, 7, EOS_ID, PAD_ID, PAD_ID]);
    assert.deepEqual([...b.tgtMask], [1, 1, 1, 1, 1, 1, 0, 0]);
    assert.equal(b.tokens, 6);
    assert.deepEqual(b.indices, [1, 0]);
    assert.throws(() => makeBatch(pairs, []), RangeError);
    assert.throws(() => makeBatch(pairs, [2]), RangeError);
  });

  const encodedPairs = fc.array(
    fc.record({
      src: fc.array(fc.integer({ min: 4, max: 50 }), { maxLength: 20 }),
      tgt: fc.array(fc.integer({ min: 4, max: 50 }), { maxLength: 20 }),
    }),
    { minLength: 1, maxLength: 120 },
  );

  it('covers every pair exactly once with consistent masks (property)', () => {
    fc.assert(
      fc.property(encodedPairs, fc.integer({ min: 1, max: 17 }), fc.boolean(), fc.boolean(), fc.integer(), (pairs, bs, shuffle, bucket, seed) => {
        const batches = makeBatches(pairs, bs, { shuffle, bucket, random: new Random(seed) });
        const seen = batches.flatMap((b) => b.indices).sort((p, q) => p - q);
        assert.deepEqual(seen, pairs.map((_, i) => i));
        for (const b of batches) {
          assert.ok(b.size >= 1 && b.size <= bs);
          assert.equal(b.tokens, b.tgtMask.reduce((s, x) => s + x, 0));
          for (let r = 0; r < b.size; r++) {
            const p = pairs[b.indices[r]];
            for (let t = 0; t < b.srcLen; t++) {
              const id = b.srcIds[r * b.srcLen + t];
              const m = b.srcMask[r * b.srcLen + t];
              assert.equal(m, t <= p.src.length ? 1 : 0);
              assert.equal(id, t < p.src.length ? p.src[t] : t === p.src.length ? EOS_ID : PAD_ID);
            }
            for (let t = 0; t < b.tgtLen; t++) {
              const k = r * b.tgtLen + t;
              assert.equal(b.tgtMask[k], t <= p.tgt.length ? 1 : 0);
              if (t + 1 < b.tgtLen && b.tgtMask[k + 1] === 1) assert.equal(b.tgtIn[k + 1], b.tgtOut[k]);
              if (b.tgtMask[k] === 0) assert.equal(b.tgtOut[k], PAD_ID);
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('length bucketing reduces padding compared with random batches', () => {
    const r = new Random(11);
    const pairs: EncodedPair[] = Array.from({ length: 2000 }, () => {
      const n = 1 + r.int(40);
      return { src: new Array(n).fill(5), tgt: new Array(Math.max(1, n + r.int(5) - 2)).fill(6) };
    });
    const plain = paddingStats(makeBatches(pairs, 32, { shuffle: true, random: new Random(1), bucket: false }));
    const bucketed = paddingStats(makeBatches(pairs, 32, { shuffle: true, random: new Random(1), bucket: true }));
    assert.equal(plain.realPositions, bucketed.realPositions);
    assert.ok(bucketed.paddingFraction < plain.paddingFraction / 3, `${bucketed.paddingFraction} vs ${plain.paddingFraction}`);
  });

  it('requires a generator for shuffling and a positive batch size', () => {
    assert.throws(() => makeBatches([{ src: [4], tgt: [4] }], 2, { shuffle: true, bucket: false }), TypeError);
    assert.throws(() => makeBatches([{ src: [4], tgt: [4] }], 0, { shuffle: false, bucket: false }), RangeError);
  });
});

describe('loadDataset', () => {
  function toyTsv(): string {
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) lines.push(`the cat ${i % 7} sleeps .\tle chat ${i % 7} dort !`);
    lines.push('this one is far too long for the limit of ten tokens on the source side\tcourt');
    return write('toy.tsv', lines.join('\n') + '\n');
  }

  it('splits, filters by maxLength, builds vocabularies on train and encodes', async () => {
    const cfg = withDefaults({ data: { train: toyTsv(), maxLength: 10, validFraction: 0.1, testFraction: 0.1 } });
    const ds = await loadDataset(cfg);
    // 7 distinct sources (+1 long) grouped by source: no source is in two splits.
    const srcOf = (s: { pairs: { src: string }[] }) => new Set(s.pairs.map((p) => p.src));
    for (const s of srcOf(ds.test)) assert.ok(!srcOf(ds.train).has(s));
    assert.equal(ds.train.pairs.length + ds.valid.pairs.length + ds.test.pairs.length + ds.filteredOut, 201);
    assert.ok(ds.filteredOut >= 1);
    assert.equal(ds.train.encoded.length, ds.train.pairs.length);
    assert.ok(ds.train.srcTokens.every((t) => t.length <= 10));
    // Ties in frequency are ordered by code unit: '.' < 'cat' < 'sleeps' < 'the'.
    assert.equal(ds.srcVocab.tokenOf(4), '.');
    assert.equal(ds.srcVocab.has('limit'), false, 'vocabulary is built on the filtered training split only');
    assert.equal(ds.tgtTokenizer.spaceBeforeHighPunctuation, true);
    assert.equal(ds.srcTokenizer.spaceBeforeHighPunctuation, false);
    const enc = encodeSentence('The cat sleeps zzz.', ds.srcTokenizer, ds.srcVocab);
    assert.deepEqual(enc.tokens, ['the', 'cat', 'sleeps', 'zzz', '.']);
    assert.equal(enc.ids[3], UNK_ID);
    assert.deepEqual(ds.srcVocab.decode(ds.train.encoded[0].src), ds.train.srcTokens[0]);
    // Same seed → same split.
    const again = await loadDataset(cfg);
    assert.deepEqual(again.test.pairs, ds.test.pairs);
  });

  it('keeps separate valid/test files complete and reuses given vocabularies', async () => {
    const valid = write('valid.tsv', 'unseen words here that are long long long long long long long\tmots\n');
    const cfg = withDefaults({ data: { train: toyTsv(), valid, maxLength: 10, testFraction: 0.1 } });
    const ds = await loadDataset(cfg);
    assert.equal(ds.valid.pairs.length, 1);
    assert.equal(ds.srcVocab.has('unseen'), false);
    assert.equal(ds.valid.encoded[0].src[0], UNK_ID);
    const again = await loadDataset(cfg, { src: ds.tgtVocab, tgt: ds.srcVocab });
    assert.equal(again.srcVocab, ds.tgtVocab);
  });

  it('errors clearly when no training pair survives the filter', async () => {
    const cfg = withDefaults({ data: { train: toyTsv(), maxLength: 2, validFraction: 0, testFraction: 0 } });
    await assert.rejects(loadDataset(cfg), /no training pair has at most data\.maxLength = 2 tokens/);
  });

  it('tokenizes the Tatoeba corpus with few round-trip mismatches (optional real-data check)', async function () {
    if (!fs.existsSync(TATOEBA)) this.skip();
    const pairs = (await readPairs(TATOEBA, { srcColumn: 0, tgtColumn: 1 })).slice(0, 5000);
    for (const [side, french] of [['src', false], ['tgt', true]] as const) {
      const tok = makeTokenizer('word', true, { spaceBeforeHighPunctuation: french });
      const bad = pairs.filter((p) => tok.detokenize(tok.tokenize(p[side])) !== normalizeText(p[side], true)).length;
      assert.ok(bad < 50, `${side}: ${bad} of 5000 do not round-trip`);
    }
  });
});

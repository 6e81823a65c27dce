/**
 * BLEU / perplexity tests.
 *
 * Expected values below were printed by sacreBLEU 2.6.0 (git commit
 * f615c7286d4d813370efb824d94fc2bfcd3a6b94 of mjpost/sacrebleu = tag v2.6.0 plus one
 * README-only commit), run from a source checkout with the Debian python3 (3.11) and
 * Debian's python3-regex/-portalocker/-tabulate/-numpy/-colorama/-lxml, as
 *
 *   PYTHONPATH=<sacrebleu checkout> python3 gen.py test/fixtures/bleu/cases.json
 *
 * where gen.py (not committed) does, for every case c of cases.json:
 *
 *   m = BLEU(smooth_method=c.opts.get('smooth', 'exp'), tokenize=c.opts.get('tokenize', '13a'),
 *            lowercase=c.opts.get('lowercase', False))
 *   s = m.corpus_score(c['hyps'], c['refs'])
 *   -> s.score, s.counts, s.totals, s.precisions, s.bp, s.sys_len, s.ref_len  (repr() floats)
 *
 * plus `Tokenizer13a()(line)` (sacrebleu.tokenizers.tokenizer_13a) for every entry of
 * `tokenizer_lines`, and `sacrebleu.sentence_bleu(hyps[i], [r[i] for r in refs])` for every
 * segment of the first two cases. Signatures were e.g.
 * `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`.
 *
 * All sentences in cases.json were written for this test (not taken from any corpus).
 * Our implementation reproduced every value bit-for-bit at the time of writing; the
 * tolerance used here (1e-9) only allows for libm differences in log/exp.
 */
import { strict as assert } from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { corpusBleu, sentenceBleu, tokenize13a, type BleuOptions } from '../src/core/metrics/bleu';
import { perplexity } from '../src/core/metrics/perplexity';

interface Case {
  name: string;
  hyps: string[];
  refs: string[][];
  opts: BleuOptions;
}
interface Fixture {
  cases: Case[];
  tokenizer_lines: string[];
}
interface Expected {
  score: number;
  counts: number[];
  totals: number[];
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
}

const fixture: Fixture = JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'bleu', 'cases.json'), 'utf8'));
const TOL = 1e-9;

function close(actual: number, expected: number, what: string, tol = TOL): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, sacreBLEU ${expected} (|diff| > ${tol})`);
}

// ---- sacreBLEU 2.6.0 outputs (see header) ----
const EXPECTED_CORPUS: Record<string, Expected> = {
  'mixed-single-ref': { score: 67.54682298300496, counts: [129, 101, 79, 63], totals: [144, 131, 118, 106], precisions: [89.58333333333333, 77.09923664122137, 66.94915254237289, 59.43396226415094], bp: 0.9329119603871474, sysLen: 144, refLen: 154 },
  'multi-ref-3': { score: 83.2999799813128, counts: [32, 26, 18, 11], totals: [32, 27, 22, 18], precisions: [100.0, 96.29629629629629, 81.81818181818181, 61.111111111111114], bp: 1.0, sysLen: 32, refLen: 31 },
  'multi-ref-2': { score: 79.85486934032615, counts: [31, 24, 17, 11], totals: [32, 27, 22, 18], precisions: [96.875, 88.88888888888889, 77.27272727272727, 61.111111111111114], bp: 1.0, sysLen: 32, refLen: 32 },
  'zero-4gram-exp': { score: 27.37678098181287, counts: [7, 4, 2, 0], totals: [11, 9, 7, 5], precisions: [63.63636363636363, 44.44444444444444, 28.571428571428573, 10.0], bp: 0.9131007162822624, sysLen: 11, refLen: 12 },
  'zero-4gram-none': { score: 0.0, counts: [7, 4, 2, 0], totals: [11, 9, 7, 5], precisions: [63.63636363636363, 44.44444444444444, 28.571428571428573, 0.0], bp: 0.9131007162822624, sysLen: 11, refLen: 12 },
  'zero-4gram-floor': { score: 18.307956863050254, counts: [7, 4, 2, 0], totals: [11, 9, 7, 5], precisions: [63.63636363636363, 44.44444444444444, 28.571428571428573, 2.0], bp: 0.9131007162822624, sysLen: 11, refLen: 12 },
  'zero-4gram-add-k': { score: 34.28921380681199, counts: [7, 5, 3, 1], totals: [11, 10, 8, 6], precisions: [63.63636363636363, 50.0, 37.5, 16.666666666666668], bp: 0.9131007162822624, sysLen: 11, refLen: 12 },
  'short-hyps-bp': { score: 0.0, counts: [6, 3, 0, 0], totals: [6, 3, 0, 0], precisions: [100.0, 100.0, 0.0, 0.0], bp: 0.0820849986238988, sysLen: 6, refLen: 21 },
  'short-hyps-bp-nonzero': { score: 54.04329964865343, counts: [13, 10, 7, 4], totals: [13, 10, 7, 4], precisions: [100.0, 100.0, 100.0, 100.0], bp: 0.5404329964865341, sysLen: 13, refLen: 21 },
  'lowercase': { score: 89.22336776669758, counts: [14, 11, 8, 5], totals: [15, 12, 9, 6], precisions: [93.33333333333333, 91.66666666666667, 88.88888888888889, 83.33333333333333], bp: 1.0, sysLen: 15, refLen: 15 },
  'case-sensitive': { score: 8.95474943186285, counts: [5, 1, 0, 0], totals: [15, 12, 9, 6], precisions: [33.333333333333336, 8.333333333333334, 5.555555555555555, 4.166666666666667], bp: 1.0, sysLen: 15, refLen: 15 },
  'tokenize-none': { score: 75.0533618267102, counts: [15, 11, 7, 4], totals: [16, 13, 10, 7], precisions: [93.75, 84.61538461538461, 70.0, 57.142857142857146], bp: 1.0, sysLen: 16, refLen: 16 },
  'mixed-floor': { score: 67.54682298300496, counts: [129, 101, 79, 63], totals: [144, 131, 118, 106], precisions: [89.58333333333333, 77.09923664122137, 66.94915254237289, 59.43396226415094], bp: 0.9329119603871474, sysLen: 144, refLen: 154 },
  'mixed-add-k': { score: 67.76240807637629, counts: [129, 102, 80, 64], totals: [144, 132, 119, 107], precisions: [89.58333333333333, 77.27272727272727, 67.22689075630252, 59.81308411214953], bp: 0.9329119603871474, sysLen: 144, refLen: 154 },
  'perfect': { score: 100.00000000000004, counts: [13, 11, 9, 7], totals: [13, 11, 9, 7], precisions: [100.0, 100.0, 100.0, 100.0], bp: 1.0, sysLen: 13, refLen: 13 },
  'no-overlap-exp': { score: 0.0, counts: [0, 0, 0, 0], totals: [6, 4, 2, 1], precisions: [0.0, 0.0, 0.0, 0.0], bp: 0.846481724890614, sysLen: 6, refLen: 7 },
  'no-overlap-none': { score: 0.0, counts: [0, 0, 0, 0], totals: [6, 4, 2, 1], precisions: [0.0, 0.0, 0.0, 0.0], bp: 0.846481724890614, sysLen: 6, refLen: 7 },
  'empty-hyps': { score: 0.0, counts: [0, 0, 0, 0], totals: [0, 0, 0, 0], precisions: [0.0, 0.0, 0.0, 0.0], bp: 0.0, sysLen: 0, refLen: 4 },
  'no-4grams-at-all': { score: 62.87167148414675, counts: [5, 3, 1, 0], totals: [6, 4, 2, 1], precisions: [83.33333333333333, 75.0, 50.0, 50.0], bp: 1.0, sysLen: 6, refLen: 6 },
  'trailing-whitespace-and-newlines': { score: 80.72121677906497, counts: [7, 4, 2, 1], totals: [8, 5, 2, 1], precisions: [87.5, 80.0, 100.0, 100.0], bp: 0.8824969025845955, sysLen: 8, refLen: 9 },
};

/** `Tokenizer13a()(line)` for each entry of `tokenizer_lines` in cases.json, in order. */
const EXPECTED_TOKENS: string[] = [
  "Hello , world !",
  "It costs 3.5 euros , or 1,000 yen .",
  "1990 - 1995 was a well-known -- era ; e . g . 3 - 4 items .",
  "He said \" hi \" & < b > bye < / b > < & apos ; x & apos ;",
  "Some text here",
  "hyphenated line break",
  "Tom's \" quote \" ` tick ` ~ tilde ~ { brace } [ bracket ] | pipe | \\ back \\ ^ caret _ under _",
  "a . b , c . 5 5 . , 5 5 , 5.5.5 a . 5 5 . a",
  ". . . Wait . . . what ? !",
  "Je n’ai pas vu « Amélie » — c’est ça .",
  "email : test @ example . com ( see http : / / example . org / a _ b ? x = 1 & y = 2 # frag ) .",
  "leading and trailing spaces",
  "tabs and nbsp ideographic thin\ufeffbom nel fs",
  "$ 20.00 ; 50 % off ! # hash * star * + plus = eq",
  "",
  "",
  "😀 . 🎉 , 3 . 😀 x-😀 9 - 9",
  "U . S . A . Mr . Smith's 2nd-place finish .",
  "& quot ; & quotx & amp",
  "ça va ? oui , très bien : 10,5 % à 3h .",
];

/** `sacrebleu.sentence_bleu(hyps[i], [refs[k][i] for k])` (effective order on, exp smoothing). */
const EXPECTED_SENTENCE: { caseName: string; i: number; score: number; bp: number; counts: number[]; totals: number[] }[] = [
  { caseName: 'mixed-single-ref', i: 0, score: 42.38365628278778, bp: 0.8668778997501817, counts: [6, 4, 2, 1], totals: [7, 6, 5, 4] },
  { caseName: 'mixed-single-ref', i: 1, score: 38.827267775222325, bp: 1.0, counts: [10, 6, 3, 1], totals: [11, 10, 9, 8] },
  { caseName: 'mixed-single-ref', i: 2, score: 63.575008387926516, bp: 0.846481724890614, counts: [12, 9, 7, 5], totals: [12, 11, 10, 9] },
  { caseName: 'mixed-single-ref', i: 3, score: 100.00000000000004, bp: 1.0, counts: [11, 10, 9, 8], totals: [11, 10, 9, 8] },
  { caseName: 'mixed-single-ref', i: 4, score: 88.01117367933934, bp: 1.0, counts: [9, 8, 7, 6], totals: [10, 9, 8, 7] },
  { caseName: 'mixed-single-ref', i: 5, score: 0.0, bp: 0.0, counts: [0, 0, 0, 0], totals: [0, 0, 0, 0] },
  { caseName: 'mixed-single-ref', i: 6, score: 2.1352774592011654, bp: 0.0301973834223185, counts: [2, 0, 0, 0], totals: [2, 1, 0, 0] },
  { caseName: 'mixed-single-ref', i: 7, score: 26.211503555147623, bp: 1.0, counts: [9, 6, 3, 0], totals: [13, 12, 11, 10] },
  { caseName: 'mixed-single-ref', i: 8, score: 95.10699415570296, bp: 1.0, counts: [21, 20, 19, 18], totals: [22, 21, 20, 19] },
  { caseName: 'mixed-single-ref', i: 9, score: 70.16879391277372, bp: 1.0, counts: [10, 8, 6, 4], totals: [11, 10, 9, 8] },
  { caseName: 'mixed-single-ref', i: 10, score: 100.00000000000004, bp: 1.0, counts: [9, 8, 7, 6], totals: [9, 8, 7, 6] },
  { caseName: 'mixed-single-ref', i: 11, score: 85.78928092681431, bp: 1.0, counts: [17, 15, 13, 12], totals: [18, 17, 16, 15] },
  { caseName: 'mixed-single-ref', i: 12, score: 17.164726199225985, bp: 1.0, counts: [7, 3, 0, 0], totals: [9, 8, 7, 6] },
  { caseName: 'mixed-single-ref', i: 13, score: 46.713797772819994, bp: 1.0, counts: [6, 4, 3, 2], totals: [9, 8, 7, 6] },
  { caseName: 'multi-ref-3', i: 0, score: 80.91067115702214, bp: 1.0, counts: [9, 8, 6, 3], totals: [9, 8, 7, 6] },
  { caseName: 'multi-ref-3', i: 1, score: 70.71067811865478, bp: 1.0, counts: [6, 5, 3, 1], totals: [6, 5, 4, 3] },
  { caseName: 'multi-ref-3', i: 2, score: 100.00000000000004, bp: 1.0, counts: [6, 5, 4, 3], totals: [6, 5, 4, 3] },
  { caseName: 'multi-ref-3', i: 3, score: 100.00000000000004, bp: 1.0, counts: [2, 1, 0, 0], totals: [2, 1, 0, 0] },
  { caseName: 'multi-ref-3', i: 4, score: 80.34284189446517, bp: 1.0, counts: [9, 7, 5, 4], totals: [9, 8, 7, 6] },
];

describe('tokenize13a (sacreBLEU 13a / mteval-v13a)', () => {
  it('has an expected output for every fixture line', () => {
    assert.equal(fixture.tokenizer_lines.length, EXPECTED_TOKENS.length);
  });
  fixture.tokenizer_lines.forEach((line, i) => {
    it(`matches sacreBLEU on ${JSON.stringify(line).slice(0, 60)}`, () => {
      assert.equal(tokenize13a(line), EXPECTED_TOKENS[i]);
    });
  });
  it('keeps decimals and thousands separators, splits sentence-final period', () => {
    assert.equal(tokenize13a('Pi is 3.14, not 3,14.'), 'Pi is 3.14 , not 3,14 .');
  });
});

describe('corpusBleu agrees with sacreBLEU 2.6.0', () => {
  it('covers every fixture case', () => {
    assert.deepEqual(fixture.cases.map((c) => c.name).sort(), Object.keys(EXPECTED_CORPUS).sort());
  });
  for (const c of fixture.cases) {
    it(c.name, () => {
      const e = EXPECTED_CORPUS[c.name]!;
      const r = corpusBleu(c.hyps, c.refs, c.opts);
      close(r.score, e.score, 'score');
      assert.deepEqual(r.counts, e.counts, 'counts');
      assert.deepEqual(r.totals, e.totals, 'totals');
      assert.equal(r.sysLen, e.sysLen, 'sysLen');
      assert.equal(r.refLen, e.refLen, 'refLen');
      close(r.bp, e.bp, 'bp');
      r.precisions.forEach((p, n) => close(p, e.precisions[n]!, `precision ${n + 1}`));
    });
  }
});

describe('sentenceBleu agrees with sacreBLEU 2.6.0 sentence_bleu', () => {
  for (const e of EXPECTED_SENTENCE) {
    it(`${e.caseName} #${e.i}`, () => {
      const c = fixture.cases.find((x) => x.name === e.caseName)!;
      const r = sentenceBleu(c.hyps[e.i]!, c.refs.map((stream) => stream[e.i]!));
      close(r.score, e.score, 'score');
      close(r.bp, e.bp, 'bp');
      assert.deepEqual(r.counts, e.counts);
      assert.deepEqual(r.totals, e.totals);
    });
  }
  it('accepts a single reference string', () => {
    close(sentenceBleu('the cat sat on the mat', 'the cat sat on the mat').score, 100, 'score');
  });
});

describe('corpusBleu known values and API', () => {
  it('perfect match scores 100', () => {
    const refs = ['The cat sat on the mat.', 'A quick brown fox jumps over the dog.'];
    const r = corpusBleu(refs, refs);
    close(r.score, 100, 'score', 1e-9);
    assert.equal(r.bp, 1);
    assert.deepEqual(r.precisions.map((p) => Math.round(p)), [100, 100, 100, 100]);
  });
  it('no overlap scores 0 with and without smoothing', () => {
    for (const smooth of ['exp', 'none', 'floor', 'add-k'] as const) {
      assert.equal(corpusBleu(['alpha beta gamma delta'], ['one two three four'], { smooth }).score, 0, smooth);
    }
  });
  it('textbook value: p = (5/6, 3/5, 1/4, 0) with exp smoothing and BP = exp(1 - 7/6)', () => {
    // hyp: "a b c d x y" (6 tokens), ref: "a b c d e y z" (7 tokens)
    // 1-grams a b c d y match (5/6); 2-grams ab bc cd (3/5); 3-grams abc bcd (2/4); 4-gram abcd (1/3)
    const r = corpusBleu(['a b c d x y'], ['a b c d e y z']);
    assert.deepEqual(r.counts, [5, 3, 2, 1]);
    assert.deepEqual(r.totals, [6, 5, 4, 3]);
    const expected = Math.exp(1 - 7 / 6) * Math.exp((Math.log(5 / 6) + Math.log(3 / 5) + Math.log(2 / 4) + Math.log(1 / 3)) / 4) * 100;
    close(r.score, expected, 'score', 1e-9);
  });
  it('exp smoothing: k-th zero-match order gets 100/(2^k * total)', () => {
    // 4-gram totals 1 with no match -> precision 100 / (2 * 1) = 50
    const r = corpusBleu(['a b c d'], ['a b c e']);
    assert.deepEqual(r.counts, [3, 2, 1, 0]);
    close(r.precisions[3]!, 50, 'p4');
  });
  it('is case-sensitive by default and case-insensitive with lowercase', () => {
    assert.equal(corpusBleu(['THE CAT'], ['the cat']).score, 0);
    close(corpusBleu(['THE CAT'], ['the cat'], { lowercase: true }).precisions[0]!, 100, 'p1');
  });
  it('string[] references equal one reference stream string[][]', () => {
    const hyps = ['the cat sat', 'on a mat today'];
    const refs = ['the cat sat down', 'on the mat today'];
    assert.deepEqual(corpusBleu(hyps, refs), corpusBleu(hyps, [refs]));
  });
  it('uses the closest reference length, ties to the shorter one', () => {
    // hyp length 4; refs of length 3 and 5 are equally close -> 3
    const r = corpusBleu(['a b c d'], [['a b c'], ['a b c d e']]);
    assert.equal(r.refLen, 3);
    assert.equal(r.bp, 1);
  });
  it('empty corpus gives score 0', () => {
    const r = corpusBleu([], []);
    assert.equal(r.score, 0);
    assert.equal(r.sysLen, 0);
    assert.equal(corpusBleu([], [[], []]).score, 0);
  });
  it('throws a clear error on length mismatch', () => {
    assert.throws(() => corpusBleu(['a', 'b'], ['a']), /reference stream 0 has 1 segments but there are 2 hypotheses/);
    assert.throws(() => corpusBleu(['a'], [['a'], ['a', 'b']]), /reference stream 1 has 2 segments/);
    assert.throws(() => corpusBleu(['a'], []), /no references/);
  });
  it('throws on non-string entries and unknown options', () => {
    assert.throws(() => corpusBleu(['a', 5 as unknown as string], ['a', 'b']), /hypotheses\[1\] must be a string/);
    assert.throws(() => corpusBleu(['a'], ['a'], { smooth: 'bogus' as 'exp' }), /unknown smooth method/);
    assert.throws(() => corpusBleu(['a'], ['a'], { tokenize: 'intl' as '13a' }), /unknown tokenizer/);
  });
  it('does not mutate its inputs and is deterministic', () => {
    const hyps = ['the cat sat', 'x'];
    const refs = [['the cat sat down', 'y']];
    const copy = JSON.stringify([hyps, refs]);
    const a = corpusBleu(hyps, refs);
    const b = corpusBleu(hyps, refs);
    assert.deepEqual(a, b);
    assert.equal(JSON.stringify([hyps, refs]), copy);
  });
  it('property: score in [0, 100], identity scores 100 when every segment has >= 4 tokens', () => {
    const word = fc.constantFrom('the', 'a', 'cat', 'dog', 'sat', 'on', 'mat', '.', ',', 'is', "n't", '3.5', '-');
    const sent = fc.array(word, { minLength: 0, maxLength: 12 }).map((w) => w.join(' '));
    fc.assert(
      fc.property(fc.array(fc.tuple(sent, sent), { minLength: 1, maxLength: 8 }), (pairs) => {
        const r = corpusBleu(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
        return r.score >= 0 && r.score <= 100 + 1e-9 && r.bp >= 0 && r.bp <= 1;
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(fc.constantFrom('x', 'y', 'z', 'w'), { minLength: 4, maxLength: 10 }), { minLength: 1, maxLength: 5 }), (segs) => {
        const s = segs.map((w) => w.join(' '));
        return Math.abs(corpusBleu(s, s).score - 100) < 1e-9;
      }),
    );
  });
});

/** Naive string-keyed n-gram statistics (sacreBLEU's algorithm written the obvious way), for cross-checking. */
function naiveStats(hyps: string[], refStreams: string[][]): { counts: number[]; totals: number[]; sysLen: number; refLen: number } {
  const grams = (toks: string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (let n = 1; n <= 4; n++) {
      for (let i = 0; i + n <= toks.length; i++) {
        const k = toks.slice(i, i + n).join(' ');
        m.set(k, (m.get(k) ?? 0) + 1);
      }
    }
    return m;
  };
  const counts = [0, 0, 0, 0];
  const totals = [0, 0, 0, 0];
  let sysLen = 0;
  let refLen = 0;
  hyps.forEach((h, i) => {
    const ht = h.split(' ').filter(Boolean);
    const refs = refStreams.map((st) => st[i]!.split(' ').filter(Boolean));
    const refMax = new Map<string, number>();
    for (const r of refs) for (const [g, c] of grams(r)) refMax.set(g, Math.max(refMax.get(g) ?? 0, c));
    for (const [g, c] of grams(ht)) {
      const n = g.split(' ').length;
      totals[n - 1]! += c;
      counts[n - 1]! += Math.min(c, refMax.get(g) ?? 0);
    }
    sysLen += ht.length;
    const lens = refs.map((r) => r.length).sort((a, b) => a - b);
    refLen += lens.reduce((best, l) => (Math.abs(l - ht.length) < Math.abs(best - ht.length) ? l : best), lens[0]!);
  });
  return { counts, totals, sysLen, refLen };
}

describe('corpusBleu statistics match a naive implementation (random multi-reference corpora)', () => {
  it('counts, totals, sysLen and refLen are identical', () => {
    const word = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
    const sent = fc.array(word, { minLength: 0, maxLength: 14 }).map((w) => w.join(' '));
    const corpus = fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }))
      .chain(([n, k]) => fc.tuple(fc.array(sent, { minLength: n, maxLength: n }), fc.array(fc.array(sent, { minLength: n, maxLength: n }), { minLength: k, maxLength: k })));
    fc.assert(
      fc.property(corpus, ([hyps, refs]) => {
        const r = corpusBleu(hyps, refs, { tokenize: 'none' });
        assert.deepEqual({ counts: r.counts, totals: r.totals, sysLen: r.sysLen, refLen: r.refLen }, naiveStats(hyps, refs));
      }),
      { numRuns: 300 },
    );
  });
});

describe('perplexity', () => {
  it('is exp(totalNll / tokens)', () => {
    close(perplexity(0, 10), 1, 'ppl');
    close(perplexity(10 * Math.log(4), 10), 4, 'ppl', 1e-12);
    close(perplexity(2.5, 2), Math.exp(1.25), 'ppl', 1e-12);
  });
  it('uniform distribution over V tokens has perplexity V', () => {
    const V = 1000;
    close(perplexity(37 * Math.log(V), 37), V, 'ppl', 1e-9);
  });
  it('overflows to Infinity for a huge mean NLL and for infinite NLL', () => {
    assert.equal(perplexity(1e6, 1), Infinity);
    assert.equal(perplexity(Infinity, 3), Infinity);
  });
  it('throws RangeError for zero, negative or non-finite token counts', () => {
    for (const t of [0, -1, NaN, Infinity]) assert.throws(() => perplexity(1, t), RangeError, String(t));
  });
  it('throws RangeError for NaN or negative NLL', () => {
    assert.throws(() => perplexity(NaN, 3), RangeError);
    assert.throws(() => perplexity(-1, 3), /did you pass a log-likelihood/);
  });
});

/**
 * Forced decoding through the Translator and the command line:
 * `translate --prefix / --prefix-column / --reference [TEXT]`,
 * `translate --json` with coverage and the reference analysis,
 * `eval --score-reference` and `eval --search-errors --beam 1,2,5,10`.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { withDefaults } from '../src/core/config/config';
import { train } from '../src/core/training/training';
import { Translator, type Translation } from '../src/core/decoding/translator';
import { beamList, lineInput } from '../src/cli/forcedDecoding';

const BIN = path.join(__dirname, '..', 'bin', 'seq2seq.js');
const cli = (args: string[], input = '') => spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 300_000 });

function close(a: number, b: number, what: string, tol = 1e-4): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

describe('forced decoding in the Translator and the CLI', function () {
  this.timeout(600_000);
  let dir: string;
  let runDir: string;
  let testFile: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-forced-'));
    const words = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const lines: string[] = [];
    for (let i = 0; i < 60; i++) {
      const s = Array.from({ length: 2 + (i % 4) }, (_, k) => words[(i * 3 + k * 2) % words.length]);
      lines.push(`${s.join(' ')}\t${[...s].reverse().join(' ')}`);
    }
    await fs.writeFile(path.join(dir, 'train.tsv'), lines.join('\n') + '\n');
    testFile = path.join(dir, 'test.tsv');
    await fs.writeFile(testFile, lines.slice(0, 12).join('\n') + '\n');
    const config = withDefaults({
      data: { train: path.join(dir, 'train.tsv'), valid: testFile, test: testFile },
      model: { embeddingSize: 8, hiddenSize: 16, dropout: 0 },
      train: { batchSize: 8, epochs: 8, logEvery: 5, validEvery: 0, earlyStoppingPatience: 0, threads: 1, beamSize: 1 },
    });
    runDir = path.join(dir, 'run');
    await train({ config, outDir: runDir, resume: false });
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('Translator: a prefix is forced and the search continues; unknown prefix words are <unk> and named; both engines agree', async () => {
    const t = await Translator.load(runDir);
    try {
      const plain = t.translate('a b c d', { beamSize: 1 });
      close(plain.tokenLogProbs!.reduce((x, y) => x + y, 0), plain.logProb, 'Σ tokenLogProbs = logProb', 1e-9);
      close(plain.coverage!.reduce((x, y) => x + y, 0), plain.targetTokens.length, 'Σ coverage = target steps', 1e-4);
      // Forcing the output's first token reproduces the output.
      const same = t.translate('a b c d', { beamSize: 1, prefix: { tokens: plain.targetTokens.slice(0, 1) } });
      assert.deepEqual(same.targetTokens, plain.targetTokens);
      assert.deepEqual(same.prefix, { tokens: plain.targetTokens.slice(0, 1), unknown: [] });
      for (const engine of ['fast', 'tensor'] as const) {
        const w = t.translate('a b c d', { beamSize: 3, prefix: { tokens: ['g'], text: 'zebra' }, engine });
        assert.deepEqual(w.targetTokens.slice(0, 2), ['g', '<unk>'], `${engine}: the prefix first`);
        assert.deepEqual(w.prefix, { tokens: ['g', '<unk>'], unknown: ['zebra'] });
      }
      const [f, g] = (['fast', 'tensor'] as const).map((engine) => t.translate('c d e', { beamSize: 2, prefix: { text: 'e' }, reference: 'e d c', referenceBeams: [1, 2, 5], referenceTreeBeam: 3, engine }));
      assert.deepEqual(f.targetTokens, g.targetTokens);
      const [rf, rg] = [f.reference!, g.reference!];
      assert.deepEqual(rf.tokens, ['e', 'd', 'c', '<eos>']);
      close(rf.logProb, rg.logProb, 'reference log-prob, fast vs tensor');
      close(rf.logProb, rf.tokenLogProbs.reduce((x, y) => x + y, 0), 'Σ', 1e-9);
      assert.equal(rf.verdict, rg.verdict);
      assert.deepEqual(rf.searchErrors!.map((e) => [e.beamSize, e.verdict, e.text]), rg.searchErrors!.map((e) => [e.beamSize, e.verdict, e.text]));
      assert.deepEqual(rf.tree!.fallOut, rg.tree!.fallOut);
      assert.equal(rf.exposure.divergence, rg.exposure.divergence);
      close(rf.coverage!.reduce((x, y) => x + y, 0), 4, 'forced alignment coverage');
    } finally {
      t.dispose();
    }
  });

  it('Translator: the greedy output as reference is correct, scores the greedy score, and its two exposure-bias tracks agree', async () => {
    const t = await Translator.load(runDir);
    try {
      for (const src of ['a b c', 'd e f g', 'b', 'g f e d']) {
        const out = t.translate(src, { beamSize: 1 });
        if (!out.targetTokens.includes('<eos>')) continue;
        const r = t.translate(src, { beamSize: 1, reference: out.text }).reference!;
        assert.equal(r.verdict, 'correct', src);
        close(r.score, out.score!, `${src}: reference score = greedy score`);
        assert.equal(r.exposure.divergence, -1);
        r.exposure.ownPrefix.forEach((x, i) => close(x!, r.exposure.teacherForced[i], `${src}: tracks step ${i}`));
      }
    } finally {
      t.dispose();
    }
  });

  it('`translate --prefix TEXT` forces every line’s start and says which words are <unk>; `--prefix-column N` reads it from TSV', () => {
    const r = cli(['translate', '--model', runDir, '--prefix', 'g zebra'], 'a b c\n\nd e f\n');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.ok(lines[0].startsWith('g <unk>'), lines[0]);
    assert.equal(lines[1], '');
    assert.ok(lines[2].startsWith('g <unk>'), lines[2]);
    assert.match(r.stderr, /stdin:1: prefix word\(s\) “zebra” not in the target vocabulary: forced as <unk>/);
    assert.match(r.stderr, /stdin:3: /);
    const col = cli(['translate', '--model', runDir, '--prefix-column', '2', '--json'], 'a b c\tc b a\tb\nd e\t\tf e\n');
    assert.equal(col.status, 0, col.stderr);
    const [one, two] = col.stdout.trim().split('\n').map((l) => JSON.parse(l) as Translation);
    assert.equal(one.source, 'a b c', 'the source column');
    assert.deepEqual(one.prefix!.tokens, ['b']);
    assert.equal(one.targetTokens[0], 'b');
    assert.deepEqual(two.prefix!.tokens, ['f', 'e']);
    const bad = cli(['translate', '--model', runDir, '--prefix-column', '2'], 'a b c\tc b a\tb\nno tab here\n');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /stdin:2: expected a tab-separated line with a column 2 \(--prefix-column\), found 1 column/);
    const both = cli(['translate', '--model', runDir, '--prefix', 'a', '--prefix-column', '1'], 'a\n');
    assert.equal(both.status, 1);
    assert.match(both.stderr, /--prefix or --prefix-column, not both/);
  });

  it('`translate --reference` (TSV) prints the reference’s score beside the output’s and the verdict; --json carries tracks, coverage and the forced alignment', () => {
    const r = cli(['translate', '--model', runDir, '--reference'], 'a b c\tc b a\nd e f\tzebra e d\n');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[1], /^ {2}reference: log-prob -\d+\.\d{3} \(-\d+\.\d{3} per token, 4 tokens\) · score -\d+\.\d{3} vs output -\d+\.\d{3} · (correct|search error|model error) · greedy leaves it at step (—|\d+)$/);
    assert.match(r.stderr, /stdin:2: reference word\(s\) “zebra” not in the target vocabulary: scored as <unk>/);
    const js = cli(['translate', '--model', runDir, '--reference', 'c b a', '--json'], 'a b c\n');
    assert.equal(js.status, 0, js.stderr);
    const t = JSON.parse(js.stdout) as Translation;
    assert.equal(t.coverage!.length, t.sourceTokens.length);
    close(t.coverage!.reduce((x, y) => x + y, 0), t.targetTokens.length, 'coverage');
    const ref = t.reference!;
    assert.deepEqual(ref.tokens, ['c', 'b', 'a', '<eos>']);
    assert.equal(ref.attention.length, 4);
    assert.equal(ref.exposure.teacherForced.length, 4);
    assert.equal(ref.exposure.ownPrefix.length, 4);
    close(ref.logProb, ref.tokenLogProbs.reduce((x, y) => x + y, 0), 'Σ', 1e-9);
    close(ref.perToken, ref.logProb / 4, 'per token', 1e-9);
  });

  it('`eval --score-reference`: exp of minus the mean reference log-prob per token is the perplexity eval reports', () => {
    const r = cli(['eval', '--model', runDir, '--test', testFile, '--score-reference', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    close(Math.exp(-o.referenceLogProbPerToken), o.perplexity, 'forced decoding vs the teacher-forced loss', 1e-3 * o.perplexity);
    close(o.referencePerplexity, Math.exp(-o.referenceLogProbPerToken), 'referencePerplexity', 1e-9);
    close(o.referenceLogProb / o.referenceTokens, o.referenceLogProbPerToken, 'mean', 1e-9);
    const text = cli(['eval', '--model', runDir, '--test', testFile, '--score-reference']);
    assert.match(text.stdout.split('\n')[1], /^reference log-prob -\d+\.\d{4} per token \(\d+ tokens, forced decoding\) · exp\(−mean\) = perplexity \d+\.\d{2}$/);
  });

  it('`eval --search-errors --beam 1,2,5,10`: one row per beam size whose shares add up; greedy’s BLEU is eval’s; --beam lists need --search-errors', () => {
    const r = cli(['eval', '--model', runDir, '--test', testFile, '--search-errors', '--beam', '1,2,5,10', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.deepEqual(o.searchErrors.map((row: { beamSize: number }) => row.beamSize), [1, 2, 5, 10]);
    for (const row of o.searchErrors) {
      assert.equal(row.sentences, 12);
      assert.equal(row.correct + row.searchErrors + row.modelErrors, 12);
      assert.ok(row.empty >= 0 && row.empty <= 12);
    }
    const greedy = JSON.parse(cli(['eval', '--model', runDir, '--test', testFile, '--json']).stdout);
    close(o.searchErrors[0].bleu, greedy.bleu, 'greedy BLEU (fast engine) = eval’s (batched tensor engine)', 1e-6);
    const b5 = JSON.parse(cli(['eval', '--model', runDir, '--test', testFile, '--beam', '5', '--json']).stdout);
    close(o.searchErrors[2].bleu, b5.bleu, 'beam 5 BLEU', 1e-6);
    const text = cli(['eval', '--model', runDir, '--test', testFile, '--search-errors', '--beam', '1,3']);
    assert.equal(text.status, 0, text.stderr);
    const lines = text.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^perplexity \d+\.\d\d · 12 sentences · length penalty α = 1 · /);
    assert.match(lines[1], /^beam\s+BLEU\s+search errors\s+model errors\s+exact\s+empty/);
    assert.match(lines[2], /^1 \(greedy\)\s+\d+\.\d\d\s+\d+\.\d%/);
    assert.match(lines[3], /^3\s+/);
    const bad = cli(['eval', '--model', runDir, '--test', testFile, '--beam', '1,2']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /several only with --search-errors/);
    const zero = cli(['eval', '--model', runDir, '--test', testFile, '--search-errors', '--beam', '1,0']);
    assert.equal(zero.status, 1);
    assert.match(zero.stderr, /comma-separated list/);
  });

  it('beamList and lineInput', () => {
    assert.deepEqual(beamList('1,2,5,10'), [1, 2, 5, 10]);
    assert.deepEqual(beamList('5, 5 ,1'), [5, 1]);
    assert.throws(() => beamList('1,,2'));
    assert.throws(() => beamList('2.5'));
    const layout = { srcColumn: 1, tgtColumn: 0, reference: true as const };
    assert.deepEqual(lineInput('le chat\tthe cat', 'x:1', layout), { source: 'the cat', reference: 'le chat' });
    assert.deepEqual(lineInput('the cat', 'x:1', { srcColumn: 0, tgtColumn: 1, prefix: 'le' }), { source: 'the cat', prefix: 'le' });
    assert.throws(() => lineInput('the cat', 'x:7', layout), /x:7: expected a tab-separated line with a column 1 \(data.srcColumn\), found 1 column/);
  });
});

/**
 * BLEU by source length: the buckets, per-bucket corpus BLEU, the chart, and
 * `seq2seq eval --json` / `--by-length-chart` on a tiny trained model.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { corpusBleu } from '../src/core/metrics/bleu';
import { bleuByLength, bucketIndex, DEFAULT_LENGTH_BUCKETS } from '../src/core/metrics/bleuByLength';
import { formatLengthTable, lengthChartSpec, writeLengthChart } from '../src/cli/lengthReport';
import { Random } from '../src/core/random';

const BIN = path.join(__dirname, '..', 'bin', 'seq2seq.js');
const LABELS = ['1–5', '6–10', '11–15', '16–20', '21–30', '31+'];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Sentences of `n` words from a small alphabet, with a noisy "translation" of each. */
function corpus(seed: number, count: number, maxLen: number) {
  const r = new Random(seed);
  const lengths: number[] = [];
  const hyps: string[] = [];
  const refs: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = 1 + r.int(maxLen);
    const words = Array.from({ length: n }, () => 'the cat sat on a mat and dog ran'.split(' ')[r.int(10)]!);
    lengths.push(n);
    refs.push(words.join(' ') + '.');
    hyps.push(words.map((w) => (r.next() < 0.2 ? 'x' : w)).join(' ') + (r.next() < 0.5 ? '.' : ''));
  }
  return { lengths, hyps, refs };
}

describe('BLEU by source length', () => {
  it('the default buckets are 1–5, 6–10, 11–15, 16–20, 21–30, 31+', () => {
    assert.deepEqual(
      DEFAULT_LENGTH_BUCKETS.map((b) => [b.label, b.minTokens, b.maxTokens]),
      [['1–5', 1, 5], ['6–10', 6, 10], ['11–15', 11, 15], ['16–20', 16, 20], ['21–30', 21, 30], ['31+', 31, null]],
    );
  });

  it('bucket edges: 5 → 1–5, 6 → 6–10, 30 → 21–30, 31 → 31+', () => {
    const label = (n: number) => DEFAULT_LENGTH_BUCKETS[bucketIndex(n)]?.label;
    assert.equal(label(1), '1–5');
    assert.equal(label(5), '1–5');
    assert.equal(label(6), '6–10');
    assert.equal(label(10), '6–10');
    assert.equal(label(11), '11–15');
    assert.equal(label(15), '11–15');
    assert.equal(label(16), '16–20');
    assert.equal(label(20), '16–20');
    assert.equal(label(21), '21–30');
    assert.equal(label(30), '21–30');
    assert.equal(label(31), '31+');
    assert.equal(label(500), '31+');
    assert.equal(bucketIndex(0), -1, 'an empty source is in no bucket');
    const rows = bleuByLength([5, 6, 30, 31], ['a b', 'c d', 'e f', 'g h'], ['a b', 'c d', 'e f', 'g h']);
    assert.deepEqual(rows.map((r) => r.sentences), [1, 1, 0, 0, 1, 1]);
  });

  it("each bucket's BLEU is corpusBleu of that bucket's sentences; the counts sum to the total", () => {
    const { lengths, hyps, refs } = corpus(3, 400, 40);
    const rows = bleuByLength(lengths, hyps, refs);
    assert.deepEqual(rows.map((r) => r.bucket), LABELS);
    assert.equal(rows.reduce((s, r) => s + r.sentences, 0), 400);
    for (const row of rows) {
      const idx = lengths.map((n, i) => [n, i] as const).filter(([n]) => n >= row.minTokens && (row.maxTokens === null || n <= row.maxTokens)).map(([, i]) => i);
      assert.equal(row.sentences, idx.length);
      assert.ok(idx.length > 0, `bucket ${row.bucket} has sentences in this corpus`);
      const expected = corpusBleu(idx.map((i) => hyps[i]!), idx.map((i) => refs[i]!));
      assert.equal(row.bleu, expected.score, row.bucket);
      assert.equal(row.refLength, expected.refLen);
      assert.equal(row.hypLength, expected.sysLen);
    }
    // Not a mean of the buckets: the whole corpus has its own score.
    assert.ok(rows.every((r) => r.bleu! > 0 && r.bleu! < 100));
  });

  it('several reference streams are split by bucket too', () => {
    const rows = bleuByLength([2, 8], ['a cat', 'the dog ran home now'], [['a cat', 'x'], ['y', 'the dog ran home now']]);
    assert.equal(rows[0]!.bleu, corpusBleu(['a cat'], [['a cat'], ['y']]).score);
    assert.ok(Math.abs(rows[1]!.bleu! - 100) < 1e-9);
  });

  it('empty buckets: 0 sentences, BLEU null, lengths 0; an empty corpus gives all empty rows', () => {
    const rows = bleuByLength([3, 4], ['a b c d', 'a b c d e'], ['a b c d', 'a b c d e']);
    assert.equal(rows[0]!.sentences, 2);
    assert.ok(Math.abs(rows[0]!.bleu! - 100) < 1e-9);
    for (const r of rows.slice(1)) assert.deepEqual([r.sentences, r.bleu, r.refLength, r.hypLength], [0, null, 0, 0]);
    assert.deepEqual(bleuByLength([], [], []).map((r) => [r.bucket, r.sentences, r.bleu]), LABELS.map((l) => [l, 0, null]));
  });

  it('custom buckets; malformed buckets and misaligned inputs are refused', () => {
    const rows = bleuByLength([1, 2, 3], ['a', 'b', 'c'], ['a', 'b', 'c'], [
      { label: 'short', minTokens: 1, maxTokens: 2 },
      { label: 'long', minTokens: 3, maxTokens: null },
    ]);
    assert.deepEqual(rows.map((r) => [r.bucket, r.sentences]), [['short', 2], ['long', 1]]);
    assert.throws(() => bleuByLength([1], ['a', 'b'], ['a', 'b']), /1 source lengths but 2 hypotheses/);
    assert.throws(() => bleuByLength([1, 2], ['a', 'b'], ['a']), /reference stream 0 has 1 segments/);
    assert.throws(() => bleuByLength([1], ['a'], ['a'], [{ label: 'a', minTokens: 1, maxTokens: 5 }, { label: 'b', minTokens: 5, maxTokens: 9 }]), /overlap/);
    assert.throws(() => bleuByLength([1], ['a'], ['a'], [{ label: 'a', minTokens: 1, maxTokens: null }, { label: 'b', minTokens: 5, maxTokens: 9 }]), /only the last bucket may be open/);
  });

  it('the text table has one line per bucket, — for an empty one', () => {
    const table = formatLengthTable(bleuByLength([3, 8], ['a b c d', 'a b c d e f g h'], ['a b c d', 'a b c d e f g x']));
    const lines = table.split('\n');
    assert.equal(lines.length, 7);
    assert.match(lines[0]!, /^source tokens +sentences +BLEU +hyp\/ref length$/);
    assert.match(lines[1]!, /^1–5 +1 +100\.00 +1\.000$/);
    assert.match(lines[2]!, /^6–10 +1 +\d+\.\d\d +1\.000$/);
    assert.match(lines[6]!, /^31\+ +0 +— +—$/);
  });

  it('the chart is valid SVG naming every bucket, the runs and the sentence counts', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-bylen-'));
    try {
      const { lengths, hyps, refs } = corpus(4, 300, 25);
      const rows = bleuByLength(lengths, hyps, refs);
      const spec = lengthChartSpec([{ name: 'run-a', rows }, { name: 'run-b', rows }]) as { title: { subtitle: string } };
      assert.equal(spec.title.subtitle, 'run-a vs run-b');
      const file = path.join(dir, 'sub', 'chart.svg');
      await writeLengthChart(file, [{ name: 'run-a (attention: none)', rows }, { name: 'run-b (attention: bahdanau)', rows }]);
      const svg = await fs.readFile(file, 'utf8');
      assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg, /<\/svg>\s*$/);
      for (const l of LABELS) assert.ok(svg.includes(`>${l}</text>`), `bucket label ${l} in the SVG`);
      assert.ok(svg.includes('run-a (attention: none)') && svg.includes('run-b (attention: bahdanau)'));
      assert.ok(svg.includes(`>${rows[1]!.sentences}</text>`), 'sentence count shown');
      assert.ok(svg.includes('Test BLEU by source length'));
      // Runs scored on the same sentences: one count bar per bucket; on different ones, a bar per run.
      const count = (s: string) => s.split(`>${rows[1]!.sentences}</text>`).length - 1;
      assert.equal(count(svg), 1, 'one count label per bucket for runs on the same test sentences');
      const other = rows.map((r) => ({ ...r, sentences: r.sentences + 1000 }));
      await writeLengthChart(file, [{ name: 'a', rows }, { name: 'b', rows: other }, { name: 'c', rows }]);
      const per = await fs.readFile(file, 'utf8');
      assert.equal(count(per), 2, 'runs a and c show their own counts, b its own');
      assert.ok(per.includes(`>${other[1]!.sentences}</text>`));
      const three = lengthChartSpec([{ name: 'a', rows }, { name: 'b', rows }, { name: 'c', rows }]) as { title: { subtitle?: string } };
      assert.equal(three.title.subtitle, undefined, 'more than two runs: the legend names them, no subtitle');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  describe('seq2seq eval', function () {
    this.timeout(300000);
    let dir: string;
    let model: string;
    before(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-bylen-cli-'));
      const r = new Random(11);
      const lines: string[] = [];
      for (let i = 0; i < 400; i++) {
        const w = Array.from({ length: 1 + r.int(8) }, () => 'abcdefg'[r.int(7)]);
        lines.push(`${w.join(' ')}\t${w.join(' ')}`);
      }
      await fs.writeFile(path.join(dir, 'copy.tsv'), lines.join('\n') + '\n');
      // Test sentences of 1 to 13 tokens: three buckets filled, three empty.
      const test = [1, 5, 6, 10, 11, 13].map((n) => Array.from({ length: n }, (_, k) => 'abcdefg'[k % 7]).join(' ')).map((s) => `${s}\t${s}`);
      await fs.writeFile(path.join(dir, 'test.tsv'), test.join('\n') + '\n');
      await fs.writeFile(
        path.join(dir, 'tiny.seq2seq.json'),
        JSON.stringify({
          data: { train: 'copy.tsv', maxLength: 10 },
          model: { embeddingSize: 8, hiddenSize: 16, dropout: 0 },
          train: { epochs: 1, batchSize: 32, logEvery: 100, earlyStoppingPatience: 0, threads: 1 },
        }),
      );
      model = path.join(dir, 'run');
      const t = run(['train', '--config', path.join(dir, 'tiny.seq2seq.json'), '--out', model]);
      assert.equal(t.code, 0, t.stderr);
    });
    after(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('--json has byLength: one entry per bucket, sentences summing to the total', () => {
      const e = run(['eval', '--model', model, '--test', path.join(dir, 'test.tsv'), '--json']);
      assert.equal(e.code, 0, e.stderr);
      const result = JSON.parse(e.stdout.trim());
      assert.deepEqual(Object.keys(result).slice(0, 3), ['bleu', 'perplexity', 'sentences']);
      assert.equal(result.sentences, 6);
      assert.deepEqual(Object.keys(result.byLength[0]), ['bucket', 'minTokens', 'maxTokens', 'sentences', 'bleu', 'refLength', 'hypLength']);
      assert.deepEqual(result.byLength.map((r: { bucket: string }) => r.bucket), LABELS);
      assert.deepEqual(result.byLength.map((r: { sentences: number }) => r.sentences), [2, 2, 2, 0, 0, 0]);
      assert.equal(result.byLength[5].maxTokens, null);
      for (const r of result.byLength.slice(0, 3)) assert.ok(typeof r.bleu === 'number' && r.bleu >= 0 && r.bleu <= 100);
      for (const r of result.byLength.slice(3)) assert.equal(r.bleu, null);
    });

    it('text output: the summary line, then the table; --by-length-chart writes the SVG of several --model runs', async () => {
      const chart = path.join(dir, 'by-length.svg');
      const e = run(['eval', '--model', model, '--model', model, '--test', path.join(dir, 'test.tsv'), '--by-length-chart', chart]);
      assert.equal(e.code, 0, e.stderr);
      const lines = e.stdout.trim().split('\n');
      assert.match(lines[0]!, /^BLEU \d+\.\d\d · perplexity /);
      assert.match(lines[1]!, /^source tokens +sentences +BLEU/);
      assert.match(lines[2]!, /^1–5 +2 /);
      assert.match(lines[7]!, /^31\+ +0 +— +—$/);
      assert.match(lines[8]!, /^BLEU /, 'the second --model');
      assert.match(lines[lines.length - 1]!, /chart of BLEU by source length written to .*by-length\.svg/);
      const svg = await fs.readFile(chart, 'utf8');
      assert.match(svg, /^<svg /);
      for (const l of LABELS) assert.ok(svg.includes(`>${l}</text>`), l);
      assert.ok(svg.includes('run (attention: bahdanau)') && svg.includes('run (attention: bahdanau) #2'), 'both runs in the legend, told apart');
    });
  });
});

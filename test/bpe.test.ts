/**
 * Byte-pair encoding (src/core/data/bpe.ts): learning reproduces algorithm 1
 * of Sennrich et al. 2016 on its toy vocabulary, application is deterministic
 * and lossless (fast-check on arbitrary Unicode), and a `bpe` run stores its
 * merges in bpe.json, reloads them for translation and refuses an edited or
 * truncated file.
 */
import { strict as assert } from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { initBackend } from '../src/core/kernels/backend';
import { BPE_FILE, CheckpointError, readRunManifest } from '../src/core/runs/checkpoint';
import { withDefaults } from '../src/core/config/config';
import { ConfigError, validateConfigObject } from '../src/core/config/configLoader';
import {
  BpeCodes,
  BpeTokenizer,
  countPreTokens,
  initialSymbols,
  learnBpe,
  normalizeBpeText,
  preTokenize,
  subwordWordIndex,
  WORD_START,
} from '../src/core/data/bpe';
import { loadDataset } from '../src/core/data/dataset';
import { train } from '../src/core/training/training';
import { Translator } from '../src/core/decoding/translator';

const EOW = '</w>';

describe('BPE learning (Sennrich et al. 2016, algorithm 1)', () => {
  it('reproduces the merges of the paper\'s toy vocabulary {low: 5, lower: 2, newest: 6, widest: 3}', () => {
    // Algorithm 1's dictionary, characters separated and an end-of-word symbol, as in the paper.
    const vocab = new Map<string, number>([
      ['low', 5],
      ['lower', 2],
      ['newest', 6],
      ['widest', 3],
    ]);
    // learnBpe takes pre-tokens; give it the end-of-word symbol as one (private-use) character and map it back.
    const END = '\uE000';
    const words = new Map([...vocab].map(([w, c]) => [w + END, c] as const));
    const merges = learnBpe(words, { merges: 10 }).map(([l, r]) => [l.replace(END, EOW), r.replace(END, EOW)]);
    assert.deepEqual(merges, [
      ['e', 's'],
      ['es', 't'],
      ['est', EOW],
      ['l', 'o'],
      ['lo', 'w'],
      ['n', 'e'],
      ['ne', 'w'],
      ['new', 'est' + EOW],
      ['low', EOW],
      ['w', 'i'],
    ]);
  });

  it('segments an unseen word with the learned merges (the paper\'s "lower" → "low" + "er")', () => {
    const words = countPreTokens(['low low low low low lower lower newest newest newest newest newest newest widest widest widest'.split(' ').map((w) => WORD_START + w)]);
    const codes = new BpeCodes(learnBpe(words, { merges: 10 }));
    assert.deepEqual(codes.segment(`${WORD_START}lowest`), [`${WORD_START}low`, 'est']);
    assert.deepEqual(codes.segment(`${WORD_START}newer`), [`${WORD_START}new`, 'e', 'r']);
  });

  it('stops when no pair occurs twice, and at the requested number of merges', () => {
    const words = new Map([['abcd', 1], ['xy', 3]]);
    assert.deepEqual(learnBpe(words, { merges: 100 }), [['x', 'y']]);
    assert.deepEqual(learnBpe(words, { merges: 100, minPairCount: 1 }).length, 4);
    assert.deepEqual(learnBpe(new Map([['aaaa', 5]]), { merges: 1 }), [['a', 'a']]);
    assert.throws(() => learnBpe(words, { merges: -1 }), RangeError);
  });

  it('counts overlapping pairs but merges left to right without overlap ("aaa")', () => {
    const codes = new BpeCodes(learnBpe(new Map([['aaa', 4]]), { merges: 1 }));
    assert.deepEqual(codes.segment('aaa'), ['aa', 'a']);
  });

  it('matches a from-scratch recount of algorithm 1 on random corpora (the incremental counts are exact)', () => {
    // Reference: recount every pair after every merge (the paper's get_stats / merge_vocab).
    function reference(words: Map<string, number>, n: number): [string, string][] {
      let segs = [...words].map(([w, c]) => ({ s: initialSymbols(w), c }));
      const out: [string, string][] = [];
      while (out.length < n) {
        const counts = new Map<string, number>();
        const order: string[] = [];
        for (const { s, c } of segs) {
          for (let k = 0; k + 1 < s.length; k++) {
            const key = s[k] + '\u0000' + s[k + 1];
            if (!counts.has(key)) order.push(key);
            counts.set(key, (counts.get(key) ?? 0) + c);
          }
        }
        let best: string | undefined;
        for (const key of order) if (best === undefined || counts.get(key)! > counts.get(best)!) best = key;
        if (best === undefined || counts.get(best)! < 2) break;
        const [l, r] = best.split('\u0000');
        out.push([l, r]);
        segs = segs.map(({ s, c }) => {
          const t: string[] = [];
          for (let k = 0; k < s.length; k++) {
            if (k + 1 < s.length && s[k] === l && s[k + 1] === r) {
              t.push(l + r);
              k++;
            } else t.push(s[k]);
          }
          return { s: t, c };
        });
      }
      return out;
    }
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.stringMatching(/^▁?[abc]{1,7}$/), fc.integer({ min: 1, max: 6 })), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 25 }),
        (entries, n) => {
          const words = new Map<string, number>();
          for (const [w, c] of entries) words.set(w, (words.get(w) ?? 0) + c);
          assert.deepEqual(learnBpe(words, { merges: n }), reference(words, n));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('BPE tokenizer', () => {
  const corpus = ['The lower house is the newest.', "Don't go!", "L'homme arrive aujourd'hui.", 'Le plus bas est le plus récent.'];
  function tokenizer(lowercase: boolean, merges = 60): BpeTokenizer {
    const pre = corpus.map((s) => preTokenize(normalizeBpeText(s, lowercase)));
    return new BpeTokenizer(new BpeCodes(learnBpe(countPreTokens(pre), { merges })), lowercase);
  }

  it('marks words after a space (and the first) with ▁ and keeps punctuation as pre-tokens of their own', () => {
    assert.deepEqual(preTokenize(normalizeBpeText("Go  home, don't!", false)), ['▁Go', '▁home', ',', '▁do', "n't", '!']);
    assert.deepEqual(preTokenize(normalizeBpeText('Va !', false)), ['▁Va', '▁!']);
  });

  it('round trip: detokenize(tokenize(s)) = NFC, (lowercased,) whitespace-collapsed s, ▁ read as a space — on arbitrary Unicode', () => {
    for (const lowercase of [false, true]) {
      const tok = tokenizer(lowercase);
      fc.assert(
        fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.stringMatching(/^[ \t\n▁a-zA-Z'’.,!?«»-]{0,30}$/)), (s) => {
          const tokens = tok.tokenize(s);
          assert.ok(tokens.every((t) => t.length > 0), 'no empty token');
          assert.equal(tok.detokenize(tokens), normalizeBpeText(s, lowercase));
          // The normalisation, spelled out: ▁ → space, NFC, lowercase (then NFC again), whitespace runs → one space, trimmed.
          let n = s.replaceAll('▁', ' ').normalize('NFC');
          if (lowercase) n = n.toLowerCase().normalize('NFC');
          assert.equal(normalizeBpeText(s, lowercase), n.replace(/\s+/gu, ' ').trim());
        }),
        { numRuns: 1500 },
      );
    }
  });

  it('round trip on the corpus itself, with subwords smaller than words', () => {
    const tok = tokenizer(false, 20);
    for (const s of corpus) assert.equal(tok.detokenize(tok.tokenize(s)), s);
    assert.ok(tok.tokenize(corpus[3]).length > preTokenize(corpus[3]).length, 'some word is split into subwords');
  });

  it('is deterministic: the same merges give the same tokens, whatever was segmented before (cache)', () => {
    const a = tokenizer(true);
    const b = tokenizer(true);
    const sentences = ['the newest lower house', 'le plus récent', 'widest unknown wörds ☃'];
    const first = sentences.map((s) => a.tokenize(s));
    for (const s of [...sentences].reverse()) b.tokenize(s);
    assert.deepEqual(sentences.map((s) => b.tokenize(s)), first);
    assert.deepEqual(sentences.map((s) => a.tokenize(s)), first);
  });

  it('groups subwords into the word tokenizer\'s words, specials on their own', () => {
    assert.deepEqual(subwordWordIndex(['▁low', 'er', '▁hou', 'se', '!', '<eos>']), [0, 0, 1, 1, 2, 3]);
    assert.deepEqual(subwordWordIndex(['▁l', "'", 'hom', 'me', '<unk>', '▁do', 'n', "'t"]), [0, 0, 1, 1, 2, 3, 4, 4]);
    assert.deepEqual(subwordWordIndex([]), []);
  });
});

describe('BPE config', () => {
  it('fills data.bpe defaults only for the bpe tokenizer and names data.bpe when it is misplaced', () => {
    const cfg = validateConfigObject({ data: { train: 'x.tsv', tokenizer: 'bpe', bpe: { merges: 500 } } }, 'c.json');
    assert.deepEqual(cfg.data.bpe, { merges: 500, joint: true });
    assert.equal(validateConfigObject({ data: { train: 'x.tsv' } }, 'c.json').data.bpe, undefined);
    assert.throws(
      () => validateConfigObject({ data: { train: 'x.tsv', bpe: { merges: 500 } } }, 'c.json'),
      (e: unknown) => e instanceof ConfigError && /data\.bpe/.test(e.message) && /"word"/.test(e.message),
    );
    assert.throws(
      () => validateConfigObject({ data: { train: 'x.tsv', tokenizer: 'bpe', bpe: { merges: -3, joint: 'yes' } } }, 'c.json'),
      (e: unknown) => e instanceof ConfigError && /data\.bpe\.merges/.test(e.message) && /data\.bpe\.joint/.test(e.message),
    );
  });
});

describe('BPE runs: dataset, bpe.json, translation', function () {
  this.timeout(10 * 60 * 1000);
  const PAIRS = [
    ['the lower house', 'la chambre basse'],
    ['the newest house', 'la maison la plus récente'],
    ['the widest river', 'le fleuve le plus large'],
    ['the lowest river', 'le fleuve le plus bas'],
    ['a new house', 'une nouvelle maison'],
    ['a wide river', 'un large fleuve'],
    ['the houses are new', 'les maisons sont neuves'],
    ['the rivers are wide', 'les fleuves sont larges'],
  ];
  let dir: string;
  let runDir: string;
  let tsv: string;
  const configOf = (joint: boolean) =>
    withDefaults({
      data: { train: tsv, valid: tsv, test: tsv, tokenizer: 'bpe', bpe: { merges: 40, joint } },
      model: { embeddingSize: 8, hiddenSize: 8, dropout: 0 },
      train: { batchSize: 4, epochs: 2, logEvery: 1, validEvery: 2, earlyStoppingPatience: 0, decayPatience: 0, threads: 1 },
    });

  before(async () => {
    await initBackend();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-bpe-'));
    tsv = path.join(dir, 'train.tsv');
    await fs.writeFile(tsv, PAIRS.map((p) => p.join('\t')).join('\n') + '\n');
    runDir = path.join(dir, 'run');
    await train({ config: configOf(true), outDir: runDir, resume: false });
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('learns joint or separate merges on the training split and segments both sides with them', async () => {
    const joint = await loadDataset(configOf(true));
    assert.ok(joint.bpe && joint.bpe.joint && joint.bpe.src.length > 0 && joint.bpe.src === joint.bpe.tgt);
    const separate = await loadDataset(configOf(false));
    assert.ok(separate.bpe && !separate.bpe.joint);
    assert.notDeepEqual(separate.bpe.src, separate.bpe.tgt);
    for (const ds of [joint, separate]) {
      ds.train.srcTokens.forEach((tokens, i) => assert.equal(ds.srcTokenizer.detokenize(tokens), ds.train.pairs[i].src));
      ds.train.tgtTokens.forEach((tokens, i) => assert.equal(ds.tgtTokenizer.detokenize(tokens), ds.train.pairs[i].tgt));
    }
  });

  it('stores the merges in bpe.json (recorded in run.json) and translates with them: clean text, subword tokens, word groups', async () => {
    const manifest = await readRunManifest(runDir);
    assert.equal(manifest.srcTokenizer.kind, 'bpe');
    assert.equal(manifest.bpe?.file, BPE_FILE);
    const stored = JSON.parse(await fs.readFile(path.join(runDir, BPE_FILE), 'utf8'));
    assert.equal(stored.src.length, manifest.bpe?.srcMerges);
    const t = await Translator.load(runDir);
    try {
      const out = t.translate('the lower river', { beamSize: 1 });
      assert.ok(!out.text.includes(WORD_START), `clean text: ${out.text}`);
      assert.equal(out.sourceTokens.join('').replaceAll(WORD_START, ' ').trim(), 'the lower river<eos>');
      assert.deepEqual(out.sourceWords, subwordWordIndex(out.sourceTokens));
      assert.equal(out.targetWords?.length, out.targetTokens.length);
      // The same merges as at training time: the training sentences segment as the dataset did.
      const ds = await loadDataset(configOf(true));
      ds.train.pairs.forEach((p, i) => assert.deepEqual(t.srcTokenizer.tokenize(p.src), ds.train.srcTokens[i]));
    } finally {
      t.dispose();
    }
  });

  it('resumes with the stored merges (not relearned), even when data.bpe.merges was changed in the config', async () => {
    const messages: string[] = [];
    const more = { ...configOf(true), train: { ...configOf(true).train, epochs: 3 } };
    more.data = { ...more.data, bpe: { merges: 3, joint: true } };
    await train({ config: more, outDir: runDir, resume: true, listener: (e) => e.type === 'log' && messages.push(e.message) });
    const manifest = await readRunManifest(runDir);
    assert.ok(messages.some((m) => m.startsWith(`BPE: ${manifest.bpe?.srcMerges} joint merges from ${BPE_FILE}`)), messages.join('\n'));
    assert.ok(manifest.bpe!.srcMerges > 3);
  });

  it('refuses a truncated, hand-edited or missing bpe.json with a CheckpointError naming the file', async () => {
    const file = path.join(runDir, BPE_FILE);
    const pristine = await fs.readFile(file, 'utf8');
    const refused = async (content: string | undefined, pattern: RegExp) => {
      if (content === undefined) await fs.rm(file);
      else await fs.writeFile(file, content);
      try {
        await assert.rejects(Translator.load(runDir), (e: unknown) => e instanceof CheckpointError && e.message.includes(file) && pattern.test(e.message));
        await assert.rejects(train({ config: configOf(true), outDir: runDir, resume: true }), (e: unknown) => e instanceof CheckpointError && e.message.includes(file));
      } finally {
        await fs.writeFile(file, pristine);
      }
    };
    await refused(pristine.slice(0, Math.floor(pristine.length / 2)), /not valid JSON/);
    const json = JSON.parse(pristine);
    await refused(JSON.stringify({ ...json, src: json.src.slice(0, -1), tgt: json.tgt.slice(0, -1) }, null, 1), /run\.json records/);
    const swapped = [...json.src];
    [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
    await refused(JSON.stringify({ ...json, src: swapped, tgt: swapped }, null, 1), /SHA-256|earlier merge/);
    await refused(JSON.stringify({ ...json, src: ['ab cd', ...json.src.slice(1)], tgt: ['ab cd', ...json.tgt.slice(1)] }, null, 1), /earlier merge/);
    const glued = [json.src[0].replace(' ', ''), ...json.src.slice(1)];
    await refused(JSON.stringify({ ...json, src: glued, tgt: glued }, null, 1), /two symbols/);
    await refused(pristine.replace('"joint": true', '"joint": false'), /SHA-256|run\.json records/);
    await refused(undefined, /cannot read/);
    const t = await Translator.load(runDir);
    t.dispose();
  });
});

/**
 * `npm run bench:bpe -- [file.tsv] [--merges N] [--separate]`: time of
 * learning BPE merges (src/core/data/bpe.ts) on a parallel TSV — by default
 * the Tatoeba English–French file of the shared data folder — as a `bpe` run
 * does: every line's two sides normalised (lowercase) and pre-tokenised,
 * pre-token counts, `learnBpe` (joint unless `--separate`), then every
 * sentence segmented. Prints the times, the merges learned, the vocabulary
 * (distinct subwords per side) and the mean tokens per sentence (words vs
 * subwords). Needs only the file; nothing is written.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { BpeCodes, countPreTokens, learnBpe, normalizeBpeText, preTokenize } from '../src/core/data/bpe';
import { ROOT } from './lib/env';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const merges = Number(flag('--merges') ?? 8000);
  const separate = args.includes('--separate');
  const file = args.find((a) => !a.startsWith('--')) ?? path.join(ROOT, '..', 'shared', 'data', 'tatoeba-fra-eng', 'fra-eng.tsv');
  const t0 = performance.now();
  const lines = (await fs.readFile(file, 'utf8')).split('\n').filter((l) => l.includes('\t'));
  const src: string[][] = [];
  const tgt: string[][] = [];
  for (const l of lines) {
    const [a, b] = l.split('\t');
    src.push(preTokenize(normalizeBpeText(a, true)));
    tgt.push(preTokenize(normalizeBpeText(b, true)));
  }
  const t1 = performance.now();
  const learn = (sentences: string[][][]) => {
    const counts = new Map<string, number>();
    for (const side of sentences) countPreTokens(side, counts);
    return learnBpe(counts, { merges });
  };
  const srcMerges = learn(separate ? [src] : [src, tgt]);
  const tgtMerges = separate ? learn([tgt]) : srcMerges;
  const t2 = performance.now();
  const report = (name: string, sentences: string[][], codes: BpeCodes) => {
    const vocab = new Set<string>();
    let subwords = 0;
    let words = 0;
    for (const s of sentences) {
      words += s.length;
      for (const t of s) for (const p of codes.segment(t)) (vocab.add(p), subwords++);
    }
    return `${name}: ${vocab.size} distinct subwords, ${(words / sentences.length).toFixed(2)} words → ${(subwords / sentences.length).toFixed(2)} subwords per sentence`;
  };
  const lines2 = [report('source', src, new BpeCodes(srcMerges)), report('target', tgt, new BpeCodes(tgtMerges))];
  const t3 = performance.now();
  console.log(`${path.basename(file)}: ${lines.length} pairs, ${separate ? 'separate' : 'joint'} BPE, ${merges} merges requested`);
  console.log(`read + normalise + pre-tokenise: ${((t1 - t0) / 1000).toFixed(2)} s`);
  console.log(`learn: ${((t2 - t1) / 1000).toFixed(2)} s (${srcMerges.length}${separate ? ` + ${tgtMerges.length}` : ''} merges)`);
  console.log(`segment both sides: ${((t3 - t2) / 1000).toFixed(2)} s`);
  for (const l of lines2) console.log(l);
  console.log(`Node ${process.version}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

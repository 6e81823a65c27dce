/**
 * A seeded synthetic parallel corpus for the data-reading benchmark and the
 * large-file tests: `lines` TSV lines `source<TAB>target<TAB>attribution`,
 * with Zipf-distributed words from a made-up vocabulary and sentence lengths
 * like Tatoeba's (mostly 3–12 words, a long tail; about `longFraction` of the
 * lines have more than 30 words on a side so a `maxLength` filter drops
 * them), sentence-final punctuation with the French space on the target side,
 * and every 500th line blank. Written as a stream; never committed.
 */
import { createWriteStream } from 'fs';
import { once } from 'events';
import { Random } from '../../src/core/random';

export interface SyntheticCorpusOptions {
  lines: number;
  seed?: number;
  /** Fraction of lines with an over-long side (more than 30 words), default 0.05. */
  longFraction?: number;
}

function makeWords(rng: Random, n: number): string[] {
  const syll = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'de', 'pa', 'zu', 'en', 'or', 'li', 'ba', 'ché', 'rê', 'ou', 'ta', 'po', 'gi', 'fu', 'an', 'è', 'i', 'o', 'ma', 'se', 'du', 'le'];
  const words = new Set<string>();
  // 30 syllables, 1–3 of them: about 28,000 possible words.
  while (words.size < n) {
    const k = 1 + Math.floor(rng.next() * 3);
    let w = '';
    for (let i = 0; i < k; i++) w += syll[Math.floor(rng.next() * syll.length)];
    words.add(w);
  }
  return [...words];
}

/** Writes the corpus to `file`; returns the number of bytes written. */
export async function writeSyntheticCorpus(file: string, opts: SyntheticCorpusOptions): Promise<number> {
  const rng = new Random(opts.seed ?? 1);
  const longFraction = opts.longFraction ?? 0.05;
  const srcWords = makeWords(rng, 8000);
  const tgtWords = makeWords(rng, 9000);
  // Zipf(1) by inverse transform over a harmonic table.
  const cdf = (n: number) => {
    const c = new Float64Array(n);
    let s = 0;
    for (let i = 0; i < n; i++) c[i] = s += 1 / (i + 1);
    for (let i = 0; i < n; i++) c[i] /= s;
    return c;
  };
  const srcCdf = cdf(srcWords.length);
  const tgtCdf = cdf(tgtWords.length);
  const pick = (words: string[], c: Float64Array) => {
    const u = rng.next();
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return words[lo];
  };
  const length = (long: boolean) => (long ? 31 + Math.floor(rng.next() * 20) : 3 + Math.floor(-Math.log(1 - rng.next()) * 4) % 25);
  const sentence = (n: number, words: string[], c: Float64Array, french: boolean) => {
    const w: string[] = [];
    for (let i = 0; i < n; i++) w.push(pick(words, c));
    w[0] = w[0][0].toUpperCase() + w[0].slice(1);
    const end = rng.next() < 0.2 ? '?' : rng.next() < 0.2 ? '!' : '.';
    return w.join(' ') + (french && end !== '.' ? ' ' : '') + end;
  };
  const out = createWriteStream(file);
  let bytes = 0;
  let buf = '';
  for (let i = 1; i <= opts.lines; i++) {
    if (i % 500 === 0) buf += '\n';
    else {
      const long = rng.next() < longFraction;
      const n = length(long);
      const m = Math.max(1, n + Math.floor(rng.next() * 3) - 1);
      buf += `${sentence(n, srcWords, srcCdf, false)}\t${sentence(m, tgtWords, tgtCdf, true)}\tCC-BY 2.0 (France) #${i}\n`;
    }
    if (buf.length > 1 << 16) {
      bytes += Buffer.byteLength(buf);
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  bytes += Buffer.byteLength(buf);
  out.end(buf);
  await once(out, 'finish');
  return bytes;
}

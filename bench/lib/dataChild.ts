/**
 * One measurement of `npm run bench:data` in its own process, so that only
 * the data path's memory counts: `dataChild.ts <stream|legacy|scan> <file> <maxLength>`.
 * - stream: `loadDataset` (the trainer's path: streamed reading, per-pair
 *   length filter, split, tokens, vocabularies, ids);
 * - legacy: the whole-file path it replaced (bench/lib/legacyData.ts);
 * - scan: the streaming reader alone, keeping nothing (the constant part).
 * Prints one JSON line: seconds, lines, pairs kept, peak RSS (maxRSS) and the
 * RSS at the start, the heap kept after a GC and the mean tokens per side.
 */
import { withDefaults } from '../../src/core/config/config';
import { forEachPair } from '../../src/core/data/corpus';
import { loadDataset } from '../../src/core/data/dataset';
import { legacyLoadDataset } from './legacyData';

async function main(): Promise<void> {
  const [mode, file, maxLength] = process.argv.slice(2);
  const config = withDefaults({ data: { train: file, maxLength: Number(maxLength), validFraction: 0.05, testFraction: 0.05 } });
  const startRss = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  let lines = 0;
  let kept = 0;
  let filteredOut = 0;
  let ds: unknown;
  let avgTokens: [number, number] | undefined;
  if (mode === 'scan') {
    const r = await forEachPair(file, { srcColumn: 0, tgtColumn: 1 }, () => false);
    lines = r.linesRead;
  } else {
    const d =
      mode === 'legacy'
        ? await legacyLoadDataset(config)
        : await loadDataset(config, undefined, { onProgress: (p) => p.done && (lines = p.linesRead) });
    kept = d.train.pairs.length + d.valid.pairs.length + d.test.pairs.length;
    filteredOut = d.filteredOut;
    ds = d;
    const splits = [d.train, d.valid, d.test];
    const sum = (side: 'srcTokens' | 'tgtTokens') => splits.reduce((a, s) => a + s[side].reduce((b, t) => b + t.length, 0), 0);
    avgTokens = [sum('srcTokens') / kept, sum('tgtTokens') / kept];
    if (mode === 'legacy') lines = -1;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  // What stays: the heap after a full collection (run with --expose-gc), with the dataset still referenced.
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  process.stdout.write(JSON.stringify({ mode, seconds, lines, kept, filteredOut, peakRss, startRss, heapAfter, avgTokens }) + '\n');
  if (kept < 0) console.log(ds);
}

main().catch((e: unknown) => {
  process.stderr.write(String((e as Error).stack ?? e) + '\n');
  process.exit(1);
});

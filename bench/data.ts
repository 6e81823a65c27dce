/**
 * `npm run bench:data`: reading a huge data file through the trainer's path.
 *
 * Generates a seeded synthetic TSV of `--lines` lines (default 1,000,000;
 * bench/lib/syntheticCorpus.ts, about 5 % of the lines over the length
 * limit) and a prefix of a quarter of it into a temporary folder (deleted at
 * the end), then measures, each in its own child process (bench/lib/dataChild.ts)
 * so that only the data path's memory counts:
 * - `loadDataset` (streamed reading, per-pair length filter, split, tokens,
 *   vocabularies, ids; `data.maxLength` 30) on the quarter and on the whole
 *   file: read time, lines/s, pairs kept, peak RSS (resourceUsage maxRSS) and
 *   the heap that stays; the difference between the two gives the bytes per
 *   kept pair and the constant;
 * - the streaming reader alone, keeping nothing (constant memory);
 * - the whole-file path it replaced (bench/lib/legacyData.ts), same file,
 *   same run (skip with `--no-legacy`).
 * Writes bench/results/data.json and data.md (or `--out DIR`).
 */
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { machine, ROOT } from './lib/env';
import { writeSyntheticCorpus } from './lib/syntheticCorpus';

const CHILD = path.join(__dirname, 'lib', 'dataChild.ts');
const MAX_LENGTH = 30;

interface Measurement {
  mode: 'stream' | 'legacy' | 'scan';
  seconds: number;
  lines: number;
  kept: number;
  filteredOut: number;
  peakRss: number;
  startRss: number;
  heapAfter: number;
  avgTokens?: [number, number];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function measure(mode: Measurement['mode'], file: string): Promise<Measurement> {
  process.stderr.write(`  ${mode} ${path.basename(file)} … `);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--require', 'tsx/cjs', CHILD, mode, file, String(MAX_LENGTH)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${mode} child exited with ${code}`));
      const m = JSON.parse(out.trim().split('\n')[0]) as Measurement;
      process.stderr.write(`${m.seconds.toFixed(1)} s, peak RSS ${mb(m.peakRss)}\n`);
      resolve(m);
    });
  });
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const lines = Number(arg('--lines') ?? 1_000_000);
  const outDir = path.resolve(arg('--out') ?? path.join(ROOT, 'bench', 'results'));
  const legacy = !process.argv.includes('--no-legacy');
  const loadStart = os.loadavg()[0];
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-bench-data-'));
  try {
    const big = path.join(tmp, `synthetic-${lines}.tsv`);
    const quarter = path.join(tmp, `synthetic-${Math.round(lines / 4)}.tsv`);
    process.stderr.write(`generating ${lines.toLocaleString('en')} lines into a temporary folder …\n`);
    const bytes = await writeSyntheticCorpus(big, { lines, seed: 1 });
    const quarterBytes = await writeSyntheticCorpus(quarter, { lines: Math.round(lines / 4), seed: 1 });
    const scan = await measure('scan', big);
    const small = await measure('stream', quarter);
    const full = await measure('stream', big);
    const old = legacy ? await measure('legacy', big) : undefined;

    const perPairRss = (full.peakRss - small.peakRss) / (full.kept - small.kept);
    const constantRss = full.peakRss - perPairRss * full.kept;
    const perPairHeap = (full.heapAfter - small.heapAfter) / (full.kept - small.kept);
    const result = {
      machine: machine(),
      loadAverage: { start: loadStart, end: os.loadavg()[0] },
      command: `npm run bench:data${lines !== 1_000_000 ? ` -- --lines ${lines}` : ''}`,
      file: { lines, bytes, quarterLines: Math.round(lines / 4), quarterBytes, maxLength: MAX_LENGTH },
      stream: full,
      streamQuarter: small,
      scan,
      legacy: old,
      bound: { bytesPerKeptPairRss: perPairRss, constantRss, bytesPerKeptPairHeap: perPairHeap },
    };
    await fs.mkdir(outDir, { recursive: true });
    await fs.writeFile(path.join(outDir, 'data.json'), JSON.stringify(result, null, 2) + '\n');
    const m = result.machine;
    const row = (name: string, r: Measurement, l = lines) =>
      `| ${name} | ${l.toLocaleString('en')} | ${r.kept ? r.kept.toLocaleString('en') : '–'} | ${r.seconds.toFixed(1)} s | ${Math.round(l / r.seconds).toLocaleString('en')} | ${mb(r.peakRss)} | ${r.mode === 'scan' ? '–' : mb(r.heapAfter)} |`;
    const md = [
      `# Reading a huge data file (\`${result.command}\`)`,
      '',
      `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, ${m.platform}, Node ${m.node}, commit ${m.commit ?? '?'}, ${m.date.slice(0, 10)}; 1-minute load average ${result.loadAverage.start.toFixed(1)} at the start, ${result.loadAverage.end.toFixed(1)} at the end${Math.max(result.loadAverage.start, result.loadAverage.end) > m.cores / 2 ? ' (measured under load: read the times loosely)' : ''}.`,
      '',
      `Synthetic TSV (seeded, bench/lib/syntheticCorpus.ts): ${lines.toLocaleString('en')} lines, ${mb(bytes)}; \`data.maxLength\` ${MAX_LENGTH}, 5 % / 5 % valid / test split.`,
      'Each row is its own process; peak RSS is its `resourceUsage().maxRSS`, "heap kept" the heap after a full GC with the dataset still held.',
      '',
      '| path | lines | pairs kept | read time | lines/s | peak RSS | heap kept |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      row('loadDataset, streamed (quarter of the file)', small, Math.round(lines / 4)),
      row('loadDataset, streamed', full),
      ...(old ? [row('loadDataset, whole file (before)', old)] : []),
      row('streaming reader alone, keeping nothing', scan),
      '',
      `Memory bound (from the two streamed rows): peak RSS ≈ ${Math.round(perPairRss)} bytes per kept pair + ${mb(constantRss)}; ` +
        `heap kept ≈ ${Math.round(perPairHeap)} bytes per kept pair (kept pairs average ${full.avgTokens![0].toFixed(1)} source / ${full.avgTokens![1].toFixed(1)} target tokens, ${Math.round(bytes / lines)} bytes a line).`,
      old ? `The whole-file path peaked at ${mb(old.peakRss)} (${(old.peakRss / full.peakRss).toFixed(2)}× the streamed one) and took ${old.seconds.toFixed(1)} s.` : '',
      '',
    ].join('\n');
    await fs.writeFile(path.join(outDir, 'data.md'), md);
    process.stdout.write(md);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(String((e as Error).stack ?? e) + '\n');
  process.exit(1);
});

/**
 * `npm run bench:quality`: how fast the project's model learns on real data,
 * next to the field's standard PyTorch recipe (`bench/pytorch/recipe_peer.py`:
 * PyTorch's default initialisation, 256 encoder units per direction, the deep
 * output; not a copy of this project's design).
 *
 *   npm run bench:quality                                  # everything, about 80 minutes on 2 cores
 *   npm run bench:quality -- --parts curve                 # only the perplexity curve (about 25 minutes)
 *   npm run bench:quality -- --parts budget --minutes 10   # only the 10-minute run of each
 *   npm run bench:quality -- --steps 200 --minutes 1 --minutes-curve 1   # a quick look
 *   npm run bench:quality -- --parts ablation --variants mean,defaults --ablation-steps 100,200,500,1000 --ablation-seeds 3 --out /tmp/q
 *   npm run bench:quality -- --parts curve --steps 500 --first-seed 3 --seeds 3 --add-seeds   # three more seeds into the curve
 *                                                          # two variants only, to set beside the recorded curve
 *
 * Parts:
 * - `curve`: the project (its model defaults at the recipe's sizes: embedding
 *   128, decoder 256, encoder 256 per direction) and the peer train on the
 *   SAME batches of the example's training split (batch 64, Adam 1e-3, clip 1,
 *   full softmax, constant learning rate), each from its own initialisation,
 *   one thread each, side by side; validation perplexity on the example's
 *   whole validation split after each of `--eval-steps`.
 * - `budget`: `seq2seq train --config examples/tatoeba-fra-eng.seq2seq.json
 *   --max-minutes M` as a user runs it (its own settings, its threads), then
 *   `seq2seq eval` on the run's held-out test split; then the peer trains for
 *   M minutes of one thread on batches of 64 of the same training split and
 *   translates the same test sources greedily; both are scored by the
 *   project's sacreBLEU-compatible BLEU (`scoreHypotheses`). The two never run
 *   at the same time.
 * - `minutes`: further project runs with budgets `--minutes-curve` (each a
 *   whole run with its own schedule, as a user choosing that budget gets);
 *   the peer's BLEU at those minutes comes from its budget run (its learning
 *   rate is constant, so minute m of a longer run is an m-minute run).
 *
 * Writes `<out>/quality.json` (`curve`: `{step, projectPerplexity,
 * peerPerplexity}`; `budget`: `{minutes, projectBleu, peerBleu, …}`;
 * `minutes`: BLEU against minutes), `<out>/quality.md` (also printed) and
 * `<out>/quality-minutes.svg` (BLEU against minutes, drawn with Vega-Lite).
 * Data: `../shared/data/tatoeba-fra-eng/fra-eng.tsv` next to the repository
 * (the example config's `data.train`; see `bench/README.md`).
 */
import { spawn } from 'child_process';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { initBackend } from '../src/core/kernels/backend';
import { readRunManifest } from '../src/core/runs/checkpoint';
import { DEFAULT_MODEL, legacyModelKeys, type ModelConfig, type Seq2SeqConfig } from '../src/core/config/config';
import { loadConfig } from '../src/core/config/configLoader';
import { readPairs } from '../src/core/data/corpus';
import { makeBatches, type Batch, type EncodedPair } from '../src/core/data/batching';
import { encodeSentence, loadDataset } from '../src/core/data/dataset';
import { tokenizerFromJSON } from '../src/core/data/tokenizer';
import { Vocabulary } from '../src/core/data/vocabulary';
import type { TrainingEvent } from '../src/core/training/events';
import { scoreHypotheses } from '../src/core/metrics/evaluation';
import { Random } from '../src/core/random';
import { writeBatchFile } from './lib/batches';
import type { ProjectCurveJob } from './lib/projectCurve';
import { findPython, machine, peerEnv, ROOT } from './lib/env';
import { geometricMean, keepPrevious, mergeCurves, QUALITY_PARTS, type QualityPart as Part, renderQualityChart, renderQualityMarkdown, selectVariants, type QualityResults } from './lib/qualityReport';

const EXAMPLE = path.join(ROOT, 'examples', 'tatoeba-fra-eng.seq2seq.json');
const CLI = path.join(ROOT, 'bin', 'seq2seq.js');
const PEER = path.join(__dirname, 'pytorch', 'recipe_peer.py');
const CURVE_CHILD = path.join(__dirname, 'lib', 'projectCurve.ts');
const PARTS = QUALITY_PARTS;

/** The standard recipe's sizes and training settings (the curve part). */
export const RECIPE = { embeddingSize: 128, hiddenSize: 256, encoderHiddenSize: 256, batchSize: 64, learningRate: 1e-3, clipNorm: 1 } as const;

interface Options {
  parts: Part[];
  steps: number[];
  seeds: number;
  /** `--first-seed`: the curve's seeds are firstSeed … firstSeed + seeds − 1. */
  firstSeed: number;
  /** `--add-seeds`: add the curve's runs to those already in `<out>/quality.json`. */
  addSeeds: boolean;
  ablationSteps: number[];
  ablationSeeds: number;
  /** `--variants`: indices into `ablationVariants()`, in the order to run them (all when absent). */
  variants?: number[];
  minutes: number;
  minutesCurve: number[];
  out: string;
  keep: boolean;
}

function numbers(list: string, what: string, program: Command): number[] {
  const xs = list.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x) || x <= 0)) program.error(`${what}: expected positive numbers separated by commas (got "${list}")`);
  return xs.sort((a, b) => a - b);
}

function parseOptions(argv: string[]): Options {
  const program = new Command()
    .name('npm run bench:quality --')
    .description("Learning on real data: the project's model against the standard PyTorch recipe (see bench/README.md)")
    .option('--parts <list>', `comma-separated subset of ${PARTS.join(',')}`, PARTS.join(','))
    .option('--eval-steps <list>', 'curve: steps after which both report validation perplexity', '100,200,500,1000')
    .option('--steps <n>', 'curve: shorthand for --eval-steps with the points up to n (100, 200, 500, 1000, …)')
    .option('--seeds <n>', 'curve: runs of each side (initialisation and batch order), averaged', '3')
    .option('--first-seed <k>', 'curve: the first seed (the runs use seeds k … k + seeds − 1)', '0')
    .option('--add-seeds', "curve: add these runs to the curve already in the --out folder's quality.json (earlier seeds, same settings) instead of replacing it", false)
    .option('--ablation-steps <list>', 'ablation: steps after which each variant reports validation perplexity', '100,200')
    .option('--ablation-seeds <n>', 'ablation: runs of each variant, averaged', '2')
    .option('--variants <list>', 'ablation: only these variants, in this order: each a 0-based index or a case-insensitive part of exactly one name (default: all)')
    .option('--minutes <m>', 'budget: wall-clock training minutes of each side', '10')
    .option('--minutes-curve <list>', 'minutes: further project budgets (the budget run gives the last point)', '1,2,5')
    .option('--out <dir>', 'folder for quality.json, quality.md and quality-minutes.svg', path.join('bench', 'results'))
    .option('--keep', 'keep the temporary run folders and peer files (their path is printed)', false)
    .parse(argv);
  const o = program.opts<{ parts: string; evalSteps: string; steps?: string; seeds: string; firstSeed: string; addSeeds: boolean; ablationSteps: string; ablationSeeds: string; variants?: string; minutes: string; minutesCurve: string; out: string; keep: boolean }>();
  const parts = o.parts.split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) program.error(`--parts: unknown part "${p}" (expected some of ${PARTS.join(', ')})`);
  let steps = numbers(o.evalSteps, '--eval-steps', program);
  if (o.steps !== undefined) {
    const n = numbers(o.steps, '--steps', program)[0];
    steps = [100, 200, 500, 1000, 2000, 5000, 10000].filter((s) => s < n).concat(n);
  }
  const minutes = numbers(o.minutes, '--minutes', program)[0];
  const count = (x: string, what: string) => {
    const n = numbers(x, what, program)[0];
    if (!Number.isInteger(n)) program.error(`${what}: expected a whole number (got "${x}")`);
    return n;
  };
  const nonNegative = (x: string, what: string) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 0) program.error(`${what}: expected a whole number ≥ 0 (got "${x}")`);
    return n;
  };
  return {
    parts: parts as Part[],
    steps,
    seeds: count(o.seeds, '--seeds'),
    firstSeed: nonNegative(o.firstSeed, '--first-seed'),
    addSeeds: o.addSeeds,
    ablationSteps: numbers(o.ablationSteps, '--ablation-steps', program),
    ablationSeeds: count(o.ablationSeeds, '--ablation-seeds'),
    variants: o.variants === undefined ? undefined : selectVariants(o.variants, ablationVariants().map((v) => v.name), (m) => program.error(`--variants: ${m}`)),
    minutes,
    minutesCurve: numbers(o.minutesCurve, '--minutes-curve', program).filter((m) => m < minutes),
    out: path.resolve(o.out),
    keep: o.keep,
  };
}

/** Run a child that prints one JSON object per line; @returns them all. @throws Error with the end of its stderr on failure */
function runJsonLines(what: string, command: string, args: string[], env: NodeJS.ProcessEnv, onLine: (line: Record<string, unknown>) => void = () => {}): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
    const lines: Record<string, unknown>[] = [];
    let buf = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        const json = JSON.parse(line) as Record<string, unknown>;
        lines.push(json);
        onLine(json);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(lines) : reject(new Error(`${what} exited with code ${code}: ${err.trim()}`))));
  });
}

/** Run a PyTorch peer job (one thread) to its end. */
function runPeer(python: string, jobFile: string, onLine?: (line: Record<string, unknown>) => void): Promise<Record<string, unknown>[]> {
  return runJsonLines('PyTorch peer', python, [PEER, '--job', jobFile], peerEnv(1), onLine);
}

/** Train the project's model on a batch file in a child process (one thread); @returns `{step, perplexity, seconds}` lines. */
async function runProjectCurve(job: ProjectCurveJob, jobFile: string, onLine?: (line: Record<string, unknown>) => void) {
  await fs.writeFile(jobFile, JSON.stringify(job));
  return (await runJsonLines('project curve', process.execPath, ['--require', 'tsx/cjs', CURVE_CHILD, jobFile], process.env, onLine)) as { step: number; perplexity: number; seconds: number }[];
}

/** Run the project's CLI; @returns its stdout. @throws Error with its stderr on failure */
function runCli(args: string[], onLine: (line: string) => void = () => {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const l of d.toString().split('\n')) if (l.trim()) onLine(l);
    });
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`seq2seq ${args[0]} exited with code ${code}: ${err.trim()}`))));
  });
}

function log(message: string): void {
  console.error(`[bench:quality ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** Enough shuffled, length-bucketed batches (epoch after epoch, as the trainer makes them) for `steps` steps. */
function batchesFor(pairs: EncodedPair[], batchSize: number, steps: number, seed: number): Batch[] {
  const random = new Random(seed);
  const out: Batch[] = [];
  while (out.length < steps) out.push(...makeBatches(pairs, batchSize, { shuffle: true, random, bucket: true }));
  return out.slice(0, steps);
}

/** The settings, validation pairs and (per seed) batch files both sides of the curve and the ablation train on. */
interface CurveData {
  config: Seq2SeqConfig;
  /** One batch file per seed: the same pairs, each seed its own shuffled order. */
  batchFiles: string[];
  validFile: string;
  valid: EncodedPair[];
  srcVocabSize: number;
  tgtVocabSize: number;
}

/** The example's data with the recipe's training settings: batches for `steps` steps in `seeds` orders, written once. */
async function curveData(example: Seq2SeqConfig, steps: number, seeds: number, work: string): Promise<CurveData> {
  const config: Seq2SeqConfig = {
    ...example,
    model: { ...DEFAULT_MODEL, embeddingSize: RECIPE.embeddingSize, hiddenSize: RECIPE.hiddenSize, encoderHiddenSize: RECIPE.encoderHiddenSize, dropout: 0 },
    train: { ...example.train, batchSize: RECIPE.batchSize, learningRate: RECIPE.learningRate, clipNorm: RECIPE.clipNorm, softmaxCandidates: 0, lazyAdam: false, threads: 1, teacherForcing: 1 },
  };
  const ds = await loadDataset(config);
  const batchFiles: string[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const batches = batchesFor(ds.train.encoded, RECIPE.batchSize, steps, config.train.seed + 1 + seed);
    batchFiles.push(
      await writeBatchFile(work, {
        name: `curve-seed${seed}`,
        kind: 'real',
        srcVocabSize: ds.srcVocab.size,
        tgtVocabSize: ds.tgtVocab.size,
        batchSize: RECIPE.batchSize,
        batches: batches.map((b) => ({ pairs: b.indices.map((i) => ds.train.encoded[i]) })),
        note: `${batches.length} batches of the example's training split, order ${seed}`,
      }),
    );
  }
  const validFile = path.join(work, 'valid.json');
  await fs.writeFile(validFile, JSON.stringify(ds.valid.encoded));
  return { config, batchFiles, validFile, valid: ds.valid.encoded, srcVocabSize: ds.srcVocab.size, tgtVocabSize: ds.tgtVocab.size };
}

/** The project's training job for seed `seed` (its own initialisation, the seed's batch order), with model changes. */
function projectJob(data: CurveData, seed: number, steps: number[], model: Partial<ModelConfig> = {}): ProjectCurveJob {
  return { model: { ...data.config.model, ...model }, train: { ...data.config.train, seed: data.config.train.seed + seed }, batchFile: data.batchFiles[seed], validFile: data.validFile, evalSteps: steps };
}

/**
 * The curve part: for each seed, both sides on that seed's batches (each from
 * its own initialisation, drawn with that seed), one thread each, at the same
 * time. Runs of one seed differ by several percent from those of another at
 * a few hundred steps, so the curve reports geometric means over seeds.
 */
async function curve(python: string, data: CurveData, steps: number[], seeds: number[], work: string): Promise<QualityResults['curve']> {
  const last = steps[steps.length - 1];
  log(`curve: seed(s) ${seeds.join(', ')} × ${last} steps of ${RECIPE.batchSize} on both sides, validation perplexity on ${data.valid.length} pairs at steps ${steps.join(', ')}`);
  const peer: Record<string, unknown>[][] = [];
  const project: { step: number; perplexity: number; seconds: number }[][] = [];
  for (const seed of seeds) {
    const jobFile = path.join(work, `curve-peer-${seed}.job.json`);
    await fs.writeFile(
      jobFile,
      JSON.stringify({
        batches: data.batchFiles[seed], valid: data.valid, srcVocabSize: data.srcVocabSize, tgtVocabSize: data.tgtVocabSize,
        emb: RECIPE.embeddingSize, hidden: RECIPE.hiddenSize, encHidden: RECIPE.encoderHiddenSize, lr: RECIPE.learningRate, clip: RECIPE.clipNorm, seed, evalSteps: steps, maxSteps: last,
      }),
    );
    const [p, q] = await Promise.all([
      runPeer(python, jobFile, (l) => l.step !== undefined && log(`curve seed ${seed}: PyTorch recipe step ${l.step}: perplexity ${(l.valid_ppl as number).toFixed(2)}`)),
      runProjectCurve(projectJob(data, seed, steps), path.join(work, `curve-project-${seed}.job.json`), (l) => log(`curve seed ${seed}: project step ${l.step}: perplexity ${(l.perplexity as number).toFixed(2)}`)),
    ]);
    peer.push(p);
    project.push(q);
  }
  return steps.map((step) => {
    const ps = project.map((run) => run.find((l) => l.step === step)!);
    const qs = peer.map((run) => run.find((l) => l.step === step)!);
    return {
      step,
      projectPerplexity: geometricMean(ps.map((l) => l.perplexity)),
      peerPerplexity: geometricMean(qs.map((l) => l.valid_ppl as number)),
      projectRuns: ps.map((l) => l.perplexity),
      peerRuns: qs.map((l) => l.valid_ppl as number),
      seeds,
      projectSeconds: ps.reduce((a, l) => a + l.seconds, 0) / ps.length,
      peerSeconds: qs.reduce((a, l) => a + (l.seconds as number), 0) / qs.length,
    };
  });
}

/** The project's model choices the ablation takes away one at a time (and all at once). */
export function ablationVariants(): { name: string; model: Partial<ModelConfig> }[] {
  const legacy = legacyModelKeys({ hiddenSize: RECIPE.hiddenSize, bidirectional: true });
  return [
    { name: 'defaults', model: {} },
    { name: 'readout `attentional` (Luong)', model: { readout: 'attentional' } },
    { name: 'readout `maxout`, 256 units', model: { readout: 'maxout', readoutSize: 256 } },
    { name: 'embeddings U(−0.1, 0.1)', model: { embeddingInit: 'uniform', embeddingInitScale: 0.1 } },
    { name: `encoder ${legacy.encoderHiddenSize} per direction (hidden/2)`, model: { encoderHiddenSize: legacy.encoderHiddenSize } },
    { name: 'weights Glorot, biases 0', model: { weightInit: 'glorot' } },
    { name: 'all four: the first version', model: legacy },
    { name: 'decoder start from the mean of the encoder states', model: { bridgeFrom: 'mean' } },
  ];
}

/**
 * The ablation part: the project's curve with each variant (those `only`
 * lists, in its order; default all) and seed, two runs at a time (one thread
 * each); geometric means over seeds, and each seed's perplexity in `runs`.
 */
async function ablation(data: CurveData, steps: number[], seeds: number, work: string, only?: number[]): Promise<NonNullable<QualityResults['ablation']>> {
  const all = ablationVariants();
  const variants = (only ?? all.map((_, i) => i)).map((i) => all[i]);
  log(`ablation: ${variants.length} variant(s) of the project's model (${variants.map((v) => v.name).join('; ')}) × ${seeds} seed(s), ${steps[steps.length - 1]} steps each, two runs at a time`);
  const runs = variants.flatMap((v, i) => Array.from({ length: seeds }, (_, seed) => ({ v, i, seed })));
  const results: { step: number; perplexity: number; seconds: number }[][][] = variants.map(() => []);
  const one = async (r: (typeof runs)[number]) => {
    const lines = await runProjectCurve(projectJob(data, r.seed, steps, r.v.model), path.join(work, `ablation-${r.i}-${r.seed}.job.json`), (l) =>
      log(`ablation: ${r.v.name}, seed ${r.seed}: step ${l.step}: perplexity ${(l.perplexity as number).toFixed(2)} (${(l.seconds as number).toFixed(0)} s)`),
    );
    log(`ablation: ${r.v.name}, seed ${r.seed}: ${lines.map((l) => `step ${l.step} perplexity ${l.perplexity.toFixed(1)}`).join(', ')}`);
    results[r.i][r.seed] = lines;
  };
  for (let k = 0; k < runs.length; k += 2) await Promise.all(runs.slice(k, k + 2).map(one));
  return variants.map((v, i) => ({
    variant: v.name,
    model: v.model,
    perplexity: steps.map((step) => {
      const runs = results[i].map((run) => run.find((l) => l.step === step)!.perplexity);
      return { step, perplexity: geometricMean(runs), runs };
    }),
    secondsPerStep: results[i].reduce((a, run) => a + run[run.length - 1].seconds / run[run.length - 1].step, 0) / seeds,
  }));
}

/** One project run as a user runs it: `seq2seq train` with a time budget, then `seq2seq eval` on its test split. */
async function projectRun(minutes: number, runDir: string): Promise<{ bleu: number; steps: number; tokensPerSecond: number; threads: string; sentences: number }> {
  log(`project: seq2seq train --config examples/tatoeba-fra-eng.seq2seq.json --max-minutes ${minutes}`);
  await runCli(['train', '--config', EXAMPLE, '--out', runDir, '--max-minutes', String(minutes)], (l) => /validation|done|parallel/.test(l) && log(`project: ${l.trim()}`));
  const events = (await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrainingEvent);
  const done = events.find((e) => e.type === 'done') as Extract<TrainingEvent, { type: 'done' }>;
  const progress = events.filter((e) => e.type === 'progress') as Extract<TrainingEvent, { type: 'progress' }>[];
  const threads = events.some((e) => e.type === 'log' && /data-parallel training on 2 threads/.test(e.message)) ? '2 (data-parallel)' : '1';
  const evalOut = await runCli(['eval', '--model', runDir, '--test', path.join(runDir, 'test.tsv'), '--json']);
  const r = JSON.parse(evalOut.trim().split('\n').pop()!) as { bleu: number; sentences: number };
  log(`project: ${minutes} min → ${done.step} steps, test BLEU ${r.bleu.toFixed(2)} on ${r.sentences} sentences`);
  const tps = progress.length ? progress.reduce((a, p) => a + p.tokensPerSecond, 0) / progress.length : 0;
  return { bleu: r.bleu, steps: done.step, tokensPerSecond: tps, threads, sentences: r.sentences };
}

/** The peer on the project run's training split and test sources for `minutes`, translating at `at` minutes too. */
async function peerRun(python: string, runDir: string, minutes: number, at: number[], work: string) {
  const manifest = await readRunManifest(runDir);
  const srcVocab = Vocabulary.fromJSON(manifest.srcVocab);
  const tgtVocab = Vocabulary.fromJSON(manifest.tgtVocab);
  const srcTok = tokenizerFromJSON(manifest.srcTokenizer);
  const tgtTok = tokenizerFromJSON(manifest.tgtTokenizer);
  const ds = await loadDataset(manifest.config, { src: srcVocab, tgt: tgtVocab });
  const test = await readPairs(path.join(runDir, 'test.tsv'), { srcColumn: manifest.config.data.srcColumn, tgtColumn: manifest.config.data.tgtColumn });
  const sources = test.map((p) => encodeSentence(p.src, srcTok, srcVocab).ids);
  // More batches than 10 minutes of one thread can use (about 1 s a step); the peer cycles through them.
  const batches = batchesFor(ds.train.encoded, RECIPE.batchSize, Math.max(2000, Math.ceil(minutes * 60 * 2)), 7);
  const batchFile = await writeBatchFile(work, {
    name: 'budget',
    kind: 'real',
    srcVocabSize: srcVocab.size,
    tgtVocabSize: tgtVocab.size,
    batchSize: RECIPE.batchSize,
    batches: batches.map((b) => ({ pairs: b.indices.map((i) => ds.train.encoded[i]) })),
    note: 'shuffled batches of the project run’s training split',
  });
  const hypFile = path.join(work, 'peer-hypotheses.json');
  const jobFile = path.join(work, 'budget.job.json');
  await fs.writeFile(
    jobFile,
    JSON.stringify({
      batches: batchFile, valid: [], test: sources, hypotheses: hypFile, srcVocabSize: srcVocab.size, tgtVocabSize: tgtVocab.size,
      emb: RECIPE.embeddingSize, hidden: RECIPE.hiddenSize, encHidden: RECIPE.encoderHiddenSize, lr: RECIPE.learningRate, clip: RECIPE.clipNorm,
      seed: 0, minutes, translateAtMinutes: at, maxOutputRatio: manifest.config.train.maxOutputRatio,
    }),
  );
  log(`peer: the standard recipe for ${minutes} min on one thread, batches of ${RECIPE.batchSize} of the same training split`);
  const lines = await runPeer(python, jobFile, (l) => l.translated_at_minutes !== undefined && log(`peer: translated the test split after ${l.translated_at_minutes} min (step ${l.step})`));
  const done = lines.find((l) => l.done) as { steps: number; seconds: number; tokens_per_second: number };
  const hyps = JSON.parse(await fs.readFile(hypFile, 'utf8')) as Record<string, number[][]>;
  const refs = test.map((p) => p.tgt);
  const bleuAt = (key: string) => scoreHypotheses(hyps[key], refs, tgtVocab, tgtTok);
  const final = bleuAt('final');
  log(`peer: ${minutes} min → ${done.steps} steps, test BLEU ${final.bleu.toFixed(2)}`);
  return {
    bleu: final.bleu,
    steps: done.steps,
    tokensPerSecond: done.tokens_per_second,
    at: at.map((m) => ({ minutes: m, bleu: bleuAt(String(m)).bleu, step: (lines.find((l) => l.translated_at_minutes === m)?.step as number) ?? NaN })),
    hypotheses: final.hypotheses,
    sources: test.map((p) => p.src),
    references: final.references,
  };
}

/** A few short and longer test sentences with both systems' outputs (the first of each length 3–10 in the split). */
async function samples(runDir: string, peer: { hypotheses: string[]; sources: string[]; references: string[] }): Promise<QualityResults['samples']> {
  const { Translator } = await import('../src/core/decoding/translator');
  const t = await Translator.load(runDir);
  try {
    const picked: number[] = [];
    for (const len of [3, 4, 5, 6, 7, 8, 9, 10]) {
      const i = peer.sources.findIndex((s, j) => !picked.includes(j) && t.srcTokenizer.tokenize(s).length === len);
      if (i >= 0) picked.push(i);
    }
    return picked.map((i) => ({ source: peer.sources[i], reference: peer.references[i], project: t.translate(peer.sources[i], { beamSize: 1 }).text, peer: peer.hypotheses[i] }));
  } finally {
    t.dispose();
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv);
  // Every part but the ablation (the project alone) runs the PyTorch peer.
  const found = opts.parts.some((p) => p !== 'ablation') ? findPython() : undefined;
  if (!found && opts.parts.some((p) => p !== 'ablation')) throw new Error('bench:quality needs a python3 that can import torch (see bench/README.md: apt-get install python3-torch libopenblas0-pthread)');
  const { config: example } = await loadConfig(EXAMPLE);
  const data = typeof example.data.train === 'string' ? example.data.train : example.data.train.src;
  if (!existsSync(data)) throw new Error(`bench:quality needs the Tatoeba English–French pairs at ${data} (see bench/README.md)`);
  await initBackend('wasm');
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-quality-'));
  const started = Date.now();
  const results: QualityResults = {
    format: 'seq2seq-lab/quality@1',
    machine: machine(),
    pytorch: found ? { python: path.basename(found.python), torch: found.torch } : { python: '', torch: 'not used' },
    dates: {},
    settings: { recipe: RECIPE, exampleConfig: 'examples/tatoeba-fra-eng.seq2seq.json', projectModel: { ...DEFAULT_MODEL }, example: { model: example.model, train: example.train } },
    curve: [],
    samples: [],
    durationSec: 0,
  };
  const out = opts.out;
  await fs.mkdir(out, { recursive: true });
  const now = () => new Date().toISOString();
  try {
    if (opts.parts.includes('curve') || opts.parts.includes('ablation')) {
      const longest = Math.max(opts.parts.includes('curve') ? opts.steps[opts.steps.length - 1] : 0, opts.ablationSteps[opts.ablationSteps.length - 1]);
      const data = await curveData(example, longest, Math.max(opts.firstSeed + opts.seeds, opts.ablationSeeds), work);
      if (opts.parts.includes('curve')) {
        const seeds = Array.from({ length: opts.seeds }, (_, i) => opts.firstSeed + i);
        results.curve = await curve(found!.python, data, opts.steps, seeds, work);
        results.dates.curve = now();
      }
      if (opts.parts.includes('ablation')) {
        results.ablation = await ablation(data, opts.ablationSteps, opts.ablationSeeds, work, opts.variants);
        results.dates.ablation = now();
      }
    }
    if (opts.parts.includes('budget') || opts.parts.includes('minutes')) {
      const runDir = path.join(work, `run-${opts.minutes}min`);
      const project = await projectRun(opts.minutes, runDir);
      const at = opts.parts.includes('minutes') ? opts.minutesCurve : [];
      const peer = await peerRun(found!.python, runDir, opts.minutes, at, work);
      results.budget = {
        minutes: opts.minutes,
        projectBleu: project.bleu,
        peerBleu: peer.bleu,
        ratio: project.bleu / peer.bleu,
        projectSteps: project.steps,
        peerSteps: peer.steps,
        projectThreads: project.threads,
        peerThreads: '1',
        projectTokensPerSecond: project.tokensPerSecond,
        peerTokensPerSecond: peer.tokensPerSecond,
        testSentences: project.sentences,
      };
      results.samples = await samples(runDir, peer);
      results.dates.budget = now();
      if (opts.parts.includes('minutes')) {
        const points: NonNullable<QualityResults['minutes']> = [];
        for (const m of opts.minutesCurve) {
          const p = await projectRun(m, path.join(work, `run-${m}min`));
          points.push({ minutes: m, projectBleu: p.bleu, peerBleu: peer.at.find((a) => a.minutes === m)!.bleu, projectSteps: p.steps, peerSteps: peer.at.find((a) => a.minutes === m)!.step });
        }
        points.push({ minutes: opts.minutes, projectBleu: project.bleu, peerBleu: peer.bleu, projectSteps: project.steps, peerSteps: peer.steps });
        results.minutes = points;
        results.dates.minutes = now();
      }
    }
  } finally {
    if (opts.keep) log(`kept ${work}`);
    else await fs.rm(work, { recursive: true, force: true });
  }
  results.durationSec = (Date.now() - started) / 1000;
  // Parts not run this time keep their previous figures (read now, so that parts run at the same time in two processes both land).
  const previous = await fs.readFile(path.join(out, 'quality.json'), 'utf8').then((t) => JSON.parse(t) as QualityResults, () => undefined);
  if (previous) keepPrevious(results, previous, opts.parts);
  if (opts.addSeeds && opts.parts.includes('curve')) {
    if (!previous?.curve.length) throw new Error(`--add-seeds: ${path.join(out, 'quality.json')} has no curve to add the runs to`);
    results.curve = mergeCurves(previous.curve, results.curve);
  }
  const md = renderQualityMarkdown(results);
  await fs.writeFile(path.join(out, 'quality.json'), JSON.stringify(results, null, 1) + '\n');
  await fs.writeFile(path.join(out, 'quality.md'), md);
  if (results.minutes) await fs.writeFile(path.join(out, 'quality-minutes.svg'), await renderQualityChart(results));
  console.log(md);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}

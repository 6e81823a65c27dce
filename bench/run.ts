/**
 * `npm run bench`: training and decoding speed of the project's seq2seq
 * model, next to a PyTorch implementation of the identical model.
 *
 *   npm run bench                          # full run (about 10 minutes on 2 cores)
 *   npm run bench -- --quick               # about a minute: fewer steps, fewer cases
 *   npm run bench -- --configs default,small --no-pytorch --out bench/results
 *   npm run bench -- --only translate,activation   # only translation latency / load time and extension activation
 *   npm run bench -- --configs transformer --no-pytorch   # the Transformer example's model (examples/tatoeba-transformer.seq2seq.json)
 *
 * Every group of measurements runs in its own child process on one backend
 * (`bench/lib/child.ts`), so backends never share a process and each group's
 * peak RSS is its own. Training batches are written once to a temporary
 * folder (`bench/lib/batches.ts`) and read by both the TypeScript side and the
 * PyTorch peer (`bench/pytorch/seq2seq_peer.py`), so both train on the same
 * token ids. Results go to `<out>/latest.json` and `<out>/latest.md`; the
 * Markdown is also printed. See `bench/README.md` for what each number means.
 */
import { spawn, spawnSync } from 'child_process';
import { promises as fs, existsSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';
import { loadConfig } from '../src/core/config/configLoader';
import { encoderUnits, type ModelConfig } from '../src/core/config/config';
import { BatchFile, realBatches, syntheticBatches, writeBatchFile } from './lib/batches';
import type { ActivationResult, CeilingRow, ChildResult, CoresResult, Job, TrainCase, TrainResult, TranslateResult } from './lib/jobs';
import { renderMarkdown } from './lib/report';
import type { BenchResults, Lever, PeerResult, ProfileRecord, ScalingRow, TrainingRow } from './lib/report';
import { findPython, machine, peerEnv, relaxedSimdFlags, ROOT, type SimdChoice } from './lib/env';
import { ratio, summarize } from './lib/stats';

const EXAMPLE = path.join(ROOT, 'examples', 'tatoeba-fra-eng.seq2seq.json');
/** The Transformer example: its model is the `transformer` configuration's (no PyTorch peer: the peer implements the recurrent model). */
const TRANSFORMER_EXAMPLE = path.join(ROOT, 'examples', 'tatoeba-transformer.seq2seq.json');
const CHILD = path.join(__dirname, 'lib', 'child.ts');
const PEER = path.join(__dirname, 'pytorch', 'seq2seq_peer.py');
const GEMM_PEER = path.join(__dirname, 'pytorch', 'gemm_peer.py');
const CONFIG_NAMES = ['default', 'small', 'large', 'transformer'] as const;
const PARTS = ['train', 'profile', 'translate', 'activation'] as const;
type Part = (typeof PARTS)[number];
const PROBE = path.join(__dirname, 'lib', 'activationProbe.cjs');
/** Edge of the square products of the matrix-product ceiling. */
const CEILING_N = 1024;
/** The step profile measured at the start of issue 17 (before its changes), shown beside the current one. */
const PROFILE_BEFORE = path.join(__dirname, 'results', 'profile-before.json');
type ConfigName = (typeof CONFIG_NAMES)[number];

interface Options {
  quick: boolean;
  configs: ConfigName[];
  out: string;
  pytorch: boolean;
  /** Parts to run (default all). */
  parts: Part[];
  /** `--tatoeba`: the real-data TSV instead of the example config's. */
  tatoeba?: string;
  /** `--max-foreign`: keep only timed steps during which others used at most this share of the CPUs. */
  maxForeign: number;
}

function parseOptions(argv: string[]): Options {
  const program = new Command()
    .name('npm run bench --')
    .description('Training and decoding speed of the seq2seq model, with a PyTorch peer on the identical model')
    .option('--quick', 'about one minute: fewer steps, shorter sweeps, no large config unless --configs names it', false)
    .option('--configs <list>', `comma-separated subset of ${CONFIG_NAMES.join(',')}`, CONFIG_NAMES.join(','))
    .option('--out <dir>', 'folder for latest.json and latest.md', path.join('bench', 'results'))
    .option('--no-pytorch', 'skip the PyTorch peer')
    .option('--max-foreign <share>', 'keep only timed steps (ours and PyTorch\'s) during which other processes used at most this share of the CPUs, e.g. 0.05 on a shared machine (Linux; default 1: keep all)', '1')
    .option('--tatoeba <file>', "the Tatoeba TSV of the real-data rows (default: the example config's data.train, ../shared/data/tatoeba-fra-eng/fra-eng.tsv beside the repository)")
    .option('--only <parts>', `comma-separated subset of ${PARTS.join(',')} (training includes the PyTorch peer)`, PARTS.join(','))
    .option('--profile', 'only the step profile (same as --only profile): where a step of the default and small models spends its time, and the matrix-product ceiling', false)
    .parse(argv);
  const o = program.opts<{ quick: boolean; configs: string; out: string; pytorch: boolean; only: string; profile: boolean; tatoeba?: string; maxForeign: string }>();
  const maxForeign = Number(o.maxForeign);
  if (!(maxForeign > 0 && maxForeign <= 1)) program.error(`--max-foreign: expected a share in (0, 1] (got "${o.maxForeign}")`);
  if (o.profile && program.getOptionValueSource('only') !== 'default') program.error('--profile and --only: give one of them');
  const parts = (o.profile ? 'profile' : o.only)
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const p of parts) {
    if (!(PARTS as readonly string[]).includes(p)) program.error(`--only: unknown part "${p}" (expected some of ${PARTS.join(', ')})`);
  }
  if (parts.length === 0) program.error('--only: name at least one part');
  // --quick without --configs leaves out the large configuration (its steps take seconds each).
  const list = o.quick && program.getOptionValueSource('configs') === 'default' ? 'default,small,transformer' : o.configs;
  const configs = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const c of configs) {
    if (!(CONFIG_NAMES as readonly string[]).includes(c)) program.error(`--configs: unknown configuration "${c}" (expected some of ${CONFIG_NAMES.join(', ')})`);
  }
  if (configs.length === 0) program.error('--configs: name at least one configuration');
  return { quick: o.quick, configs: configs as ConfigName[], out: path.resolve(o.out), pytorch: o.pytorch, parts: parts as Part[], tatoeba: o.tatoeba ? path.resolve(o.tatoeba) : undefined, maxForeign };
}

/** Run one child job; @returns its result (an `error` result when the process failed). */
async function runChild(job: Job, dir: string, label: string, timeoutMs = 0, simd: SimdChoice = 'relaxed'): Promise<ChildResult> {
  const jobFile = path.join(dir, `job-${label}.json`);
  await fs.writeFile(jobFile, JSON.stringify(job));
  const t0 = Date.now();
  process.stderr.write(`  ${label} (${job.backend}${simd === 'relaxed' ? '' : `, SIMD ${simd}`}) … `);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [...relaxedSimdFlags(simd), '--require', 'tsx/cjs', CHILD, jobFile], {
      cwd: ROOT,
      env: { ...process.env, SEQ2SEQ_BACKEND: job.backend, SEQ2SEQ_SIMD: simd },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    const timer = timeoutMs > 0 ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
    child.on('close', (c) => {
      if (timer) clearTimeout(timer);
      if (c !== 0 && err) process.stderr.write(`\n${err}\n`);
      resolve(c);
    });
  });
  process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  try {
    return JSON.parse(await fs.readFile(job.out, 'utf8')) as ChildResult;
  } catch {
    const why = timeoutMs > 0 && Date.now() - t0 >= timeoutMs ? `did not finish within ${Math.round(timeoutMs / 1000)} s (stopped)` : `child process exited with code ${code} without a result`;
    return { backend: job.backend, simd: false, simdForm: 'none', peakRssMb: 0, parameters: 0, error: why };
  }
}

interface PeerArgs {
  batchFile: string;
  model: ModelConfig;
  learningRate: number;
  clipNorm: number;
  threads: number;
  /** Data-parallel processes (DistributedDataParallel), each with `threads` threads; 1 = one process. */
  processes: number;
  softmaxCandidates: number;
  warmup: number;
  steps: number;
  maxForeign: number;
}

/**
 * Why the PyTorch peer cannot build `model`, or null: it copies one design only
 * (one GRU layer, bidirectional encoder, Bahdanau attention, bridge `both`
 * from the final states; any encoder size and readout).
 */
function peerUnsupported(model: ModelConfig): string | null {
  const other = [
    model.cell !== 'gru' && `cell ${model.cell}`,
    model.layers !== 1 && `${model.layers} layers`,
    !model.bidirectional && 'a unidirectional encoder',
    model.attention !== 'bahdanau' && `attention ${model.attention}`,
    model.bridge !== 'both' && `bridge ${model.bridge}`,
    model.bridgeFrom !== 'final' && `bridgeFrom ${model.bridgeFrom}`,
  ].filter(Boolean);
  return other.length ? `the PyTorch peer only copies one GRU layer, a bidirectional encoder, Bahdanau attention and bridge both from the final states (this model: ${other.join(', ')})` : null;
}

async function runPeer(python: string, a: PeerArgs): Promise<PeerResult | { error: string }> {
  const unsupported = peerUnsupported(a.model);
  if (unsupported) return { error: unsupported };
  const args = [
    PEER,
    '--batches', a.batchFile,
    '--embedding', String(a.model.embeddingSize),
    '--hidden', String(a.model.hiddenSize),
    '--encoder-hidden', String(encoderUnits(a.model)),
    '--readout', a.model.readout,
    '--readout-size', String(a.model.readoutSize),
    '--threads', String(a.threads),
    '--processes', String(a.processes),
    '--softmax-candidates', String(a.softmaxCandidates),
    '--warmup', String(a.warmup),
    '--steps', String(a.steps),
    '--lr', String(a.learningRate),
    '--clip', String(a.clipNorm),
    '--max-foreign', String(a.maxForeign),
  ];
  // The peer looks for clean steps for at most its --max-seconds (600 s); a peer still running well after that is stuck.
  const limitMs = (600 + 300) * 1000;
  return new Promise((resolve) => {
    // Its own process group: with --processes the peer's workers are stopped with it.
    const child = spawn(python, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: peerEnv(a.threads), detached: true });
    let out = '';
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, limitMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error();
        resolve(JSON.parse(line) as PeerResult);
      } catch {
        resolve({ error: timedOut ? `PyTorch peer did not finish within ${limitMs / 1000} s (stopped)` : `PyTorch peer failed (exit ${code}): ${err.trim().split('\n').pop() ?? ''}` });
      }
    });
  });
}

/**
 * The model of a configuration, trained alike by the TypeScript side (the
 * job's `model`, see `bench/lib/child.ts`) and the PyTorch peer (its sizes
 * as arguments). `default` is the example's; `small` and `large` set the
 * embedding and decoder sizes and scale the encoder units per direction by
 * the same factor as `hiddenSize` (the example's 256 and 256 become 64 and
 * 512), the maxout readout kept at most `hiddenSize` units. The encoder size
 * is always written out resolved (`encoderUnits`), never as 0.
 */
function modelOf(base: ModelConfig, name: ConfigName, transformer: ModelConfig): ModelConfig {
  if (name === 'transformer') return { ...transformer, dropout: 0 };
  const sized = (embeddingSize: number, hiddenSize: number): ModelConfig => ({
    ...base,
    embeddingSize,
    hiddenSize,
    encoderHiddenSize: Math.max(1, Math.round((encoderUnits(base) * hiddenSize) / base.hiddenSize)),
    readoutSize: Math.min(base.readoutSize, hiddenSize),
  });
  if (name === 'small') return sized(64, 64);
  if (name === 'large') return sized(256, 512);
  return { ...base, encoderHiddenSize: encoderUnits(base) };
}

function tensorflowLoadable(): string | null {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return null;
  } catch {
    return '@tensorflow/tfjs-node is not installed (it cannot be installed on this machine): tensorflow backend not measured';
  }
}

/** One planned training case with what the report needs to know about it. */
interface Planned {
  group: string;
  backend: 'wasm' | 'cpu';
  config: ConfigName;
  model: ModelConfig;
  data: string;
  batch: BatchFile;
  batchFile: string;
  case: TrainCase;
  /** Sweep label (e.g. `seqLen=40`) for sweep rows. */
  sweep?: string;
  /** The SIMD form the child may use (`relaxed`: the fastest the runtime validates). */
  simd: SimdChoice;
}

/**
 * Extension activation: `runs` fresh plain-Node processes each load
 * dist/extension.js with a stand-in vscode and call activate()
 * (`bench/lib/activationProbe.cjs`); medians of require + activate.
 */
async function measureActivation(runs: number): Promise<ActivationResult> {
  const bundle = path.join(ROOT, 'dist', 'extension.js');
  const empty = summarize([0]);
  if (!existsSync(bundle)) return { totalMs: empty, requireMs: empty, activateMs: empty, runs: 0, registeredCommands: 0, tfjsModules: [], bundleMentionsTfjs: false, bundleBytes: 0, error: 'dist/extension.js is missing (run npm run build)' };
  const text = await fs.readFile(bundle, 'utf8');
  const samples: { requireMs: number; activateMs: number; totalMs: number; registeredCommands: number; tfjsModules: string[]; error?: string }[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, [PROBE, bundle], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0) return { totalMs: empty, requireMs: empty, activateMs: empty, runs: i, registeredCommands: 0, tfjsModules: [], bundleMentionsTfjs: false, bundleBytes: text.length, error: `probe exited with ${r.status}: ${r.stderr.trim().split('\n').pop()}` };
    samples.push(JSON.parse(r.stdout.trim().split('\n').pop()!));
  }
  return {
    totalMs: summarize(samples.map((x) => x.totalMs)),
    requireMs: summarize(samples.map((x) => x.requireMs)),
    activateMs: summarize(samples.map((x) => x.activateMs)),
    runs,
    registeredCommands: samples[0].registeredCommands,
    tfjsModules: [...new Set(samples.flatMap((x) => x.tfjsModules))],
    bundleMentionsTfjs: ['@tensorflow/', 'tfjs-core', 'registerKernel'].some((m) => text.includes(m)),
    bundleBytes: Buffer.byteLength(text),
    error: samples.find((x) => x.error)?.error,
  };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv);
  const started = Date.now();
  const loadStart = os.loadavg()[0];
  const has = (p: Part) => opts.parts.includes(p);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-bench-'));
  const notes: string[] = [];
  const { config: loaded } = await loadConfig(EXAMPLE);
  const example = opts.tatoeba ? { ...loaded, data: { ...loaded.data, train: opts.tatoeba } } : loaded;
  const { config: transformerExample } = await loadConfig(TRANSFORMER_EXAMPLE);
  const base: ModelConfig = { ...example.model, dropout: 0 };
  const batchSize = example.train.batchSize;
  const V = example.data.maxVocabSize;
  const q = opts.quick;
  // Steps are seconds long on this model (full softmax over 8000 words): few, but after a warm-up step.
  const std = q ? { warmup: 1, steps: 2 } : { warmup: 1, steps: 4 };
  const heavy = q ? { warmup: 1, steps: 1 } : { warmup: 1, steps: 2 };
  // Data-parallel replicas warm up (JIT, XNNPACK operators) in their own threads: more untimed steps before timing them.
  const dpWarmup = q ? 2 : 3;
  const cpuTimeoutMs = q ? 20000 : 60000;
  const cand = example.train.softmaxCandidates || 1000;
  const coreCount = os.cpus().length;

  // --- batches -------------------------------------------------------------
  const needBatches = has('train') || has('profile');
  if (needBatches) process.stderr.write('preparing batches …\n');
  const files = new Map<string, { batch: BatchFile; path: string }>();
  const addFile = async (b: BatchFile) => {
    files.set(b.name, { batch: b, path: await writeBatchFile(work, b) });
    return files.get(b.name)!;
  };
  const syn = (length: number, vocab: number) => syntheticBatches({ srcVocab: V, tgtVocab: vocab, length, batchSize, count: 8, seed: 1234 });
  const synMain = needBatches ? await addFile(syn(10, V)) : { batch: syn(10, V), path: '' };
  let real: { batch: BatchFile; path: string } | undefined;
  const trainPath = typeof example.data.train === 'string' ? example.data.train : example.data.train.src;
  if (!needBatches) {
    // training not requested (--only)
  } else if (existsSync(trainPath)) {
    const t0 = Date.now();
    real = await addFile(await realBatches(example, 16, example.train.seed));
    process.stderr.write(`  real batches from the Tatoeba file in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  } else {
    notes.push(`The Tatoeba file (${opts.tatoeba ? path.relative(ROOT, trainPath) : '../shared/data/tatoeba-fra-eng/fra-eng.tsv'}) is absent: real-data rows skipped (--tatoeba names another).`);
  }
  const sweepLens = q ? [40] : [20, 40, 80];
  // At 80 tokens a batch of 128 needs more than the 4 GB wasm heap (a batch of 32 peaks at 1.2 GB): that length is also run with batch 32.
  const longLen = 80;
  const longBatch = 32;
  const sweepVocabs = q ? [32000] : [2000, 32000];
  const lenFiles = new Map<number, { batch: BatchFile; path: string }>([[10, synMain]]);
  const vocabFiles = new Map<number, { batch: BatchFile; path: string }>([[V, synMain]]);
  let longFile: { batch: BatchFile; path: string } | undefined;
  if (has('train') && opts.configs.includes('default')) {
    for (const L of sweepLens) lenFiles.set(L, await addFile(syn(L, V)));
    if (sweepLens.includes(longLen)) {
      longFile = await addFile(syntheticBatches({ srcVocab: V, tgtVocab: V, length: longLen, batchSize: longBatch, count: 8, seed: 1234 }));
    }
    for (const v of sweepVocabs) vocabFiles.set(v, await addFile(syn(10, v)));
  }

  // --- plan ----------------------------------------------------------------
  const planned: Planned[] = [];
  const add = (p: Omit<Planned, 'case' | 'batchFile' | 'simd'> & { simd?: SimdChoice; c: Omit<TrainCase, 'id' | 'batchFile'>; file: { batch: BatchFile; path: string } }) => {
    const { c, file, simd = 'relaxed', ...rest } = p;
    const id = [p.config, p.backend, p.data, `t${c.threads}`, c.softmaxCandidates ? `cand${c.softmaxCandidates}` : 'full', c.kernels, p.sweep ?? '', simd === 'relaxed' ? '' : 'simd128'].filter(Boolean).join('/');
    planned.push({ ...rest, simd, batchFile: file.path, case: { ...c, id, batchFile: file.path, maxForeign: opts.maxForeign } });
  };
  // The step profile (part `profile`): these rows of the default and small models get profiled steps after their timed ones.
  const profileSteps = has('profile') ? (q ? 2 : 3) : 0;
  const profiledRow = (config: ConfigName, data: string, kernels: string) => (config === 'default' || config === 'small') && kernels === 'project' && (data === 'synthetic' || config === 'default');
  if (!has('train') && has('profile')) {
    // Profile only: the profiled rows with fewer timed steps.
    for (const config of opts.configs.filter((c) => c === 'default' || c === 'small')) {
      const model = modelOf(base, config, transformerExample.model);
      const rows: ['synthetic' | 'tatoeba', number, number][] = [['synthetic', 1, 0], ['synthetic', 2, 0], ['synthetic', 1, cand], ['synthetic', 2, cand]];
      if (config === 'default') rows.push(['tatoeba', 1, cand], ['tatoeba', 2, cand]);
      for (const [data, threads, softmax] of rows) {
        const file = data === 'synthetic' ? synMain : real;
        if (file) add({ group: `${config}-wasm`, backend: 'wasm', config, model, data, batch: file.batch, file, c: { threads, softmaxCandidates: softmax, kernels: 'project', profileSteps, warmup: threads > 1 ? dpWarmup : 1, steps: q ? 1 : 2 } });
      }
    }
  }
  for (const config of has('train') ? opts.configs : []) {
    const model = modelOf(base, config, transformerExample.model);
    const steps = config === 'large' ? heavy : std;
    const group = `${config}-wasm`;
    const wasm = (data: 'synthetic' | 'tatoeba', threads: number, softmax: number) => {
      const file = data === 'synthetic' ? synMain : real;
      const warmup = threads > 1 ? Math.max(steps.warmup, dpWarmup) : steps.warmup;
      const profile = profiledRow(config, data, 'project') ? profileSteps : 0;
      // Real batches differ in length: time each of them once (the same ones in every row, see bench/lib/child.ts).
      const timed = data === 'tatoeba' && !q && file ? Math.max(steps.steps, file.batch.batches.length) : steps.steps;
      if (file) add({ group, backend: 'wasm', config, model, data, batch: file.batch, file, c: { threads, softmaxCandidates: softmax, kernels: 'project', profileSteps: profile, ...steps, steps: timed, warmup } });
    };
    wasm('synthetic', 1, 0);
    wasm('synthetic', 2, 0);
    wasm('synthetic', 1, cand);
    if (config === 'small') wasm('synthetic', 2, cand);
    if (config === 'default') {
      wasm('synthetic', 2, cand);
      wasm('tatoeba', 1, 0);
      wasm('tatoeba', 2, 0);
      // The example config as shipped: Tatoeba, candidate softmax, one and two threads.
      wasm('tatoeba', 1, cand);
      wasm('tatoeba', 2, cand);
      // Lever: the kernels without relaxed SIMD (multiply, then add), in their own process.
      for (const [threads, softmax] of [[1, 0], [1, cand], [2, cand]]) {
        add({ group: 'default-wasm-simd', backend: 'wasm', config, model, data: 'synthetic', batch: synMain.batch, file: synMain, simd: 'simd', c: { threads, softmaxCandidates: softmax, kernels: 'project', profileSteps: 0, ...steps, warmup: threads > 1 ? Math.max(steps.warmup, dpWarmup) : steps.warmup } });
      }
      // Lever: the stock wasm kernels, in their own process.
      add({ group: 'default-wasm-stock', backend: 'wasm', config, model, data: 'synthetic', batch: synMain.batch, file: synMain, c: { threads: 1, softmaxCandidates: 0, kernels: 'stock', profileSteps: profileSteps ? 1 : 0, ...heavy } });
      // Sweeps, one thread, each case in its own process: a long sequence can exhaust the 4 GB wasm heap, which kills the module for the rest of the process.
      // Sequence length with the shipped candidate softmax (the full one at 80 tokens takes ~20 s a step).
      for (const [L, f] of lenFiles) {
        if (L === 10) continue;
        add({ group: `default-wasm-seqLen${L}`, backend: 'wasm', config, model, data: 'synthetic', batch: f.batch, file: f, sweep: `seqLen=${L}`, c: { threads: 1, softmaxCandidates: cand, kernels: 'project', profileSteps: 0, ...heavy } });
      }
      if (longFile) {
        add({ group: `default-wasm-seqLen${longLen}-b${longBatch}`, backend: 'wasm', config, model, data: 'synthetic', batch: longFile.batch, file: longFile, sweep: `seqLen=${longLen}, batch ${longBatch}`, c: { threads: 1, softmaxCandidates: cand, kernels: 'project', profileSteps: 0, ...heavy } });
      }
      for (const [v, f] of vocabFiles) {
        if (v === V) continue;
        for (const softmax of [0, cand]) {
          if (softmax >= v) continue;
          add({ group: `default-wasm-tgtVocab${v}-${softmax ? 'cand' : 'full'}`, backend: 'wasm', config, model, data: 'synthetic', batch: f.batch, file: f, sweep: `tgtVocab=${v}`, c: { threads: 1, softmaxCandidates: softmax, kernels: 'project', profileSteps: 0, ...heavy } });
        }
      }
    } else {
      wasm('tatoeba', 1, 0);
    }
    if (config === 'transformer') {
      // Lever: the stock wasm kernels on the Transformer, in their own process.
      add({ group: 'transformer-wasm-stock', backend: 'wasm', config, model, data: 'synthetic', batch: synMain.batch, file: synMain, c: { threads: 1, softmaxCandidates: 0, kernels: 'stock', profileSteps: 0, ...steps } });
    }
    if (config === 'small') {
      // One step, no warm-up, stopped after cpuTimeoutMs: the cpu backend's UnsortedSegmentSum (gradient of the embedding lookups) loops over all 8000 rows.
      add({ group: 'small-cpu', backend: 'cpu', config, model, data: 'synthetic', batch: synMain.batch, file: synMain, c: { threads: 1, softmaxCandidates: 0, kernels: 'project', profileSteps: 0, warmup: 0, steps: 1 } });
    }
  }
  const tfNote = tensorflowLoadable();
  if (tfNote) notes.push(tfNote);

  // --- run TypeScript groups ------------------------------------------------
  if (planned.length) process.stderr.write('training measurements:\n');
  const groups = [...new Set(planned.map((p) => p.group))];
  const childResults = new Map<string, ChildResult>();
  for (const g of groups) {
    const cases = planned.filter((p) => p.group === g);
    const job: Job = {
      kind: 'train',
      backend: cases[0].backend,
      out: path.join(work, `result-${g}.json`),
      model: cases[0].model,
      learningRate: example.train.learningRate,
      clipNorm: example.train.clipNorm,
      cases: cases.map((p) => p.case),
    };
    childResults.set(g, await runChild(job, work, g, job.backend === 'cpu' ? cpuTimeoutMs : 0, cases[0].simd));
  }

  // --- matrix-product ceiling (part profile) ------------------------------------
  let ceiling: CeilingRow[] | undefined;
  if (has('profile')) {
    process.stderr.write('matrix-product ceiling:\n');
    const r = await runChild({ kind: 'ceiling', backend: 'wasm', out: path.join(work, 'result-ceiling.json'), n: CEILING_N, windowMs: q ? 2000 : 5000 }, work, 'ceiling');
    ceiling = r.ceiling;
    if (r.error) notes.push(`matrix-product ceiling failed: ${r.error}`);
  }

  // PyTorch's matrix products on the same machine, beside the ceiling (part profile).
  if (ceiling && opts.pytorch) {
    const found = findPython();
    for (const threads of found ? [...new Set([1, os.cpus().length])] : []) {
      const r = spawnSync(found!.python, [GEMM_PEER, '--n', String(CEILING_N), '--threads', String(threads), '--seconds', q ? '1' : '2'], { cwd: ROOT, encoding: 'utf8', env: peerEnv(threads), timeout: 120000 });
      try {
        const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { gflops: number };
        ceiling.push({ key: `torch-t${threads}`, label: `PyTorch torch.matmul, ${threads} thread${threads > 1 ? 's' : ''} (for comparison; not a ceiling of this project's kernels)`, n: CEILING_N, ms: (2 * CEILING_N ** 3) / (j.gflops * 1e6), gflops: j.gflops });
      } catch {
        notes.push(`PyTorch's matrix-product speed (bench/pytorch/gemm_peer.py, ${threads} threads) could not be measured: ${r.stderr.trim().split('\n').pop() ?? ''}`);
      }
    }
  }

  // --- two cores against one (part profile) -----------------------------------
  let twoCores: CoresResult | undefined;
  if (has('profile')) {
    const r = await runChild({ kind: 'cores', backend: 'wasm', out: path.join(work, 'result-cores.json'), n: 256, model: modelOf(base, 'default', transformerExample.model), softmaxCandidates: cand, windowMs: q ? 1000 : 2500, rounds: q ? 2 : 3 }, work, 'cores');
    twoCores = r.cores;
    if (r.error) notes.push(`two-core measurement failed: ${r.error}`);
  }

  // --- PyTorch peer --------------------------------------------------------
  let pytorch: BenchResults['pytorch'] = { available: false, note: 'skipped (--no-pytorch)' };
  const peerCache = new Map<string, PeerResult | { error: string }>();
  if (opts.pytorch && !has('train')) {
    pytorch = { available: false, note: 'not run (--only without train)' };
  } else if (opts.pytorch) {
    const found = findPython();
    if (!found) {
      pytorch = { available: false, note: 'PyTorch peer not available (no python3 that can import torch; see bench/README.md)' };
      notes.push(pytorch.note);
    } else {
      pytorch = { available: true, torch: found.torch, python: found.python, note: `torch.set_num_threads(threads) at 1 and ${coreCount} threads (the machine's cores), same batches, full or the same candidate-set softmax` };
      process.stderr.write(`PyTorch peer (torch ${found.torch}):\n`);
      for (const p of planned) {
        if (p.case.kernels !== 'project' || p.backend !== 'wasm' || p.config === 'transformer' || p.simd !== 'relaxed') continue;
        // Every row's batches at one thread and at the machine's cores (sweeps: one thread), whatever threads the row itself used;
        // the data-parallel rows also under DistributedDataParallel over the machine's cores, one thread each.
        const runs: { threads: number; processes: number }[] = p.sweep ? [{ threads: 1, processes: 1 }] : [...new Set([1, coreCount])].map((threads) => ({ threads, processes: 1 }));
        if (p.case.threads > 1 && coreCount > 1) runs.push({ threads: 1, processes: coreCount });
        for (const { threads, processes } of runs) {
          const key = peerKey({ ...p, case: { ...p.case, threads } }, processes);
          if (peerCache.has(key)) continue;
          const t0 = Date.now();
          process.stderr.write(`  ${key} … `);
          const warmup = threads > 1 || processes > 1 ? Math.max(p.case.warmup, dpWarmup) : p.case.warmup;
          peerCache.set(key, await runPeer(found.python, { batchFile: p.batchFile, model: p.model, learningRate: example.train.learningRate, clipNorm: example.train.clipNorm, threads, processes, softmaxCandidates: p.case.softmaxCandidates, warmup, steps: p.case.steps, maxForeign: opts.maxForeign }));
          process.stderr.write(`${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        }
      }
    }
  }

  // --- translation ---------------------------------------------------------
  let translation: TranslateResult | undefined;
  let translationRss = 0;
  let translationError: string | undefined;
  if (has('translate')) {
    process.stderr.write('translation latency:\n');
    const r = await runChild(
      { kind: 'translate', backend: 'wasm', out: path.join(work, 'result-translate.json'), model: base, srcVocab: V, tgtVocab: V, lengths: [10, 30], beams: [1, 5], repeats: q ? 5 : 20, loads: q ? 3 : 6, engines: ['fast', 'fast-nosimd', 'tensor'] },
      work,
      'translate',
    );
    translation = r.translate;
    translationRss = r.peakRssMb;
    translationError = r.error;
    if (r.error) notes.push(`translation latency failed: ${r.error}`);
  }

  // --- extension activation ------------------------------------------------
  let activation: ActivationResult | undefined;
  if (has('activation')) {
    process.stderr.write('extension activation … ');
    activation = await measureActivation(q ? 5 : 11);
    process.stderr.write(`${activation.error ?? `median ${activation.totalMs.median.toFixed(1)} ms`}\n`);
    if (activation.error) notes.push(`extension activation: ${activation.error}`);
  }

  // --- assemble ------------------------------------------------------------
  const rows: TrainingRow[] = planned.map((p) => {
    const child = childResults.get(p.group)!;
    const r: TrainResult | undefined = child.train?.find((t) => t.id === p.case.id);
    const peer = peerCache.get(peerKey({ ...p, case: { ...p.case, threads: p.backend === 'cpu' ? 1 : p.case.threads } }));
    const peerOk = peer && !('error' in peer) ? peer : undefined;
    const peers = [...new Set([1, coreCount])]
      .map((threads) => peerCache.get(peerKey({ ...p, case: { ...p.case, threads } })))
      .filter((x): x is PeerResult => x !== undefined && !('error' in x));
    const best = peers.reduce<PeerResult | undefined>((a, x) => (!a || x.tokensPerSec > a.tokensPerSec ? x : a), undefined);
    const ddpRun = p.case.threads > 1 ? peerCache.get(peerKey({ ...p, case: { ...p.case, threads: 1 } }, coreCount)) : undefined;
    const ddp = ddpRun && !('error' in ddpRun) ? ddpRun : undefined;
    return {
      id: p.case.id,
      config: p.config,
      backend: p.backend,
      simd: child.simd,
      data: p.data,
      dataNote: p.batch.note,
      sweep: p.sweep,
      threads: p.case.threads,
      softmaxCandidates: p.case.softmaxCandidates,
      kernels: p.case.kernels,
      model: {
        embeddingSize: p.model.type === 'transformer' ? p.model.transformer.modelSize : p.model.embeddingSize,
        hiddenSize: p.model.type === 'transformer' ? p.model.transformer.modelSize : p.model.hiddenSize,
        srcVocab: p.batch.srcVocabSize, tgtVocab: p.batch.tgtVocabSize, batchSize: p.batch.batchSize },
      parameters: r?.parameters ?? 0,
      warmup: p.case.warmup,
      steps: p.case.steps,
      stepMs: r?.stepMs,
      tokensPerSec: r?.tokensPerSec,
      tokensPerBatch: r?.tokensPerBatch,
      loss: r ? [r.firstLoss, r.lastLoss] : undefined,
      profile: r?.profile,
      peakRssMb: child.peakRssMb,
      pytorch: peerOk,
      pytorchError: peer && 'error' in peer ? peer.error : undefined,
      ratioToPyTorch: ratio(r?.tokensPerSec, peerOk?.tokensPerSec),
      pytorchThreads: peers.map((x) => ({ threads: x.threads, tokensPerSec: x.tokensPerSec, stepMs: x.stepMs.median })),
      pytorchDdp: ddp,
      ratioToPyTorchBest: ratio(r?.tokensPerSec, best?.tokensPerSec),
      foreignCpu: r?.foreignCpu ?? null,
      stepsSeen: r?.stepsSeen,
      simdForm: child.simdForm,
      error: r?.error ?? child.error,
    };
  });
  const results: BenchResults = {
    format: 'seq2seq-lab/bench@1',
    machine: machine(),
    settings: { maxForeign: opts.maxForeign, quick: q, configs: opts.configs, defaultModel: { embeddingSize: base.embeddingSize, hiddenSize: base.hiddenSize }, learningRate: example.train.learningRate, clipNorm: example.train.clipNorm, batchSize, warmup: std.warmup, steps: std.steps, heavyWarmup: heavy.warmup, heavySteps: heavy.steps, dpWarmup, softmaxCandidates: cand },
    pytorch,
    notes,
    summary: summary(rows),
    training: rows,
    levers: levers(rows),
    translation: translation ? { ...translation, peakRssMb: translationRss } : undefined,
    translationError,
    activation,
    ceiling,
    cores: twoCores,
    profileBefore: has('profile') && existsSync(PROFILE_BEFORE) ? (JSON.parse(await fs.readFile(PROFILE_BEFORE, 'utf8')) as ProfileRecord) : undefined,
    parts: opts.parts.length === PARTS.length ? undefined : opts.parts,
    loadAverage: { start: loadStart, end: os.loadavg()[0] },
    durationSec: (Date.now() - started) / 1000,
  };
  await fs.mkdir(opts.out, { recursive: true });
  const md = renderMarkdown(results);
  await fs.writeFile(path.join(opts.out, 'latest.json'), JSON.stringify(results, null, 1) + '\n');
  await fs.writeFile(path.join(opts.out, 'latest.md'), md);
  await fs.rm(work, { recursive: true, force: true });
  process.stdout.write(md);
  process.stderr.write(`\nwrote ${path.relative(process.cwd(), path.join(opts.out, 'latest.json'))} and latest.md in ${results.durationSec.toFixed(0)} s\n`);
}

/** The peer run of a row's batches and softmax at `case.threads` threads in each of `processes` processes. */
function peerKey(p: Pick<Planned, 'config' | 'batchFile' | 'case'>, processes = 1): string {
  return `${p.config}/${path.basename(p.batchFile, '.batches.json')}/t${p.case.threads}${processes > 1 ? `/ddp${processes}` : ''}/${p.case.softmaxCandidates ? `cand${p.case.softmaxCandidates}` : 'full'}`;
}

/**
 * Per configuration, data and softmax: our target tokens/s on one and two
 * data-parallel threads, their ratio, PyTorch's at one thread and at the
 * machine's cores, and ours on two threads divided by PyTorch's best.
 */
function summary(rows: TrainingRow[]): ScalingRow[] {
  const out: ScalingRow[] = [];
  for (const config of CONFIG_NAMES) {
    for (const data of ['synthetic', 'tatoeba']) {
      for (const softmax of [0, 1000]) {
        const pick = (threads: number) =>
          rows.find((r) => r.config === config && r.backend === 'wasm' && r.kernels === 'project' && !r.sweep && r.simdForm !== 'simd' && !r.id.endsWith('simd128') && r.data === data && r.softmaxCandidates === softmax && r.threads === threads && !r.error);
        const one = pick(1);
        const two = pick(2);
        if (!one && !two) continue;
        const peers = (one ?? two)!.pytorchThreads ?? [];
        const best = peers.reduce((a, x) => Math.max(a, x.tokensPerSec), 0) || null;
        out.push({
          config,
          data,
          softmaxCandidates: softmax,
          parameters: (one ?? two)!.parameters,
          oneThread: one?.tokensPerSec ?? null,
          twoThreads: two?.tokensPerSec ?? null,
          twoOverOne: ratio(two?.tokensPerSec, one?.tokensPerSec),
          pytorch: peers,
          pytorchBest: best,
          twoThreadsOverPyTorchBest: ratio(two?.tokensPerSec, best ?? undefined),
          pytorchDdp: two?.pytorchDdp
            ? { processes: two.pytorchDdp.processes ?? 1, tokensPerSec: two.pytorchDdp.tokensPerSec, overOneThread: ratio(two.pytorchDdp.tokensPerSec, peers.find((x) => x.threads === 1)?.tokensPerSec) }
            : undefined,
          simdForm: (two ?? one)!.simdForm,
        });
      }
    }
  }
  return out;
}

/** The levers, one at a time, as speed-ups of target tokens/s. */
function levers(rows: TrainingRow[]): Lever[] {
  const out: Lever[] = [];
  // Rows of the plain-SIMD lever only count in their own lever.
  const find = (f: (r: TrainingRow) => boolean, plainSimd = false) => rows.find((r) => f(r) && r.id.endsWith('simd128') === plainSimd && !r.error && r.tokensPerSec);
  const push = (config: string, lever: string, data: string, from?: TrainingRow, to?: TrainingRow) => {
    if (from?.tokensPerSec && to?.tokensPerSec) out.push({ config, lever, data, fromTokensPerSec: from.tokensPerSec, toTokensPerSec: to.tokensPerSec, speedup: to.tokensPerSec / from.tokensPerSec });
  };
  for (const config of CONFIG_NAMES) {
    for (const data of ['synthetic', 'tatoeba']) {
      for (const cand of [0, 1000]) {
        const sm = cand ? `softmaxCandidates ${cand}` : 'full softmax';
        const base = (r: TrainingRow) => r.config === config && r.backend === 'wasm' && r.data === data && !r.sweep && r.kernels === 'project';
        push(config, `2 threads (DataParallel) vs 1, ${sm}`, data, find((r) => base(r) && r.threads === 1 && r.softmaxCandidates === cand), find((r) => base(r) && r.threads === 2 && r.softmaxCandidates === cand));
      }
      const base = (r: TrainingRow) => r.config === config && r.backend === 'wasm' && r.data === data && !r.sweep && r.kernels === 'project' && r.threads === 1;
      push(config, 'softmaxCandidates 1000 vs full softmax (1 thread)', data, find((r) => base(r) && r.softmaxCandidates === 0), find((r) => base(r) && r.softmaxCandidates > 0));
    }
    const stock = find((r) => r.config === config && r.kernels === 'stock');
    push(config, "project wasm kernels vs stock (1 thread, full softmax)", 'synthetic', stock, find((r) => r.config === config && r.backend === 'wasm' && r.data === 'synthetic' && !r.sweep && r.kernels === 'project' && r.threads === 1 && r.softmaxCandidates === 0));
    const cpu = find((r) => r.config === config && r.backend === 'cpu');
    push(config, 'wasm vs cpu backend (1 thread, full softmax)', 'synthetic', cpu, find((r) => r.config === config && r.backend === 'wasm' && r.data === 'synthetic' && !r.sweep && r.kernels === 'project' && r.threads === 1 && r.softmaxCandidates === 0));
    for (const [threads, cand] of [[1, 0], [1, 1000], [2, 1000]]) {
      const same = (r: TrainingRow) => r.config === config && r.backend === 'wasm' && r.data === 'synthetic' && !r.sweep && r.kernels === 'project' && r.threads === threads && r.softmaxCandidates === cand;
      push(config, `relaxed SIMD (fused multiply–add) vs plain SIMD, ${threads} thread${threads > 1 ? 's' : ''}, ${cand ? `softmaxCandidates ${cand}` : 'full softmax'}`, 'synthetic', find(same, true), find(same));
    }
    for (const v of [2000, 32000]) {
      const base = (r: TrainingRow) => r.config === config && r.sweep === `tgtVocab=${v}`;
      push(config, `softmaxCandidates 1000 vs full softmax, target vocabulary ${v}`, 'synthetic', find((r) => base(r) && r.softmaxCandidates === 0), find((r) => base(r) && r.softmaxCandidates > 0));
    }
  }
  return out;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

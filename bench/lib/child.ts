/**
 * Child process of `npm run bench`: runs one job (training cases or
 * translation latency) on the backend named by `SEQ2SEQ_BACKEND` and writes a
 * `ChildResult` JSON file. Usage (done by `bench/run.ts`):
 *   node --require tsx/cjs bench/lib/child.ts <job.json>
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, initBackend } from '../../src/core/kernels/backend';
import { RUN_FORMAT, saveCheckpoint, writeRunManifest } from '../../src/core/runs/checkpoint';
import { DEFAULT_DATA, DEFAULT_TRAIN, Seq2SeqConfig, TrainConfig } from '../../src/core/config/config';
import { makeTokenizer } from '../../src/core/data/tokenizer';
import { EOS_ID, SPECIAL_TOKENS } from '../../src/core/data/vocabulary';
import { registerWasmKernels, unregisterWasmKernels } from '../../src/core/kernels/wasm';
import { createModel } from '../../src/core/model/index';
import { Seq2SeqModel } from '../../src/core/model/seq2seq';
import { DataParallel } from '../../src/core/training/parallel';
import { Random } from '../../src/core/random';
import { Translator } from '../../src/core/decoding/translator';
import { Updater } from '../../src/core/training/updater';
import { prepare, readBatchFile } from './batches';
import { measureCeiling } from './ceiling';
import { measureCores } from './cores';
import { cpuReading, foreignShare } from './foreign';
import { simdForm } from '../../src/core/kernels/simd';
import type { ChildResult, Job, TrainCase, TrainJob, TrainResult, TranslateJob, TranslateResult } from './jobs';
import { summarize } from './stats';
import { StepProfiler, type StepProfile } from '../../src/core/profile';
import { isOutOfMemory } from '../../src/core/errors';

/** Training hyper-parameters of the job (learning rate, clipping), teacher forcing 1, with the case's levers. */
function trainConfig(job: TrainJob, c: TrainCase, batchSize: number): TrainConfig {
  return { ...DEFAULT_TRAIN, batchSize, learningRate: job.learningRate, clipNorm: job.clipNorm, teacherForcing: 1, softmaxCandidates: c.softmaxCandidates, threads: c.threads, seed: 42 };
}

/** Swap the project's wasm kernels for the stock ones, keeping only UnsortedSegmentSum (the stock backend has none). */
function useStockKernels(): void {
  registerWasmKernels();
  const segmentSum = tf.getKernel('UnsortedSegmentSum', 'wasm');
  unregisterWasmKernels();
  if (segmentSum) tf.registerKernel(segmentSum);
}

function useProjectKernels(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') != null) tf.unregisterKernel('UnsortedSegmentSum', 'wasm');
  registerWasmKernels();
}

/**
 * Profile `steps` further steps with the project's step profiler
 * (`src/core/profile.ts`: kernel and category times, no read-backs), on
 * this thread and, data-parallel, on every replica thread.
 */
async function profileSteps(steps: number, step: (i: number) => Promise<number>, first: number, dp: DataParallel | undefined): Promise<NonNullable<TrainResult['profile']>> {
  if (dp) await dp.profileReplicas(true);
  const profiler = new StepProfiler();
  profiler.start();
  let own: StepProfile;
  try {
    for (let k = 0; k < steps; k++) await step(first + k);
  } finally {
    own = profiler.stop();
  }
  const replicas = dp ? await dp.profileReplicas(false) : [];
  return { steps, threads: [own, ...replicas] };
}

async function runTrainCase(job: TrainJob, c: TrainCase, backend: string): Promise<TrainResult> {
  const modelConfig = job.model;
  const file = await readBatchFile(c.batchFile);
  const prepared = prepare(file);
  if (c.kernels === 'stock') {
    if (backend !== 'wasm') throw new Error('stock vs project kernels only applies to the wasm backend');
    if (c.threads > 1) throw new Error('stock kernels are measured on one thread only (replicas register the project kernels)');
    useStockKernels();
  }
  const model = createModel(modelConfig, file.srcVocabSize, file.tgtVocabSize, 42);
  const train = trainConfig(job, c, file.batchSize);
  const updater = new Updater(model, train, new Random(7));
  let dp: DataParallel | undefined;
  try {
    if (c.threads > 1) {
      dp = await DataParallel.start(
        c.threads,
        { model: modelConfig, train, srcVocabSize: file.srcVocabSize, tgtVocabSize: file.tgtVocabSize, weights: await model.params.export(), learningRate: train.learningRate },
        { updater, variables: model.variables },
      );
    }
    const step = async (i: number): Promise<number> => {
      const p = prepared[i % prepared.length];
      return dp ? dp.step(updater, p.batch, p.pairs) : updater.step(p.batch);
    };
    // Warm-up on batches counted from the end; the timed steps are batches 0, 1, 2, … whatever the warm-up
    // and the dropped steps (a dropped step is taken again on the same batch), so every row — one thread or
    // two, ours or the PyTorch peer (bench/pytorch/seq2seq_peer.py) — times the same batches: bucketed
    // real batches differ in length, and a step's fixed costs weigh more on a short one.
    for (let w = 0; w < c.warmup; w++) await step(prepared.length - 1 - (w % prepared.length));
    const times: number[] = [];
    let tokens = 0;
    let sentences = 0;
    let firstLoss = NaN;
    let lastLoss = NaN;
    // With maxForeign < 1: keep only steps during which other processes used at most that share of the CPUs (see foreign.ts).
    const maxForeign = c.maxForeign ?? 1;
    const started = performance.now();
    let seen = 0;
    let worst: number | null = null;
    for (;;) {
      const i = times.length;
      if (i >= c.steps) break;
      const r0 = cpuReading();
      const t0 = performance.now();
      const loss = await step(i);
      const ms = performance.now() - t0;
      const foreign = foreignShare(r0, cpuReading());
      seen++;
      const outOfTime = performance.now() - started > (c.maxSeconds ?? 600) * 1000;
      if (foreign !== null && foreign > maxForeign && !outOfTime) continue;
      times.push(ms);
      if (foreign !== null) worst = Math.max(worst ?? 0, foreign);
      const b = prepared[i % prepared.length].batch;
      tokens += b.tokens;
      sentences += b.size;
      if (times.length === 1) firstLoss = loss;
      lastLoss = loss;
    }
    const total = times.reduce((a, b) => a + b, 0) / 1000;
    const result: TrainResult = {
      id: c.id,
      parameters: model.params.count,
      stepMs: summarize(times),
      tokensPerSec: tokens / total,
      sentencesPerSec: sentences / total,
      tokensPerBatch: tokens / c.steps,
      firstLoss,
      lastLoss,
      stepsSeen: seen,
      foreignCpu: worst,
    };
    if (c.profileSteps > 0) result.profile = await profileSteps(c.profileSteps, step, c.steps, dp);
    return result;
  } finally {
    if (dp) await dp.dispose();
    model.dispose();
    if (c.kernels === 'stock') useProjectKernels();
  }
}

/** Word tokens `w4 … w{V−1}` after the four specials. */
function vocabTokens(size: number): string[] {
  return [...SPECIAL_TOKENS, ...Array.from({ length: size - SPECIAL_TOKENS.length }, (_, i) => `w${i + SPECIAL_TOKENS.length}`)];
}

/**
 * Save a freshly initialised model as a run folder. The `<eos>` output bias is
 * set to −10⁴ so that decoding never stops early: every output has the
 * length limit `ceil(maxOutputRatio · (n + 1)) + 5` with `maxOutputRatio` 1.
 */
async function saveRandomRun(job: TranslateJob, backend: string): Promise<{ runDir: string; parameters: number }> {
  const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'seq2seq-bench-run-'));
  const config: Seq2SeqConfig = {
    name: 'bench (random weights)',
    data: { ...DEFAULT_DATA, train: path.join(runDir, 'unused.tsv') },
    model: job.model,
    train: { ...DEFAULT_TRAIN, beamSize: 1, maxOutputRatio: 1 },
  };
  const model = new Seq2SeqModel(job.model, job.srcVocab, job.tgtVocab, 42);
  const weights = await model.params.export();
  const parameters = model.params.count;
  model.dispose();
  const bout = weights.find((w) => w.name === 'decoder/bout');
  if (!bout) throw new Error('the decoder has no decoder/bout parameter to suppress <eos> with');
  bout.values[EOS_ID] = -1e4;
  await saveCheckpoint(runDir, { kind: 'best', step: 0, epoch: 0, time: new Date().toISOString() }, weights);
  const tok = makeTokenizer('word', true).toJSON();
  await writeRunManifest(runDir, {
    format: RUN_FORMAT,
    config,
    srcVocab: { tokens: vocabTokens(job.srcVocab) },
    tgtVocab: { tokens: vocabTokens(job.tgtVocab) },
    srcTokenizer: tok,
    tgtTokenizer: tok,
    backend,
    created: new Date().toISOString(),
  });
  return { runDir, parameters };
}

/**
 * Untimed translations before each timed series: the first calls after load
 * run on V8's baseline code (the very first greedy one ~5x slower, see
 * `firstTranslateMs`), steady state is reached after about five.
 */
const WARM_UP_TRANSLATIONS = 5;

async function runTranslate(job: TranslateJob, backend: string): Promise<TranslateResult> {
  const { runDir, parameters } = await saveRandomRun(job, backend);
  try {
    const loadTimes: number[] = [];
    let translator: Translator | undefined;
    for (let i = 0; i < job.loads; i++) {
      translator?.dispose();
      const t0 = performance.now();
      translator = await Translator.load(runDir);
      loadTimes.push(performance.now() - t0);
    }
    const tr = translator!;
    const noSimd = job.engines?.includes('fast-nosimd') ? await Translator.load(runDir, { simd: false }) : undefined;
    const latency: TranslateResult['latency'] = [];
    const random = new Random(11);
    let firstTranslateMs: number | undefined;
    for (const n of job.lengths) {
      const sentence = Array.from({ length: n }, () => `w${SPECIAL_TOKENS.length + random.int(job.srcVocab - SPECIAL_TOKENS.length)}`).join(' ');
      for (const engine of job.engines ?? ['fast']) {
        const [t, opts] = engine === 'fast-nosimd' ? [noSimd!, { engine: 'fast' as const }] : [tr, { engine }];
        for (const beam of job.beams) {
          for (let w = 0; w < WARM_UP_TRANSLATIONS; w++) {
            const t0 = performance.now();
            t.translate(sentence, { beamSize: beam, ...opts });
            firstTranslateMs ??= performance.now() - t0;
          }
          const times: number[] = [];
          let outputTokens = 0;
          for (let r = 0; r < job.repeats; r++) {
            const t0 = performance.now();
            const out = t.translate(sentence, { beamSize: beam, ...opts });
            times.push(performance.now() - t0);
            outputTokens = out.targetTokens.length;
          }
          latency.push({ srcTokens: n, beam, outputTokens, ms: summarize(times), engine });
        }
      }
    }
    noSimd?.dispose();
    tr.dispose();
    const weightsBytes = (await fs.stat(path.join(runDir, 'best', 'weights.bin'))).size;
    return { loadFirstMs: loadTimes[0], firstTranslateMs: firstTranslateMs ?? NaN, warmUps: WARM_UP_TRANSLATIONS, loadMs: summarize(loadTimes.slice(1).length ? loadTimes.slice(1) : loadTimes), weightsBytes, parameters, latency };
  } finally {
    await fs.rm(runDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const jobPath = process.argv[2];
  if (!jobPath) throw new Error('usage: child.ts <job.json>');
  const job = JSON.parse(await fs.readFile(jobPath, 'utf8')) as Job;
  const backend = await initBackend(job.backend);
  const info = describeBackend();
  const result: ChildResult = { backend, simd: info.simd, simdForm: simdForm(), peakRssMb: 0, parameters: 0 };
  try {
    if (backend !== job.backend) throw new Error(`backend ${job.backend} is not available here (got ${backend})`);
    if (job.kind === 'train') {
      result.train = [];
      const t: TrainJob = job;
      for (const c of t.cases) {
        try {
          result.train.push(await runTrainCase(t, c, backend));
        } catch (e) {
          const empty = summarize([0]);
          result.train.push({ id: c.id, parameters: 0, stepMs: empty, tokensPerSec: 0, sentencesPerSec: 0, tokensPerBatch: 0, firstLoss: NaN, lastLoss: NaN, error: isOutOfMemory(e) ? `out of memory (${(e as Error).message.split('.')[0]}): more than the 4 GB wasm heap` : (e as Error).message });
        }
      }
    } else if (job.kind === 'ceiling') {
      result.ceiling = measureCeiling(job);
    } else if (job.kind === 'cores') {
      result.cores = await measureCores(job);
    } else {
      result.translate = await runTranslate(job, backend);
      result.parameters = result.translate.parameters;
    }
  } catch (e) {
    result.error = (e as Error).message;
  }
  result.peakRssMb = process.resourceUsage().maxRSS / 1024;
  await fs.writeFile(job.out, JSON.stringify(result, null, 1));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

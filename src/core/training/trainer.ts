/**
 * One training run as an object whose phases are named methods, after Joey
 * NMT's `TrainManager` (Kreutzer, Bastings & Riezler 2019, "Joey NMT: a
 * minimalist NMT toolkit for novices", sec. 3): {@link Trainer.open} prepares
 * the run folder, the data, the model and the restored checkpoint;
 * {@link Trainer.run} then announces the run, checks memory, trains the
 * curriculum phase and the epochs step by step (schedule → update → progress
 * → validation → `last/` checkpoint) and ends with the `done` event.
 *
 * The method: Adam on the masked per-token cross-entropy with teacher
 * forcing, gradient clipping by global norm (Pascanu et al. 2013, alg. 1),
 * periodic validation (perplexity and BLEU), learning-rate decay on plateau
 * or a linear schedule, early stopping, best/last checkpoints and exact
 * resume. Every event goes to `<runDir>/metrics.jsonl` ({@link MetricsLog})
 * and to the listener. The entry point with the run folder's lock and the
 * write-failure messages is `train()` in `src/core/training/training.ts`.
 */
import { promises as fs } from 'fs';
import type { FileHandle } from 'fs/promises';
import * as path from 'path';
import { wasmHeapBytes } from '../kernels/backend';
import {
  CheckpointMeta,
  LoadedCheckpoint,
  NamedArray,
  loadCheckpoint,
  readRunManifest,
  recoverRunFolder,
  removeCheckpoint,
  RUN_FORMAT,
  RunManifest,
  saveCheckpoint,
  writeRunManifest,
  loadRunTokenizers,
  writeBpeFile,
  BPE_FILE,
} from '../runs/checkpoint';
import { DEFAULT_TRAIN, type Seq2SeqConfig, type StopMetric, type TrainConfig } from '../config/config';
import { checkRunConfig } from '../config/configLoader';
import type { ReadProgress } from '../data/corpus';
import { competence, curriculumBatch, difficultyOrder } from '../data/curriculum';
import { Batch, EncodedPair, makeBatch, makeBatches } from '../data/batching';
import { Dataset, loadDataset } from '../data/dataset';
import { Vocabulary } from '../data/vocabulary';
import { exists, withPath } from '../runs/durableFs';
import { DivergenceError, isOutOfMemory, ResourceError } from '../errors';
import { evaluate } from '../metrics/evaluation';
import type { CheckpointEvent, DoneEvent, ReadingEvent, RecordedAlignment, StopReason, TrainingEvent, TrainingListener, ValidationEvent } from './events';
import { recordAlignments } from './alignments';
import { type AnyModel, createModel } from '../model/index';
import { Adam } from './optimizer';
import { DataParallel, resolveThreads } from './parallel';
import { describeSimdForm, simdForm } from '../kernels/simd';
import { Random, RandomState } from '../random';
import { describeLockHolder, type RunLock } from '../runs/runLock';
import { afterValidation, initialPatience, inverseSqrtSchedule, linearSchedule, type Patience } from './schedule';
import { disposeAll } from '../tensors';
import { Updater } from './updater';

/** Options of one training run. */
export interface TrainOptions {
  /** Resolved config (absolute data paths, defaults filled in). */
  config: Seq2SeqConfig;
  /** Config file the run came from (recorded in run.json). */
  configPath?: string;
  /** Run folder; created when missing. */
  outDir: string;
  /** Continue from `<outDir>/last/` when it exists. */
  resume: boolean;
  /** Receives every event (after it is written to metrics.jsonl; `reading` events, sent while the data loads, are not written). */
  listener?: TrainingListener;
  /** Polled between steps; when it returns true the run saves `last/` and ends with reason `cancelled`. */
  shouldStop?: () => boolean;
}

/** Trainer state saved in `last/trainer.json`. */
interface TrainerState {
  step: number;
  epoch: number;
  /** Batches of the current epoch already trained. */
  stepInEpoch: number;
  /** Shuffling RNG state at the start of the current epoch (to rebuild its batch order). */
  epochRandom: RandomState;
  dropoutRandom: RandomState;
  learningRate: number;
  /** Plateau decay and early stopping (see `afterValidation`). */
  patience: Patience;
  bestBleu: number;
  bestPerplexity: number;
  elapsedSeconds: number;
  /** Length of metrics.jsonl when the checkpoint was written (bytes; absent in runs from before it was recorded). */
  metricsBytes?: number;
  /**
   * The loss of the steps since the last `progress` event (summed NLL and
   * target tokens), so that the first event after a resume averages the
   * same steps as an uninterrupted run's (absent in older runs: it starts empty).
   */
  lossWindow?: { nll: number; tokens: number };
}

/** Validation samples written into each `validation` event. */
const SAMPLE_COUNT = 4;

/** The state of a fresh run of `tc`. */
function initialState(tc: TrainConfig): TrainerState {
  return {
    step: 0,
    epoch: 1,
    stepInEpoch: 0,
    epochRandom: new Random(tc.seed + 1).getState(),
    dropoutRandom: new Random(tc.seed + 2).getState(),
    learningRate: tc.learningRate,
    patience: initialPatience(tc.stopMetric),
    bestBleu: NaN,
    bestPerplexity: NaN,
    elapsedSeconds: 0,
  };
}

/**
 * Trainer state as read back from `trainer.json`: JSON writes ±∞ as null,
 * and runs saved before `patience` existed kept its fields at the top level.
 */
function restoredState(initial: TrainerState, saved: Record<string, unknown>): TrainerState {
  const state = { ...initial, ...saved } as TrainerState;
  const old = saved as Partial<Patience>;
  const p = (saved.patience ?? { best: old.best, badValidations: old.badValidations, badSinceDecay: old.badSinceDecay }) as Partial<Record<keyof Patience, number | null>>;
  const num = (v: number | null | undefined, fallback: number) => (typeof v === 'number' ? v : fallback);
  state.patience = {
    best: num(p.best, initial.patience.best),
    lowestPerplexity: num(p.lowestPerplexity, initial.patience.lowestPerplexity),
    badValidations: num(p.badValidations, 0),
    badSinceDecay: num(p.badSinceDecay, 0),
    // Runs saved before train.minDelta: the reference values were the best ones.
    progressBest: num(p.progressBest, num(p.best, initial.patience.best)),
    progressPerplexity: num(p.progressPerplexity, num(p.lowestPerplexity, initial.patience.lowestPerplexity)),
    progressStep: num(p.progressStep, 0),
  };
  return state;
}

function metricOf(metric: StopMetric, v: { bleu: number; perplexity: number; loss: number }): number {
  return metric === 'bleu' ? v.bleu : metric === 'perplexity' ? v.perplexity : v.loss;
}

/**
 * Write the validation and test pairs to `valid.tsv` / `test.tsv` in the run
 * folder (in the config's column positions), so that the held-out split can
 * be evaluated later with `seq2seq eval --test <run>/test.tsv`.
 */
async function writeSplits(runDir: string, config: Seq2SeqConfig, dataset: Dataset): Promise<void> {
  const { srcColumn, tgtColumn } = config.data;
  const width = Math.max(srcColumn, tgtColumn) + 1;
  const clean = (t: string) => t.replace(/[\t\r\n]+/g, ' ');
  for (const [name, split] of [['valid', dataset.valid], ['test', dataset.test]] as const) {
    const lines = split.pairs.map((p) => {
      const row = new Array<string>(width).fill('');
      row[srcColumn] = clean(p.src);
      row[tgtColumn] = clean(p.tgt);
      return row.join('\t');
    });
    await fs.writeFile(path.join(runDir, `${name}.tsv`), lines.length ? lines.join('\n') + '\n' : '');
  }
}

/**
 * A batch at least as large in every dimension as any that `makeBatches` or
 * the curriculum can draw: `batchSize` pairs (or all, if fewer) including the
 * pair with the longest source and the one with the longest target, the rest
 * those with the largest source × target length.
 * @throws RangeError for no pairs
 */
export function largestBatch(pairs: EncodedPair[], batchSize: number): Batch {
  if (pairs.length === 0) throw new RangeError('largestBatch: no training pairs');
  const argmax = (key: (p: EncodedPair) => number) => pairs.reduce((best, p, i) => (key(p) > key(pairs[best]) ? i : best), 0);
  const chosen = new Set([argmax((p) => p.src.length), argmax((p) => p.tgt.length)]);
  const byArea = pairs.map((_, i) => i).sort((a, b) => pairs[b].src.length * pairs[b].tgt.length - pairs[a].src.length * pairs[a].tgt.length);
  for (const i of byArea) {
    if (chosen.size >= Math.min(batchSize, pairs.length)) break;
    chosen.add(i);
  }
  return makeBatch(pairs, [...chosen]);
}

/** The error for a batch that did not fit in memory, naming the settings to lower. */
function outOfMemory(what: string, batch: Batch, backend: string, after?: string): ResourceError {
  const limit = backend === 'wasm' ? "the wasm backend's 4 GB heap" : 'the memory available to it';
  return new ResourceError(
    `${what} needs more than ${limit}: a batch of ${batch.size} pairs with sources up to ${batch.srcLen} and targets up to ${batch.tgtLen} tokens does not fit. ` +
      'Lower train.batchSize or data.maxLength (with attention, memory grows with batch size × source length × target length), or the model size (model.hiddenSize; model.transformer.modelSize for a Transformer).' +
      (after ? ` ${after}.` : ''),
  );
}

/**
 * Length in bytes of the complete lines of a file (up to and including its
 * last newline): what is kept of a `metrics.jsonl` whose last line a kill tore.
 */
async function completeLinesLength(file: string): Promise<number> {
  const text = await fs.readFile(file).catch(() => Buffer.alloc(0));
  return text.lastIndexOf(0x0a) + 1;
}

/**
 * `<runDir>/metrics.jsonl`, opened for appending: one JSON event per line,
 * with the file's length kept so that a checkpoint can record it and a failed
 * checkpoint can cut the file back. Write errors name the file.
 */
class MetricsLog {
  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    /** Current length in bytes. */
    public bytes: number,
  ) {}

  /** Open `file` for appending; it is `bytes` long. */
  static async open(file: string, bytes: number): Promise<MetricsLog> {
    return new MetricsLog(file, await fs.open(file, 'a'), bytes);
  }

  /** Append one event. @throws Error naming the file when the write fails */
  async record(e: TrainingEvent): Promise<void> {
    const line = Buffer.from(JSON.stringify(e) + '\n');
    try {
      await this.handle.write(line);
    } catch (err) {
      throw withPath(err, this.file);
    }
    this.bytes += line.length;
  }

  /** Flush to disk. @throws Error naming the file */
  async sync(): Promise<void> {
    await this.handle.sync().catch((err: unknown) => Promise.reject(withPath(err, this.file)));
  }

  /** Cut the file back to `bytes` (best effort: used after a failed checkpoint). */
  async truncate(bytes: number): Promise<void> {
    await this.handle.truncate(bytes).catch(() => undefined);
    this.bytes = bytes;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Mean loss and throughput since the last `progress` event. */
interface ProgressWindow {
  nll: number;
  tokens: number;
  /** Of `tokens`, those trained before a resume (in the loss mean, not in tokens/s). */
  carriedTokens?: number;
  /** Wall-clock start (ms since the epoch). */
  start: number;
  startStep: number;
}

/**
 * A training run (Joey NMT's `TrainManager`): created by {@link Trainer.open}
 * once the run folder's lock is held, driven by {@link Trainer.run}, released
 * by {@link Trainer.dispose}. `step` is the number of updates trained so far.
 */
export class Trainer {
  private stopReason: StopReason | undefined;
  private lastValidatedStep = -1;
  /** Step of the last `last/` checkpoint written or resumed from (−1: none). */
  private lastSavedStep: number;
  /** Consecutive skipped (non-finite) updates. */
  private nonFiniteInARow = 0;
  private window: ProgressWindow;
  /** Wall-clock origin of `elapsed()` (ms since the epoch): set when the first step is about to run, earlier runs' time included. */
  private t0: number;
  private readonly tc: TrainConfig;
  private readonly budgetSeconds: number;
  private readonly stepsPerEpoch: number;
  private readonly totalSteps: number;
  private readonly dropoutRandom: Random;
  private readonly updater: Updater;
  private parallel: DataParallel | undefined;

  private constructor(
    private readonly opts: TrainOptions,
    private readonly backend: string,
    private readonly runDir: string,
    private readonly config: Seq2SeqConfig,
    private readonly dataset: Dataset,
    private readonly model: AnyModel,
    private readonly metrics: MetricsLog,
    private state: TrainerState,
    private readonly resuming: boolean,
    /** Adam's moments restored from `last/` (undefined for a fresh run). */
    private readonly optimizerState: NamedArray[] | undefined,
    /** Messages for the log once the run has started (lock take-over, recovery, threads). */
    private readonly notes: { level: 'info' | 'warn'; message: string }[],
  ) {
    this.tc = config.train;
    this.budgetSeconds = this.tc.maxMinutes > 0 ? this.tc.maxMinutes * 60 : Infinity;
    this.t0 = Date.now() - state.elapsedSeconds * 1000;
    this.stepsPerEpoch = Math.ceil(dataset.train.encoded.length / this.tc.batchSize);
    const epochSteps = this.tc.curriculumSteps + this.tc.epochs * this.stepsPerEpoch;
    this.totalSteps = this.tc.maxSteps > 0 ? Math.min(this.tc.maxSteps, epochSteps) : epochSteps;
    this.lastSavedStep = resuming ? state.step : -1;
    this.dropoutRandom = Random.fromState(state.dropoutRandom);
    this.updater = new Updater(model, this.tc, this.dropoutRandom);
    if (optimizerState) this.updater.optimizer.importState(optimizerState);
    this.updater.learningRate = state.learningRate;
    this.window = { nll: 0, tokens: 0, start: Date.now(), startStep: state.step };
  }

  /** Updates trained so far. */
  get step(): number {
    return this.state.step;
  }

  /**
   * Phase 1, the run folder: repair what a killed run left, load the data
   * (with the recorded vocabularies and the run.json config when resuming,
   * else build both and write run.json, the held-out splits and an empty
   * metrics.jsonl), build the model, and restore `last/` (weights, Adam
   * moments, trainer state) when resuming, cutting metrics.jsonl back to its
   * length at that checkpoint.
   * @throws DataError / CheckpointError / ConfigError for unusable data, a broken run folder or a bad run.json
   */
  static async open(opts: TrainOptions, backend: string, runDir: string, lock: RunLock): Promise<Trainer> {
    const metricsFile = path.join(runDir, 'metrics.jsonl');
    const notes: { level: 'info' | 'warn'; message: string }[] = [];
    if (lock.tookOverFrom) {
      notes.push({ level: 'info', message: `took over the run folder's lock left by a training that no longer runs (${describeLockHolder(lock.tookOverFrom)})` });
    }
    const recovered = await recoverRunFolder(runDir);
    if (recovered.length) notes.push({ level: 'info', message: `cleaned up after an interrupted run: ${recovered.join(', ')}` });
    const resuming = opts.resume && (await exists(path.join(runDir, 'last', 'weights.json')));

    // Reading progress goes to the listener only: metrics.jsonl is (re)opened once the data is loaded.
    const reading = { onProgress: (p: ReadProgress & { role: ReadingEvent['role'] }) => opts.listener?.({ type: 'reading', ...p }) };
    let config = opts.config;
    let dataset: Dataset;
    if (resuming) {
      const recorded = await readRunManifest(runDir);
      const manifest: RunManifest = { ...recorded, config: checkRunConfig(recorded.config, path.join(runDir, 'run.json')) };
      config = { ...manifest.config, train: { ...manifest.config.train, maxMinutes: opts.config.train.maxMinutes, maxSteps: opts.config.train.maxSteps, epochs: opts.config.train.epochs } };
      const { bpe } = await loadRunTokenizers(runDir, manifest);
      dataset = await loadDataset(config, { src: Vocabulary.fromJSON(manifest.srcVocab), tgt: Vocabulary.fromJSON(manifest.tgtVocab), bpe }, reading);
    } else {
      dataset = await loadDataset(config, undefined, reading);
      if (!dataset.bpe) await fs.rm(path.join(runDir, BPE_FILE), { force: true });
      await removeCheckpoint(runDir, 'best');
      await removeCheckpoint(runDir, 'last');
      await fs.writeFile(metricsFile, '');
      await writeRunManifest(runDir, {
        format: RUN_FORMAT,
        config,
        configPath: opts.configPath,
        srcVocab: dataset.srcVocab.toJSON(),
        tgtVocab: dataset.tgtVocab.toJSON(),
        srcTokenizer: dataset.srcTokenizer.toJSON(),
        tgtTokenizer: dataset.tgtTokenizer.toJSON(),
        // Written before run.json, which names it.
        ...(dataset.bpe ? { bpe: await writeBpeFile(runDir, dataset.bpe) } : {}),
        backend,
        created: new Date().toISOString(),
      });
      await writeSplits(runDir, config, dataset);
    }

    const model = createModel(config.model, dataset.srcVocab.size, dataset.tgtVocab.size, config.train.seed);
    let state = initialState(config.train);
    let last: LoadedCheckpoint | undefined;
    let metricsBytes = 0;
    try {
      if (resuming) {
        // Checked against this model's parameters and optimiser slots before any stored value is read.
        last = await loadCheckpoint(path.join(runDir, 'last'), {
          weights: model.params.specs,
          optimizer: Adam.stateSpecs(model.variables.map((v) => v.shape.slice())),
        });
        // Drop what was logged after the checkpoint resumed from (it is about to be trained again,
        // and would otherwise appear twice), and a line a kill tore.
        const saved = last.trainerState?.metricsBytes;
        const size = await fs.stat(metricsFile).then((st) => st.size, () => 0);
        metricsBytes = typeof saved === 'number' && saved <= size ? saved : await completeLinesLength(metricsFile);
        if (size > 0) await fs.truncate(metricsFile, metricsBytes);
        model.params.import(last.weights);
        state = restoredState(state, last.trainerState ?? {});
      }
      const metrics = await MetricsLog.open(metricsFile, metricsBytes);
      return new Trainer(opts, backend, runDir, config, dataset, model, metrics, state, resuming, last?.optimizer, notes);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /**
   * Phases 2–6: start the data-parallel replicas, announce the run, check
   * memory, train (curriculum, then epochs), finish.
   * @returns the final `done` event
   * @throws DivergenceError after `train.maxNonFiniteSteps` skipped updates in a row;
   *   ResourceError when a batch does not fit in memory; write errors naming the file
   */
  async run(): Promise<DoneEvent> {
    await this.startDataParallel();
    await this.announce();
    await this.checkMemory();
    // The time budget and tokens/s count training, not the start-up above.
    this.t0 = Date.now() - this.state.elapsedSeconds * 1000;
    const carried = this.state.lossWindow;
    this.window = { nll: carried?.nll ?? 0, tokens: carried?.tokens ?? 0, carriedTokens: carried?.tokens ?? 0, start: Date.now(), startStep: this.state.step };
    await this.trainCurriculum();
    await this.trainEpochs();
    return this.finish();
  }

  /** Release the replicas, the optimizer's tensors, the model and metrics.jsonl. */
  async dispose(): Promise<void> {
    await this.metrics.close();
    await this.parallel?.dispose();
    this.updater.dispose();
    this.model.dispose();
  }

  // ---- phases ----

  /** Phase 2: data-parallel replicas when `train.threads` resolves to more than one (falls back to one thread, with a warning). */
  private async startDataParallel(): Promise<void> {
    const { threads, why } = resolveThreads(this.tc.threads, this.backend);
    if (threads > 1) {
      try {
        this.parallel = await DataParallel.start(
          threads,
          {
            model: this.config.model,
            train: this.tc,
            srcVocabSize: this.dataset.srcVocab.size,
            tgtVocabSize: this.dataset.tgtVocab.size,
            weights: await this.model.params.export(),
            optimizer: this.optimizerState,
            learningRate: this.state.learningRate,
          },
          { updater: this.updater, variables: this.model.variables },
        );
      } catch (e) {
        this.notes.push({ level: 'warn', message: `data-parallel training could not start (${(e as Error).message}); training on one thread` });
      }
    }
    const how = this.parallel ? `data-parallel training on ${this.parallel.threads} threads` : 'training on one thread';
    this.notes.push({ level: 'info', message: `${how} with the ${this.backend} backend (${why}); ${describeSimdForm(simdForm())}` });
  }

  /** Phase 3: the `started` event, then the notes gathered so far. */
  private async announce(): Promise<void> {
    const { dataset } = this;
    await this.emit({
      type: 'started',
      runDir: this.runDir,
      backend: this.backend,
      threads: this.parallel ? this.parallel.threads : 1,
      simd: simdForm(),
      parameters: this.model.params.count,
      trainPairs: dataset.train.encoded.length,
      validPairs: dataset.valid.encoded.length,
      testPairs: dataset.test.encoded.length,
      srcVocabSize: dataset.srcVocab.size,
      tgtVocabSize: dataset.tgtVocab.size,
      stepsPerEpoch: this.stepsPerEpoch,
      totalSteps: this.totalSteps,
      startStep: this.state.step,
      time: new Date().toISOString(),
    });
    if (dataset.bpe) {
      const b = dataset.bpe;
      const merges = b.joint ? `${b.src.length} joint merges` : `${b.src.length} source and ${b.tgt.length} target merges`;
      const from = this.resuming ? `from ${BPE_FILE}` : 'learned on the training split';
      this.notes.push({ level: 'info', message: `BPE: ${merges} ${from} (data.bpe.merges = ${this.config.data.bpe?.merges})` });
    }
    for (const { level, message } of this.notes) await this.log(level, message);
    if (this.resuming) await this.log('info', `resumed from step ${this.state.step} (epoch ${this.state.epoch})`);
    if (dataset.filteredOut > 0) {
      await this.log('info', `${dataset.filteredOut} pairs longer than data.maxLength = ${this.config.data.maxLength} tokens were left out`);
    }
  }

  /**
   * Phase 4 (wasm only): fail now, not hours in, if the largest batch the
   * data can produce does not fit in the 4 GB heap (the module aborts when it
   * cannot grow). Other backends use the process's memory.
   * @throws ResourceError naming the batch and the settings to lower
   */
  private async checkMemory(): Promise<void> {
    if (this.backend !== 'wasm') return;
    const worst = largestBatch(this.dataset.train.encoded, this.tc.batchSize);
    try {
      const g = this.updater.gradients(worst, new Random(this.tc.seed));
      disposeAll(g.grads);
    } catch (e) {
      if (isOutOfMemory(e)) throw outOfMemory('Training', worst, this.backend);
      throw e;
    }
    const heap = wasmHeapBytes();
    await this.log(
      'info',
      `memory check: the largest batch (${worst.size} pairs, up to ${worst.srcLen} source × ${worst.tgtLen} target tokens) fits` +
        (heap ? `; wasm heap ${(heap.bytes / 2 ** 30).toFixed(2)} GB of ${(heap.limit / 2 ** 30).toFixed(0)} GB` : ''),
    );
  }

  /** Phase 5a (`train.curriculumSteps` > 0): batches drawn by competence, from the shortest sources to all (Platanios et al. 2019). */
  private async trainCurriculum(): Promise<void> {
    const { tc } = this;
    if (this.state.step >= tc.curriculumSteps) return;
    const pairs = this.dataset.train.encoded;
    const difficulty = difficultyOrder(pairs);
    await this.log('info', `curriculum: ${tc.curriculumSteps} steps from the shortest sources to all (initial competence ${tc.initialCompetence})`);
    while (this.state.step < tc.curriculumSteps && !this.stopReason && !this.mustStop()) {
      const c = competence(this.state.step, tc.curriculumSteps, tc.initialCompetence);
      // Seeded by the step, so a resumed run draws the same batches.
      await this.trainStep(curriculumBatch(pairs, difficulty, c, tc.batchSize, new Random(tc.seed * 7919 + this.state.step)));
    }
  }

  /**
   * Phase 5b: the epochs, each a fresh shuffle of length-bucketed batches
   * (rebuilt from the recorded RNG state when resuming mid-epoch); validates
   * at the end of an epoch when `validEvery` is 0.
   */
  private async trainEpochs(): Promise<void> {
    const { tc, state } = this;
    while (state.epoch <= tc.epochs && !this.stopReason) {
      const epochRandom = Random.fromState(state.epochRandom);
      const batches = makeBatches(this.dataset.train.encoded, tc.batchSize, { shuffle: true, random: epochRandom, bucket: true });
      for (let i = state.stepInEpoch; i < batches.length; i++) {
        if (this.mustStop()) break;
        state.stepInEpoch = i + 1;
        await this.trainStep(batches[i]);
        if (this.stopReason) break;
      }
      if (this.stopReason) break;
      if (tc.validEvery === 0 && state.step !== this.lastValidatedStep) await this.validate();
      state.epoch++;
      state.stepInEpoch = 0;
      state.epochRandom = epochRandom.getState();
      this.window.start = Date.now();
    }
    if (!this.stopReason) {
      this.stopReason = 'epochs';
      state.epoch = tc.epochs;
    }
  }

  /** Phase 6: `last/` when stopped by the user, else a final validation if the last step had none; the `done` event. */
  private async finish(): Promise<DoneEvent> {
    const { state } = this;
    if (this.stopReason === 'cancelled') await this.saveLast();
    else if (state.step !== this.lastValidatedStep && state.step > 0) await this.validate();
    const done: DoneEvent = {
      type: 'done',
      reason: this.stopReason!,
      backend: this.backend,
      step: state.step,
      epoch: state.epoch,
      elapsedSeconds: this.elapsed(),
      bestBleu: state.bestBleu,
      bestPerplexity: state.bestPerplexity,
      runDir: this.runDir,
    };
    if (this.stopReason === 'early-stopping') {
      const p = state.patience;
      done.earlyStopping = { metric: this.tc.stopMetric, patience: this.tc.earlyStoppingPatience, minDelta: this.tc.minDelta, sinceStep: p.progressStep, metricValue: p.progressBest, perplexity: p.progressPerplexity };
    }
    await this.emit(done);
    return done;
  }

  // ---- one step ----

  /** One optimisation step on `batch`, then progress, validation and a pause for the event loop. */
  private async trainStep(batch: Batch): Promise<void> {
    const { tc, state } = this;
    this.updateLearningRate();
    const skippedBefore = this.updater.skippedUpdates;
    let loss: number;
    try {
      loss = this.parallel ? await this.parallel.step(this.updater, batch, this.dataset.train.encoded) : this.updater.step(batch);
    } catch (e) {
      if (isOutOfMemory(e)) throw outOfMemory(`Training step ${state.step + 1}`, batch, this.backend, this.keptCheckpoint('The run folder keeps the checkpoint of step'));
      throw e;
    }
    if (this.updater.skippedUpdates > skippedBefore) await this.skippedUpdate();
    else this.nonFiniteInARow = 0;
    state.step++;
    if (Number.isFinite(loss)) {
      this.window.nll += loss * batch.tokens;
      this.window.tokens += batch.tokens;
    }
    if (state.step % tc.logEvery === 0) await this.reportProgress();
    if (tc.validEvery > 0 && state.step % tc.validEvery === 0) {
      await this.validate();
      this.window.start = Date.now(); // keep validation time out of tokens/s
    }
    // Let the event loop run (cancel messages, I/O) between steps.
    await new Promise((r) => setImmediate(r));
  }

  /** The learning rate of the coming step: the `linear` and `inverse-sqrt` schedules set it per step; `plateau` changes it only after validations. */
  private updateLearningRate(): void {
    if (this.tc.schedule === 'linear') {
      this.setLearningRate(linearSchedule(this.tc.learningRate, this.state.step / this.totalSteps, this.elapsed() / this.budgetSeconds));
    } else if (this.tc.schedule === 'inverse-sqrt') {
      this.setLearningRate(inverseSqrtSchedule(this.tc.learningRate, this.state.step + 1, this.tc.warmupSteps));
    }
  }

  private setLearningRate(lr: number): void {
    this.state.learningRate = lr;
    this.updater.learningRate = lr;
    this.parallel?.setLearningRate(lr);
  }

  /**
   * An update skipped because the loss or gradient was not finite: logged;
   * after `train.maxNonFiniteSteps` in a row the run stops.
   * @throws DivergenceError naming the steps and the checkpoint kept
   */
  private async skippedUpdate(): Promise<void> {
    const step = this.state.step + 1;
    this.nonFiniteInARow++;
    await this.log('warn', `step ${step}: the gradient was not finite; update skipped (${this.updater.skippedUpdates} so far)`);
    // From runs recorded before the key existed: its default.
    const maxNonFinite = this.tc.maxNonFiniteSteps ?? DEFAULT_TRAIN.maxNonFiniteSteps;
    if (maxNonFinite <= 0 || this.nonFiniteInARow < maxNonFinite) return;
    const first = step + 1 - this.nonFiniteInARow;
    const kept = this.lastSavedStep >= 0 ? `the run folder keeps its checkpoints (last/ of step ${this.lastSavedStep})` : 'no checkpoint had been saved yet';
    const message =
      `training stopped at step ${step}: the loss or gradient was not finite in ${this.nonFiniteInARow} steps in a row ` +
      `(steps ${first}–${step}; train.maxNonFiniteSteps = ${maxNonFinite}); ${kept}. ` +
      'Lower train.learningRate, turn on or lower train.clipNorm, or check the data, then train again.';
    await this.log('warn', message);
    throw new DivergenceError(message);
  }

  /** The `progress` event: mean loss, perplexity and tokens/s since the last one, and the time left. */
  private async reportProgress(): Promise<void> {
    const { state, window } = this;
    const now = Date.now();
    const secs = (now - window.start) / 1000;
    const secPerStep = secs / Math.max(1, state.step - window.startStep);
    const eta = Math.max(0, Math.min((this.totalSteps - state.step) * secPerStep, this.budgetSeconds - this.elapsed()));
    const meanLoss = window.nll / window.tokens;
    await this.emit({
      type: 'progress',
      backend: this.backend,
      step: state.step,
      epoch: state.epoch,
      loss: meanLoss,
      perplexity: Math.exp(meanLoss),
      tokensPerSecond: (window.tokens - (window.carriedTokens ?? 0)) / secs,
      etaSeconds: eta,
      learningRate: state.learningRate,
      elapsedSeconds: this.elapsed(),
    });
    this.window = { nll: 0, tokens: 0, start: now, startStep: state.step };
  }

  // ---- validation and checkpoints ----

  /**
   * Decode the validation sentences (perplexity and BLEU), then the
   * decisions of `afterValidation`: `best/` when the stop metric improved,
   * plateau decay, early stopping; `last/` unless updates are being skipped.
   */
  private async validate(): Promise<void> {
    const { tc, state, dataset } = this;
    this.lastValidatedStep = state.step;
    const n = this.config.data.maxValidSentences;
    const result = evaluate(this.model, dataset.valid.encoded.slice(0, n), dataset.valid.pairs.slice(0, n).map((p) => p.tgt), dataset.tgtVocab, dataset.tgtTokenizer, {
      beamSize: tc.beamSize,
      lengthPenalty: tc.lengthPenalty,
      maxOutputRatio: tc.maxOutputRatio,
      batchSize: tc.batchSize,
      noRepeatNgramSize: tc.noRepeatNgramSize,
      repetitionPenalty: tc.repetitionPenalty,
    });
    const verdict = afterValidation(state.patience, metricOf(tc.stopMetric, result), result.perplexity, tc, state.step);
    state.patience = verdict.patience;
    if (verdict.isBest) {
      state.bestBleu = result.bleu;
      state.bestPerplexity = result.perplexity;
    }
    const event: ValidationEvent = {
      type: 'validation',
      backend: this.backend,
      step: state.step,
      epoch: state.epoch,
      loss: result.loss,
      perplexity: result.perplexity,
      bleu: result.bleu,
      samples: result.hypotheses.slice(0, SAMPLE_COUNT).map((h, i) => ({ source: dataset.valid.pairs[i].src, reference: result.references[i], hypothesis: h })),
      ...this.alignments(),
      isBest: verdict.isBest,
      learningRate: state.learningRate,
      elapsedSeconds: this.elapsed(),
    };
    await this.emit(event);
    if (verdict.isBest) await this.saveBest({ bleu: result.bleu, perplexity: result.perplexity, loss: result.loss });
    if (verdict.decay) {
      this.setLearningRate(state.learningRate * tc.decayFactor);
      const what = tc.stopMetric === 'perplexity' ? 'validation perplexity has not' : `neither validation ${tc.stopMetric} nor perplexity has`;
      await this.log('info', `${what} improved${tc.minDelta > 0 ? ` by more than ${tc.minDelta}` : ''} for ${tc.decayPatience} validations: learning rate now ${state.learningRate.toExponential(2)}`);
      if (state.learningRate < tc.minLearningRate) this.stopReason = 'min-learning-rate';
    }
    if (verdict.stop) this.stopReason = 'early-stopping';
    // Not while steps are being skipped: last/ stays the checkpoint of the last good update.
    if (this.nonFiniteInARow === 0) await this.saveLast();
  }

  /** The attention of the sample sentences at this validation (`src/core/training/alignments.ts`); none without attention. */
  private alignments(): { alignments?: RecordedAlignment[] } {
    const { tc, dataset } = this;
    const recorded = recordAlignments(this.model, dataset.valid.encoded.slice(0, SAMPLE_COUNT), dataset.srcVocab, dataset.tgtVocab, tc);
    return recorded.length ? { alignments: recorded } : {};
  }

  /** `best/`: the weights of the best validation so far. */
  private async saveBest(valid: NonNullable<CheckpointMeta['valid']>): Promise<void> {
    const { state } = this;
    const meta: CheckpointMeta = { kind: 'best', step: state.step, epoch: state.epoch, time: new Date().toISOString(), valid };
    const p = await saveCheckpoint(this.runDir, meta, await this.model.params.export());
    await this.emit({ type: 'checkpoint', kind: 'best', step: state.step, path: p });
  }

  /**
   * `last/`: weights, Adam moments and trainer state, for an exact resume.
   * The checkpoint event goes into metrics.jsonl before the checkpoint is
   * renamed into place, and trainer.json records the file's length after it:
   * a resume from this checkpoint keeps exactly the lines up to here, one from
   * an earlier checkpoint (a kill before the rename) drops it. The listener
   * hears of it only once it is in place.
   */
  private async saveLast(): Promise<void> {
    const { state, metrics } = this;
    const meta: CheckpointMeta = { kind: 'last', step: state.step, epoch: state.epoch, time: new Date().toISOString() };
    state.elapsedSeconds = this.elapsed();
    state.dropoutRandom = this.dropoutRandom.getState();
    state.lossWindow = { nll: this.window.nll, tokens: this.window.tokens };
    const event: CheckpointEvent = { type: 'checkpoint', kind: 'last', step: state.step, path: path.join(this.runDir, 'last') };
    const before = metrics.bytes;
    await metrics.record(event);
    await metrics.sync();
    state.metricsBytes = metrics.bytes;
    try {
      await saveCheckpoint(this.runDir, meta, await this.model.params.export(), this.updater.optimizer.exportState(), state);
    } catch (e) {
      await metrics.truncate(before);
      throw e;
    }
    this.lastSavedStep = state.step;
    this.opts.listener?.(event);
  }

  // ---- helpers ----

  /** Seconds trained, across resumes. */
  private elapsed(): number {
    return (Date.now() - this.t0) / 1000;
  }

  /** Sets `stopReason` when training must stop before the next step (user request, time or step budget). */
  private mustStop(): boolean {
    if (this.opts.shouldStop?.()) this.stopReason = 'cancelled';
    else if (this.elapsed() >= this.budgetSeconds) this.stopReason = 'time-limit';
    else if (this.tc.maxSteps > 0 && this.state.step >= this.tc.maxSteps) this.stopReason = 'max-steps';
    return this.stopReason !== undefined;
  }

  /** What the run folder keeps, for error messages: `${prefix} N`, or that nothing was saved. */
  private keptCheckpoint(prefix: string): string {
    return this.lastSavedStep >= 0 ? `${prefix} ${this.lastSavedStep}` : 'No checkpoint had been saved yet';
  }

  private async emit(e: TrainingEvent): Promise<void> {
    await this.metrics.record(e);
    this.opts.listener?.(e);
  }

  private log(level: 'info' | 'warn', message: string): Promise<void> {
    return this.emit({ type: 'log', level, message });
  }
}

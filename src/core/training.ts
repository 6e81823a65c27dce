/**
 * The training loop (Joey NMT's `training.py` in spirit): Adam on the masked
 * per-token cross-entropy with teacher forcing, gradient clipping by global
 * norm (Pascanu et al. 2013, alg. 1), periodic validation (perplexity and
 * BLEU), learning-rate decay on plateau, early stopping, best/last
 * checkpoints and exact resume. Emits `TrainingEvent`s and appends each to
 * `<runDir>/metrics.jsonl`.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, wasmHeapBytes } from './backend';
import {
  CheckpointMeta,
  findCheckpoint,
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
} from './checkpoint';
import { exists, withPath } from './durableFs';
import { acquireRunLock, describeLockHolder, type RunLock } from './runLock';
import { DEFAULT_TRAIN, type Seq2SeqConfig, type StopMetric } from './config';
import { checkRunConfig } from './configLoader';
import { Batch, EncodedPair, makeBatch, makeBatches } from './data/batching';
import { DivergenceError, isOutOfMemory, ResourceError, RunFolderWriteError, writeFailureReason } from './errors';
import { disposeAll } from './tensors';
import { competence, curriculumBatch, difficultyOrder } from './data/curriculum';
import { Dataset, loadDataset } from './data/dataset';
import { Vocabulary } from './data/vocabulary';
import type { CheckpointEvent, DoneEvent, ReadingEvent, StopReason, TrainingEvent, TrainingListener, ValidationEvent } from './events';
import type { ReadProgress } from './data/corpus';
import { evaluate } from './evaluation';
import { DataParallel, resolveThreads } from './parallel';
import { Adam } from './optimizer';
import { Updater } from './updater';
import { Seq2SeqModel } from './model/seq2seq';
import { Random, RandomState } from './random';
import { afterValidation, initialPatience, linearSchedule, type Patience } from './schedule';

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
  };
  return state;
}

const SAMPLE_COUNT = 4;

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
      'Lower train.batchSize or data.maxLength (with attention, memory grows with batch size × source length × target length), or model.hiddenSize.' +
      (after ? ` ${after}.` : ''),
  );
}

/**
 * Train a model as configured, writing the run to `opts.outDir`.
 *
 * Holds the run folder's lock (`train.lock`, see `src/core/runLock.ts`) while
 * it runs, and first repairs what a killed run left (`recoverRunFolder`). On
 * resume, metrics.jsonl is cut back to its length when `last/` was written,
 * so no event is recorded twice and a line torn by a kill is dropped.
 * @returns the final `done` event
 * @throws RunLockedError when another training holds the run folder;
 *   RunFolderWriteError when a file of the run folder cannot be written (disk
 *   full, read-only, no permission: training stops, the checkpoints on disk stay loadable);
 *   DataError / CheckpointError / Error for unusable data, a broken run folder or a failed backend
 */
export async function train(opts: TrainOptions): Promise<DoneEvent> {
  const backend = await initBackend();
  const runDir = path.resolve(opts.outDir);
  const progress = { step: -1 };
  try {
    await fs.mkdir(runDir, { recursive: true });
    const lock = await acquireRunLock(runDir);
    try {
      return await trainInRunFolder(opts, backend, runDir, lock, progress);
    } finally {
      await lock.release().catch(() => undefined);
    }
  } catch (e) {
    throw await asWriteFailure(e, runDir, progress.step);
  }
}

/**
 * A write to the run folder that failed (disk full, read-only, no
 * permission) as a RunFolderWriteError saying which file, why, what the run
 * folder still holds (read back from disk) and what to do; other errors unchanged.
 * @param step the step training stopped at (-1: before training started)
 */
async function asWriteFailure(e: unknown, runDir: string, step: number): Promise<unknown> {
  const failure = writeFailureReason(e);
  if (!failure) return e;
  const file = failure.path ?? runDir;
  const kept: string[] = [];
  for (const kind of ['last', 'best'] as const) {
    const dir = await findCheckpoint(runDir, kind).catch(() => undefined);
    if (!dir) continue;
    const meta = await fs.readFile(path.join(dir, 'weights.json'), 'utf8').then((t) => JSON.parse(t).meta as CheckpointMeta, () => undefined);
    if (meta) kept.push(`${kind}/ from step ${meta.step}`);
  }
  const where = step >= 0 ? `Training stopped at step ${step}: cannot write ${file}` : `Cannot write ${file}`;
  const holds = kept.length
    ? `The run folder keeps ${kept.join(' and ')}, which load as they are; once the cause is fixed, continue with "train --resume" (or Resume in VS Code).`
    : 'No checkpoint had been saved yet.';
  const fix = failure.code === 'ENOSPC' || failure.code === 'EDQUOT' ? 'Free some disk space' : 'Make the run folder writable, or train into another folder (--out)';
  return new RunFolderWriteError(`${where}: ${failure.reason}. ${holds} ${fix}.`, failure.code);
}

/**
 * Length in bytes of the complete lines of a file (up to and including its
 * last newline): what is kept of a `metrics.jsonl` whose last line a kill tore.
 */
async function completeLinesLength(file: string): Promise<number> {
  const text = await fs.readFile(file).catch(() => Buffer.alloc(0));
  return text.lastIndexOf(0x0a) + 1;
}

/** `train` once the run folder's lock is held; keeps `progress.step` at the step trained so far. */
async function trainInRunFolder(opts: TrainOptions, backend: string, runDir: string, lock: RunLock, progress: { step: number }): Promise<DoneEvent> {
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  const notes: { level: 'info' | 'warn'; message: string }[] = [];
  if (lock.tookOverFrom) {
    notes.push({ level: 'info', message: `took over the run folder's lock left by a training that no longer runs (${describeLockHolder(lock.tookOverFrom)})` });
  }
  const recovered = await recoverRunFolder(runDir);
  if (recovered.length) notes.push({ level: 'info', message: `cleaned up after an interrupted run: ${recovered.join(', ')}` });
  const hasLast = await exists(path.join(runDir, 'last', 'weights.json'));
  const resuming = opts.resume && hasLast;

  let config = opts.config;
  // Reading progress goes to the listener only: metrics.jsonl is (re)opened once the data is loaded.
  const reading = { onProgress: (p: ReadProgress & { role: ReadingEvent['role'] }) => opts.listener?.({ type: 'reading', ...p }) };
  let dataset: Dataset;
  let manifest: RunManifest;
  let last: LoadedCheckpoint | undefined;
  let metricsBytes = 0;
  if (resuming) {
    const recorded = await readRunManifest(runDir);
    manifest = { ...recorded, config: checkRunConfig(recorded.config, path.join(runDir, 'run.json')) };
    config = { ...manifest.config, train: { ...manifest.config.train, maxMinutes: opts.config.train.maxMinutes, epochs: opts.config.train.epochs } };
    const { bpe } = await loadRunTokenizers(runDir, manifest);
    dataset = await loadDataset(config, { src: Vocabulary.fromJSON(manifest.srcVocab), tgt: Vocabulary.fromJSON(manifest.tgtVocab), bpe }, reading);
  } else {
    dataset = await loadDataset(config, undefined, reading);
    manifest = {
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
    };
    if (!dataset.bpe) await fs.rm(path.join(runDir, BPE_FILE), { force: true });
    await removeCheckpoint(runDir, 'best');
    await removeCheckpoint(runDir, 'last');
    await fs.writeFile(metricsFile, '');
    await writeRunManifest(runDir, manifest);
    await writeSplits(runDir, config, dataset);
  }
  const tc = config.train;
  const model = new Seq2SeqModel(config.model, dataset.srcVocab.size, dataset.tgtVocab.size, tc.seed);
  if (resuming) {
    try {
      // Checked against this model's parameters and optimiser slots before any stored value is read.
      last = await loadCheckpoint(path.join(runDir, 'last'), {
        weights: model.params.specs,
        optimizer: Adam.stateSpecs(model.variables.map((v) => v.shape.slice())),
      });
    } catch (e) {
      model.dispose();
      throw e;
    }
    // Drop what was logged after the checkpoint resumed from (it is about to be trained again,
    // and would otherwise appear twice), and a line a kill tore.
    const saved = last.trainerState?.metricsBytes;
    const size = await fs.stat(metricsFile).then((st) => st.size, () => 0);
    metricsBytes = typeof saved === 'number' && saved <= size ? saved : await completeLinesLength(metricsFile);
    if (size > 0) await fs.truncate(metricsFile, metricsBytes);
  }
  const metrics = await fs.open(metricsFile, 'a');
  let updater: Updater | undefined;
  let parallel: DataParallel | undefined;
  /** Append an event to metrics.jsonl (without telling the listener). */
  const record = async (e: TrainingEvent) => {
    const line = Buffer.from(JSON.stringify(e) + '\n');
    try {
      await metrics.write(line);
    } catch (err) {
      throw withPath(err, metricsFile);
    }
    metricsBytes += line.length;
  };
  const emit = async (e: TrainingEvent) => {
    await record(e);
    opts.listener?.(e);
  };

  try {
    const stepsPerEpoch = Math.ceil(dataset.train.encoded.length / tc.batchSize);
    let state: TrainerState = {
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
    let optimizerState: NamedArray[] | undefined;
    if (last) {
      model.params.import(last.weights);
      optimizerState = last.optimizer;
      state = restoredState(state, last.trainerState ?? {});
    }
    const dropoutRandom = Random.fromState(state.dropoutRandom);
    updater = new Updater(model, tc, dropoutRandom);
    if (optimizerState) updater.optimizer.importState(optimizerState);
    updater.learningRate = state.learningRate;
    const optimizer = updater.optimizer;
    const { threads, why: threadsWhy } = resolveThreads(tc.threads, backend);
    if (threads > 1) {
      try {
        parallel = await DataParallel.start(
          threads,
          {
            model: config.model,
            train: tc,
            srcVocabSize: dataset.srcVocab.size,
            tgtVocabSize: dataset.tgtVocab.size,
            weights: await model.params.export(),
            optimizer: optimizerState,
            learningRate: state.learningRate,
          },
          model.variables.map((v) => v.shape.slice()),
        );
      } catch (e) {
        notes.push({ level: 'warn', message: `data-parallel training could not start (${(e as Error).message}); training on one thread` });
      }
    }
    notes.push({ level: 'info', message: `${parallel ? `data-parallel training on ${parallel.threads} threads` : 'training on one thread'} with the ${backend} backend (${threadsWhy})` });
    const startStep = state.step;
    const totalSteps = tc.curriculumSteps + tc.epochs * stepsPerEpoch;
    await emit({
      type: 'started',
      runDir,
      backend,
      threads: parallel ? parallel.threads : 1,
      parameters: model.params.count,
      trainPairs: dataset.train.encoded.length,
      validPairs: dataset.valid.encoded.length,
      testPairs: dataset.test.encoded.length,
      srcVocabSize: dataset.srcVocab.size,
      tgtVocabSize: dataset.tgtVocab.size,
      stepsPerEpoch,
      totalSteps,
      startStep,
      time: new Date().toISOString(),
    });
    if (dataset.bpe) {
      const b = dataset.bpe;
      const merges = b.joint ? `${b.src.length} joint merges` : `${b.src.length} source and ${b.tgt.length} target merges`;
      notes.push({ level: 'info', message: `BPE: ${merges} ${resuming ? `from ${BPE_FILE}` : 'learned on the training split'} (data.bpe.merges = ${config.data.bpe?.merges})` });
    }
    for (const { level, message } of notes) await emit({ type: 'log', level, message });
    if (resuming) await emit({ type: 'log', level: 'info', message: `resumed from step ${startStep} (epoch ${state.epoch})` });
    if (dataset.filteredOut > 0) {
      await emit({ type: 'log', level: 'info', message: `${dataset.filteredOut} pairs longer than data.maxLength = ${config.data.maxLength} tokens were left out` });
    }

    // wasm: fail now, not hours in, if the largest batch the data can produce does not fit in the
    // 4 GB heap (the module aborts when it cannot grow). Other backends use the process's memory.
    if (backend === 'wasm') {
      const worst = largestBatch(dataset.train.encoded, tc.batchSize);
      try {
        const g = updater.gradients(worst, new Random(tc.seed));
        disposeAll(g.grads);
      } catch (e) {
        if (isOutOfMemory(e)) throw outOfMemory('Training', worst, backend);
        throw e;
      }
      const heap = wasmHeapBytes();
      await emit({
        type: 'log',
        level: 'info',
        message:
          `memory check: the largest batch (${worst.size} pairs, up to ${worst.srcLen} source × ${worst.tgtLen} target tokens) fits` +
          (heap ? `; wasm heap ${(heap.bytes / 2 ** 30).toFixed(2)} GB of ${(heap.limit / 2 ** 30).toFixed(0)} GB` : ''),
      });
    }

    const budgetSeconds = tc.maxMinutes > 0 ? tc.maxMinutes * 60 : Infinity;
    const t0 = Date.now() - state.elapsedSeconds * 1000;
    const elapsed = () => (Date.now() - t0) / 1000;
    const validPairs = dataset.valid.encoded.slice(0, config.data.maxValidSentences);
    const validRefs = dataset.valid.pairs.slice(0, config.data.maxValidSentences).map((p) => p.tgt);
    let lastValidatedStep = -1;
    let stopReason: StopReason | undefined;

    // Consecutive skipped (non-finite) steps; from runs recorded before the key existed: its default.
    let nonFiniteInARow = 0;
    const maxNonFinite = tc.maxNonFiniteSteps ?? DEFAULT_TRAIN.maxNonFiniteSteps;

    let lastSavedStep = resuming ? state.step : -1;
    const saveLast = async () => {
      const meta: CheckpointMeta = { kind: 'last', step: state.step, epoch: state.epoch, time: new Date().toISOString() };
      state.elapsedSeconds = elapsed();
      state.dropoutRandom = dropoutRandom.getState();
      // The checkpoint event goes into metrics.jsonl before the checkpoint is renamed into place,
      // and trainer.json records the file's length after it: a resume from this checkpoint keeps
      // exactly the lines up to here, one from an earlier checkpoint (a kill before the rename) drops it.
      const event: CheckpointEvent = { type: 'checkpoint', kind: 'last', step: state.step, path: path.join(runDir, 'last') };
      const before = metricsBytes;
      await record(event);
      await metrics.sync().catch((err: unknown) => Promise.reject(withPath(err, metricsFile)));
      state.metricsBytes = metricsBytes;
      try {
        await saveCheckpoint(runDir, meta, await model.params.export(), optimizer.exportState(), state);
      } catch (e) {
        await metrics.truncate(before).catch(() => undefined);
        metricsBytes = before;
        throw e;
      }
      lastSavedStep = state.step;
      opts.listener?.(event);
    };

    const validate = async () => {
      lastValidatedStep = state.step;
      const result = evaluate(
        model,
        validPairs,
        validRefs,
        dataset.tgtVocab,
        dataset.tgtTokenizer,
        { beamSize: tc.beamSize, lengthPenalty: tc.lengthPenalty, maxOutputRatio: tc.maxOutputRatio, batchSize: tc.batchSize, noRepeatNgramSize: tc.noRepeatNgramSize, repetitionPenalty: tc.repetitionPenalty },
      );
      const verdict = afterValidation(state.patience, metricOf(tc.stopMetric, result), result.perplexity, tc);
      const isBest = verdict.isBest;
      state.patience = verdict.patience;
      if (isBest) {
        state.bestBleu = result.bleu;
        state.bestPerplexity = result.perplexity;
      }
      const event: ValidationEvent = {
        type: 'validation',
        backend,
        step: state.step,
        epoch: state.epoch,
        loss: result.loss,
        perplexity: result.perplexity,
        bleu: result.bleu,
        samples: result.hypotheses.slice(0, SAMPLE_COUNT).map((h, i) => ({ source: dataset.valid.pairs[i].src, reference: result.references[i], hypothesis: h })),
        isBest,
        learningRate: state.learningRate,
        elapsedSeconds: elapsed(),
      };
      await emit(event);
      if (isBest) {
        const meta: CheckpointMeta = {
          kind: 'best',
          step: state.step,
          epoch: state.epoch,
          time: new Date().toISOString(),
          valid: { bleu: result.bleu, perplexity: result.perplexity, loss: result.loss },
        };
        const p = await saveCheckpoint(runDir, meta, await model.params.export());
        await emit({ type: 'checkpoint', kind: 'best', step: state.step, path: p });
      }
      if (verdict.decay) {
        state.learningRate *= tc.decayFactor;
        updater!.learningRate = state.learningRate;
        parallel?.setLearningRate(state.learningRate);
        await emit({
          type: 'log',
          level: 'info',
          message: `neither validation ${tc.stopMetric === 'perplexity' ? 'perplexity' : `${tc.stopMetric} nor perplexity`} improved for ${tc.decayPatience} validations: learning rate now ${state.learningRate.toExponential(2)}`,
        });
        if (state.learningRate < tc.minLearningRate) stopReason = 'min-learning-rate';
      }
      if (verdict.stop) stopReason = 'early-stopping';
      // Not while steps are being skipped: last/ stays the checkpoint of the last good update.
      if (nonFiniteInARow === 0) await saveLast();
    };

    // Progress window.
    let windowNll = 0;
    let windowTokens = 0;
    let windowStart = Date.now();
    let windowStepsStart = state.step;

    /** One optimisation step on `batch`, then progress, validation and a pause for the event loop. */
    const trainStep = async (batch: Batch): Promise<void> => {
      if (tc.schedule === 'linear') {
        state.learningRate = linearSchedule(tc.learningRate, state.step / totalSteps, elapsed() / budgetSeconds);
        updater!.learningRate = state.learningRate;
        parallel?.setLearningRate(state.learningRate);
      }
      const skippedBefore = updater!.skippedUpdates;
      let loss: number;
      try {
        loss = parallel ? await parallel.step(updater!, batch, dataset.train.encoded) : updater!.step(batch);
      } catch (e) {
        if (isOutOfMemory(e)) {
          const kept = lastSavedStep >= 0 ? `The run folder keeps the checkpoint of step ${lastSavedStep}` : 'No checkpoint had been saved yet';
          throw outOfMemory(`Training step ${state.step + 1}`, batch, backend, kept);
        }
        throw e;
      }
      if (updater!.skippedUpdates > skippedBefore) {
        nonFiniteInARow++;
        await emit({ type: 'log', level: 'warn', message: `step ${state.step + 1}: the gradient was not finite; update skipped (${updater!.skippedUpdates} so far)` });
        if (maxNonFinite > 0 && nonFiniteInARow >= maxNonFinite) {
          const first = state.step + 2 - nonFiniteInARow;
          const kept = lastSavedStep >= 0 ? `the run folder keeps its checkpoints (last/ of step ${lastSavedStep})` : 'no checkpoint had been saved yet';
          const message =
            `training stopped at step ${state.step + 1}: the loss or gradient was not finite in ${nonFiniteInARow} steps in a row ` +
            `(steps ${first}–${state.step + 1}; train.maxNonFiniteSteps = ${maxNonFinite}); ${kept}. ` +
            'Lower train.learningRate, turn on or lower train.clipNorm, or check the data, then train again.';
          await emit({ type: 'log', level: 'warn', message });
          throw new DivergenceError(message);
        }
      } else {
        nonFiniteInARow = 0;
      }
      state.step++;
      progress.step = state.step;
      if (Number.isFinite(loss)) {
        windowNll += loss * batch.tokens;
        windowTokens += batch.tokens;
      }
      if (state.step % tc.logEvery === 0) {
        const now = Date.now();
        const secs = (now - windowStart) / 1000;
        const secPerStep = secs / Math.max(1, state.step - windowStepsStart);
        const remainingSteps = totalSteps - state.step;
        const eta = Math.max(0, Math.min(remainingSteps * secPerStep, budgetSeconds - elapsed()));
        const meanLoss = windowNll / windowTokens;
        await emit({
          type: 'progress',
          backend,
          step: state.step,
          epoch: state.epoch,
          loss: meanLoss,
          perplexity: Math.exp(meanLoss),
          tokensPerSecond: windowTokens / secs,
          etaSeconds: eta,
          learningRate: state.learningRate,
          elapsedSeconds: elapsed(),
        });
        windowNll = 0;
        windowTokens = 0;
        windowStart = now;
        windowStepsStart = state.step;
      }
      if (tc.validEvery > 0 && state.step % tc.validEvery === 0) {
        await validate();
        windowStart = Date.now(); // keep validation time out of tokens/s
      }
      // Let the event loop run (cancel messages, I/O) between steps.
      await new Promise((r) => setImmediate(r));
    };
    /** Sets `stopReason` when training must stop before the next step. */
    const mustStop = (): boolean => {
      if (opts.shouldStop?.()) stopReason = 'cancelled';
      else if (elapsed() >= budgetSeconds) stopReason = 'time-limit';
      return stopReason !== undefined;
    };

    // Curriculum phase (train.curriculumSteps > 0): batches drawn by competence, before the epochs.
    if (state.step < tc.curriculumSteps) {
      const difficulty = difficultyOrder(dataset.train.encoded);
      await emit({ type: 'log', level: 'info', message: `curriculum: ${tc.curriculumSteps} steps from the shortest sources to all (initial competence ${tc.initialCompetence})` });
      while (state.step < tc.curriculumSteps && !stopReason && !mustStop()) {
        const c = competence(state.step, tc.curriculumSteps, tc.initialCompetence);
        // Seeded by the step, so a resumed run draws the same batches.
        await trainStep(curriculumBatch(dataset.train.encoded, difficulty, c, tc.batchSize, new Random(tc.seed * 7919 + state.step)));
      }
    }

    while (state.epoch <= tc.epochs && !stopReason) {
      const epochRandom = Random.fromState(state.epochRandom);
      const batches = makeBatches(dataset.train.encoded, tc.batchSize, { shuffle: true, random: epochRandom, bucket: true });
      for (let i = state.stepInEpoch; i < batches.length; i++) {
        if (mustStop()) break;
        state.stepInEpoch = i + 1;
        await trainStep(batches[i]);
        if (stopReason) break;
      }
      if (stopReason) break;
      if (tc.validEvery === 0 && state.step !== lastValidatedStep) await validate();
      state.epoch++;
      state.stepInEpoch = 0;
      state.epochRandom = epochRandom.getState();
      windowStart = Date.now();
    }
    if (!stopReason) {
      stopReason = 'epochs';
      state.epoch = tc.epochs;
    }
    if (stopReason === 'cancelled') await saveLast();
    else if (state.step !== lastValidatedStep && state.step > 0) await validate();
    const done: DoneEvent = {
      type: 'done',
      reason: stopReason,
      backend,
      step: state.step,
      epoch: state.epoch,
      elapsedSeconds: elapsed(),
      bestBleu: state.bestBleu,
      bestPerplexity: state.bestPerplexity,
      runDir,
    };
    await emit(done);
    return done;
  } finally {
    await metrics.close();
    await parallel?.dispose();
    updater?.dispose();
    model.dispose();
  }
}

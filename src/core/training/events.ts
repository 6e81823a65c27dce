/**
 * Events a training run emits. The trainer (`src/core/training/training.ts`) calls a
 * listener with these; the CLI prints them, writes them to `metrics.jsonl`,
 * and the worker forwards them to the extension host unchanged. Every event
 * that carries metrics names the tfjs backend that produced them.
 */
import type { ReadProgress } from '../data/corpus';

/** Name of the TensorFlow.js backend in use: `tensorflow` (tfjs-node), `wasm` or `cpu`. */
export type BackendName = string;

export interface RunStartedEvent {
  type: 'started';
  /** Absolute path of the run folder (checkpoints, metrics.jsonl, config.json). */
  runDir: string;
  backend: BackendName;
  /** Training threads (data-parallel replicas, the caller's included); absent in runs recorded before it was. */
  threads?: number;
  /**
   * Form of the project's WebAssembly kernels (`src/core/kernels/simd.ts`):
   * `relaxed` (relaxed SIMD, fused multiply–add), `simd` (multiply then add)
   * or `none`; absent in runs recorded before it was.
   */
  simd?: 'relaxed' | 'simd' | 'none';
  /** Trainable parameters (scalars). */
  parameters: number;
  trainPairs: number;
  validPairs: number;
  testPairs: number;
  srcVocabSize: number;
  tgtVocabSize: number;
  /** Steps per epoch at the configured batch size. */
  stepsPerEpoch: number;
  /** Total steps planned (epochs × stepsPerEpoch); training may stop earlier. */
  totalSteps: number;
  /** Step training resumes from (0 for a fresh run). */
  startStep: number;
  /** ISO 8601 start time. */
  time: string;
}

export interface ProgressEvent {
  type: 'progress';
  backend: BackendName;
  /** Optimiser steps taken so far (1-based after the first update). */
  step: number;
  /** Current epoch, 1-based. */
  epoch: number;
  /** Mean per-token cross-entropy (nats) over the steps since the last progress event. */
  loss: number;
  /** exp(loss). */
  perplexity: number;
  /** Non-padding target tokens processed per second of wall time since the last progress event. */
  tokensPerSecond: number;
  /** Estimated seconds to the end of training (time budget or epochs, whichever comes first). */
  etaSeconds: number;
  learningRate: number;
  /** Wall-clock seconds since training started. */
  elapsedSeconds: number;
}

export interface SampleTranslation {
  source: string;
  reference: string;
  hypothesis: string;
}

export interface ValidationEvent {
  type: 'validation';
  backend: BackendName;
  step: number;
  epoch: number;
  /** Mean per-token cross-entropy (nats) on the validation set, teacher forced. */
  loss: number;
  perplexity: number;
  /** Corpus BLEU (0–100, sacreBLEU-compatible) of decoded validation sentences. */
  bleu: number;
  /** A few fixed validation sentences with their current translations. */
  samples: SampleTranslation[];
  /** True when this validation improved the stop metric and the best checkpoint was written. */
  isBest: boolean;
  learningRate: number;
  elapsedSeconds: number;
  /**
   * The attention of the first sample sentences at this step, for the
   * Training panel's alignment slider (`src/core/training/alignments.ts`).
   * Absent for models without attention and in runs recorded before it was.
   */
  alignments?: RecordedAlignment[];
}

/**
 * One sample sentence's alignments at one validation: the model's output and
 * the reference forced through the decoder. Tokens as the model read them
 * (`<unk>` for unknown words, `<eos>` last); weights in per mille (0–1000),
 * `[rows = target tokens][columns = source tokens]`; at most 40 of each.
 */
export interface RecordedAlignment {
  source: string[];
  output: string[];
  outputAttention: number[][];
  reference: string[];
  /** The forced alignment: the attention at each reference step under teacher forcing. */
  referenceAttention: number[][];
  /** The reference's mean log-probability per token (nats). */
  referenceLogProb: number;
  /** Set when a side was longer than 40 tokens and was cut. */
  truncated?: boolean;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  kind: 'best' | 'last';
  step: number;
  /** Absolute path of the checkpoint folder. */
  path: string;
}

export interface LogEvent {
  type: 'log';
  level: 'info' | 'warn';
  message: string;
}

export type StopReason = 'epochs' | 'time-limit' | 'max-steps' | 'early-stopping' | 'min-learning-rate' | 'cancelled';

/**
 * Why early stopping ended a run: the rule that ran out of patience and the
 * values the last validation with progress reached (`src/core/training/schedule.ts`).
 */
export interface EarlyStoppingInfo {
  /** `train.stopMetric`. */
  metric: 'bleu' | 'perplexity' | 'loss';
  /** `train.earlyStoppingPatience`: validations in a row without progress. */
  patience: number;
  /** `train.minDelta`: the improvement that counts as progress. */
  minDelta: number;
  /** Step of the last validation with progress (0 when none made any). */
  sinceStep: number;
  /** The stop metric at that validation. */
  metricValue: number;
  /** Validation perplexity at that validation. */
  perplexity: number;
}

export interface DoneEvent {
  type: 'done';
  reason: StopReason;
  backend: BackendName;
  step: number;
  epoch: number;
  elapsedSeconds: number;
  /** Best validation BLEU seen (NaN if never validated). */
  bestBleu: number;
  /** Validation perplexity at the best checkpoint. */
  bestPerplexity: number;
  runDir: string;
  /** With reason `early-stopping`: what stopped improving (absent in runs recorded before it was). */
  earlyStopping?: EarlyStoppingInfo;
}

/**
 * Progress of reading the data files, before `started`: at most about four a
 * second per file and one with `done: true` at the end of each file. Sent to
 * the listener only, never written to `metrics.jsonl` (the run's record
 * starts with `started`, which carries the pair counts).
 */
export interface ReadingEvent extends ReadProgress {
  type: 'reading';
  /** Which data file of the config is being read (`file` is absolute; for the training file `pairsKept` counts those within `data.maxLength`). */
  role: 'train' | 'valid' | 'test';
}

export type TrainingEvent =
  | ReadingEvent
  | RunStartedEvent
  | ProgressEvent
  | ValidationEvent
  | CheckpointEvent
  | LogEvent
  | DoneEvent;

export type TrainingListener = (event: TrainingEvent) => void;

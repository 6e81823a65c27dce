/**
 * Job and result shapes exchanged between the bench orchestrator
 * (`bench/run.ts`) and its child processes (`bench/lib/child.ts`). Each child
 * runs on one backend, so that backends never share a process and every
 * child's peak RSS belongs to its own measurements.
 */
import type { ModelConfig } from '../../src/core/config/config';
import type { Summary } from './stats';
import type { StepProfile } from '../../src/core/profile';

/** One training-speed measurement. */
export interface TrainCase {
  /** Identifies the row in the results, e.g. `default/wasm/synthetic/t1/full`. */
  id: string;
  /** Batch file to train on (see `bench/lib/batches.ts`). */
  batchFile: string;
  /** Data-parallel threads (1 = `Updater.step`, more = `DataParallel`). */
  threads: number;
  /** `train.softmaxCandidates` (0 = full softmax). */
  softmaxCandidates: number;
  /** `project`: the kernels of `src/core/kernels/wasm.ts`; `stock`: the wasm backend's own (plus the project's UnsortedSegmentSum, without which the stock backend cannot train embeddings). */
  kernels: 'project' | 'stock';
  warmup: number;
  steps: number;
  /** Steps profiled after the timed ones with the step profiler (`src/core/profile.ts`); 0 = none. */
  profileSteps: number;
  /** Keep only timed steps during which other processes used at most this share of the CPUs (`bench/lib/foreign.ts`; default 1: all). */
  maxForeign?: number;
  /** With `maxForeign`: after this many seconds take the steps as they come. */
  maxSeconds?: number;
}

export interface TrainJob {
  kind: 'train';
  /**
   * The model every case builds (`bench/run.ts` `modelOf`, encoder units
   * resolved); the PyTorch peer is given the same sizes and readout.
   */
  model: ModelConfig;
  /** Adam learning rate and global-norm clipping threshold (the example config's). */
  learningRate: number;
  clipNorm: number;
  cases: TrainCase[];
}

/** A translation engine as timed by the benchmark: `Translator.translate`'s `engine`, or `fast-nosimd` (the fast engine loaded with `{ simd: false }`). */
export type TranslateEngine = 'fast' | 'fast-nosimd' | 'tensor';

export interface TranslateJob {
  kind: 'translate';
  model: ModelConfig;
  /** Vocabulary sizes of the saved run (source, target). */
  srcVocab: number;
  tgtVocab: number;
  /** Source sentence lengths in tokens. */
  lengths: number[];
  beams: number[];
  /** Timed translations per (length, beam, engine). */
  repeats: number;
  loads: number;
  /** `Translator.translate` engines to time (default: `fast` only); `fast-nosimd` = `fast` loaded with `{ simd: false }`. */
  engines?: TranslateEngine[];
}

/** The matrix-product ceiling: GFLOP/s of large square products (`bench/lib/ceiling.ts`). */
export interface CeilingJob {
  kind: 'ceiling';
  /** Edge of the square products. */
  n: number;
  /** Timing window per variant (ms). */
  windowMs: number;
}

/** One variant of {@link CeilingJob}. */
export interface CeilingRow {
  /** What ran, e.g. `BatchMatMul (XNNPACK), packed right operand`. */
  label: string;
  /** Short key: `xnnpack`, `xnnpack-fresh`, `xnnpack-tA`, `simd`, `simd-relaxed`. */
  key: string;
  n: number;
  /** Median ms per product over the rounds. */
  ms: number;
  gflops: number;
  /** Why it did not run (e.g. relaxed SIMD not validated here). */
  error?: string;
}

/** Two busy cores against one (`bench/lib/cores.ts`). */
export interface CoresJob {
  kind: 'cores';
  /** Edge of the GEMM's square products. */
  n: number;
  /** The model whose half batches are differentiated (the default configuration). */
  model: ModelConfig;
  softmaxCandidates: number;
  /** Timing window of each measurement (ms). */
  windowMs: number;
  rounds: number;
}

/** What {@link CoresJob} measured: medians over its rounds. */
export interface CoresResult {
  n: number;
  /** GFLOP/s of the packed GEMM on one thread alone, and on each of two threads at once. */
  gemmAloneGflops: number;
  gemmTogetherGflops: number;
  /** ms of the forward and backward pass of 32 sentences on one thread alone, and of the slower of two threads at once. */
  gradientsAloneMs: number;
  gradientsTogetherMs: number;
  softmaxCandidates: number;
}

export type Job = (TrainJob | TranslateJob | CeilingJob | CoresJob) & {
  /** `SEQ2SEQ_BACKEND` for the child. */
  backend: 'wasm' | 'cpu' | 'tensorflow';
  /** Where the child writes its `ChildResult` JSON. */
  out: string;
};


export interface TrainResult {
  id: string;
  /** Trainable parameters of the model. */
  parameters: number;
  /** Per-step wall times (ms), warm-up excluded. */
  stepMs: Summary;
  /** Target tokens (non-padding positions incl. `<eos>`) per second: Σ tokens / Σ step time. */
  tokensPerSec: number;
  /** Sentences per second. */
  sentencesPerSec: number;
  /** Mean target tokens per batch. */
  tokensPerBatch: number;
  /** Loss of the last timed step (sanity: finite and falling). */
  firstLoss: number;
  lastLoss: number;
  /** Timed steps run, the discarded ones (see `TrainCase.maxForeign`) included. */
  stepsSeen?: number;
  /** The largest share of the CPUs other processes used during a kept step (null where not measurable). */
  foreignCpu?: number | null;
  /**
   * Profiled steps (when requested): per thread (this one first, then the
   * data-parallel replicas), categories summed over `steps` steps.
   */
  profile?: { steps: number; threads: StepProfile[] };
  /** Why the case could not run (the other fields are then zero). */
  error?: string;
}

export interface TranslateResult {
  /** `Translator.load` of a saved run: first load and the median of the following ones (ms). */
  loadFirstMs: number;
  /** The first translation after load (cold JIT), ms: the first length, engine and beam of the job. */
  firstTranslateMs: number;
  /** Untimed translations before each timed series. */
  warmUps: number;
  loadMs: Summary;
  /** Size of the checkpoint's weights.bin in bytes. */
  weightsBytes: number;
  parameters: number;
  latency: { srcTokens: number; beam: number; outputTokens: number; ms: Summary; engine?: TranslateEngine }[];
}

/** Extension activation measured by `bench/lib/activationProbe.cjs`, one fresh process per run. */
export interface ActivationResult {
  /** require(dist/extension.js) + activate(context), ms per run. */
  totalMs: Summary;
  requireMs: Summary;
  activateMs: Summary;
  runs: number;
  registeredCommands: number;
  /** Files matching @tensorflow / tfjs loaded by require + activate (must be empty). */
  tfjsModules: string[];
  /** Whether the bundle's text mentions tfjs (`@tensorflow/`, `registerKernel`). */
  bundleMentionsTfjs: boolean;
  bundleBytes: number;
  error?: string;
}

export interface ChildResult {
  backend: string;
  simd: boolean;
  /** The form of the project's SIMD kernels that ran (`src/core/kernels/simd.ts` `simdForm`). */
  simdForm: 'relaxed' | 'simd' | 'none';
  /** Peak resident set size of the child process (MB), worker threads included. */
  peakRssMb: number;
  parameters: number;
  train?: TrainResult[];
  translate?: TranslateResult;
  ceiling?: CeilingRow[];
  cores?: CoresResult;
  error?: string;
}

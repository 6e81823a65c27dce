/**
 * Host ↔ inference-worker protocol. The inference worker (dist/inference.js,
 * `src/worker/inferenceWorker.ts`) runs in a `worker_threads` Worker for the
 * lifetime of the extension and keeps the active model loaded, so the
 * extension host never loads TensorFlow.js. Messages are handled in order.
 */
import type { Translation } from '../core/decoding/translator';

/** What the host needs to know about a loaded model (shown in the Models tree and the attention view). */
export interface ModelSummary {
  /** Config name, or the run folder's name. */
  name: string;
  /** Absolute run folder. */
  runDir: string;
  /** Absolute checkpoint folder in use (`best/` when present, else `last/`). */
  checkpointDir: string;
  /** Recurrent cell, or `transformer` for the Transformer family. */
  cell: string;
  /** Attention kind (`none` = a single fixed context vector, no alignment; `multi-head` for the Transformer). */
  attention: string;
  layers: number;
  /** Recurrent state size, or d_model for the Transformer. */
  hiddenSize: number;
  embeddingSize: number;
  bidirectional: boolean;
  srcVocabSize: number;
  tgtVocabSize: number;
  /** The run's default beam size (1 = greedy). */
  beamSize: number;
  lengthPenalty: number;
  /** Backend the run was trained with (from run.json). */
  trainedBackend: string;
}

/** Host → worker: load (or switch to) a model; a run folder or a checkpoint folder. */
export interface LoadRequest {
  type: 'load';
  modelPath: string;
}

/** Host → worker: translate each line (one source sentence per line); blank lines give empty translations. */
export interface TranslateRequest {
  type: 'translate';
  /** Chosen by the host; echoed in `progress`, `result`, `cancelled` and `error`. */
  id: number;
  lines: string[];
  /** 1 = greedy; default: the run's `train.beamSize`. */
  beamSize?: number;
  /** Candidates reported per target step (default 5). */
  topK?: number;
  /** How many best hypotheses to return in `Translation.nBest` (above 1 only); default: the run's `train.nBest`. */
  nBest?: number;
  /** Record the beam search tree (`Translation.beamTree`, beam above 1 only) for the first this many non-blank lines (default 0). */
  beamTrees?: number;
  /**
   * Lines may be TSV pairs (the training data's layout): a line with a tab
   * translates its source column (the run's `data.srcColumn`) and scores its
   * target column (`data.tgtColumn`) as the reference (`Translation.reference`).
   */
  tsv?: boolean;
  /** What-if decoding: every line's output starts with this forced prefix (`Translation.prefix`). */
  prefix?: { tokens?: string[]; text?: string };
  /** Score this reference for every line (`Translation.reference`). */
  reference?: string;
  /**
   * For the first `beamTrees` lines that have a reference: the beam sizes of
   * their search-error table and the beam size whose tree shows where the
   * reference fell out (`ReferenceAnalysis.searchErrors`, `.tree`).
   */
  referenceBeams?: number[];
  referenceTreeBeam?: number;
}

/** The options of a {@link TranslateRequest} (everything but its envelope and lines). */
export type TranslateRequestOptions = Omit<TranslateRequest, 'type' | 'id' | 'lines'>;

/** Host → worker: stop translation `id` after the current sentence (answered with `cancelled`). */
export interface CancelTranslationRequest {
  type: 'cancel';
  id: number;
}

export type HostToInference = LoadRequest | TranslateRequest | CancelTranslationRequest;

/** Worker → host: the model of the last `load` is ready. */
export interface LoadedMessage {
  type: 'loaded';
  modelPath: string;
  summary: ModelSummary;
  /** tfjs backend the worker runs on (`wasm`, `cpu` or `tensorflow`). */
  backend: string;
  /** Wall milliseconds the load took (backend initialisation included on first load). */
  loadMs: number;
}

/** Worker → host: `done` of `total` lines of request `id` are translated. */
export interface TranslationProgressMessage {
  type: 'progress';
  id: number;
  done: number;
  total: number;
}

/** Worker → host: every line of request `id`, in order. */
export interface TranslationResultMessage {
  type: 'result';
  id: number;
  translations: Translation[];
  /** Wall milliseconds spent translating (excluding waiting in the queue). */
  ms: number;
}

/** Worker → host: request `id` was cancelled before it finished. */
export interface TranslationCancelledMessage {
  type: 'cancelled';
  id: number;
  /** Lines translated before the cancel took effect. */
  done: number;
}

/**
 * Worker → host: a request failed. `id` is set for a translation, absent for
 * a `load`; `message` is for the user (file, what was expected).
 */
export interface InferenceErrorMessage {
  type: 'error';
  id?: number;
  /** Set for a failed `load`. */
  modelPath?: string;
  message: string;
  /** Stack for the log (internal failures only). */
  detail?: string;
}

export type InferenceToHost =
  | LoadedMessage
  | TranslationProgressMessage
  | TranslationResultMessage
  | TranslationCancelledMessage
  | InferenceErrorMessage;

/**
 * Host ↔ training-worker protocol. Both `src/host/` and `src/worker/` import
 * these types; the worker runs in a `worker_threads` Worker and talks only
 * through `postMessage` with these shapes.
 */
import type { Seq2SeqConfig } from '../core/config/config';
import type { TrainingEvent } from '../core/training/events';

/** Host → worker: begin training. Paths in `config` are absolute. */
export interface StartRequest {
  type: 'start';
  config: Seq2SeqConfig;
  /** Folder the run is written to (created if missing). */
  outDir: string;
  /** Continue from `outDir`'s last checkpoint when one exists. */
  resume: boolean;
  /** Config file the run came from (recorded in the run folder). */
  configPath?: string;
}

/** Host → worker: stop as soon as the current step ends, write the last checkpoint, then send `done` with reason `cancelled`. */
export interface CancelRequest {
  type: 'cancel';
}

export type HostToWorker = StartRequest | CancelRequest;

/** Worker → host: a training event, forwarded unchanged from the trainer. */
export interface EventMessage {
  type: 'event';
  event: TrainingEvent;
}

/** Worker → host: training could not start or failed; `message` is for the user (file, line, what was expected). */
export interface ErrorMessage {
  type: 'error';
  message: string;
  /** Stack or extra detail for the log. */
  detail?: string;
}

export type WorkerToHost = EventMessage | ErrorMessage;

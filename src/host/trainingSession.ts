/**
 * One training job in a `worker_threads` Worker (dist/worker.js). The worker
 * speaks src/protocol/worker.ts; this class starts it, forwards its events,
 * and turns every way it can end (done, error message, crash, exit, forced
 * stop) into exactly one `onEnded` call. No `vscode` import, so it is tested
 * in plain Node with a fake worker script. The failure messages it builds
 * itself are translated (`l10n.t`); the worker's own are passed on as they are.
 */
import { existsSync } from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { releaseThreadLock } from '../core/runs/runLock';
import type { DoneEvent, TrainingEvent } from '../core/training/events';
import type { HostToWorker, StartRequest, WorkerToHost } from '../protocol/worker';
// @vscode/l10n itself, the instance src/shared/l10n.ts configures: vscode-l10n-dev extracts
// l10n.t('…') only from files that import it from 'vscode' or '@vscode/l10n'.
import * as l10n from '@vscode/l10n';

/** How a worker that went away without a word ended (the host's view of it). */
export type WorkerDeath =
  /** Exited (process.exit, or stopped by its runtime) with this code. */
  | { kind: 'exit'; code: number }
  /** Killed by V8 at its heap limit (`resourceLimits`, setting `seq2seq.worker.maxMemoryMb`). */
  | { kind: 'outOfMemory'; limitMb?: number }
  /** An uncaught exception ended it. */
  | { kind: 'crash'; error: string };

/** How a session ended. */
export type SessionOutcome =
  | { kind: 'finished'; done: DoneEvent }
  /** Cancelled: `done` is present when the worker acknowledged (reason `cancelled`), absent when it was terminated. */
  | { kind: 'stopped'; done?: DoneEvent }
  /** `death` is set when the worker died (crash, exit, out of memory) rather than reporting an error. */
  | { kind: 'failed'; message: string; detail?: string; death?: WorkerDeath };

export interface SessionListener {
  onEvent(event: TrainingEvent): void;
  onEnded(outcome: SessionOutcome): void;
}

export interface SessionOptions {
  /** Absolute path of the worker script. */
  workerPath: string;
  /** Extra environment for the worker (e.g. `SEQ2SEQ_BACKEND`). */
  env?: Record<string, string>;
  /** Milliseconds to wait for `done` after a cancel request before terminating the worker (default 10 000). */
  cancelGraceMs?: number;
  /** Heap limit of the worker in MB (`resourceLimits.maxOldGenerationSizeMb`); unset or 0: Node's default. */
  maxMemoryMb?: number;
}

/** See module doc. `start` may be called once. */
export class TrainingSession {
  private worker: Worker | undefined;
  private ended = false;
  private cancelRequested = false;
  private cancelTimer: NodeJS.Timeout | undefined;
  private readonly endWaiters: (() => void)[] = [];

  constructor(
    private readonly options: SessionOptions,
    private readonly listener: SessionListener,
  ) {}

  /** True between `start` and the `onEnded` call. */
  get active(): boolean {
    return this.worker !== undefined && !this.ended;
  }

  /** True once `cancel` was called. */
  get stopping(): boolean {
    return this.cancelRequested;
  }

  /**
   * Spawn the worker and send it `request`. A worker that cannot be created
   * (missing file) ends the session as failed rather than throwing.
   */
  start(request: StartRequest): void {
    if (this.worker || this.ended) throw new Error('TrainingSession.start may be called only once');
    let worker: Worker;
    if (!existsSync(this.options.workerPath)) {
      this.finish({ kind: 'failed', message: l10n.t('The training worker is missing ({0}); build the extension with `npm run build`.', this.options.workerPath) });
      return;
    }
    try {
      const limitMb = this.options.maxMemoryMb;
      worker = new Worker(this.options.workerPath, {
        env: { ...process.env, ...(this.options.env ?? {}) },
        ...(limitMb && limitMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: limitMb } } : {}),
      });
    } catch (err) {
      this.finish({ kind: 'failed', message: l10n.t('Could not start the training worker ({0}): {1}', this.options.workerPath, errorText(err)) });
      return;
    }
    this.worker = worker;
    worker.on('message', (msg: WorkerToHost) => this.onMessage(msg));
    worker.on('error', (err) => {
      if ((err as NodeJS.ErrnoException)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        const limitMb = this.options.maxMemoryMb && this.options.maxMemoryMb > 0 ? this.options.maxMemoryMb : undefined;
        this.finish({
          kind: 'failed',
          message: limitMb
            ? l10n.t('Training worker ran out of memory (heap limit {0} MB).', limitMb)
            : l10n.t('Training worker ran out of memory.'),
          detail: err instanceof Error ? err.stack : undefined,
          death: { kind: 'outOfMemory', limitMb },
        });
        return;
      }
      this.finish({
        kind: 'failed',
        message: l10n.t('Training worker crashed: {0}', errorText(err)),
        detail: err instanceof Error ? err.stack : undefined,
        death: { kind: 'crash', error: errorText(err) },
      });
    });
    const workerThread = worker.threadId;
    worker.on('exit', (code) => {
      // A worker terminated mid-training cannot release the run folder's lock; its pid (this
      // process) stays alive, so nobody else could tell the lock is stale.
      releaseThreadLock(path.resolve(request.outDir), workerThread);
      if (this.cancelRequested) this.finish({ kind: 'stopped' });
      else this.finish({ kind: 'failed', message: l10n.t('Training worker exited unexpectedly (exit code {0}) before training finished.', code), death: { kind: 'exit', code } });
    });
    this.post(request);
  }

  /**
   * Ask the worker to stop after the current step (it writes the last
   * checkpoint and sends `done` with reason `cancelled`); terminate it when
   * no `done` arrives within `cancelGraceMs`. Resolves when the session has ended.
   */
  cancel(): Promise<void> {
    if (!this.active) return Promise.resolve();
    const ended = new Promise<void>((resolve) => this.endWaiters.push(resolve));
    if (!this.cancelRequested) {
      this.cancelRequested = true;
      this.post({ type: 'cancel' });
      this.cancelTimer = setTimeout(() => void this.worker?.terminate(), this.options.cancelGraceMs ?? 10_000);
    }
    return ended;
  }

  /** Terminate the worker at once (extension deactivation). */
  dispose(): void {
    this.cancelRequested = true;
    if (this.worker && !this.ended) void this.worker.terminate();
    this.finish({ kind: 'stopped' });
  }

  private onMessage(msg: WorkerToHost): void {
    if (this.ended) return;
    if (msg.type === 'event') {
      this.listener.onEvent(msg.event);
      if (msg.event.type === 'done') {
        const done = msg.event;
        this.finish(done.reason === 'cancelled' ? { kind: 'stopped', done } : { kind: 'finished', done });
        void this.worker?.terminate();
      }
    } else if (msg.type === 'error') {
      this.finish({ kind: 'failed', message: msg.message, detail: msg.detail });
      void this.worker?.terminate();
    }
  }

  private post(msg: HostToWorker): void {
    this.worker?.postMessage(msg);
  }

  private finish(outcome: SessionOutcome): void {
    if (this.ended) return;
    this.ended = true;
    if (this.cancelTimer) clearTimeout(this.cancelTimer);
    try {
      this.listener.onEnded(outcome);
    } finally {
      for (const resolve of this.endWaiters.splice(0)) resolve();
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

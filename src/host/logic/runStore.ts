/**
 * The host's record of the training run being shown: every event in arrival
 * order, whether a worker is still running it, and how it failed. The
 * Training panel is created with `retainContextWhenHidden: false`, so each
 * time its page (re)loads it asks for a replay and the store rebuilds it.
 * Reading events (data loading) keep only the latest one per file.
 * No `vscode` import (unit-tested in plain Node).
 */
import type { DoneEvent, ProgressEvent, TrainingEvent, ValidationEvent } from '../../core/training/events';
import type { JobInfo, ReplayMessage, ResumeInfo, RunInfo } from '../../protocol/trainingPanel';

/** Final state of a run as the host sees it (`interrupted`: ended without finishing, resumable). */
export type RunState = 'running' | 'finished' | 'stopped' | 'failed' | 'interrupted';

export interface RunStoreOptions {
  /**
   * Most progress events kept; beyond it the older half of the progress
   * history is thinned (every second one dropped), so memory and replay size
   * stay bounded on very long runs while the curve keeps its shape. Other
   * event types are always kept.
   */
  maxProgressEvents?: number;
}

/** One training run's event history (see module doc). */
export class RunStore {
  private _run: RunInfo | undefined;
  private _events: TrainingEvent[] = [];
  private _running = false;
  private _failure: string | undefined;
  private _progressCount = 0;
  private _lastProgress: ProgressEvent | undefined;
  private _lastValidation: ValidationEvent | undefined;
  private _done: DoneEvent | undefined;
  private _resumable: ResumeInfo | undefined;
  private _job: JobInfo | undefined;
  private readonly maxProgress: number;

  constructor(options: RunStoreOptions = {}) {
    this.maxProgress = Math.max(16, options.maxProgressEvents ?? 20_000);
  }

  /** Forget the previous run and start recording `run`. */
  begin(run: RunInfo): void {
    this._run = run;
    this._events = [];
    this._running = true;
    this._failure = undefined;
    this._progressCount = 0;
    this._lastProgress = undefined;
    this._lastValidation = undefined;
    this._done = undefined;
    this._resumable = undefined;
    this._job = undefined;
  }

  /**
   * Record one event of the current run. A `done` event ends the run.
   * Returns false (and records nothing) when no run was begun.
   */
  append(event: TrainingEvent): boolean {
    if (!this._run) return false;
    // Of the reading progress of a file only the latest counts: it replaces the previous one.
    const prev = this._events[this._events.length - 1];
    if (event.type === 'reading' && prev?.type === 'reading' && !prev.done && prev.role === event.role) this._events.pop();
    this._events.push(event);
    switch (event.type) {
      case 'progress':
        this._lastProgress = event;
        this._progressCount++;
        if (this._progressCount > this.maxProgress) this.thin();
        break;
      case 'validation':
        this._lastValidation = event;
        break;
      case 'done':
        this._done = event;
        this._running = false;
        break;
    }
    return true;
  }

  /**
   * Mark the run as failed with a user-facing message (the worker is gone);
   * `resumable` when it kept a `last/` checkpoint to resume from.
   */
  fail(message: string, resumable?: ResumeInfo): void {
    this._failure = message;
    this._running = false;
    this._resumable = resumable;
  }

  /** Mark the recorded run as interrupted (stopped without finishing, by a worker that is gone) and resumable from `info`. */
  interrupt(info: ResumeInfo): void {
    this._running = false;
    this._resumable = info;
  }

  /**
   * Continue the recorded run in a new worker that resumes from the
   * checkpoint at `fromStep`: what was recorded after that checkpoint is
   * dropped (the trainer cuts metrics.jsonl back to the same point and
   * trains those steps again), the rest is kept, and new events append.
   */
  resume(fromStep: number): void {
    if (!this._run) return;
    let cut = -1;
    for (let i = this._events.length - 1; i >= 0; i--) {
      const e = this._events[i];
      if (e.type === 'checkpoint' && e.kind === 'last' && e.step === fromStep) {
        cut = i;
        break;
      }
    }
    this._events =
      cut >= 0
        ? this._events.slice(0, cut + 1)
        : this._events.filter((e) => e.type === 'done' || !('step' in e) || e.step <= fromStep);
    this._events = this._events.filter((e) => e.type !== 'done');
    this._running = true;
    this._failure = undefined;
    this._resumable = undefined;
    this._done = undefined;
    this._lastProgress = undefined;
    this._lastValidation = undefined;
    this._progressCount = 0;
    for (const e of this._events) {
      if (e.type === 'progress') {
        this._lastProgress = e;
        this._progressCount++;
      } else if (e.type === 'validation') this._lastValidation = e;
    }
  }

  /** Mark the run as ended without a `done` event (e.g. the worker was terminated after a stop request). */
  end(): void {
    this._running = false;
  }

  get run(): RunInfo | undefined {
    return this._run;
  }
  get running(): boolean {
    return this._running;
  }
  get failure(): string | undefined {
    return this._failure;
  }
  get lastProgress(): ProgressEvent | undefined {
    return this._lastProgress;
  }
  get lastValidation(): ValidationEvent | undefined {
    return this._lastValidation;
  }
  get done(): DoneEvent | undefined {
    return this._done;
  }
  /** Where the run can be resumed from (set for an interrupted run and a failed one that kept a checkpoint). */
  get resumable(): ResumeInfo | undefined {
    return this._resumable;
  }
  /** Events recorded so far, in arrival order (a copy). */
  get events(): TrainingEvent[] {
    return this._events.slice();
  }

  /** The run's state: running, finished (done, not cancelled), stopped (cancelled or terminated) or failed. */
  get state(): RunState | undefined {
    if (!this._run) return undefined;
    if (this._failure !== undefined) return 'failed';
    if (this._running) return 'running';
    if (this._done && this._done.reason !== 'cancelled') return 'finished';
    if (!this._done && this._resumable) return 'interrupted';
    return 'stopped';
  }

  /** The Slurm job of a followed run while it runs or waits (undefined otherwise, and once the run ended). */
  get job(): JobInfo | undefined {
    return this._running ? this._job : undefined;
  }
  set job(job: JobInfo | undefined) {
    this._job = job;
  }

  /** The message that brings a freshly loaded Training panel up to date. */
  replay(): ReplayMessage {
    const interrupted = this.state === 'interrupted' ? this._resumable : undefined;
    const job = this.job;
    return { type: 'replay', run: this._run, events: this.events, running: this._running, ...(interrupted ? { interrupted } : {}), ...(job ? { job } : {}) };
  }

  /** Drop every second progress event in the older half of the history (keeps order and the latest detail). */
  private thin(): void {
    const progressIdx: number[] = [];
    this._events.forEach((e, i) => {
      if (e.type === 'progress') progressIdx.push(i);
    });
    const half = Math.floor(progressIdx.length / 2);
    const drop = new Set<number>();
    for (let k = 1; k < half; k += 2) drop.add(progressIdx[k]);
    this._events = this._events.filter((_, i) => !drop.has(i));
    this._progressCount -= drop.size;
  }
}

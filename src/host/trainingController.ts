/**
 * Owns everything about "the" training run (only one at a time): the worker
 * session, the event store, the output channel, the status bar, the Training
 * panel and the `seq2seq.training` context key (enables "Stop Training").
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Seq2SeqConfig } from '../core/config/config';
import type { TrainingEvent } from '../core/training/events';
import type { JobInfo, ResumeInfo, RunInfo } from '../protocol/trainingPanel';
import { describeStopReason, eventLogLine, formatBleu, readingText } from '../shared/format';
import { readInterruption } from './logic/interruptedRuns';
import { FollowedJob } from './logic/followedJob';
import { MetricsFollower } from './logic/metricsFollower';
import { parseMetricsJsonl, readRunEntry } from './logic/modelsList';
import { RunStore } from './logic/runStore';
import { TrainingPanel } from './trainingPanel';
import { TrainingSession, type SessionOutcome, type WorkerDeath } from './trainingSession';
import { TrainingStatusBar } from './statusBar';
import { waitForTrust } from './trust';

/** Context key true while a run is training. */
export const TRAINING_CONTEXT_KEY = 'seq2seq.training';
/** Context key: a run finished in this window (completes the walkthrough's "watch it learn" step). */
export const FINISHED_RUN_CONTEXT_KEY = 'seq2seq.finishedRun';

export interface StartOptions {
  run: RunInfo;
  /** Validated config with absolute paths. */
  config: Seq2SeqConfig;
  resume?: boolean;
  /**
   * No "finished" notification when the run ends (the status bar and the
   * panel still say so): for runs started one after another by a command that
   * reports on all of them, e.g. an ablation. Failures are still notified.
   */
  quiet?: boolean;
}

/** How often the Training panel reads the metrics.jsonl of a run it follows (ms). */
export const FOLLOW_MS = 2_000;

/** How to follow a run that another machine trains (see `TrainingController.followRun`). */
export interface FollowOptions {
  /** True while its job is queued or running. */
  isActive(): boolean;
  /** The panel's Stop: e.g. cancel the Slurm job. */
  onStop?(): void;
  /** Whether its job waits in the queue (not started, or requeued) and why, shown in the panel's header. */
  job?(): JobInfo | undefined;
}

/** How a run ended, for whoever waits for it (e.g. an ablation): the session's outcome and, for a failure, the message shown to the user. */
export interface RunEnd {
  run: RunInfo | undefined;
  outcome: SessionOutcome;
  failure?: string;
}

export class TrainingController implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  private readonly store = new RunStore();
  private readonly statusBar = new TrainingStatusBar();
  private readonly panel: TrainingPanel;
  private session: TrainingSession | undefined;
  /** The run being trained was started with `quiet` (see {@link StartOptions.quiet}). */
  private quietRun = false;
  private readonly ended = new vscode.EventEmitter<RunInfo | undefined>();
  /** Fires when a run ends (finished, stopped or failed), e.g. to refresh the Models tree. */
  readonly onDidEndRun = this.ended.event;
  private readonly endedWithOutcome = new vscode.EventEmitter<RunEnd>();
  /** Fires after {@link onDidEndRun} with how the run ended. */
  readonly onDidEndRunWithOutcome = this.endedWithOutcome.event;
  /** The run another machine trains that the panel follows (see {@link followRun}). */
  private followed: { run: RunInfo; follower: MetricsFollower; timer: NodeJS.Timeout; opts: FollowOptions; job: FollowedJob; held?: TrainingEvent; busy: boolean } | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Seq2Seq', { log: true });
    this.panel = new TrainingPanel(context.extensionUri, this.store, {
      onStop: () => void this.stop(),
      onRevealRun: () => this.revealRun(),
      onResume: () => {
        const run = this.store.run;
        if (run) void this.resume(run);
      },
      log: (message) => this.output.warn(message),
    });
  }

  /** True while a worker is training. */
  get isTraining(): boolean {
    return this.session?.active ?? false;
  }

  /** The run being (or last) trained. */
  get currentRun(): RunInfo | undefined {
    return this.store.run;
  }

  /** Start a run in a new worker. Call {@link stop} first if one is training. */
  start(opts: StartOptions): void {
    if (this.isTraining) throw new Error(vscode.l10n.t('A training run is already in progress.'));
    this.unfollow();
    // Resuming the run shown: keep its recorded curves (up to the checkpoint resumed from); new events append.
    const shown = this.store.run && path.resolve(this.store.run.runDir) === path.resolve(opts.run.runDir);
    const from = shown ? this.store.resumable?.checkpointStep : undefined;
    if (opts.resume && from !== undefined) this.store.resume(from);
    else this.store.begin(opts.run);
    this.quietRun = opts.quiet ?? false;
    this.output.info(vscode.l10n.t('Training {0} with {1} → {2}', opts.run.name, opts.run.configPath, opts.run.runDir));
    const backend = vscode.workspace.getConfiguration('seq2seq').get<string>('backend', 'auto');
    const env: Record<string, string> = backend && backend !== 'auto' ? { SEQ2SEQ_BACKEND: backend } : {};
    // The threads of runs whose config says train.threads = auto (resolveThreads in src/core/training/parallel.ts).
    const threads = String(vscode.workspace.getConfiguration('seq2seq').get<string | number>('threads', 'auto')).trim();
    if (threads && threads !== 'auto') env.SEQ2SEQ_THREADS = threads;
    const maxMemoryMb = vscode.workspace.getConfiguration('seq2seq').get<number>('worker.maxMemoryMb', 0);
    const session = new TrainingSession(
      { workerPath: path.join(this.context.extensionPath, 'dist', 'worker.js'), env, maxMemoryMb },
      {
        onEvent: (e) => {
          if (this.session === session) this.onEvent(e);
        },
        onEnded: (o) => {
          if (this.session === session) this.onEnded(o);
        },
      },
    );
    this.session = session;
    void vscode.commands.executeCommand('setContext', TRAINING_CONTEXT_KEY, true);
    this.statusBar.show({ phase: 'preparing' }, vscode.l10n.t('Preparing {0}…', opts.run.name));
    if (vscode.workspace.getConfiguration('seq2seq').get<boolean>('showPanelOnStart', true)) this.panel.show(true);
    this.panel.replay();
    session.start({ type: 'start', config: opts.config, outDir: opts.run.runDir, resume: opts.resume ?? false, configPath: opts.run.configPath || undefined });
  }

  /**
   * Continue `run` (interrupted, or failed after a checkpoint) from its
   * `last/` checkpoint, with the config recorded in its run.json (as
   * `seq2seq train --resume` does). The Training panel keeps the recorded
   * curves and the new events continue them. Says why when it cannot.
   */
  async resume(run: RunInfo): Promise<boolean> {
    if (this.isTraining) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('Seq2Seq: cannot resume {0} while {1} is training; stop it first.', run.name, this.store.run?.name ?? vscode.l10n.t('another run')),
      );
      return false;
    }
    if (!(await waitForTrust('train', (m) => this.output.info(m)))) return false;
    const entry = await readRunEntry(run.runDir).catch(() => undefined);
    if (!entry?.config) {
      const why = entry?.problem ?? vscode.l10n.t('{0} has no readable run.json', run.runDir);
      void vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq: cannot resume {0}: {1}', run.name, why));
      return false;
    }
    const info = await readInterruption(run.runDir);
    if (!info) {
      void vscode.window.showWarningMessage(
        vscode.l10n.t('Seq2Seq: {0} cannot be resumed: it has no last/ checkpoint, it finished, or another training is using its folder.', run.name),
      );
      return false;
    }
    if (this.isTraining) return false; // started meanwhile
    const shown = this.store.run && path.resolve(this.store.run.runDir) === path.resolve(run.runDir);
    if (!shown || !this.store.resumable) {
      // Not the run on show (e.g. resumed from the Models tree): load its recorded events first.
      const events = await this.readRecordedEvents(run.runDir);
      this.store.begin(run);
      for (const e of events) this.store.append(e);
      this.store.interrupt(info);
    } else {
      this.store.interrupt(info); // the checkpoint on disk is the truth
    }
    this.output.info(vscode.l10n.t('Resuming {0} from its last checkpoint (step {1}); it had reached step {2}.', run.name, info.checkpointStep, info.step));
    this.start({ run: { ...run, configPath: run.configPath || entry.configPath || '' }, config: entry.config, resume: true });
    return true;
  }

  /**
   * Show an interrupted run (found at start-up, see src/host/logic/interruptedRuns.ts)
   * with its recorded events: the panel (when open) and the status bar say
   * where it stopped and offer Resume. False while a run is training.
   */
  showInterruptedRun(run: RunInfo, events: TrainingEvent[], info: ResumeInfo): boolean {
    if (this.isTraining) return false;
    this.unfollow();
    this.store.begin(run);
    for (const e of events) this.store.append(e);
    this.store.interrupt(info);
    this.panel.replay();
    this.statusBar.show(
      { phase: 'interrupted', name: run.name, step: info.step },
      vscode.l10n.t('Training of {0} was interrupted at step {1}; the last checkpoint is at step {2}. Click to show the panel and resume.', run.name, info.step, info.checkpointStep),
    );
    return true;
  }

  /** Take over a Training panel VS Code restored after a reload (WebviewPanelSerializer). */
  restorePanel(panel: vscode.WebviewPanel): void {
    this.panel.adopt(panel);
  }

  /** A run folder's recorded events (metrics.jsonl; empty when it has none). */
  async readRecordedEvents(runDir: string): Promise<TrainingEvent[]> {
    const text = await fs.readFile(path.join(runDir, 'metrics.jsonl'), 'utf8').catch(() => '');
    return parseMetricsJsonl(text).events;
  }

  /** Ask the running worker to stop (checkpoint, then `done`); resolves when it has ended. */
  async stop(): Promise<void> {
    const session = this.session;
    if (!session?.active) {
      // Stop on a run another machine trains: its own way of stopping (a Slurm job: cancel it).
      if (this.followed?.opts.onStop && this.store.running) this.followed.opts.onStop();
      return;
    }
    if (!session.stopping) {
      this.output.info(vscode.l10n.t('Stopping after the current step…'));
      this.statusBar.show({ phase: 'stopping' });
    }
    await session.cancel();
  }

  /** Open or reveal the Training panel; `preserveFocus` keeps the focus where it is (a click in the Models view). */
  showPanel(preserveFocus = false): void {
    this.panel.show(preserveFocus);
  }

  /**
   * Show a finished run's recorded events (its metrics.jsonl) in the Training
   * panel. Returns false, showing nothing, while a run is training (the panel
   * belongs to that run then).
   */
  showRecordedRun(run: RunInfo, events: TrainingEvent[], interrupted?: ResumeInfo, preserveFocus = false): boolean {
    if (this.isTraining) return false;
    this.unfollow();
    this.store.begin(run);
    for (const e of events) this.store.append(e);
    if (interrupted) this.store.interrupt(interrupted);
    else this.store.end();
    this.panel.show(preserveFocus);
    this.panel.replay();
    return true;
  }

  /**
   * Show a run that another machine trains (a Slurm task writing to a shared
   * file system) and follow it: its metrics.jsonl is read every
   * {@link FOLLOW_MS} (polling, since file-change notifications do not cover
   * writes of other machines), new events are appended to the panel, and a
   * file that shrank (a requeued task resuming from last/) is shown again
   * from its start. While the job is still queued or running, a final
   * `done` with reason `cancelled` (the task stopped to requeue itself) is
   * held back. False, showing nothing, while this window trains a run.
   */
  followRun(run: RunInfo, opts: FollowOptions): boolean {
    if (this.isTraining) return false;
    this.unfollow();
    this.store.begin(run);
    const follower = new MetricsFollower(path.join(run.runDir, 'metrics.jsonl'));
    const timer = setInterval(() => void this.pollFollowed(), FOLLOW_MS);
    this.followed = { run, follower, timer, opts, job: new FollowedJob(), busy: false };
    this.panel.show(false);
    this.panel.replay();
    void this.pollFollowed();
    return true;
  }

  /** The run folder the panel follows (see {@link followRun}), if any. */
  get followedRun(): string | undefined {
    return this.followed?.run.runDir;
  }

  private async pollFollowed(): Promise<void> {
    const f = this.followed;
    if (!f || f.busy) return;
    f.busy = true;
    try {
      const got = await f.follower.poll();
      if (this.followed !== f) return;
      const active = f.opts.isActive();
      // The file is fresher than Slurm's last answer: a started attempt is shown running before the
      // monitor's next poll. Posted before the events, so the panel never shows their steps as queued.
      const job = f.job.show(active ? f.opts.job?.() : undefined, got?.events ?? []);
      const shown = this.store.job;
      if (job?.queued !== shown?.queued || job?.note !== shown?.note) {
        this.store.job = job;
        this.panel.post({ type: 'job', job });
      }
      if (got) {
        if (got.reset) {
          this.store.begin(f.run);
          this.store.job = job; // the replay below carries it
          f.held = undefined;
        }
        const events = [...got.events];
        const last = events[events.length - 1];
        if (last?.type === 'done' && last.reason === 'cancelled' && active) f.held = events.pop();
        for (const e of events) {
          this.store.append(e);
          if (!got.reset) this.panel.post({ type: 'event', event: e });
        }
        if (got.reset) this.panel.replay();
      }
      if (!active) {
        if (f.held) {
          const held = f.held;
          f.held = undefined;
          this.store.append(held);
          this.panel.post({ type: 'event', event: held });
        }
        if (this.store.running) {
          this.store.end();
          this.panel.replay();
        }
        // The job has ended and the file is read to its end: nothing more to follow.
        if (!got) this.unfollow();
      }
    } finally {
      f.busy = false;
    }
  }

  private unfollow(): void {
    if (!this.followed) return;
    clearInterval(this.followed.timer);
    this.followed = undefined;
  }

  private onEvent(e: TrainingEvent): void {
    this.store.append(e);
    if (e.type === 'log' && e.level === 'warn') this.output.warn(eventLogLine(e));
    else if (e.type !== 'reading' || e.done) this.output.info(eventLogLine(e));
    if (e.type === 'progress' && !this.session?.stopping) this.statusBar.showProgress(e);
    if (e.type === 'reading' && !this.session?.stopping) this.statusBar.show(e.done ? { phase: 'preparing' } : { phase: 'reading', reading: e }, readingText(e));
    this.panel.post({ type: 'event', event: e });
  }

  private onEnded(o: SessionOutcome): void {
    void vscode.commands.executeCommand('setContext', TRAINING_CONTEXT_KEY, false);
    this.ended.fire(this.store.run);
    const name = this.store.run?.name ?? vscode.l10n.t('run');
    const run = this.store.run;
    let failure: string | undefined;
    if ((o.kind === 'finished' || o.kind === 'stopped') && o.done) void vscode.commands.executeCommand('setContext', FINISHED_RUN_CONTEXT_KEY, true);
    switch (o.kind) {
      case 'finished':
      case 'stopped':
        if (o.done) {
          this.statusBar.show({ phase: 'done', done: o.done }, vscode.l10n.t('{0}: {1}. Click to show the panel.', name, describeStopReason(o.done.reason)));
        } else {
          this.store.end();
          this.output.warn(vscode.l10n.t('The worker did not stop in time and was terminated; the last checkpoint may be missing.'));
          this.statusBar.show({ phase: 'failed' }, vscode.l10n.t('{0} was terminated', name));
          this.panel.replay();
        }
        if (o.kind === 'finished' && !this.quietRun) {
          const reason = describeStopReason(o.done.reason);
          const message = Number.isFinite(o.done.bestBleu)
            ? vscode.l10n.t('Seq2Seq: {0} finished ({1}). Best BLEU {2}.', name, reason, formatBleu(o.done.bestBleu))
            : vscode.l10n.t('Seq2Seq: {0} finished ({1}).', name, reason);
          const showPanel = vscode.l10n.t('Show Panel');
          const reveal = vscode.l10n.t('Reveal Run Folder');
          void vscode.window.showInformationMessage(message, showPanel, reveal).then((choice) => {
            if (choice === showPanel) this.showPanel();
            else if (choice === reveal) this.revealRun();
          });
        }
        break;
      case 'failed': {
        const step = this.store.lastProgress?.step;
        const checkpointStep = this.lastCheckpointStep();
        const resumable: ResumeInfo | undefined =
          checkpointStep !== undefined ? { step: Math.max(step ?? 0, checkpointStep), checkpointStep } : undefined;
        const message = o.death ? describeDeath(o.death, step, checkpointStep) : o.message;
        failure = message;
        this.store.fail(message, resumable);
        this.output.error(message);
        if (o.death) this.output.error(vscode.l10n.t('Worker: {0}', o.message));
        if (o.detail) this.output.error(o.detail);
        if (run) this.output.info(vscode.l10n.t('Run folder: {0}', run.runDir));
        this.output.info(step !== undefined ? vscode.l10n.t('Last step reached: {0}', step) : vscode.l10n.t('Last step reached: none (training had not started)'));
        if (resumable && run) {
          this.output.info(vscode.l10n.t('Kept: {0} at step {1}; Resume (Training panel or Models view) continues from it.', path.join(run.runDir, 'last'), resumable.checkpointStep));
        }
        this.statusBar.show({ phase: 'failed', step }, message);
        this.panel.post({ type: 'failed', message, resumable });
        const showLog = vscode.l10n.t('Show Log');
        const resume = vscode.l10n.t('Resume');
        const buttons = resumable ? [resume, showLog] : [showLog];
        void vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq training failed: {0}', message), ...buttons).then((c) => {
          if (c === showLog) this.output.show(true);
          else if (c === resume && run) void this.resume(run);
        });
        break;
      }
    }
    this.endedWithOutcome.fire({ run, outcome: o, failure });
  }

  /** Step of the last `last/` checkpoint the run being shown wrote (from its events). */
  private lastCheckpointStep(): number | undefined {
    const events = this.store.events;
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      if (e.type === 'checkpoint' && e.kind === 'last') return e.step;
    }
    return undefined;
  }

  private revealRun(): void {
    const dir = this.store.run?.runDir;
    if (dir) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(dir));
  }

  dispose(): void {
    this.unfollow();
    this.session?.dispose();
    this.session = undefined;
    void vscode.commands.executeCommand('setContext', TRAINING_CONTEXT_KEY, false);
    this.panel.dispose();
    this.ended.dispose();
    this.endedWithOutcome.dispose();
    this.statusBar.dispose();
    this.output.dispose();
  }
}

/** What the user reads when the worker died: how, at which step, and what the run folder keeps. */
function describeDeath(death: WorkerDeath, step: number | undefined, checkpointStep: number | undefined): string {
  let what: string;
  switch (death.kind) {
    case 'outOfMemory':
      what =
        step !== undefined
          ? death.limitMb
            ? vscode.l10n.t('The training worker ran out of memory at step {0} (heap limit {1} MB, setting seq2seq.worker.maxMemoryMb).', step, death.limitMb)
            : vscode.l10n.t('The training worker ran out of memory at step {0}.', step)
          : death.limitMb
            ? vscode.l10n.t('The training worker ran out of memory before the first step (heap limit {0} MB, setting seq2seq.worker.maxMemoryMb).', death.limitMb)
            : vscode.l10n.t('The training worker ran out of memory before the first step.');
      break;
    case 'exit':
      what =
        step !== undefined
          ? vscode.l10n.t('The training worker stopped unexpectedly at step {0} (exit code {1}).', step, death.code)
          : vscode.l10n.t('The training worker stopped unexpectedly before the first step (exit code {0}).', death.code);
      break;
    case 'crash':
      what =
        step !== undefined
          ? vscode.l10n.t('The training worker crashed at step {0}: {1}', step, death.error)
          : vscode.l10n.t('The training worker crashed before the first step: {0}', death.error);
      break;
  }
  const kept =
    checkpointStep !== undefined
      ? vscode.l10n.t('The last checkpoint (last/, step {0}) is kept: Resume continues from there.', checkpointStep)
      : vscode.l10n.t('No checkpoint had been saved yet: start the run again.');
  return `${what} ${kept}`;
}

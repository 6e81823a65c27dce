/**
 * Owns everything about "the" training run (only one at a time): the worker
 * session, the event store, the output channel, the status bar, the Training
 * panel and the `seq2seq.training` context key (enables "Stop Training").
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { Seq2SeqConfig } from '../core/config';
import type { TrainingEvent } from '../core/events';
import type { RunInfo } from '../protocol/trainingPanel';
import { describeStopReason, eventLogLine, formatBleu, readingText } from '../shared/format';
import { RunStore } from './logic/runStore';
import { TrainingPanel } from './trainingPanel';
import { TrainingSession, type SessionOutcome } from './trainingSession';
import { TrainingStatusBar } from './statusBar';

/** Context key true while a run is training. */
export const TRAINING_CONTEXT_KEY = 'seq2seq.training';
/** Context key: a run finished in this window (completes the walkthrough's "watch it learn" step). */
export const FINISHED_RUN_CONTEXT_KEY = 'seq2seq.finishedRun';

export interface StartOptions {
  run: RunInfo;
  /** Validated config with absolute paths. */
  config: Seq2SeqConfig;
  resume?: boolean;
}

export class TrainingController implements vscode.Disposable {
  readonly output: vscode.LogOutputChannel;
  private readonly store = new RunStore();
  private readonly statusBar = new TrainingStatusBar();
  private readonly panel: TrainingPanel;
  private session: TrainingSession | undefined;
  private readonly ended = new vscode.EventEmitter<RunInfo | undefined>();
  /** Fires when a run ends (finished, stopped or failed), e.g. to refresh the Models tree. */
  readonly onDidEndRun = this.ended.event;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Seq2Seq', { log: true });
    this.panel = new TrainingPanel(context.extensionUri, this.store, {
      onStop: () => void this.stop(),
      onRevealRun: () => this.revealRun(),
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
    this.store.begin(opts.run);
    this.output.info(vscode.l10n.t('Training {0} with {1} → {2}', opts.run.name, opts.run.configPath, opts.run.runDir));
    const backend = vscode.workspace.getConfiguration('seq2seq').get<string>('backend', 'auto');
    const env: Record<string, string> = backend && backend !== 'auto' ? { SEQ2SEQ_BACKEND: backend } : {};
    // The threads of runs whose config says train.threads = auto (resolveThreads in src/core/parallel.ts).
    const threads = String(vscode.workspace.getConfiguration('seq2seq').get<string | number>('threads', 'auto')).trim();
    if (threads && threads !== 'auto') env.SEQ2SEQ_THREADS = threads;
    const session = new TrainingSession(
      { workerPath: path.join(this.context.extensionPath, 'dist', 'worker.js'), env },
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
    session.start({ type: 'start', config: opts.config, outDir: opts.run.runDir, resume: opts.resume ?? false });
  }

  /** Ask the running worker to stop (checkpoint, then `done`); resolves when it has ended. */
  async stop(): Promise<void> {
    const session = this.session;
    if (!session?.active) return;
    if (!session.stopping) {
      this.output.info(vscode.l10n.t('Stopping after the current step…'));
      this.statusBar.show({ phase: 'stopping' });
    }
    await session.cancel();
  }

  showPanel(): void {
    this.panel.show(false);
  }

  /**
   * Show a finished run's recorded events (its metrics.jsonl) in the Training
   * panel. Returns false, showing nothing, while a run is training (the panel
   * belongs to that run then).
   */
  showRecordedRun(run: RunInfo, events: TrainingEvent[]): boolean {
    if (this.isTraining) return false;
    this.store.begin(run);
    for (const e of events) this.store.append(e);
    this.store.end();
    this.panel.show(false);
    this.panel.replay();
    return true;
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
        if (o.kind === 'finished') {
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
        this.store.fail(o.message);
        this.output.error(o.message);
        if (o.detail) this.output.debug(o.detail);
        this.statusBar.show({ phase: 'failed' }, o.message);
        this.panel.post({ type: 'failed', message: o.message });
        const showLog = vscode.l10n.t('Show Log');
        void vscode.window.showErrorMessage(vscode.l10n.t('Seq2Seq training failed: {0}', o.message), showLog).then((c) => {
          if (c === showLog) this.output.show(true);
        });
        break;
      }
    }
  }

  private revealRun(): void {
    const dir = this.store.run?.runDir;
    if (dir) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(dir));
  }

  dispose(): void {
    this.session?.dispose();
    this.session = undefined;
    void vscode.commands.executeCommand('setContext', TRAINING_CONTEXT_KEY, false);
    this.panel.dispose();
    this.ended.dispose();
    this.statusBar.dispose();
    this.output.dispose();
  }
}

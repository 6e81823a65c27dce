/**
 * The Training panel: a webview beside the editor with live charts of the
 * current run. The page is not retained while hidden
 * (`retainContextWhenHidden: false`); every time it loads it sends `ready`
 * and the host replays the run's events from the {@link RunStore}.
 * Protocol: src/protocol/trainingPanel.ts.
 */
import * as vscode from 'vscode';
import type { HostToPanel, PanelToHost } from '../protocol/trainingPanel';
import { saveChartExport } from './exportCommands';
import type { RunStore } from './logic/runStore';
import { isPanelToHost } from '../protocol/validate';
import { WebviewPage } from './webviewPage';

export interface PanelHandlers {
  onStop(): void;
  onRevealRun(): void;
  /** The user pressed Resume on an interrupted or failed run. */
  onResume(): void;
  /** Where the page set-up reports trouble (the Output channel). */
  log?(message: string): void;
}

export class TrainingPanel implements vscode.Disposable {
  static readonly viewType = 'seq2seq.trainingPanel';
  private page: WebviewPage<HostToPanel, PanelToHost> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: RunStore,
    private readonly handlers: PanelHandlers,
  ) {}

  /** Open the panel beside the active editor, or reveal it. */
  show(preserveFocus = true): void {
    if (this.page) {
      this.page.reveal(preserveFocus);
      return;
    }
    this.open(preserveFocus);
  }

  /** Use a panel VS Code restored after a window reload (it shows the store's run once loaded). */
  adopt(panel: vscode.WebviewPanel): void {
    if (this.page) {
      // Already open (cannot happen after a reload); keep one panel.
      panel.dispose();
      return;
    }
    this.open(true, panel);
  }

  private open(preserveFocus: boolean, existing?: vscode.WebviewPanel): void {
    this.page = new WebviewPage<HostToPanel, PanelToHost>(this.extensionUri, {
      existing,
      viewType: TrainingPanel.viewType,
      title: this.title(),
      script: 'training.js',
      style: 'training.css',
      documentTitle: vscode.l10n.t('Seq2Seq Training'),
      liveRegion: true,
      preserveFocus,
      onReady: () => {
        this.replay();
        if (this.store.failure !== undefined) this.post({ type: 'failed', message: this.store.failure, resumable: this.store.resumable });
      },
      validate: isPanelToHost,
      onMessage: (msg) => this.onMessage(msg),
      onDispose: () => (this.page = undefined),
      log: this.handlers.log,
    });
  }

  /** True while the panel exists (visible or not). */
  get isOpen(): boolean {
    return this.page !== undefined;
  }

  /** Send `msg` if the page is loaded; otherwise the next replay will include it. */
  post(msg: HostToPanel): void {
    this.page?.post(msg);
  }

  /** Replace what the page shows with the store's run (new run started). */
  replay(): void {
    if (this.page) this.page.title = this.title();
    this.post(this.store.replay());
  }

  private title(): string {
    const run = this.store.run;
    return run ? vscode.l10n.t('Training: {0}', run.name) : vscode.l10n.t('Seq2Seq Training');
  }

  private onMessage(msg: PanelToHost): void {
    switch (msg.type) {
      case 'stop':
        this.handlers.onStop();
        break;
      case 'revealRun':
        this.handlers.onRevealRun();
        break;
      case 'resume':
        this.handlers.onResume();
        break;
      case 'exportChart':
        // A chart's SVG or PNG button: ask where to save it.
        void saveChartExport(msg, this.store.run?.runDir);
        break;
    }
  }

  dispose(): void {
    this.page?.dispose();
    this.page = undefined;
  }
}

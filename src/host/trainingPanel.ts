/**
 * The Training panel: a webview beside the editor with live charts of the
 * current run. The page is not retained while hidden
 * (`retainContextWhenHidden: false`); every time it loads it sends `ready`
 * and the host replays the run's events from the {@link RunStore}.
 * Protocol: src/protocol/trainingPanel.ts.
 */
import * as vscode from 'vscode';
import type { HostToPanel, PanelToHost } from '../protocol/trainingPanel';
import { makeNonce, renderPanelHtml } from './logic/panelHtml';
import type { RunStore } from './logic/runStore';

export interface PanelHandlers {
  onStop(): void;
  onRevealRun(): void;
}

export class TrainingPanel implements vscode.Disposable {
  static readonly viewType = 'seq2seq.trainingPanel';
  private panel: vscode.WebviewPanel | undefined;
  /** True after the current page sent `ready` (and until it is hidden or disposed). */
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: RunStore,
    private readonly handlers: PanelHandlers,
  ) {}

  /** Open the panel beside the active editor, or reveal it. */
  show(preserveFocus = true): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const webviewRoot = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(
      TrainingPanel.viewType,
      this.title(),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      {
        enableScripts: true,
        retainContextWhenHidden: false,
        localResourceRoots: [webviewRoot, vscode.Uri.joinPath(this.extensionUri, 'media')],
      },
    );
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'seq2seq.svg');
    const webview = panel.webview;
    webview.html = renderPanelHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'training.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'training.css')).toString(),
    });
    this.panel = panel;
    this.ready = false;
    this.disposables.push(
      webview.onDidReceiveMessage((msg: PanelToHost) => this.onMessage(msg)),
      panel.onDidChangeViewState(() => {
        // A hidden, non-retained webview loses its page; it will send `ready` again.
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        this.disposeListeners();
      }),
    );
  }

  /** True while the panel exists (visible or not). */
  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Send `msg` if the page is loaded; otherwise the next replay will include it. */
  post(msg: HostToPanel): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(msg);
  }

  /** Replace what the page shows with the store's run (new run started). */
  replay(): void {
    if (this.panel) this.panel.title = this.title();
    this.post(this.store.replay());
  }

  private title(): string {
    const run = this.store.run;
    return run ? `Training: ${run.name}` : 'Seq2Seq Training';
  }

  private onMessage(msg: PanelToHost): void {
    switch (msg?.type) {
      case 'ready':
        this.ready = true;
        this.replay();
        if (this.store.failure !== undefined) this.post({ type: 'failed', message: this.store.failure });
        break;
      case 'stop':
        this.handlers.onStop();
        break;
      case 'revealRun':
        this.handlers.onRevealRun();
        break;
    }
  }

  private disposeListeners(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  dispose(): void {
    this.disposeListeners();
    this.panel?.dispose();
    this.panel = undefined;
  }
}

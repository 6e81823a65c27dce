/**
 * "Seq2Seq: Show Attention": a webview beside the editor with the attention
 * heatmap and top candidates of the latest translation. Not retained while
 * hidden: each time the page loads it sends `ready` and the host replays the
 * latest translation. Protocol: src/protocol/attentionView.ts.
 */
import * as vscode from 'vscode';
import type { Translation } from '../core/translator';
import type { AttentionModelInfo, AttentionToHost, HostToAttention, ShowTranslationsMessage } from '../protocol/attentionView';
import { renderAttentionHtml } from './logic/attentionHtml';
import { makeNonce } from './logic/panelHtml';

/** Most sentences of one request sent to the page (it shows one at a time). */
export const MAX_SENTENCES_SHOWN = 50;

export class AttentionView implements vscode.Disposable {
  static readonly viewType = 'seq2seq.attentionView';
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private latest: ShowTranslationsMessage | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly extensionUri: vscode.Uri) {}

  /** True while the panel exists. */
  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Record the latest translation request and show it if the panel is open. Blank lines are left out. */
  update(model: AttentionModelInfo, translations: Translation[]): void {
    const nonBlank = translations.filter((t) => t.sourceTokens.length > 0);
    this.latest = { type: 'show', model, translations: nonBlank.slice(0, MAX_SENTENCES_SHOWN), selected: 0, total: nonBlank.length };
    this.post(this.latest);
  }

  /** Open beside the editor (or reveal). */
  show(preserveFocus = false): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const webviewRoot = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(
      AttentionView.viewType,
      'Seq2Seq Attention',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { enableScripts: true, retainContextWhenHidden: false, localResourceRoots: [webviewRoot] },
    );
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'seq2seq.svg');
    const webview = panel.webview;
    webview.html = renderAttentionHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'attention.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot, 'attention.css')).toString(),
    });
    this.panel = panel;
    this.ready = false;
    this.disposables.push(
      webview.onDidReceiveMessage((msg: AttentionToHost) => this.onMessage(msg)),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        for (const d of this.disposables.splice(0)) d.dispose();
      }),
    );
  }

  private post(msg: HostToAttention): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(msg);
  }

  private onMessage(msg: AttentionToHost): void {
    switch (msg?.type) {
      case 'ready':
        this.ready = true;
        this.post(this.latest ?? { type: 'empty' });
        break;
      case 'select':
        if (this.latest && Number.isInteger(msg.index) && msg.index >= 0 && msg.index < this.latest.translations.length) {
          this.latest.selected = msg.index;
        }
        break;
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel?.dispose();
    this.panel = undefined;
  }
}

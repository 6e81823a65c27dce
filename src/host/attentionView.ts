/**
 * "Seq2Seq: Show Attention": a webview beside the editor with the attention
 * heatmap and top candidates of the latest translation. Not retained while
 * hidden: each time the page loads it sends `ready` and the host replays the
 * latest translation. Protocol: src/protocol/attentionView.ts.
 */
import * as vscode from 'vscode';
import type { Translation } from '../core/decoding/translator';
import type { AttentionModelInfo, AttentionToHost, HostToAttention, ShowTranslationsMessage } from '../protocol/attentionView';
import { colorScaleOf } from '../shared/attentionHeatmap';
import { isAttentionToHost } from '../protocol/validate';
import { saveChartExport } from './exportCommands';
import { WebviewPage } from './webviewPage';

/** Most sentences of one request sent to the page (it shows one at a time). */
export const MAX_SENTENCES_SHOWN = 50;

export class AttentionView implements vscode.Disposable {
  static readonly viewType = 'seq2seq.attentionView';
  private page: WebviewPage<HostToAttention, AttentionToHost> | undefined;
  private latest: ShowTranslationsMessage | undefined;

  /** @param log where the page set-up reports trouble (the Output channel) */
  private readonly configListener: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log?: (message: string) => void,
  ) {
    this.configListener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('seq2seq.attention.colorScale')) this.page?.post(this.settings());
    });
  }

  /** The view's settings as the page gets them. */
  private settings(): HostToAttention {
    return { type: 'settings', colorScale: colorScaleOf(vscode.workspace.getConfiguration('seq2seq').get('attention.colorScale')) };
  }

  /** True while the panel exists. */
  get isOpen(): boolean {
    return this.page !== undefined;
  }

  /** Record the latest translation request and show it if the panel is open. Blank lines are left out. */
  update(model: AttentionModelInfo, translations: Translation[]): void {
    const nonBlank = translations.filter((t) => t.sourceTokens.length > 0);
    this.latest = { type: 'show', model, translations: nonBlank.slice(0, MAX_SENTENCES_SHOWN), selected: 0, total: nonBlank.length };
    this.page?.post(this.latest);
  }

  /** Open beside the editor (or reveal). */
  show(preserveFocus = false): void {
    if (this.page) {
      this.page.reveal(preserveFocus);
      return;
    }
    this.page = new WebviewPage<HostToAttention, AttentionToHost>(this.extensionUri, {
      viewType: AttentionView.viewType,
      title: vscode.l10n.t('Seq2Seq Attention'),
      script: 'attention.js',
      style: 'attention.css',
      documentTitle: vscode.l10n.t('Seq2Seq Attention'),
      preserveFocus,
      onReady: () => {
        this.page?.post(this.settings());
        this.page?.post(this.latest ?? { type: 'empty' });
      },
      validate: isAttentionToHost,
      onMessage: (msg) => this.onMessage(msg),
      onDispose: () => (this.page = undefined),
      log: this.log,
    });
  }

  private onMessage(msg: AttentionToHost): void {
    switch (msg.type) {
      case 'select':
        if (this.latest && Number.isInteger(msg.index) && msg.index >= 0 && msg.index < this.latest.translations.length) {
          this.latest.selected = msg.index;
        }
        break;
      case 'exportChart':
        void saveChartExport(msg);
        break;
    }
  }

  dispose(): void {
    this.configListener.dispose();
    this.page?.dispose();
    this.page = undefined;
  }
}

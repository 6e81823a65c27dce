/**
 * "Seq2Seq: Show Attention": a webview beside the editor with the attention
 * heatmap and top candidates of the latest translation, and the forced
 * decoding tools: what-if re-decoding after a chosen token, the score of a
 * reference with its exposure-bias tracks, search error or model error, and
 * coverage. Not retained while hidden: each time the page loads it sends
 * `ready` and the host replays the latest translation (with the references
 * scored and the what-if results so far). Protocol:
 * src/protocol/attentionView.ts.
 */
import * as vscode from 'vscode';
import type { Translation } from '../core/decoding/translator';
import type { AttentionModelInfo, AttentionReferenceCommand, AttentionToHost, AttentionWhatIfCommand, HostToAttention, ShowTranslationsMessage } from '../protocol/attentionView';
import { colorScaleOf } from '../shared/attentionHeatmap';
import { isAttentionToHost } from '../protocol/validate';
import { saveChartExport } from './exportCommands';
import { WebviewPage } from './webviewPage';

/** Most sentences of one request sent to the page (it shows one at a time). */
export const MAX_SENTENCES_SHOWN = 50;

/** A forced-decoding request of the view, for the model at `runDir` (see `TranslateController.analyze`). */
export interface AnalysisRequest {
  source: string;
  prefix?: { tokens?: string[]; text?: string };
  reference?: string;
}

/** Runs an {@link AnalysisRequest} in the inference worker; rejects with a user-facing message. */
export type Analyzer = (runDir: string, req: AnalysisRequest) => Promise<Translation>;

export class AttentionView implements vscode.Disposable {
  static readonly viewType = 'seq2seq.attentionView';
  private page: WebviewPage<HostToAttention, AttentionToHost> | undefined;
  private latest: ShowTranslationsMessage | undefined;
  /** The run folder of the model that produced `latest`. */
  private latestRunDir: string | undefined;
  private analyzer: Analyzer | undefined;
  /** A section to bring into view once the page is ready. */
  private pendingFocus: 'reference' | undefined;

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

  /**
   * Record the latest translation request and show it if the panel is open. Blank lines are left out.
   * @param runDir the run folder of the model, for the view's what-if and reference requests
   */
  update(model: AttentionModelInfo, translations: Translation[], runDir?: string): void {
    const nonBlank = translations.filter((t) => t.sourceTokens.length > 0);
    this.latest = { type: 'show', model, translations: nonBlank.slice(0, MAX_SENTENCES_SHOWN), selected: 0, total: nonBlank.length, whatIf: {} };
    this.latestRunDir = runDir;
    this.page?.post(this.latest);
  }

  /** Who runs the view's what-if and reference requests (the inference worker, through `TranslateController`). */
  setAnalyzer(analyzer: Analyzer): void {
    this.analyzer = analyzer;
  }

  /** Open the view and bring the reference section (its score and the exposure-bias tracks) into view. */
  showReferenceSection(): void {
    this.pendingFocus = 'reference';
    this.show(false);
    if (this.page?.isReady) this.flushFocus();
  }

  private flushFocus(): void {
    if (!this.pendingFocus) return;
    this.page?.post({ type: 'focus', section: this.pendingFocus });
    this.pendingFocus = undefined;
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
        this.flushFocus();
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
      case 'whatIf':
      case 'reference':
        void this.analyse(msg);
        break;
    }
  }

  /** Run a what-if or reference request of the page and answer it; the result is kept for replays. */
  private async analyse(msg: AttentionWhatIfCommand | AttentionReferenceCommand): Promise<void> {
    const latest = this.latest;
    const translation = latest?.translations[msg.index];
    const kind = msg.type;
    const fail = (message: string) => this.page?.post({ type: 'analysisError', index: msg.index, kind, message });
    if (!latest || !translation) return;
    if (!this.analyzer || !this.latestRunDir) {
      fail(vscode.l10n.t('The model of this translation is not known any more: translate the selection again.'));
      return;
    }
    try {
      const req: AnalysisRequest = msg.type === 'whatIf' ? { source: translation.source, prefix: msg.prefix } : { source: translation.source, reference: msg.reference };
      const result = await this.analyzer(this.latestRunDir, req);
      if (this.latest !== latest) return; // a newer translation replaced the one asked about
      if (msg.type === 'whatIf') {
        latest.whatIf = { ...(latest.whatIf ?? {}), [msg.index]: result };
        this.page?.post({ type: 'whatIfResult', index: msg.index, translation: result });
      } else {
        // The same search with the reference scored: it replaces the translation (same output, now with `reference`).
        latest.translations[msg.index] = result;
        this.page?.post({ type: 'referenceResult', index: msg.index, translation: result });
      }
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
    }
  }

  dispose(): void {
    this.configListener.dispose();
    this.page?.dispose();
    this.page = undefined;
  }
}

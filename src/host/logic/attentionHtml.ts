/**
 * HTML of the attention view page. Pure (no `vscode` import) so the extension
 * and the browser preview (scripts/preview-attention-view.ts) serve the same
 * page with the same Content Security Policy.
 */
import type { L10nBundle } from '../../shared/l10n';
import { renderWebviewHtml } from './panelHtml';

export interface AttentionHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** URI of dist/webview/attention.js. */
  scriptUri: string;
  /** URI of dist/webview/attention.css. */
  styleUri: string;
  /** Per-load random nonce (see `makeNonce` in ./panelHtml). */
  nonce: string;
  /** The display language (e.g. `en`, `zh-cn`); default `en`. */
  language?: string;
  /** The l10n bundle for that language; the page's strings come from it. */
  l10nBundle?: L10nBundle;
}

/** The page: CSP with nonce (no inline styles or scripts), one stylesheet, the l10n bundle as data, one script that builds the UI. */
export function renderAttentionHtml(o: AttentionHtmlOptions): string {
  return renderWebviewHtml({ ...o, title: 'Seq2Seq Attention' });
}

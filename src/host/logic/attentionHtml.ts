/**
 * HTML of the attention view page. Pure (no `vscode` import) so the extension
 * and the browser preview (scripts/preview-attention-view.ts) serve the same
 * page with the same Content Security Policy.
 */
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
}

/** The page: CSP with nonce (no inline styles or scripts), one stylesheet, one script that builds the UI. */
export function renderAttentionHtml(o: AttentionHtmlOptions): string {
  return renderWebviewHtml({ ...o, title: 'Seq2Seq Attention' });
}

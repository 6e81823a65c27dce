/**
 * HTML of the attention view page. Pure (no `vscode` import) so the extension
 * and the browser preview (scripts/preview-attention-view.ts) serve the same
 * page with the same Content Security Policy.
 */

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

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The page: CSP with nonce (no inline styles or scripts), one stylesheet, one script that builds the UI. */
export function renderAttentionHtml(o: AttentionHtmlOptions): string {
  const csp = [
    `default-src 'none'`,
    `img-src ${o.cspSource} data:`,
    `font-src ${o.cspSource}`,
    `style-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>Seq2Seq Attention</title>
</head>
<body>
<div id="app"></div>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}

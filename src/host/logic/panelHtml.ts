/**
 * HTML of the Training panel page. Pure (no `vscode` import) so the same page,
 * with the same Content Security Policy, is used by the extension and by the
 * browser preview (scripts/preview-training-panel.ts).
 */
import { randomBytes } from 'crypto';

export interface PanelHtmlOptions {
  /** `webview.cspSource` (origin the webview may load resources from). */
  cspSource: string;
  /** URI of dist/webview/training.js. */
  scriptUri: string;
  /** URI of dist/webview/training.css. */
  styleUri: string;
  /** Per-load random nonce; see {@link makeNonce}. */
  nonce: string;
}

/** 128-bit random nonce, base64. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The panel's HTML document: CSP with nonce, one stylesheet, one script; the script builds the UI. */
export function renderPanelHtml(o: PanelHtmlOptions): string {
  return renderWebviewHtml({ ...o, title: 'Seq2Seq Training', liveRegion: true });
}

/**
 * A webview page of this extension: a Content Security Policy that allows
 * only the webview's own resources and the script carrying the nonce, one
 * stylesheet, and an empty `#app` element the script fills.
 */
export function renderWebviewHtml(o: PanelHtmlOptions & { title: string; liveRegion?: boolean }): string {
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
<title>${escapeAttr(o.title)}</title>
</head>
<body>
<div id="app"${o.liveRegion ? ' aria-live="polite"' : ''}></div>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}

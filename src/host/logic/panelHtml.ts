/**
 * HTML of the Training panel page. Pure (no `vscode` import) so the same page,
 * with the same Content Security Policy, is used by the extension and by the
 * browser preview (scripts/preview-training-panel.ts).
 */
import { randomBytes } from 'crypto';
import { L10N_ELEMENT_ID, type L10nBundle } from '../../shared/l10n';

export interface PanelHtmlOptions {
  /** `webview.cspSource` (origin the webview may load resources from). */
  cspSource: string;
  /** URI of dist/webview/training.js. */
  scriptUri: string;
  /** URI of dist/webview/training.css. */
  styleUri: string;
  /** Per-load random nonce; see {@link makeNonce}. */
  nonce: string;
  /** The display language (`vscode.env.language`, e.g. `en`, `zh-cn`); default `en`. */
  language?: string;
  /** The l10n bundle VS Code loaded for that language (`vscode.l10n.bundle`); the page's strings come from it. */
  l10nBundle?: L10nBundle;
}

/** 128-bit random nonce, base64. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** JSON safe inside a `<script type="application/json">` block: no `</script>`, no `<!--`. */
const jsonForScriptBlock = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

/** The panel's HTML document: CSP with nonce, one stylesheet, one script; the script builds the UI. */
export function renderPanelHtml(o: PanelHtmlOptions): string {
  return renderWebviewHtml({ ...o, title: 'Seq2Seq Training', liveRegion: true });
}

/**
 * A webview page of this extension: a Content Security Policy that allows
 * only the webview's own resources and the script carrying the nonce, one
 * stylesheet, the l10n bundle as a JSON data block (not executed, so the CSP
 * needs no `unsafe-inline`), and an empty `#app` element the script fills.
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
<html lang="${escapeAttr(o.language ?? 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>${escapeAttr(o.title)}</title>
</head>
<body>
<script type="application/json" id="${L10N_ELEMENT_ID}">${jsonForScriptBlock(o.l10nBundle ?? {})}</script>
<div id="app"${o.liveRegion ? ' aria-live="polite"' : ''}></div>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}

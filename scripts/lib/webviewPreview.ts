/**
 * What the two webview previews share (scripts/preview-attention-view.ts,
 * scripts/preview-training-panel.ts): VS Code-like theme variables, a small
 * HTTP server that serves a webview's real HTML (with its CSP) from
 * dist/webview/ plus a stand-in `acquireVsCodeApi`, and screenshots with
 * playwright-core + Chromium; `--locale zh-cn` shows them in that language
 * (the bundle from l10n/, see {@link previewBundle}).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import type { Page } from 'playwright-core';
import type { PanelHtmlOptions } from '../../src/host/logic/panelHtml';
import { makeNonce } from '../../src/host/logic/panelHtml';
import type { L10nBundle } from '../../src/shared/l10n';

export const root = path.join(__dirname, '..', '..');
const webviewDir = path.join(root, 'dist', 'webview');

/**
 * Theme variables as VS Code sets them on a webview's <html>: the subset the
 * two webviews read, with the values of Dark Modern, Light Modern and High Contrast.
 */
export const THEMES: Record<string, { bodyClass: string; vars: Record<string, string> }> = {
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      foreground: '#cccccc', 'editor-background': '#1f1f1f', descriptionForeground: '#9d9d9d',
      'sideBar-background': '#181818', 'widget-border': '#313131', 'panel-border': '#2b2b2b',
      'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1',
      'button-border': '#ffffff12', 'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc',
      'button-secondaryHoverBackground': '#3c3c3c', 'badge-background': '#616161', 'badge-foreground': '#f8f8f8',
      'progressBar-background': '#0078d4', errorForeground: '#f85149', 'editorWarning-foreground': '#cca700',
      'testing-iconPassed': '#73c991', 'textLink-foreground': '#4daafc', 'textBlockQuote-background': '#2b2b2b',
      'inputValidation-errorBackground': '#5a1d1d', 'inputValidation-errorBorder': '#be1100',
      'list-hoverBackground': '#2a2d2e', 'textPreformat-foreground': '#d0d0d0', focusBorder: '#0078d4',
      'editor-selectionBackground': '#264f78', 'editorCursor-foreground': '#aeafad', 'charts-foreground': '#cccccc',
      'charts-lines': '#cccccc80', 'charts-blue': '#3794ff', 'charts-orange': '#d18616', 'charts-green': '#89d185',
      'charts-red': '#f14c4c', 'charts-yellow': '#cca700', 'editorHoverWidget-background': '#202020',
      'editorHoverWidget-foreground': '#cccccc', 'editorHoverWidget-border': '#454545', 'widget-shadow': '#0000005c',
      'dropdown-background': '#313131', 'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c',
      'editorWidget-background': '#202020',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    vars: {
      foreground: '#3b3b3b', 'editor-background': '#ffffff', descriptionForeground: '#717171',
      'sideBar-background': '#f8f8f8', 'widget-border': '#e5e5e5', 'panel-border': '#e5e5e5',
      'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8',
      'button-border': '#0000001a', 'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b',
      'button-secondaryHoverBackground': '#cccccc', 'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b',
      'progressBar-background': '#005fb8', errorForeground: '#f85149', 'editorWarning-foreground': '#bf8803',
      'testing-iconPassed': '#388a34', 'textLink-foreground': '#005fb8', 'textBlockQuote-background': '#f8f8f8',
      'inputValidation-errorBackground': '#f2dede', 'inputValidation-errorBorder': '#be1100',
      'list-hoverBackground': '#f2f2f2', 'textPreformat-foreground': '#3b3b3b', focusBorder: '#005fb8',
      'editor-selectionBackground': '#add6ff', 'editorCursor-foreground': '#000000', 'charts-foreground': '#616161',
      'charts-lines': '#61616180', 'charts-blue': '#1a85ff', 'charts-orange': '#d18616', 'charts-green': '#388a34',
      'charts-red': '#e51400', 'charts-yellow': '#bf8803', 'editorHoverWidget-background': '#f8f8f8',
      'editorHoverWidget-foreground': '#3b3b3b', 'editorHoverWidget-border': '#c8c8c8', 'widget-shadow': '#00000029',
      'dropdown-background': '#ffffff', 'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece',
      'editorWidget-background': '#f8f8f8',
    },
  },
  hc: {
    bodyClass: 'vscode-high-contrast',
    vars: {
      foreground: '#ffffff', 'editor-background': '#000000', descriptionForeground: '#ffffffb3',
      'sideBar-background': '#000000', 'widget-border': '#6fc3df', 'panel-border': '#6fc3df', contrastBorder: '#6fc3df',
      'button-background': '#000000', 'button-foreground': '#ffffff', 'button-border': '#6fc3df',
      'button-secondaryBackground': '#000000', 'button-secondaryForeground': '#ffffff', 'badge-background': '#000000',
      'badge-foreground': '#ffffff', 'progressBar-background': '#6fc3df', errorForeground: '#f48771',
      'editorWarning-foreground': '#ffd370', 'testing-iconPassed': '#73c991', 'textLink-foreground': '#21a6ff',
      'inputValidation-errorBackground': '#000000', 'inputValidation-errorBorder': '#f38518',
      'list-hoverBackground': '#000000', focusBorder: '#f38518', 'editor-selectionBackground': '#ffffff',
      'charts-foreground': '#ffffff', 'charts-lines': '#ffffff80', 'charts-blue': '#3794ff', 'charts-orange': '#d18616',
      'charts-green': '#89d185', 'charts-red': '#f14c4c', 'charts-yellow': '#ffd370',
      'editorHoverWidget-background': '#0c141f', 'editorHoverWidget-foreground': '#ffffff',
      'editorHoverWidget-border': '#6fc3df', 'dropdown-background': '#000000', 'dropdown-foreground': '#ffffff',
      'dropdown-border': '#6fc3df', 'editorWidget-background': '#0c141f',
    },
  },
};

const FONT_VARS = {
  'font-family': `-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif`,
  'font-size': '13px',
  'font-weight': 'normal',
  'editor-font-family': `"Droid Sans Mono", "monospace", monospace`,
};

/** The `--vscode-*` variables of theme `name` (dark, light, hc; default dark) as a style sheet. */
export function themeCss(name: string): string {
  const t = THEMES[name] ?? THEMES.dark;
  const lines = Object.entries({ ...FONT_VARS, ...t.vars }).map(([k, v]) => `  --vscode-${k}: ${v};`);
  return `html {\n${lines.join('\n')}\n}\n`;
}

/** A locale the preview shows the page in: the `<html lang>` and the bundle. */
export interface PreviewLocale {
  language: string;
  l10nBundle: L10nBundle;
}

/**
 * The bundle of `locale` (e.g. `zh-cn`) as VS Code loads it:
 * l10n/bundle.l10n.<locale>.json. `en` (or no locale) gives English.
 * @throws Error when the locale has no bundle
 */
export function previewBundle(locale: string | undefined): PreviewLocale | undefined {
  if (!locale || locale.toLowerCase() === 'en') return undefined;
  const language = locale.toLowerCase();
  const file = path.join(root, 'l10n', `bundle.l10n.${language}.json`);
  if (!fs.existsSync(file)) throw new Error(`no l10n bundle for locale "${locale}": ${path.relative(root, file)} does not exist`);
  return { language, l10nBundle: JSON.parse(fs.readFileSync(file, 'utf8')) as L10nBundle };
}

/** One webview to preview. */
export interface PreviewSpec {
  /** Bundle name in dist/webview/ (`<bundle>.js`, `<bundle>.css`). */
  bundle: string;
  /** The webview's HTML as the extension renders it. */
  renderHtml(opts: PanelHtmlOptions): string;
  /** Script that defines `window.acquireVsCodeApi` for the page's URL parameters. */
  stubScript(query: URLSearchParams): string;
}

/**
 * Serve a webview in a plain page: `/` is its HTML with the theme's variables
 * (`?theme=`) and the stub script added, `/webview/*` the built bundles.
 * Builds dist/ first when the bundle is missing. With `locale`, the page
 * gets its language and bundle, as the extension gives them.
 * @returns the server (close it) and its base URL
 */
export async function servePreview(spec: PreviewSpec, port = 0, locale?: PreviewLocale): Promise<{ server: http.Server; url: string }> {
  if (!fs.existsSync(path.join(webviewDir, `${spec.bundle}.js`))) {
    execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const q = url.searchParams;
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/') {
      const theme = q.get('theme') ?? 'dark';
      const nonce = makeNonce();
      const origin = `http://${req.headers.host}`;
      const html = spec
        .renderHtml({ cspSource: origin, nonce, scriptUri: `/webview/${spec.bundle}.js`, styleUri: `/webview/${spec.bundle}.css`, ...locale })
        .replace('<link rel="stylesheet"', `<link rel="stylesheet" href="/theme.css?theme=${encodeURIComponent(theme)}">\n<link rel="stylesheet"`)
        .replace('<body>', `<body class="${(THEMES[theme] ?? THEMES.dark).bodyClass}">`)
        .replace('<script nonce=', `<script nonce="${nonce}" src="/stub.js?${q.toString()}"></script>\n<script nonce=`);
      return send('text/html; charset=utf-8', html);
    }
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    if (url.pathname === '/theme.css') return send('text/css', themeCss(q.get('theme') ?? 'dark'));
    if (url.pathname === '/stub.js') return send('text/javascript', spec.stubScript(q));
    const file = path.join(webviewDir, path.normalize(url.pathname.replace(/^\/webview\//, '')));
    if (url.pathname.startsWith('/webview/') && file.startsWith(webviewDir) && fs.existsSync(file)) {
      return send(file.endsWith('.css') ? 'text/css' : 'text/javascript', fs.readFileSync(file));
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** One screenshot: page query, viewport width, and what to do before taking it. */
export interface Shot {
  name: string;
  query: string;
  width: number;
  /** Wait after load, ms. */
  settleMs: number;
  /** E.g. hover an element. */
  before?(page: Page): Promise<void>;
}

/**
 * Take `shots` of the preview at `baseUrl` with headless Chromium
 * (`CHROMIUM_PATH`, default /usr/bin/chromium) into `outDir/<name>.png`;
 * prints each file with the page's console errors and warnings.
 */
export async function takeScreenshots(baseUrl: string, outDir: string, shots: Shot[]): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  fs.mkdirSync(outDir, { recursive: true });
  try {
    for (const shot of shots) {
      const page = await browser.newPage({ viewport: { width: shot.width, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(baseUrl + '?' + shot.query);
      await page.waitForTimeout(shot.settleMs);
      await shot.before?.(page);
      const file = path.join(outDir, `${shot.name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      const shown = file.startsWith(root + path.sep) ? path.relative(root, file) : file;
      console.log(`${shown}${problems.length ? '\n  ' + problems.join('\n  ') : ''}`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
}

/** The value of command-line option `--name value` (or `--name=value`). */
function option(name: string, argv = process.argv): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/**
 * A preview script's `main`: with `--screenshots`, take them and exit;
 * otherwise serve on `port` and print the URL (Ctrl+C to stop).
 * `--locale zh-cn` shows the page in that language (see {@link previewBundle});
 * its screenshots go to `<outDir>/<locale>/` unless `--out DIR` says where.
 */
export async function previewMain(spec: PreviewSpec, opts: { port: number; title: string; exampleQuery: string; outDir: string; shots: Shot[] }): Promise<void> {
  const wantShots = process.argv.includes('--screenshots');
  const locale = previewBundle(option('locale'));
  const { server, url } = await servePreview(spec, wantShots ? 0 : opts.port, locale);
  if (!wantShots) {
    console.log(`${opts.title}${locale ? ` (${locale.language})` : ''}: ${url}?${opts.exampleQuery}`);
    return;
  }
  const outDir = option('out') ?? (locale ? path.join(opts.outDir, locale.language) : opts.outDir);
  try {
    await takeScreenshots(url, path.resolve(outDir), opts.shots);
  } finally {
    server.close();
  }
}

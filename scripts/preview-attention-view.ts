/**
 * Look at the attention view without VS Code: serves dist/webview/attention.*
 * in a plain page with the view's real HTML and CSP, a fake
 * `acquireVsCodeApi` that answers `ready` with scripted translations, and
 * VS Code-like theme variables; optionally takes screenshots with
 * playwright-core + Chromium.
 *
 *   npx tsx scripts/preview-attention-view.ts                 # serve, print URL (Ctrl+C to stop)
 *   npx tsx scripts/preview-attention-view.ts --screenshots   # write .scratch/attention-preview/*.png and exit
 *
 * URL parameters: theme=dark|light|hc, scenario=bahdanau|long|none|many|empty, hover=row (screenshot with row hovered).
 * Run `npm run build` first (the script builds if dist/webview/attention.js is missing).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import type { Translation } from '../src/core/translator';
import type { ShowTranslationsMessage } from '../src/protocol/attentionView';
import { renderAttentionHtml } from '../src/host/logic/attentionHtml';
import { makeNonce } from '../src/host/logic/panelHtml';

const root = path.join(__dirname, '..');
const webviewDir = path.join(root, 'dist', 'webview');

/** A representative subset of the variables VS Code sets (Dark Modern, Light Modern, High Contrast). */
const THEMES: Record<string, { bodyClass: string; vars: Record<string, string> }> = {
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      foreground: '#cccccc', 'editor-background': '#1f1f1f', descriptionForeground: '#9d9d9d', 'widget-border': '#313131',
      'panel-border': '#2b2b2b', 'badge-background': '#616161', 'badge-foreground': '#f8f8f8', 'textLink-foreground': '#4daafc',
      'textBlockQuote-background': '#2b2b2b', 'list-hoverBackground': '#2a2d2e', focusBorder: '#0078d4',
      'editorHoverWidget-background': '#202020', 'editorHoverWidget-foreground': '#cccccc', 'editorHoverWidget-border': '#454545',
      'widget-shadow': '#0000005c', 'dropdown-background': '#313131', 'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c',
      'editorWidget-background': '#202020', 'charts-blue': '#3794ff', 'charts-orange': '#d18616', 'charts-foreground': '#cccccc',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    vars: {
      foreground: '#3b3b3b', 'editor-background': '#ffffff', descriptionForeground: '#717171', 'widget-border': '#e5e5e5',
      'panel-border': '#e5e5e5', 'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b', 'textLink-foreground': '#005fb8',
      'textBlockQuote-background': '#f8f8f8', 'list-hoverBackground': '#f2f2f2', focusBorder: '#005fb8',
      'editorHoverWidget-background': '#f8f8f8', 'editorHoverWidget-foreground': '#3b3b3b', 'editorHoverWidget-border': '#c8c8c8',
      'widget-shadow': '#00000029', 'dropdown-background': '#ffffff', 'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece',
      'editorWidget-background': '#f8f8f8', 'charts-blue': '#1a85ff', 'charts-orange': '#d18616', 'charts-foreground': '#616161',
    },
  },
  hc: {
    bodyClass: 'vscode-high-contrast',
    vars: {
      foreground: '#ffffff', 'editor-background': '#000000', descriptionForeground: '#ffffffb3', 'widget-border': '#6fc3df',
      'panel-border': '#6fc3df', contrastBorder: '#6fc3df', 'badge-background': '#000000', 'badge-foreground': '#ffffff',
      'textLink-foreground': '#21a6ff', 'list-hoverBackground': '#000000', focusBorder: '#f38518',
      'editorHoverWidget-background': '#0c141f', 'editorHoverWidget-foreground': '#ffffff', 'editorHoverWidget-border': '#6fc3df',
      'dropdown-background': '#000000', 'dropdown-foreground': '#ffffff', 'dropdown-border': '#6fc3df',
      'editorWidget-background': '#0c141f', 'charts-blue': '#3794ff', 'charts-orange': '#d18616', 'charts-foreground': '#ffffff',
    },
  },
};
const FONT_VARS = {
  'font-family': `-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif`,
  'font-size': '13px',
  'editor-font-family': `"Droid Sans Mono", "monospace", monospace`,
};

function themeCss(name: string): string {
  const t = THEMES[name] ?? THEMES.dark;
  return `html {\n${Object.entries({ ...FONT_VARS, ...t.vars }).map(([k, v]) => `  --vscode-${k}: ${v};`).join('\n')}\n}\n`;
}

/** A soft, roughly monotone alignment: target i attends around source position `centre(i)`. */
function alignment(tgtLen: number, srcLen: number, centre: (i: number) => number, sharp = 2.2): number[][] {
  return Array.from({ length: tgtLen }, (_, i) => {
    const raw = Array.from({ length: srcLen }, (_, j) => Math.exp(-sharp * Math.abs(j - centre(i)) ** 1.5));
    const z = raw.reduce((a, b) => a + b, 0);
    return raw.map((x) => x / z);
  });
}

function candidatesFor(target: string[], alts: string[][]): { token: string; prob: number }[][] {
  return target.map((tok, i) => {
    const others = alts[i % alts.length].filter((t) => t !== tok);
    const p0 = 0.55 + 0.4 * Math.abs(Math.sin(i * 1.3));
    let rest = 1 - p0;
    const list = [{ token: tok, prob: p0 }];
    for (const o of others.slice(0, 4)) {
      const p = rest * 0.55;
      rest -= p;
      list.push({ token: o, prob: p });
    }
    return list;
  });
}

const ALTS = [['je', 'j', 'il', 'nous', 'tu'], ['suis', 'ai', 'est', 'sommes', 'es'], ['froid', 'faim', 'chaud', 'peur', '<unk>'], ['.', '!', '?', '<eos>', ',']];

function translation(source: string, sourceTokens: string[], targetTokens: string[], centre: (i: number) => number, sharp?: number, none = false): Translation {
  const text = targetTokens.filter((t) => t !== '<eos>').join(' ');
  return {
    source,
    text,
    sourceTokens,
    targetTokens,
    attention: none ? [] : alignment(targetTokens.length, sourceTokens.length, centre, sharp),
    candidates: candidatesFor(targetTokens, ALTS),
    logProb: -1.234 * targetTokens.length,
  };
}

function scenario(name: string): ShowTranslationsMessage | { type: 'empty' } {
  const cold = translation('i am cold .', ['i', 'am', 'cold', '.', '<eos>'], ['j', 'ai', 'froid', '.', '<eos>'], (i) => [0, 1, 2, 3, 4][i]);
  const longSrc = 'the internationalisation committee postponed its extraordinary deliberations until further notice .';
  const long = translation(
    longSrc,
    ['the', '<unk>', 'committee', 'postponed', 'its', 'extraordinary', 'deliberations', 'until', 'further', 'notice', '.', '<eos>'],
    ['le', 'comité', 'de', '<unk>', 'a', 'reporté', 'ses', 'délibérations', 'extraordinaires', 'jusqu', 'à', 'nouvel', 'ordre', '.', '<eos>'],
    (i) => [0, 2, 1.5, 1, 3, 3, 4, 6, 5, 7, 7, 8.5, 9, 10, 11][i],
    1.4,
  );
  const model = { name: 'fra-eng', attention: 'bahdanau', beamSize: 5 };
  switch (name) {
    case 'empty':
      return { type: 'empty' };
    case 'none':
      return { type: 'show', model: { ...model, attention: 'none', beamSize: 1 }, translations: [{ ...cold, attention: [] }], selected: 0, total: 1 };
    case 'long':
      return { type: 'show', model, translations: [long, cold], selected: 0, total: 2 };
    case 'many': {
      const words = Array.from({ length: 34 }, (_, i) => `w${i}`);
      const many = translation(words.join(' '), [...words, '<eos>'], [...words.slice(0, 30).map((w) => w.toUpperCase()), '<eos>'], (i) => i * 1.1, 2.5);
      return { type: 'show', model, translations: [many], selected: 0, total: 1 };
    }
    default:
      return { type: 'show', model, translations: [cold, long], selected: 0, total: 2 };
  }
}

function stubScript(name: string): string {
  return `(() => {
  const msg = ${JSON.stringify(scenario(name))};
  window.__messagesFromPage = [];
  window.acquireVsCodeApi = () => ({
    postMessage(m) { window.__messagesFromPage.push(m); if (m.type === 'ready') setTimeout(() => window.postMessage(msg, '*'), 0); },
    getState() { return undefined; },
    setState() {},
  });
})();
`;
}

/** Serve the preview; resolves with the server and its base URL. */
export async function servePreview(port = 0): Promise<{ server: http.Server; url: string }> {
  if (!fs.existsSync(path.join(webviewDir, 'attention.js'))) {
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
      let html = renderAttentionHtml({ cspSource: origin, nonce, scriptUri: '/webview/attention.js', styleUri: '/webview/attention.css' });
      html = html
        .replace('<link rel="stylesheet"', `<link rel="stylesheet" href="/theme.css?theme=${encodeURIComponent(theme)}">\n<link rel="stylesheet"`)
        .replace('<body>', `<body class="${(THEMES[theme] ?? THEMES.dark).bodyClass}">`)
        .replace('<script nonce=', `<script nonce="${nonce}" src="/stub.js?${q.toString()}"></script>\n<script nonce=`);
      return send('text/html; charset=utf-8', html);
    }
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    if (url.pathname === '/theme.css') return send('text/css', themeCss(q.get('theme') ?? 'dark'));
    if (url.pathname === '/stub.js') return send('text/javascript', stubScript(q.get('scenario') ?? 'bahdanau'));
    const file = path.join(webviewDir, path.normalize(url.pathname.replace(/^\/webview\//, '')));
    if (url.pathname.startsWith('/webview/') && file.startsWith(webviewDir) && fs.existsSync(file)) {
      return send(file.endsWith('.css') ? 'text/css' : 'text/javascript', fs.readFileSync(file));
    }
    res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

async function screenshots(baseUrl: string): Promise<void> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const outDir = path.join(root, '.scratch', 'attention-preview');
  fs.mkdirSync(outDir, { recursive: true });
  // name, query, width, hover (row, col) over a heatmap cell
  const shots: [string, string, number, [number, number]?][] = [
    ['dark-bahdanau-hover', 'theme=dark&scenario=bahdanau', 900, [2, 2]],
    ['light-bahdanau', 'theme=light&scenario=bahdanau', 900],
    ['hc-bahdanau-hover', 'theme=hc&scenario=bahdanau', 900, [1, 1]],
    ['dark-long', 'theme=dark&scenario=long', 900, [7, 6]],
    ['light-long-narrow', 'theme=light&scenario=long', 520],
    ['dark-none', 'theme=dark&scenario=none', 900],
    ['light-many', 'theme=light&scenario=many', 700],
    ['hc-empty', 'theme=hc&scenario=empty', 700],
  ];
  try {
    for (const [name, query, width, hover] of shots) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(baseUrl + '?' + query);
      await page.waitForTimeout(300);
      if (hover) {
        const cell = page.locator(`rect.cell[data-row="${hover[0]}"][data-col="${hover[1]}"]`);
        await cell.hover();
        await page.waitForTimeout(100);
      }
      const file = path.join(outDir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      console.log(`${path.relative(root, file)}${problems.length ? '\n  ' + problems.join('\n  ') : ''}`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const wantShots = process.argv.includes('--screenshots');
  const { server, url } = await servePreview(wantShots ? 0 : 5078);
  if (!wantShots) {
    console.log(`Attention view preview: ${url}?theme=dark&scenario=bahdanau`);
    return;
  }
  try {
    await screenshots(url);
  } finally {
    server.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

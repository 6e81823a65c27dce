/**
 * Look at the Training panel without VS Code: serves dist/webview/training.*
 * in a plain page with the panel's real HTML and CSP, a fake
 * `acquireVsCodeApi` that replays a scripted run, and VS Code-like theme
 * variables; optionally takes screenshots with playwright-core + Chromium.
 *
 *   npx tsx scripts/preview-training-panel.ts                 # serve, print URL (Ctrl+C to stop)
 *   npx tsx scripts/preview-training-panel.ts --screenshots   # write .scratch/panel-preview/*.png and exit
 *
 * URL parameters: theme=dark|light|hc, scenario=running|finished|failed|empty,
 * steps=N (progress events replayed), stream=1 (keep sending events live).
 * Run `npm run build` first (the script builds the webview if it is missing).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import type { TrainingEvent } from '../src/core/events';
import { makeNonce, renderPanelHtml } from '../src/host/logic/panelHtml';

const root = path.join(__dirname, '..');
const webviewDir = path.join(root, 'dist', 'webview');

/** Theme variables as VS Code sets them on the webview's <html> (a representative subset of Dark/Light Modern and High Contrast). */
const THEMES: Record<string, { bodyClass: string; vars: Record<string, string> }> = {
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      foreground: '#cccccc', 'editor-background': '#1f1f1f', descriptionForeground: '#9d9d9d',
      'sideBar-background': '#181818', 'widget-border': '#313131', 'panel-border': '#2b2b2b',
      'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1',
      'button-border': '#ffffff12', 'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc',
      'button-secondaryHoverBackground': '#3c3c3c', 'badge-background': '#616161', 'badge-foreground': '#f8f8f8',
      'progressBar-background': '#0078d4', 'errorForeground': '#f85149', 'editorWarning-foreground': '#cca700',
      'testing-iconPassed': '#73c991', 'textLink-foreground': '#4daafc', 'textBlockQuote-background': '#2b2b2b',
      'inputValidation-errorBackground': '#5a1d1d', 'inputValidation-errorBorder': '#be1100',
      'list-hoverBackground': '#2a2d2e', 'textPreformat-foreground': '#d0d0d0', focusBorder: '#0078d4',
      'editor-selectionBackground': '#264f78', 'editorCursor-foreground': '#aeafad',
      'charts-foreground': '#cccccc', 'charts-lines': '#cccccc80', 'charts-blue': '#3794ff', 'charts-orange': '#d18616',
      'charts-green': '#89d185', 'charts-red': '#f14c4c', 'charts-yellow': '#cca700',
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
      'progressBar-background': '#005fb8', 'errorForeground': '#f85149', 'editorWarning-foreground': '#bf8803',
      'testing-iconPassed': '#388a34', 'textLink-foreground': '#005fb8', 'textBlockQuote-background': '#f8f8f8',
      'inputValidation-errorBackground': '#f2dede', 'inputValidation-errorBorder': '#be1100',
      'list-hoverBackground': '#f2f2f2', 'textPreformat-foreground': '#3b3b3b', focusBorder: '#005fb8',
      'editor-selectionBackground': '#add6ff', 'editorCursor-foreground': '#000000',
      'charts-foreground': '#616161', 'charts-lines': '#61616180', 'charts-blue': '#1a85ff', 'charts-orange': '#d18616',
      'charts-green': '#388a34', 'charts-red': '#e51400', 'charts-yellow': '#bf8803',
    },
  },
  hc: {
    bodyClass: 'vscode-high-contrast',
    vars: {
      foreground: '#ffffff', 'editor-background': '#000000', descriptionForeground: '#ffffffb3',
      'sideBar-background': '#000000', 'widget-border': '#6fc3df', 'panel-border': '#6fc3df', contrastBorder: '#6fc3df',
      'button-background': '#000000', 'button-foreground': '#ffffff', 'button-border': '#6fc3df',
      'button-secondaryBackground': '#000000', 'button-secondaryForeground': '#ffffff',
      'badge-background': '#000000', 'badge-foreground': '#ffffff', 'progressBar-background': '#6fc3df',
      'errorForeground': '#f48771', 'editorWarning-foreground': '#ffd370', 'testing-iconPassed': '#73c991',
      'textLink-foreground': '#21a6ff', 'inputValidation-errorBackground': '#000000', 'inputValidation-errorBorder': '#f38518',
      'list-hoverBackground': '#000000', focusBorder: '#f38518', 'editor-selectionBackground': '#ffffff',
      'charts-foreground': '#ffffff', 'charts-lines': '#ffffff80', 'charts-blue': '#3794ff', 'charts-orange': '#d18616',
      'charts-green': '#89d185', 'charts-red': '#f14c4c', 'charts-yellow': '#ffd370',
    },
  },
};
const FONT_VARS = {
  'font-family': `-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif`,
  'font-size': '13px',
  'font-weight': 'normal',
  'editor-font-family': `"Droid Sans Mono", "monospace", monospace`,
};

function themeCss(name: string): string {
  const t = THEMES[name] ?? THEMES.dark;
  const lines = Object.entries({ ...FONT_VARS, ...t.vars }).map(([k, v]) => `  --vscode-${k}: ${v};`);
  return `html {\n${lines.join('\n')}\n}\n`;
}

const SAMPLE_PAIRS: [string, string, string[]][] = [
  ['i am cold .', 'j ai froid .', ['je suis .', 'j ai froid .']],
  ['he is reading a book .', 'il lit un livre .', ['il est un livre .', 'il lit un livre .']],
  ['we have to leave now .', 'nous devons partir maintenant .', ['nous devons nous .', 'nous devons partir maintenant .']],
  ['this soup is too salty .', 'cette soupe est trop salée .', ['cette est est trop .', 'cette soupe est trop salée .']],
  ['where did you put my keys ?', 'où as-tu mis mes clés ?', ['où est tu mes ?', 'où as-tu mis mes clefs ?']],
];

/** A plausible run: `steps` progress reports (every 10 steps), validation every 500 steps. */
function scriptedRun(scenario: string, reports: number): { events: TrainingEvent[]; running: boolean; failure?: string } {
  const backend = 'wasm';
  const stepsPerEpoch = 2500;
  const totalSteps = stepsPerEpoch * 10;
  const runDir = '/home/user/project/runs/fra-eng-20250101-120000';
  const events: TrainingEvent[] = [];
  if (scenario === 'empty') return { events, running: true };
  events.push({
    type: 'started', runDir, backend, parameters: 2_345_678, trainPairs: 150_312, validPairs: 8_350, testPairs: 8_350,
    srcVocabSize: 8000, tgtVocabSize: 8000, stepsPerEpoch, totalSteps, startStep: 0, time: new Date(0).toISOString(),
  });
  events.push({ type: 'log', level: 'info', message: 'Using the wasm backend (4 threads, SIMD).' });
  reports = Math.min(reports, totalSteps / 10);
  let lr = 1e-3;
  let bestBleu = NaN;
  for (let i = 1; i <= reports; i++) {
    const step = i * 10;
    const t = step / 1000;
    const loss = 1.2 + 6.5 * Math.exp(-t / 1.3) + 0.9 * Math.exp(-t / 12) + 0.08 * Math.sin(i * 1.7) + 0.05 * Math.cos(i * 0.37);
    const elapsed = step * 0.21;
    events.push({
      type: 'progress', backend, step, epoch: Math.floor((step - 1) / stepsPerEpoch) + 1, loss, perplexity: Math.exp(loss),
      tokensPerSecond: 1800 + 120 * Math.sin(i / 9), etaSeconds: (totalSteps - step) * 0.21, learningRate: lr, elapsedSeconds: elapsed,
    });
    if (step % 500 === 0) {
      const k = step / 500;
      const ppl = Math.exp(1.6 + 5 * Math.exp(-t / 1.5) + 0.6 * Math.exp(-t / 10));
      const bleu = Math.max(0, 38 * (1 - Math.exp(-t / 4)) + 1.2 * Math.sin(k));
      const isBest = !(bleu <= bestBleu);
      if (isBest) bestBleu = bleu;
      if (k % 9 === 0) lr /= 2;
      const late = k > 6 ? 1 : 0;
      events.push({
        type: 'validation', backend, step, epoch: Math.floor((step - 1) / stepsPerEpoch) + 1, loss: Math.log(ppl), perplexity: ppl, bleu,
        samples: SAMPLE_PAIRS.map(([source, reference, hyps]) => ({ source, reference, hypothesis: hyps[late] })),
        isBest, learningRate: lr, elapsedSeconds: elapsed,
      });
      if (isBest) events.push({ type: 'checkpoint', kind: 'best', step, path: `${runDir}/best` });
    }
  }
  const last = reports * 10;
  if (scenario === 'finished') {
    events.push({
      type: 'done', reason: 'early-stopping', backend, step: last, epoch: Math.floor((last - 1) / stepsPerEpoch) + 1,
      elapsedSeconds: last * 0.21, bestBleu, bestPerplexity: 7.9, runDir,
    });
    return { events, running: false };
  }
  if (scenario === 'failed') {
    return { events, running: false, failure: 'Out of memory while allocating a [64, 50, 256] tensor. Reduce train.batchSize or model.hiddenSize in fra-eng.seq2seq.json.' };
  }
  return { events, running: true };
}

function stubScript(scenario: string, reports: number, stream: boolean): string {
  const run = scriptedRun(scenario, reports);
  const info = { name: 'fra-eng', runDir: '/home/user/project/runs/fra-eng-20250101-120000', configPath: '/home/user/project/fra-eng.seq2seq.json' };
  return `(() => {
  const run = ${JSON.stringify(run)};
  const info = ${JSON.stringify(info)};
  const stream = ${stream};
  const post = (data) => window.postMessage(data, '*');
  let step = run.events.filter(e => e.type === 'progress').length * 10;
  window.__messagesFromPage = [];
  window.acquireVsCodeApi = () => ({
    postMessage(msg) {
      window.__messagesFromPage.push(msg);
      if (msg.type === 'ready') {
        post({ type: 'replay', run: info, events: run.events, running: run.running });
        if (run.failure) post({ type: 'failed', message: run.failure });
        if (stream && run.running) setInterval(() => {
          step += 10;
          const loss = 2.2 + 0.3 * Math.sin(step / 300) + 0.1 * Math.random();
          post({ type: 'event', event: { type: 'progress', backend: 'wasm', step, epoch: 1 + Math.floor(step / 2500), loss,
            perplexity: Math.exp(loss), tokensPerSecond: 1800 + 200 * Math.random(), etaSeconds: (25000 - step) * 0.21,
            learningRate: 0.001, elapsedSeconds: step * 0.21 } });
        }, 50);
      }
      if (msg.type === 'stop') setTimeout(() => post({ type: 'event', event: { type: 'done', reason: 'cancelled', backend: 'wasm',
        step, epoch: 1 + Math.floor(step / 2500), elapsedSeconds: step * 0.21, bestBleu: NaN, bestPerplexity: NaN, runDir: info.runDir } }), 300);
    },
    getState() { return undefined; },
    setState() {},
  });
})();
`;
}

/** Serve the preview; resolves with the server and its base URL. */
export async function servePreview(port = 0): Promise<{ server: http.Server; url: string }> {
  if (!fs.existsSync(path.join(webviewDir, 'training.js'))) {
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
      let html = renderPanelHtml({ cspSource: origin, nonce, scriptUri: '/webview/training.js', styleUri: '/webview/training.css' });
      html = html
        .replace('<link rel="stylesheet"', `<link rel="stylesheet" href="/theme.css?theme=${encodeURIComponent(theme)}">\n<link rel="stylesheet"`)
        .replace('<body>', `<body class="${(THEMES[theme] ?? THEMES.dark).bodyClass}">`)
        .replace(
          '<script nonce=',
          `<script nonce="${nonce}" src="/stub.js?${q.toString()}"></script>\n<script nonce=`,
        );
      return send('text/html; charset=utf-8', html);
    }
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    if (url.pathname === '/theme.css') return send('text/css', themeCss(q.get('theme') ?? 'dark'));
    if (url.pathname === '/stub.js') {
      return send('text/javascript', stubScript(q.get('scenario') ?? 'running', Number(q.get('steps') ?? 900), q.get('stream') === '1'));
    }
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
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const outDir = path.join(root, '.scratch', 'panel-preview');
  fs.mkdirSync(outDir, { recursive: true });
  const shots: [string, string, number][] = [
    ['dark-running', 'theme=dark&scenario=running&steps=900', 1100],
    ['light-running', 'theme=light&scenario=running&steps=900', 1100],
    ['hc-finished', 'theme=hc&scenario=finished&steps=2500', 1100],
    ['dark-failed', 'theme=dark&scenario=failed&steps=120', 1100],
    ['light-empty', 'theme=light&scenario=empty', 1100],
    ['dark-narrow', 'theme=dark&scenario=running&steps=2200', 560],
  ];
  try {
    for (const [name, query, width] of shots) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await page.goto(baseUrl + '?' + query);
      await page.waitForTimeout(600);
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
  const { server, url } = await servePreview(wantShots ? 0 : 5077);
  if (!wantShots) {
    console.log(`Training panel preview: ${url}?theme=dark&scenario=running&stream=1`);
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

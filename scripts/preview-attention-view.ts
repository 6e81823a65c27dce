/**
 * Look at the attention view without VS Code: serves dist/webview/attention.*
 * in a plain page with the view's real HTML and CSP, a fake
 * `acquireVsCodeApi` that answers `ready` with scripted translations, and
 * VS Code-like theme variables; optionally takes screenshots with
 * playwright-core + Chromium.
 *
 *   npx tsx scripts/preview-attention-view.ts                 # serve, print URL (Ctrl+C to stop)
 *   npx tsx scripts/preview-attention-view.ts --screenshots   # write .scratch/attention-preview/*.png and exit
 *   npx tsx scripts/preview-attention-view.ts --screenshots --locale zh-cn [--out DIR]  # in Simplified Chinese
 *   npx tsx scripts/preview-attention-view.ts --run DIR [--pair 'source<TAB>reference']   # scenario=forced from a trained run
 *
 * With `--run DIR` the `forced` scenario translates a sentence with that run
 * (its reference scored, the search-error table, the beam tree) and
 * re-decodes it after the second alternative of its second step (what-if):
 * the forced-decoding sections with real numbers.
 *
 * URL parameters: theme=dark|light|hc, scenario=bahdanau|long|none|many|empty
 * (some screenshots hover a heatmap cell). Builds dist/ first if
 * dist/webview/attention.js is missing. Shared parts: scripts/lib/webviewPreview.ts.
 */
import * as path from 'path';
import type { Page } from 'playwright-core';
import type { Translation } from '../src/core/decoding/translator';
import type { ShowTranslationsMessage } from '../src/protocol/attentionView';
import { renderAttentionHtml } from '../src/host/logic/attentionHtml';
import { PreviewSpec, previewMain, root, Shot } from './lib/webviewPreview';

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

/** The `forced` scenario, built from a trained run (`--run`). */
let forcedScenario: ShowTranslationsMessage | undefined;

/** Translate `pair` (source, tab, reference) with the run at `runDir`, as the attention view would show it. */
async function buildForcedScenario(runDir: string, pair: string): Promise<ShowTranslationsMessage> {
  const { Translator } = await import('../src/core/decoding/translator');
  const t = await Translator.load(runDir);
  try {
    const { source, reference } = t.splitTsvLine(pair);
    const tree = t.config.train.beamSize > 1 ? t.config.train.beamSize : 5;
    const translation = t.translate(source, { beamTree: true, reference, referenceBeams: [1, 2, 5, 10], referenceTreeBeam: tree });
    const step = Math.min(1, translation.candidates.length - 1);
    const alt = translation.candidates[step].find((c) => c.token !== translation.targetTokens[step])?.token ?? translation.targetTokens[step];
    const whatIf = t.translate(source, { prefix: { tokens: [...translation.targetTokens.slice(0, step), alt] } });
    return {
      type: 'show',
      model: { name: t.config.name ?? path.basename(runDir), attention: t.config.model.attention, beamSize: t.config.train.beamSize },
      translations: [translation],
      selected: 0,
      total: 1,
      whatIf: { 0: whatIf },
    };
  } finally {
    t.dispose();
  }
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
    case 'forced':
      if (!forcedScenario) throw new Error('scenario=forced needs --run DIR');
      return forcedScenario;
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

const ATTENTION_VIEW: PreviewSpec = {
  bundle: 'attention',
  renderHtml: renderAttentionHtml,
  stubScript: (q) => stubScript(q.get('scenario') ?? 'bahdanau'),
};

/** Hover the heatmap cell (row, col) before the screenshot. */
const hoverCell = (row: number, col: number) => async (page: Page) => {
  await page.locator(`rect.cell[data-row="${row}"][data-col="${col}"]`).hover();
  await page.waitForTimeout(100);
};

/** Click output step `row` (a heatmap row label) for the what-if section. */
const clickStep = (row: number) => async (page: Page) => {
  await page.locator(`svg.heatmap:not(.what-if-heatmap):not(.forced-alignment) .row-label[data-row="${row}"]`).first().click();
  await page.waitForTimeout(200);
};

const FORCED_SHOTS: Shot[] = [
  { name: 'dark-forced', query: 'theme=dark&scenario=forced', width: 1000, settleMs: 400, before: clickStep(1) },
  { name: 'light-forced', query: 'theme=light&scenario=forced', width: 1000, settleMs: 400, before: clickStep(1) },
];

const SHOTS: Shot[] = [
  { name: 'dark-bahdanau-hover', query: 'theme=dark&scenario=bahdanau', width: 900, settleMs: 300, before: hoverCell(2, 2) },
  { name: 'light-bahdanau', query: 'theme=light&scenario=bahdanau', width: 900, settleMs: 300 },
  { name: 'hc-bahdanau-hover', query: 'theme=hc&scenario=bahdanau', width: 900, settleMs: 300, before: hoverCell(1, 1) },
  { name: 'dark-long', query: 'theme=dark&scenario=long', width: 900, settleMs: 300, before: hoverCell(7, 6) },
  { name: 'light-long-narrow', query: 'theme=light&scenario=long', width: 520, settleMs: 300 },
  { name: 'dark-none', query: 'theme=dark&scenario=none', width: 900, settleMs: 300 },
  { name: 'light-many', query: 'theme=light&scenario=many', width: 700, settleMs: 300 },
  { name: 'hc-empty', query: 'theme=hc&scenario=empty', width: 700, settleMs: 300 },
];

async function main(): Promise<void> {
  const i = process.argv.indexOf('--run');
  const run = i >= 0 ? process.argv[i + 1] : undefined;
  if (run) {
    const p = process.argv.indexOf('--pair');
    forcedScenario = await buildForcedScenario(path.resolve(run), p >= 0 ? process.argv[p + 1] : 'The boy will buy the cake.\tle garçon achètera le gâteau.');
  }
  await previewMain(ATTENTION_VIEW, {
    port: 5078,
    title: 'Attention view preview',
    exampleQuery: run ? 'theme=dark&scenario=forced' : 'theme=dark&scenario=bahdanau',
    outDir: path.join(root, '.scratch', 'attention-preview'),
    shots: run ? FORCED_SHOTS : SHOTS,
  });
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

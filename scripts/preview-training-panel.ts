/**
 * Look at the Training panel without VS Code: serves dist/webview/training.*
 * in a plain page with the panel's real HTML and CSP, a fake
 * `acquireVsCodeApi` that replays a scripted run, and VS Code-like theme
 * variables; optionally takes screenshots with playwright-core + Chromium.
 *
 *   npx tsx scripts/preview-training-panel.ts                 # serve, print URL (Ctrl+C to stop)
 *   npx tsx scripts/preview-training-panel.ts --screenshots   # write .scratch/panel-preview/*.png and exit
 *   npx tsx scripts/preview-training-panel.ts --screenshots --locale zh-cn [--out DIR]  # in Simplified Chinese
 *   npx tsx scripts/preview-training-panel.ts --run DIR [--screenshots]   # scenario=recorded: a run folder's metrics.jsonl
 *
 * URL parameters: theme=dark|light|hc, scenario=running|finished|failed|empty|norun|requeued
 * (norun: the panel before any training run; requeued: a followed Slurm run whose job
 * checkpointed at its time limit and waits in the queue),
 * steps=N (progress events replayed), stream=1 (keep sending events live).
 * Builds dist/ first if dist/webview/training.js is missing. Shared parts:
 * scripts/lib/webviewPreview.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Page } from 'playwright-core';
import type { TrainingEvent } from '../src/core/training/events';
import { renderPanelHtml } from '../src/host/logic/panelHtml';
import { PreviewSpec, previewMain, root, Shot } from './lib/webviewPreview';

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
  if (scenario === 'norun') return { events, running: false };
  events.push({
    type: 'started', runDir, backend, parameters: 2_345_678, trainPairs: 150_312, validPairs: 8_350, testPairs: 8_350,
    srcVocabSize: 8000, tgtVocabSize: 8000, stepsPerEpoch, totalSteps, startStep: 0, time: new Date(0).toISOString(), threads: 2, simd: 'relaxed',
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

/** The `recorded` scenario: a run folder's metrics.jsonl (`--run DIR`), shown finished. */
let recorded: { events: TrainingEvent[]; running: boolean } | undefined;

function stubScript(scenario: string, reports: number, stream: boolean): string {
  if (scenario === 'recorded' && !recorded) throw new Error('scenario=recorded needs --run DIR');
  const run = scenario === 'recorded' ? recorded! : scriptedRun(scenario === 'requeued' ? 'running' : scenario, reports);
  const job = scenario === 'requeued' ? { queued: true, note: 'checkpointed at step 9000 before the time limit and requeued' } : undefined;
  const info = scenario === 'norun' ? undefined : { name: 'fra-eng', runDir: '/home/user/project/runs/fra-eng-20250101-120000', configPath: '/home/user/project/fra-eng.seq2seq.json' };
  return `(() => {
  const run = ${JSON.stringify(run)};
  const info = ${JSON.stringify(info ?? null)} ?? undefined;
  const stream = ${stream};
  const job = ${JSON.stringify(job ?? null)} ?? undefined;
  const post = (data) => window.postMessage(data, '*');
  let step = run.events.filter(e => e.type === 'progress').length * 10;
  window.__messagesFromPage = [];
  window.acquireVsCodeApi = () => ({
    postMessage(msg) {
      window.__messagesFromPage.push(msg);
      if (msg.type === 'ready') {
        post({ type: 'replay', run: info, events: run.events, running: run.running, job });
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

const TRAINING_PANEL: PreviewSpec = {
  bundle: 'training',
  renderHtml: renderPanelHtml,
  stubScript: (q) => stubScript(q.get('scenario') ?? 'running', Number(q.get('steps') ?? 900), q.get('stream') === '1'),
};

const SHOTS: Shot[] = [
  { name: 'dark-running', query: 'theme=dark&scenario=running&steps=900', width: 1100, settleMs: 600 },
  { name: 'light-running', query: 'theme=light&scenario=running&steps=900', width: 1100, settleMs: 600 },
  { name: 'hc-finished', query: 'theme=hc&scenario=finished&steps=2500', width: 1100, settleMs: 600 },
  { name: 'dark-failed', query: 'theme=dark&scenario=failed&steps=120', width: 1100, settleMs: 600 },
  { name: 'light-empty', query: 'theme=light&scenario=empty', width: 1100, settleMs: 600 },
  { name: 'dark-norun', query: 'theme=dark&scenario=norun', width: 1100, settleMs: 600 },
  { name: 'dark-narrow', query: 'theme=dark&scenario=running&steps=2200', width: 560, settleMs: 600 },
  { name: 'dark-requeued', query: 'theme=dark&scenario=requeued&steps=900', width: 1100, settleMs: 600 },
];

/** Drag the alignment slider to validation `k` (from the start) before the screenshot. */
const slideTo = (k: number) => async (page: Page) => {
  await page.locator('#alignment').scrollIntoViewIfNeeded();
  await page.locator('#alignment-step').fill(String(k));
  await page.waitForTimeout(200);
};

const RECORDED_SHOTS: Shot[] = [
  { name: 'dark-recorded-first', query: 'theme=dark&scenario=recorded', width: 1100, settleMs: 600, before: slideTo(0) },
  { name: 'dark-recorded-last', query: 'theme=dark&scenario=recorded', width: 1100, settleMs: 600 },
  { name: 'light-recorded-middle', query: 'theme=light&scenario=recorded', width: 1100, settleMs: 600, before: slideTo(3) },
];

if (require.main === module) {
  const i = process.argv.indexOf('--run');
  const runDir = i >= 0 ? process.argv[i + 1] : undefined;
  if (runDir) {
    const lines = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
    recorded = { events: lines.map((l) => JSON.parse(l) as TrainingEvent), running: false };
  }
  previewMain(TRAINING_PANEL, {
    port: 5077,
    title: 'Training panel preview',
    exampleQuery: runDir ? 'theme=dark&scenario=recorded' : 'theme=dark&scenario=running&stream=1',
    outDir: path.join(root, '.scratch', 'panel-preview'),
    shots: runDir ? RECORDED_SHOTS : SHOTS,
  }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

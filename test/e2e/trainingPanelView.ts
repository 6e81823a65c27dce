/**
 * Shared by reload.e2e.ts and worker-death.e2e.ts: read the Training panel's
 * DOM, the Seq2Seq status bar item and output channel, pick a config in the
 * Train Model quick pick, and read a run folder's metrics.jsonl.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { runCommand } from './harness';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What the Training panel shows. */
export interface PanelView {
  title: string;
  state: string;
  backend: string;
  step: string;
  epoch: string;
  banner: string;
  bannerKind: string;
  /** Latest point of the loss chart, e.g. "0.123 at step 60". */
  lossReadout: string;
  /** Pixels of the loss canvas in the series colour (a drawn curve). */
  lossPixels: number;
  /** Points of the loss curve and the step of its first one. */
  lossPoints: number;
  lossFirstStep: number;
  resumeVisible: boolean;
  resumeTitle: string;
  stopVisible: boolean;
  /** Sample translation rows with a source cell. */
  samples: number;
  /** Loss chart: plot shown (not the "waiting" placeholder). */
  lossShown: boolean;
  /** Lowest text/background contrast ratio (WCAG) among the sample translation cells. */
  samplesContrast: number;
}

/** Browser-side reader (a string: transpiler helpers such as __name do not exist in the page). */

const PANEL_VIEW_SCRIPT = `(() => {
  var q = function (s) { return document.querySelector(s); };
  var text = function (s) { var e = q(s); return e && e.textContent ? e.textContent.trim() : ''; };
  var stat = function (name) {
    var cells = Array.prototype.slice.call(document.querySelectorAll('.stats .stat'));
    for (var i = 0; i < cells.length; i++) {
      var dt = cells[i].querySelector('dt');
      if (dt && dt.textContent.trim() === name) return cells[i].querySelector('dd').textContent.trim();
    }
    return '';
  };
  var chart = document.querySelectorAll('.charts .chart')[0];
  var plot = chart && chart.querySelector('.plot');
  var canvas = chart && chart.querySelector('canvas');
  var pixels = 0;
  if (canvas && canvas.width > 0) {
    var probe = document.createElement('span');
    probe.style.color = getComputedStyle(document.body).getPropertyValue('--vscode-charts-blue').trim() || '#3794ff';
    document.body.appendChild(probe);
    var m = getComputedStyle(probe).color.match(/\\d+/g).map(Number);
    probe.remove();
    var data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (var k = 0; k < data.length; k += 4) {
      if (data[k + 3] > 100 && Math.abs(data[k] - m[0]) + Math.abs(data[k + 1] - m[1]) + Math.abs(data[k + 2] - m[2]) < 60) pixels++;
    }
  }
  // Lowest WCAG contrast ratio of the sample-translation cells against the page background.
  var lum = function (c) {
    var v = c.match(/[\\d.]+/g).map(Number).slice(0, 3).map(function (x) { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  };
  var bg = lum(getComputedStyle(document.body).backgroundColor);
  var minContrast = Infinity;
  Array.prototype.slice.call(document.querySelectorAll('.samples tbody td')).forEach(function (td) {
    var l = lum(getComputedStyle(td).color);
    var ratio = (Math.max(l, bg) + 0.05) / (Math.min(l, bg) + 0.05);
    if (ratio < minContrast) minContrast = ratio;
  });
  var banner = q('.banner');
  var resume = q('.actions button.resume');
  var stop = q('.actions button.stop');
  return {
    title: text('.run-name'),
    state: text('.badge[class*="state-"]'),
    backend: text('.badge.backend'),
    step: stat('Step'),
    epoch: stat('Epoch'),
    banner: banner && !banner.hidden ? banner.textContent.trim() : '',
    bannerKind: banner ? banner.className : '',
    lossReadout: text('.charts .chart .readout'),
    lossPixels: pixels,
    lossPoints: chart ? Number(chart.dataset.points || 0) : 0,
    lossFirstStep: chart && chart.dataset.firstStep ? Number(chart.dataset.firstStep) : NaN,
    resumeVisible: !!resume && !resume.hidden,
    resumeTitle: resume ? resume.title : '',
    stopVisible: !!stop && !stop.hidden,
    samples: document.querySelectorAll('.samples tbody td.src').length,
    lossShown: !!plot && !plot.classList.contains('hidden'),
    samplesContrast: minContrast
  };
})()`;

export async function panelView(frame: Frame): Promise<PanelView> {
  return (await frame.evaluate(PANEL_VIEW_SCRIPT)) as PanelView;
}

/** "12 / 102" → 12 (NaN when no step yet). */
export function stepNumber(v: PanelView): number {
  return Number.parseInt(v.step, 10);
}

/** "0.123 at step 60" → 60 (NaN when empty). */
export function readoutStep(v: PanelView): number {
  const m = /at step (\d+)/.exec(v.lossReadout);
  return m ? Number(m[1]) : NaN;
}

/** Poll the panel until `done(view)`; `each` sees every view. @throws with the last view after `timeoutMs`. */
export async function watchPanel(frame: Frame, done: (v: PanelView) => boolean, timeoutMs: number, each?: (v: PanelView) => Promise<void> | void): Promise<PanelView> {
  const end = Date.now() + timeoutMs;
  while (true) {
    const v = await panelView(frame);
    await each?.(v);
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`panel did not reach the expected state within ${timeoutMs} ms; last view: ${JSON.stringify(v)}`);
    await sleep(150);
  }
}

/** Text of the Seq2Seq status bar item ('' when hidden). */
export async function statusBarText(page: Page): Promise<string> {
  const items = await page.locator('.part.statusbar .statusbar-item').allTextContents();
  return items.map((t) => t.trim()).find((t) => t.includes('Seq2Seq:')) ?? '';
}

/** In the open Train Model quick pick, choose the config named `file`; @returns the labels the pick offered. */
export async function pickConfig(page: Page, file: string): Promise<string[]> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-title', { hasText: 'Seq2Seq: Train Model' }).waitFor({ state: 'visible', timeout: 20_000 });
  const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: file }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  const labels = (await widget.locator('.quick-input-list .monaco-list-row .label-name').allTextContents()).map((l) => l.trim());
  await row.click();
  await widget.waitFor({ state: 'hidden', timeout: 10_000 });
  return labels;
}

/**
 * Palette → Train Seq2Seq Model, until its config pick shows. A quick pick
 * closes when focus leaves it; once, in CI, it closed right after opening
 * (a webview shown just before took the focus): then it is opened again.
 */
export async function openTrainPick(page: Page): Promise<void> {
  const title = page.locator('.quick-input-widget .quick-input-title', { hasText: 'Seq2Seq: Train Model' });
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, 'Seq2Seq: Train Seq2Seq Model', 30_000);
    try {
      await title.waitFor({ state: 'visible', timeout: 10_000 });
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

/** Palette → Train Seq2Seq Model → `file`. */
export async function trainConfig(page: Page, file: string): Promise<void> {
  await openTrainPick(page);
  await pickConfig(page, file);
}

/** Show the "Seq2Seq" output channel in the panel; returns the locator of its lines. */
export async function showOutputChannel(page: Page) {
  await runCommand(page, 'Output: Show Output Channels...');
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: /^Seq2Seq/ }).first();
  await row.waitFor({ state: 'visible', timeout: 10_000 });
  await row.click();
  return page.locator('.part.panel .output-view .view-lines');
}

/** The events of a run folder's metrics.jsonl. */
export function readMetrics(runDir: string): { type: string; step?: number; startStep?: number; kind?: string }[] {
  return fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string });
}

/** The only run folder under `<workspace>/runs` whose name starts with `prefix`. */
export function runFolder(workspace: string, prefix: string): string {
  const runs = fs.readdirSync(path.join(workspace, 'runs')).filter((d) => d.startsWith(`${prefix}-`));
  if (runs.length !== 1) throw new Error(`expected one ${prefix}-* run folder, found ${JSON.stringify(runs)}`);
  return path.join(workspace, 'runs', runs[0]);
}

/** A reversal-task config (see fixtures/reverseTask.ts) that validates, and writes last/, every `validEvery` steps. */
export function writeConfig(workspace: string, file: string, name: string, train: Record<string, unknown>): void {
  const config = {
    name,
    data: { train: 'data/reverse.tsv', tokenizer: 'word', maxLength: 10, validFraction: 0.1, testFraction: 0, maxValidSentences: 30 },
    model: { cell: 'gru', attention: 'bahdanau', embeddingSize: 16, hiddenSize: 32, bidirectional: true },
    train: { batchSize: 16, learningRate: 0.01, seed: 1, ...train },
  };
  fs.writeFileSync(path.join(workspace, file), JSON.stringify(config, null, 2) + '\n');
}

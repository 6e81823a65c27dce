/**
 * A Transformer run in a real VS Code (code-server + Chromium, packaged .vsix):
 * a tiny `model.type: "transformer"` config on the word-reversal workspace
 * (fixtures/reverseTask.ts) is trained with the CLI in before(), then
 *
 *   sentences.txt → select a line → "Seq2Seq: Translate Selection" → "Show Attention"
 *   → the heatmap shows the default matrix (last layer's cross-attention, average over
 *   heads) with the layer/head selector → head 1 of layer 1 → encoder self-attention
 *   (source × source) → decoder self-attention (outputs × `<bos>` + outputs, nothing
 *   above the diagonal), each checked cell by cell against `seq2seq translate --json`.
 *
 * Run: npx mocha --no-config -r tsx/cjs -t 300000 --exit test/e2e/transformer.e2e.ts
 * Screenshots: .e2e/screenshots/transformer-*.png.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { REPO_ROOT, closeWorkbench, openFile, runCommand, screenshot, startWorkbench, waitForNotification, webviewFrame, type Workbench } from './harness';
import { packagedVsix } from './vsix';
import { DATA_FILE, writeReverseWorkspace } from './fixtures/reverseTask';
import type { Translation } from '../../src/core/decoding/translator';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const CLI = path.join(REPO_ROOT, 'bin', 'seq2seq.js');
const SENTENCE = 'red cat moon sun';

function cli(args: string[], cwd: string, input?: string): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, input, encoding: 'utf8', timeout: 240_000, env: { ...process.env, SEQ2SEQ_BACKEND: 'wasm' } });
  if (r.status !== 0) throw new Error(`seq2seq ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** What the view shows: labels, the selector's options and values, and every cell's weight. */
interface HeadsDom {
  badges: string[];
  rowLabels: string[];
  colLabels: string[];
  /** `[row][col]` weights from the cells' tooltips' data (the cell grid in row-major order). */
  cells: { row: number; col: number; opacity: string }[];
  kinds: string[];
  layers: string[];
  heads: string[];
  kind: string;
  layer: string;
  head: string;
  picker: boolean;
}

const DOM_SCRIPT = `(() => {
  var all = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var label = function (e) { var c = e.firstChild; return c && c.nodeType === 3 ? c.textContent : e.textContent; };
  var opts = function (id) { return all('#' + id + ' option').map(function (o) { return o.textContent; }); };
  var val = function (id) { var e = document.getElementById(id); return e ? e.value : ''; };
  return {
    badges: all('.title-row .badge').map(function (e) { return e.textContent.trim(); }),
    rowLabels: all('svg.heatmap .row-label').map(label),
    colLabels: all('svg.heatmap .col-label').map(label),
    cells: all('svg.heatmap rect.cell').map(function (e) { return { row: Number(e.getAttribute('data-row')), col: Number(e.getAttribute('data-col')), opacity: e.getAttribute('fill-opacity') }; }),
    kinds: opts('head-kind'), layers: opts('head-layer'), heads: opts('head-index'),
    kind: val('head-kind'), layer: val('head-layer'), head: val('head-index'),
    picker: !!document.getElementById('head-picker')
  };
})()`;

async function dom(frame: Frame): Promise<HeadsDom> {
  return (await frame.evaluate(DOM_SCRIPT)) as HeadsDom;
}

async function waitFor(frame: Frame, done: (v: HeadsDom) => boolean, what: string, timeoutMs = 30_000): Promise<HeadsDom> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await dom(frame);
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: last view ${JSON.stringify({ ...v, cells: v.cells.length })}`);
    await sleep(200);
  }
}

/** The tooltip text of cell (row, col): "<row token> ← <col token>: <weight to 3 places>". */
async function tooltip(frame: Frame, row: number, col: number): Promise<string> {
  await frame.locator(`svg.heatmap rect.cell[data-row="${row}"][data-col="${col}"]`).hover();
  const tip = frame.locator('.tooltip');
  await tip.waitFor({ state: 'visible', timeout: 5000 });
  return ((await tip.textContent()) ?? '').trim();
}

/** Check every cell's tooltip weight against `matrix` (rows × cols labelled `rows` / `cols`). */
async function assertMatrix(frame: Frame, matrix: number[][], rows: string[], cols: string[], what: string): Promise<void> {
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < cols.length; j++) {
      assert.equal(await tooltip(frame, i, j), `${rows[i]} ← ${cols[j]}: ${matrix[i][j].toFixed(3)}`, `${what} [${i}][${j}]`);
    }
  }
}

async function choose(frame: Frame, id: string, value: string): Promise<void> {
  await frame.locator(`#${id}`).selectOption({ value });
  await waitFor(frame, (v) => (id === 'head-kind' ? v.kind : id === 'head-layer' ? v.layer : v.head) === value, `select ${id} = ${value}`);
}

describe('Transformer: attention view with every layer and head (packaged extension)', function () {
  this.timeout(300_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;
  let frame: Frame;
  let want: Translation;

  before(async function () {
    this.timeout(600_000);
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-transformer-'));
    writeReverseWorkspace(workspace);
    const config = {
      name: 'tiny-transformer',
      data: { train: DATA_FILE, tokenizer: 'word', maxLength: 10, validFraction: 0.1, testFraction: 0, maxValidSentences: 30 },
      model: { type: 'transformer', dropout: 0, transformer: { layers: 2, heads: 2, modelSize: 32, ffSize: 64 } },
      train: { batchSize: 16, learningRate: 0.003, epochs: 12, logEvery: 10, validEvery: 60, seed: 1, schedule: 'inverse-sqrt', warmupSteps: 30, labelSmoothing: 0.1 },
    };
    fs.writeFileSync(path.join(workspace, 'transformer.seq2seq.json'), JSON.stringify(config, null, 2) + '\n');
    fs.writeFileSync(path.join(workspace, 'sentences.txt'), SENTENCE + '\n');
    cli(['train', '--config', 'transformer.seq2seq.json', '--out', 'runs/transformer-cli'], workspace);
    want = JSON.parse(cli(['translate', '--model', 'runs/transformer-cli', '--json'], workspace, SENTENCE + '\n').trim()) as Translation;
    assert.ok(want.heads, 'the CLI translation carries every head');
    wb = await startWorkbench(workspace, vsix);
    page = wb.page;
  });

  after(async function () {
    await closeWorkbench(wb, workspace);
  });

  it('translates a line and opens the attention view with the default matrix: last layer, cross-attention, average', async function () {
    await openFile(page, 'sentences.txt');
    const line = page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line', { hasText: SENTENCE }).first();
    await line.waitFor({ state: 'visible', timeout: 15_000 });
    await line.click({ position: { x: 2, y: 5 } });
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await runCommand(page, 'Seq2Seq: Translate Selection');
    const msg = await waitForNotification(page, /^Translation: /, 90_000);
    assert.equal(msg, `Translation: “${want.text}”`);
    await page.locator('.notifications-toasts .notification-toast .monaco-button', { hasText: 'Show Attention' }).first().click();
    frame = await webviewFrame(page, 'Seq2Seq Attention', 30_000);
    const v = await waitFor(frame, (x) => x.rowLabels.length > 0 && x.picker, 'heatmap with the head selector');
    assert.deepEqual(v.badges, ['multi-head attention', 'greedy']);
    assert.deepEqual(v.kinds, ['cross-attention', 'encoder self-attention', 'decoder self-attention']);
    assert.deepEqual(v.layers, ['1', '2']);
    assert.deepEqual(v.heads, ['average', '1', '2']);
    assert.deepEqual([v.kind, v.layer, v.head], ['cross', '1', '-1'], 'default: cross-attention, last layer (index 1), average');
    assert.deepEqual(v.rowLabels, want.targetTokens);
    assert.deepEqual(v.colLabels, want.sourceTokens);
    await assertMatrix(frame, want.attention, want.targetTokens, want.sourceTokens, 'default = Translation.attention');
    await runCommand(page, 'View: Close Primary Side Bar');
    await sleep(500);
    await frame.locator('svg.heatmap rect.cell[data-row="0"][data-col="0"]').hover();
    await screenshot(page, 'transformer-01-cross-average');
  });

  it('switches to one head of the first layer, then to encoder and decoder self-attention', async function () {
    const hd = want.heads!;
    await choose(frame, 'head-layer', '0');
    await choose(frame, 'head-index', '1');
    await assertMatrix(frame, hd.cross[0][1], want.targetTokens, want.sourceTokens, 'cross, layer 1, head 2');
    await screenshot(page, 'transformer-02-cross-layer1-head2');

    await choose(frame, 'head-kind', 'encoderSelf');
    let v = await dom(frame);
    assert.deepEqual(v.rowLabels, want.sourceTokens, 'encoder self-attention: source × source');
    assert.deepEqual(v.colLabels, want.sourceTokens);
    await assertMatrix(frame, hd.encoderSelf[0][1], want.sourceTokens, want.sourceTokens, 'encoder self, layer 1, head 2');
    await frame.locator('svg.heatmap rect.cell[data-row="1"][data-col="3"]').hover();
    await screenshot(page, 'transformer-03-encoder-self');

    await choose(frame, 'head-kind', 'decoderSelf');
    await choose(frame, 'head-layer', '1');
    await choose(frame, 'head-index', '-1');
    v = await dom(frame);
    const inputs = ['<bos>', ...want.targetTokens.slice(0, -1)];
    assert.deepEqual(v.rowLabels, want.targetTokens);
    assert.deepEqual(v.colLabels, inputs, 'decoder inputs as columns');
    const mean = hd.decoderSelf[1][0].map((row, i) => row.map((w, j) => (w + hd.decoderSelf[1][1][i][j]) / 2));
    await assertMatrix(frame, mean, want.targetTokens, inputs, 'decoder self, layer 2, average');
    mean.forEach((row, i) => row.forEach((w, j) => j > i && assert.equal(w, 0, 'nothing above the diagonal')));
    await frame.locator('svg.heatmap rect.cell[data-row="2"][data-col="1"]').hover();
    await screenshot(page, 'transformer-04-decoder-self');
  });
});

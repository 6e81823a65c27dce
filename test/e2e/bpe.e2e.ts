/**
 * Subword (BPE) runs in a real VS Code (code-server + Chromium, packaged .vsix):
 * a tiny `data.tokenizer: "bpe"` model of the word-reversal task is trained with
 * the CLI, a line is translated with "Translate Selection", and the attention
 * view shows subword tokens (`▁` marks a word start) on both axes; the
 * "Merge subwords into words" toggle shows words instead (a source word's column
 * the sum of its subwords', a target word's row the mean), matching the engine's
 * word groups from `seq2seq translate --json`.
 *
 * Run: bash scripts/e2e/setup.sh && npm run package &&
 *      npx mocha --config test/e2e/.mocharc.json --spec test/e2e/bpe.e2e.ts
 * Screenshots: .e2e/screenshots/bpe-*.png.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { REPO_ROOT, openFile, runCommand, screenshot, startWorkbench, closeWorkbench, waitForNotification, webviewFrame, type Workbench } from './harness';
import { packagedVsix } from './vsix';
import { writeReverseWorkspace, TINY_CONFIG } from './fixtures/reverseTask';
import type { Translation } from '../../src/core/decoding/translator';
import { mergeSubwordAttention } from '../../src/shared/subwordMerge';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const CLI = path.join(REPO_ROOT, 'bin', 'seq2seq.js');
const SENTENCES = ['green moon tree blue', 'red cat sun'];

function cli(args: string[], cwd: string, input?: string): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, input, encoding: 'utf8', timeout: 180_000, env: { ...process.env, SEQ2SEQ_BACKEND: 'wasm' } });
  if (r.status !== 0) throw new Error(`seq2seq ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Axis labels and cell count of the heatmap, and the toggle's state. */
const DOM_SCRIPT = `(() => {
  var all = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var label = function (e) { var c = e.firstChild; return c && c.nodeType === 3 ? c.textContent : e.textContent; };
  var box = document.querySelector('#merge-subwords');
  return {
    output: (document.querySelector('.pair .target') || {}).textContent || '',
    rowLabels: all('svg.heatmap .row-label').map(label),
    colLabels: all('svg.heatmap .col-label').map(label),
    cells: all('svg.heatmap rect.cell').length,
    toggle: box ? (box.checked ? 'on' : 'off') : 'absent',
    toggleTitle: box && box.parentElement ? box.parentElement.title : ''
  };
})()`;
interface Dom {
  output: string;
  rowLabels: string[];
  colLabels: string[];
  cells: number;
  toggle: 'on' | 'off' | 'absent';
  toggleTitle: string;
}

async function waitForDom(frame: Frame, done: (d: Dom) => boolean, timeoutMs = 30_000): Promise<Dom> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const d = (await frame.evaluate(DOM_SCRIPT)) as Dom;
    if (done(d)) return d;
    if (Date.now() > end) throw new Error(`attention view: unexpected state ${JSON.stringify(d)}`);
    await sleep(200);
  }
}

describe('BPE subwords in the attention view (packaged extension)', function () {
  this.timeout(240_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;
  let frame: Frame;
  let want: Translation;

  before(async function () {
    this.timeout(420_000);
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-bpe-'));
    writeReverseWorkspace(workspace, { epochs: 8 });
    const tiny = JSON.parse(fs.readFileSync(path.join(workspace, TINY_CONFIG), 'utf8')) as { data: Record<string, unknown> };
    // Few merges: most words stay split into subwords.
    const bpe = { ...tiny, name: 'tiny-bpe', data: { ...tiny.data, tokenizer: 'bpe', bpe: { merges: 10, joint: true }, maxLength: 30 } };
    fs.writeFileSync(path.join(workspace, 'bpe.seq2seq.json'), JSON.stringify(bpe, null, 2) + '\n');
    fs.writeFileSync(path.join(workspace, 'sentences.txt'), SENTENCES.join('\n') + '\n');
    cli(['train', '--config', 'bpe.seq2seq.json', '--out', 'runs/bpe-cli'], workspace);
    want = JSON.parse(cli(['translate', '--model', 'runs/bpe-cli', '--json'], workspace, SENTENCES[0] + '\n').trim()) as Translation;
    assert.ok(want.sourceTokens.length > SENTENCES[0].split(' ').length + 1, `some source word is split: ${JSON.stringify(want.sourceTokens)}`);
    assert.ok(want.sourceWords && want.targetWords, 'the engine sends word groups for a bpe run');
    wb = await startWorkbench(workspace, vsix);
    page = wb.page;
  });

  after(async function () {
    await closeWorkbench(wb, workspace);
  });

  it('translates a line of a bpe run to clean text and shows subword tokens on both axes', async function () {
    await openFile(page, 'sentences.txt');
    const line = page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line', { hasText: SENTENCES[0] }).first();
    await line.waitFor({ state: 'visible', timeout: 15_000 });
    await line.click({ position: { x: 2, y: 5 } });
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await runCommand(page, 'Seq2Seq: Translate Selection');
    const msg = await waitForNotification(page, /^Translation: /, 90_000);
    assert.equal(msg, `Translation: “${want.text}”`);
    assert.ok(!want.text.includes('\u2581'), 'no word-start marker in the text');
    await page.locator('.notifications-toasts .monaco-button', { hasText: 'Show Attention' }).first().click();
    frame = await webviewFrame(page, 'Seq2Seq Attention', 30_000);
    await runCommand(page, 'View: Close Primary Side Bar');
    const d = await waitForDom(frame, (x) => x.rowLabels.length > 0);
    assert.deepEqual(d.colLabels, want.sourceTokens);
    assert.deepEqual(d.rowLabels, want.targetTokens);
    assert.equal(d.toggle, 'off');
    assert.match(d.toggleTitle, /sum of its subwords' attention weights.*mean of its subwords' rows/);
    await sleep(300);
    await screenshot(page, 'bpe-01-subwords');
  });

  it('"Merge subwords into words" shows words: columns summed, rows averaged, as the shared merge computes', async function () {
    const merged = mergeSubwordAttention(want.attention, want.sourceTokens, want.targetTokens, want.sourceWords!, want.targetWords!);
    assert.deepEqual(merged.sourceLabels, [...SENTENCES[0].split(' '), '<eos>']);
    await frame.locator('#merge-subwords').check();
    const d = await waitForDom(frame, (x) => x.toggle === 'on');
    assert.deepEqual(d.colLabels, merged.sourceLabels);
    assert.deepEqual(d.rowLabels, merged.targetLabels);
    assert.equal(d.cells, merged.sourceLabels.length * merged.targetLabels.length);
    // Hover a merged cell: the tooltip gives the merged weight.
    await frame.locator('svg.heatmap rect.cell[data-row="0"][data-col="0"]').hover();
    const tip = frame.locator('.tooltip');
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    assert.equal((await tip.textContent())?.trim(), `${merged.targetLabels[0]} ← ${merged.sourceLabels[0]}: ${merged.attention[0][0].toFixed(3)}`);
    await screenshot(page, 'bpe-02-merged-words');
    await frame.locator('#merge-subwords').uncheck();
    const back = await waitForDom(frame, (x) => x.toggle === 'off');
    assert.deepEqual(back.colLabels, want.sourceTokens);
  });
});

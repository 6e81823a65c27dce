/**
 * "Translate Selection", the attention view and the Models tree end to end in a real
 * VS Code (code-server + Chromium), with the packaged .vsix installed:
 *
 *   sentences.txt → select a line → right-click → "Translate Selection" → the
 *   translation in a notification (default `seq2seq.translate.output`: "notify") →
 *   its "Show Attention" button → heatmap with target tokens as rows and source tokens
 *   (with `<unk>` for an unknown word) as columns, weight on hover, top-5 candidates,
 *   dark and light themes → two lines → "Replace" edits the editor → Models tree in the
 *   Seq2Seq view container lists both runs with their best BLEU → Set Active on the run
 *   without attention → the view says there is no alignment → an empty runs folder:
 *   the Models welcome and the "no trained model yet" warning whose button starts
 *   Train Model.
 *
 * Two tiny models (word reversal, fixtures/reverseTask.ts) are trained with the CLI in
 * before() (a few seconds each); the expected tokens come from `seq2seq translate --json`
 * on the same run folders, so the test asserts what the UI shows against the engine.
 *
 * Run: npm run test:e2e   (or: bash scripts/e2e/setup.sh && npm run package &&
 *      npx mocha --config test/e2e/.mocharc.json --spec test/e2e/translate.e2e.ts)
 * Screenshots: .e2e/screenshots/translate-*.png.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import {
  REPO_ROOT,
  openFile,
  clearNotifications,
  runCommand,
  screenshot,
  setTheme,
  startWorkbench,
  closeWorkbench,
  waitForNotification,
  webviewFrame,
  type Workbench,
} from './harness';
import { packagedVsix } from './vsix';
import { writeReverseWorkspace } from './fixtures/reverseTask';
import type { Translation } from '../../src/core/decoding/translator';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const CLI = path.join(REPO_ROOT, 'bin', 'seq2seq.js');

/** Source lines in the workspace's sentences.txt; "zebra" is not in the training vocabulary. */
const SENTENCES = ['red cat zebra sun', 'green dog moon', 'blue tree cat red'];

/** One line of `seq2seq translate --json`: the engine's `Translation`. */
type CliTranslation = Translation;

/** Run the CLI (bounded); returns stdout. @throws Error with its output on failure. */
function cli(args: string[], cwd: string, input?: string, timeoutMs = 180_000): string {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd,
    input,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, SEQ2SEQ_BACKEND: 'wasm' },
  });
  if (r.status !== 0) throw new Error(`seq2seq ${args.join(' ')} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** What the attention view shows (read from its DOM). */
interface AttentionDom {
  model: string;
  badges: string[];
  source: string;
  output: string;
  rowLabels: string[];
  colLabels: string[];
  cells: number;
  argmax: number;
  noAttention: string;
  candidateRows: number;
  candidatesPerRow: number[];
  chosen: string[];
  sentenceOptions: string[];
  empty: string;
}

/** Browser-side reader (a string: transpiler helpers such as __name do not exist in the page). */
const ATTENTION_DOM_SCRIPT = `(() => {
  var all = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var text = function (s) { var e = document.querySelector(s); return e && e.textContent ? e.textContent.trim() : ''; };
  var label = function (e) { var c = e.firstChild; return c && c.nodeType === 3 ? c.textContent : e.textContent; };
  return {
    model: text('.model-name'),
    badges: all('.title-row .badge').map(function (e) { return e.textContent.trim(); }),
    source: text('.pair .source'),
    output: text('.pair .target'),
    rowLabels: all('svg.heatmap .row-label').map(label),
    colLabels: all('svg.heatmap .col-label').map(label),
    cells: all('svg.heatmap rect.cell').length,
    argmax: all('svg.heatmap rect.argmax').length,
    noAttention: text('#no-attention'),
    candidateRows: all('.candidates tbody tr.cand-row').length,
    candidatesPerRow: all('.candidates tbody tr.cand-row').map(function (tr) { return tr.querySelectorAll('.cand').length; }),
    chosen: all('.candidates tbody td.chosen-token').map(function (e) { return e.textContent; }),
    sentenceOptions: all('#sentence option').map(function (e) { return e.textContent; }),
    empty: text('.empty h2')
  };
})()`;

async function attentionDom(frame: Frame): Promise<AttentionDom> {
  return (await frame.evaluate(ATTENTION_DOM_SCRIPT)) as AttentionDom;
}

/** Poll the attention view until `done(view)`. @throws Error with the last view after `timeoutMs`. */
async function waitForAttention(frame: Frame, done: (v: AttentionDom) => boolean, timeoutMs = 30_000): Promise<AttentionDom> {
  const end = Date.now() + timeoutMs;
  while (true) {
    const v = await attentionDom(frame);
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`attention view did not reach the expected state within ${timeoutMs} ms; last view: ${JSON.stringify(v)}`);
    await sleep(200);
  }
}

/** The editor lines of the active editor, as rendered. */
async function editorLines(page: Page): Promise<string[]> {
  const lines = await page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line').evaluateAll((els) =>
    els
      .map((e) => ({ top: parseFloat((e as HTMLElement).style.top || '0'), text: (e.textContent ?? '').replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text),
  );
  return lines;
}

/** The rendered line `i` (0-based) of the active editor. */
function editorLine(page: Page, text: string): Locator {
  return page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line', { hasText: text }).first();
}

/**
 * Select whole lines `[from, to]` (0-based) of the editor showing sentences.txt as a user
 * does: click at the end of the first line's text, Home, then Shift+Down / Shift+End.
 */
async function selectLines(page: Page, from: number, to: number): Promise<void> {
  const first = editorLine(page, SENTENCES[from]);
  await first.click({ position: { x: 2, y: 5 } });
  await page.keyboard.press('Home');
  for (let i = from; i < to; i++) await page.keyboard.press('Shift+ArrowDown');
  await page.keyboard.press('Shift+End');
  // The selection is drawn (one highlight per selected line).
  await page
    .locator('.editor-group-container.active .monaco-editor .selected-text')
    .nth(to - from)
    .waitFor({ state: 'attached', timeout: 5000 });
}

/** Right-click on the editor line with `text` and choose `item` in the context menu. */
async function contextMenu(page: Page, text: string, item: string): Promise<string[]> {
  // Right-click near the end of the line's text (inside the selection, which keeps it), so
  // the menu opens to the right of the selected words instead of over them.
  const box = await editorLine(page, text).locator(':scope > span').first().boundingBox();
  assert.ok(box, `editor line "${text}" not rendered`);
  await page.mouse.click(box.x + Math.max(4, box.width - 6), box.y + box.height / 2, { button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ state: 'visible', timeout: 10_000 });
  const labels = (await menu.locator('.action-item .action-label').allTextContents()).map((l) => l.trim()).filter(Boolean);
  const entry = menu.locator('.action-item .action-label', { hasText: new RegExp(`^${item}$`) }).first();
  if ((await entry.count()) === 0) {
    await page.keyboard.press('Escape');
    throw new Error(`context menu has no "${item}"; items: ${JSON.stringify(labels)}`);
  }
  await entry.hover();
  await sleep(150);
  return labels;
}

async function clickContextMenuItem(page: Page, item: string): Promise<void> {
  const menu = page.locator('.context-view .monaco-menu');
  await menu.locator('.action-item .action-label', { hasText: new RegExp(`^${item}$`) }).first().click();
  await menu.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
}

/** The visible notification toast whose message matches `re`. */
function toast(page: Page, re: RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { has: page.locator('.notification-list-item-message', { hasText: re }) }).first();
}

/** Rows of the Models tree: label and description as shown. */
async function modelsRows(page: Page): Promise<{ label: string; description: string }[]> {
  return page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Models/i }) }).locator('.monaco-list-row').evaluateAll((rows) =>
    rows.map((r) => ({
      label: (r.querySelector('.label-name')?.textContent ?? '').trim(),
      description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
    })),
  );
}

async function waitForModels(page: Page, done: (rows: { label: string; description: string }[]) => boolean, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  while (true) {
    const rows = await modelsRows(page);
    if (done(rows)) return rows;
    if (Date.now() > end) throw new Error(`Models tree did not reach the expected state within ${timeoutMs} ms; rows: ${JSON.stringify(rows)}`);
    await sleep(250);
  }
}

describe('Translate Selection, attention view and Models tree in VS Code (packaged extension)', function () {
  this.timeout(240_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;
  let attention: Frame;
  /** Expected results from the CLI, by source line. */
  const expectTiny = new Map<string, CliTranslation>();
  let tinyBleu = NaN;
  let flatBleu = NaN;
  const timings: Record<string, number> = {};

  before(async function () {
    this.timeout(420_000);
    let t = Date.now();
    const vsix = packagedVsix();
    timings.packageMs = Date.now() - t;
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-translate-'));
    writeReverseWorkspace(workspace);
    // A second config on the same data without attention (one fixed context vector).
    const tiny = JSON.parse(fs.readFileSync(path.join(workspace, 'tiny.seq2seq.json'), 'utf8')) as { name: string; model: Record<string, unknown>; train: Record<string, unknown> };
    const flat = { ...tiny, name: 'flat', model: { ...tiny.model, attention: 'none' }, train: { ...tiny.train, epochs: 3 } };
    fs.writeFileSync(path.join(workspace, 'flat.seq2seq.json'), JSON.stringify(flat, null, 2) + '\n');
    fs.writeFileSync(path.join(workspace, 'sentences.txt'), SENTENCES.join('\n') + '\n');

    // Train "flat" first and "tiny" second: the newest run with a best checkpoint is the default active model.
    t = Date.now();
    cli(['train', '--config', 'flat.seq2seq.json', '--out', 'runs/flat-cli'], workspace);
    await sleep(1100); // distinct creation times (run.json `created`)
    cli(['train', '--config', 'tiny.seq2seq.json', '--out', 'runs/tiny-cli'], workspace);
    timings.trainMs = Date.now() - t;
    const bleu = (run: string) =>
      (JSON.parse(fs.readFileSync(path.join(workspace, 'runs', run, 'best', 'weights.json'), 'utf8')) as { meta: { valid: { bleu: number } } }).meta.valid.bleu;
    tinyBleu = bleu('tiny-cli');
    flatBleu = bleu('flat-cli');
    const out = cli(['translate', '--model', 'runs/tiny-cli', '--json'], workspace, SENTENCES.join('\n') + '\n');
    for (const line of out.split('\n').filter(Boolean)) {
      const tr = JSON.parse(line) as CliTranslation;
      expectTiny.set(tr.source, tr);
    }
    assert.equal(expectTiny.size, SENTENCES.length, `CLI translations: ${out}`);
    assert.deepEqual(expectTiny.get(SENTENCES[0])!.sourceTokens, ['red', 'cat', '<unk>', 'sun', '<eos>'], 'the engine marks the unknown word');

    t = Date.now();
    wb = await startWorkbench(workspace, vsix);
    page = wb.page;
    timings.startMs = Date.now() - t;
  });

  after(async function () {
    console.log(`      timings: ${JSON.stringify(timings)}`);
    await closeWorkbench(wb, workspace);
  });

  it('offers "Translate Selection" in the editor context menu for selected text', async function () {
    await openFile(page, 'sentences.txt');
    await editorLine(page, SENTENCES[2]).waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('.part.statusbar', { hasText: 'Activating Extensions' }).waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
    await selectLines(page, 0, 0);
    // The extension is activated by its first command; its menu contributions are there from the start.
    const labels = await contextMenu(page, SENTENCES[0], 'Translate Selection');
    assert.ok(labels.includes('Translate Selection'), JSON.stringify(labels));
    await screenshot(page, 'translate-01-context-menu');
  });

  it('translates the selected line and shows the translation in a notification', async function () {
    const want = expectTiny.get(SENTENCES[0])!;
    const t = Date.now();
    await clickContextMenuItem(page, 'Translate Selection');
    // First use: starts the inference worker and loads the model (generous bound: the machine is shared).
    const msg = await waitForNotification(page, /^Translation: /, 90_000);
    timings.firstTranslateMs = Date.now() - t;
    assert.equal(msg, `Translation: “${want.text}”`);
    const buttons = (await toast(page, /^Translation: /).locator('.monaco-button').allTextContents()).map((b) => b.trim());
    assert.deepEqual(buttons, ['Replace', 'Insert Below', 'Show Attention']);
    // Default output "notify": the document is unchanged.
    assert.deepEqual((await editorLines(page)).slice(0, 3), SENTENCES);
    await screenshot(page, 'translate-02-notification');
  });

  it('"Show Attention" opens the heatmap: target tokens as rows, source tokens (with <unk>) as columns', async function () {
    const want = expectTiny.get(SENTENCES[0])!;
    await toast(page, /^Translation: /).locator('.monaco-button', { hasText: 'Show Attention' }).click();
    attention = await webviewFrame(page, 'Seq2Seq Attention', 30_000);
    const v = await waitForAttention(attention, (x) => x.rowLabels.length > 0);
    assert.equal(v.model, 'tiny');
    assert.deepEqual(v.badges, ['bahdanau attention', 'greedy']);
    assert.equal(await attention.locator('#head-picker').count(), 0, 'no layer/head selector for a recurrent model');
    assert.equal(v.source, SENTENCES[0]);
    assert.equal(v.output, want.text);
    assert.deepEqual(v.colLabels, want.sourceTokens);
    assert.ok(v.colLabels.includes('<unk>'), 'unknown word shown as <unk>');
    assert.deepEqual(v.rowLabels, want.targetTokens);
    assert.equal(v.cells, want.sourceTokens.length * want.targetTokens.length, 'one cell per (target, source) pair');
    assert.equal(v.argmax, want.targetTokens.length, 'one "largest weight" mark per row');
    assert.equal(v.candidateRows, want.targetTokens.length);
    assert.ok(v.candidatesPerRow.every((n) => n === 5), `top-5 candidates per step: ${JSON.stringify(v.candidatesPerRow)}`);
    assert.deepEqual(v.chosen, want.targetTokens);
    // Beside the editor: the view is in a second editor group.
    assert.equal(await page.locator('.editor-group-container').count(), 2);

    // Hover the cell (first target token, <unk>): tooltip with the weight, row highlighted.
    const unk = want.sourceTokens.indexOf('<unk>');
    await attention.locator(`svg.heatmap rect.cell[data-row="0"][data-col="${unk}"]`).hover();
    const tip = attention.locator('.tooltip');
    await tip.waitFor({ state: 'visible', timeout: 5000 });
    assert.equal((await tip.textContent())?.trim(), `${want.targetTokens[0]} ← <unk>: ${want.attention[0][unk].toFixed(3)}`);
    assert.equal(await attention.locator('svg.heatmap .row-highlight').getAttribute('visibility'), 'visible');
    assert.equal(await attention.locator('svg.heatmap .row-label.hover').count(), 1);
  });

  it('renders the attention view in dark and light themes', async function () {
    await clearNotifications(page);
    // README screenshots: no side bar, so the view has room for all five candidates.
    await runCommand(page, 'View: Close Primary Side Bar');
    const unk = expectTiny.get(SENTENCES[0])!.sourceTokens.indexOf('<unk>');
    const cell = attention.locator(`svg.heatmap rect.cell[data-row="0"][data-col="${unk}"]`);
    const idle = () => page.locator('.part.statusbar', { hasText: 'Activating Extensions' }).waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
    // The view re-lays out on resize: wait for the wider heatmap, then hover. Move the mouse
    // over the editor text first: a workbench hover left over a toolbar button would stay up.
    await page.mouse.move(300, 400);
    await page.locator('.workbench-hover-container, .monaco-hover:not(.hidden)').first().waitFor({ state: 'hidden', timeout: 3000 }).catch(() => undefined);
    await sleep(500);
    await cell.hover();
    await attention.locator('.tooltip').waitFor({ state: 'visible', timeout: 5000 });
    await idle();
    await screenshot(page, 'translate-03-attention-dark');
    await setTheme(page, 'Light Modern', /vscode-light/, attention, 'the attention view', 600);
    const v = await attentionDom(attention);
    assert.deepEqual(v.rowLabels, expectTiny.get(SENTENCES[0])!.targetTokens, 'heatmap after the theme change');
    await cell.hover();
    await attention.locator('.tooltip').waitFor({ state: 'visible', timeout: 5000 });
    await idle();
    await screenshot(page, 'translate-04-attention-light');
    await setTheme(page, 'Dark Modern', /vscode-dark/, attention, 'the attention view', 600);
  });

  it('seq2seq.attention.colorScale: "viridis" repaints the open view with the Viridis map, "theme" brings the theme colour back', async function () {
    const settingsFile = path.join(workspace, '.vscode', 'settings.json');
    // The colour the cell is drawn in (computed: a stylesheet rule would override the attribute).
    const fills = () => attention.locator('svg.heatmap rect.cell').evaluateAll((els) => els.map((e) => getComputedStyle(e).fill));
    const until = async (what: string, done: (f: string[]) => boolean) => {
      const end = Date.now() + 20_000;
      for (;;) {
        const f = await fills();
        if (done(f)) return f;
        if (Date.now() > end) throw new Error(`${what}: cell fills ${JSON.stringify(f.slice(0, 8))}`);
        await sleep(250);
      }
    };
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    fs.writeFileSync(settingsFile, JSON.stringify({ 'seq2seq.attention.colorScale': 'viridis' }, null, 2));
    const green = (c: string) => Number(/rgb\(\d+, (\d+)/.exec(c)?.[1] ?? NaN);
    // Viridis: dark purple (little green) for small weights, green to yellow for large ones.
    const viridis = await until('Viridis fills', (f) => f.length > 0 && f.some((c) => green(c) < 70) && f.some((c) => green(c) > 140));
    assert.ok(new Set(viridis).size > 3, `several colours: ${JSON.stringify([...new Set(viridis)])}`);
    await sleep(300);
    await screenshot(page, 'translate-04b-attention-viridis');
    fs.writeFileSync(settingsFile, JSON.stringify({ 'seq2seq.attention.colorScale': 'theme' }, null, 2));
    // One colour (the theme's chart blue; the weight is in the opacity).
    const theme = await until('theme fills (from CSS)', (f) => f.length > 0 && new Set(f).size === 1);
    assert.ok(!viridis.includes(theme[0]), `the theme colour ${theme[0]} is none of the Viridis ones`);
  });

  it('translates two selected lines; "Replace" writes the translations into the editor; the view offers both', async function () {
    const [a, b] = [expectTiny.get(SENTENCES[1])!, expectTiny.get(SENTENCES[2])!];
    await page.locator('.editor-group-container').first().locator('.tab .label-name', { hasText: 'sentences.txt' }).click();
    await sleep(300);
    await selectLines(page, 1, 2);
    await contextMenu(page, SENTENCES[1], 'Translate Selection');
    await clickContextMenuItem(page, 'Translate Selection');
    const msg = await waitForNotification(page, /^Translations \(2\): /, 60_000);
    assert.equal(msg, `Translations (2): “${a.text}” · “${b.text}”`);
    // The attention view updated to the new request (first sentence shown, a picker for both).
    const v = await waitForAttention(attention, (x) => x.source === SENTENCES[1]);
    assert.deepEqual(v.sentenceOptions, [`1. ${SENTENCES[1]}`, `2. ${SENTENCES[2]}`]);
    assert.deepEqual(v.rowLabels, a.targetTokens);
    assert.deepEqual(v.colLabels, a.sourceTokens);
    await toast(page, /^Translations \(2\): /).locator('.monaco-button', { hasText: 'Replace' }).click();
    const end = Date.now() + 10_000;
    let lines = await editorLines(page);
    while (lines[1] !== a.text && Date.now() < end) {
      await sleep(200);
      lines = await editorLines(page);
    }
    assert.deepEqual(lines.slice(0, 3), [SENTENCES[0], a.text, b.text]);
    await screenshot(page, 'translate-05-replaced');
    await runCommand(page, 'Undo');
    await editorLine(page, SENTENCES[2]).waitFor({ state: 'visible', timeout: 5000 });
  });

  it('lists both runs with their best BLEU in the Models tree; Set Active switches the model', async function () {
    await clearNotifications(page);
    await page.locator('.activitybar .action-item a[aria-label^="Seq2Seq"], .activitybar .action-item .action-label[aria-label^="Seq2Seq"]').first().click();
    const rows = await waitForModels(page, (r) => r.length === 2);
    assert.deepEqual(rows.map((r) => r.label), ['tiny', 'flat'], 'newest first');
    assert.match(rows[0].description, new RegExp(`^● active · BLEU ${tinyBleu.toFixed(1).replace('.', '\\.')} · wasm · \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$`));
    assert.match(rows[1].description, new RegExp(`^BLEU ${flatBleu.toFixed(1).replace('.', '\\.')} · wasm · `));
    await screenshot(page, 'translate-06-models-tree');

    // Right-click "flat" → Set Active.
    const flatRow = page.locator('.pane .monaco-list-row', { has: page.locator('.label-name', { hasText: /^flat$/ }) }).first();
    await flatRow.click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    await menu.waitFor({ state: 'visible', timeout: 10_000 });
    const items = (await menu.locator('.action-item .action-label').allTextContents()).map((l) => l.trim()).filter(Boolean);
    for (const want of ['Set Active', 'Open Training Panel', 'Open Config', 'Reveal Folder', 'Delete…']) assert.ok(items.includes(want), `${want} missing: ${JSON.stringify(items)}`);
    const setActive = menu.locator('.action-item .action-label', { hasText: /^Set Active$/ }).first();
    // A click right after the menu opens can be taken for the end of the right-click: hover first.
    await setActive.hover();
    await sleep(200);
    await screenshot(page, 'translate-07-models-menu');
    await setActive.click();
    await menu.waitFor({ state: 'hidden', timeout: 5000 });
    const after = await waitForModels(page, (r) => r.find((x) => x.label === 'flat')?.description.startsWith('● active') === true);
    assert.ok(!after.find((x) => x.label === 'tiny')!.description.startsWith('●'), JSON.stringify(after));

    // Translate with it: a model without attention has no alignment to show.
    await page.locator('.editor-group-container').first().locator('.tab .label-name', { hasText: 'sentences.txt' }).click();
    await sleep(300);
    await selectLines(page, 0, 0);
    // With the attention view (a webview, not a text editor) focused, the command still finds
    // the editor with the selection.
    await page.locator('.tabs-container .tab .label-name', { hasText: 'Seq2Seq Attention' }).click();
    await sleep(1500); // focus moves into the webview a moment after the click
    await runCommand(page, 'Seq2Seq: Translate Selection');
    await waitForNotification(page, /^Translation: /, 60_000);
    const v = await waitForAttention(attention, (x) => x.model === 'flat');
    assert.deepEqual(v.badges, ['no attention', 'greedy']);
    assert.match(v.noAttention, /^No alignment to show: this model has no attention — .*single fixed context vector/);
    assert.equal(v.rowLabels.length, 0);
    await screenshot(page, 'translate-08-no-attention');
  });

  it('with no trained model: the Models welcome and a warning whose button starts Train Model', async function () {
    await clearNotifications(page);
    // Point the runs folder at an empty folder (workspace setting), as in a fresh workspace.
    fs.mkdirSync(path.join(workspace, 'empty-runs'));
    fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'seq2seq.runsFolder': 'empty-runs' }));
    const welcome = page.locator('.pane .welcome-view-content', { hasText: 'No trained models in this workspace yet' });
    await welcome.waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await welcome.locator('.monaco-button', { hasText: 'Train Model' }).count(), 1);

    await page.locator('.editor-group-container').first().locator('.tab .label-name', { hasText: 'sentences.txt' }).click();
    await sleep(300);
    await selectLines(page, 0, 0);
    await runCommand(page, 'Seq2Seq: Translate Selection');
    const msg = await waitForNotification(page, /no trained model yet/, 20_000);
    assert.match(msg, /^Seq2Seq: no trained model yet\. Train one first; its run folder appears under "empty-runs"\.$/);
    await screenshot(page, 'translate-09-no-model');
    await toast(page, /no trained model yet/).locator('.monaco-button', { hasText: 'Train Model' }).click();
    const widget = page.locator('.quick-input-widget');
    await widget.locator('.quick-input-title', { hasText: 'Seq2Seq: Train Model' }).waitFor({ state: 'visible', timeout: 20_000 });
    const labels = await widget.locator('.quick-input-list .monaco-list-row .label-name').allTextContents();
    assert.ok(labels.some((l) => l.includes('tiny.seq2seq.json')), JSON.stringify(labels));
    await page.keyboard.press('Escape');
  });
});

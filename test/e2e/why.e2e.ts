/**
 * "Why does the model say what it says" in a real VS Code (code-server +
 * Chromium, the packaged extension), on a tiny word-reversal model trained
 * for two epochs with the CLI (so that it still makes mistakes):
 *
 *   what-if decoding: Translate Selection → Show Attention → click an output
 *   token (a heatmap row label) → its alternatives with their probabilities
 *   (the engine's top 5) → choose one → the re-decoded translation, its
 *   score and attention beside the old one, equal to `seq2seq translate
 *   --prefix`;
 *   coverage: the row under the heatmap equals `translate --json`'s coverage,
 *   under- and over-covered source words marked;
 *   the reference score: type the reference → its per-token log-probs,
 *   total, score and verdict (equal to `translate --reference --json`), the
 *   exposure-bias tracks with the first divergence marked, the forced
 *   alignment, the search-error table of beams 1, 2, 5 and 10 (each output
 *   equal to `translate --beam K`), the beam tree with where the reference
 *   fell out; a TSV line brings its reference by itself; the walkthrough's
 *   command opens the section;
 *   alignment as it is learned: Train Model from the palette → the Training
 *   panel's alignment slider grows live, one position per validation; its
 *   cells are the weights recorded in metrics.jsonl at the step chosen; a
 *   recorded run (Models view → Open Training Panel) shows its slider too.
 *
 * Run: npm run package && npx mocha --no-config -r tsx/cjs -t 600000 --exit test/e2e/why.e2e.ts
 * Screenshots: .e2e/screenshots/why-*.png.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { REPO_ROOT, clearNotifications, closeWorkbench, openFile, runCommand, screenshot, setTheme, startWorkbench, waitForNotification, webviewFrame, type Workbench } from './harness';
import { reversePairs, writeReverseWorkspace } from './fixtures/reverseTask';
import { openTrainPick, pickConfig, sleep } from './trainingPanelView';
import { packagedVsix } from './vsix';
import type { Translation } from '../../src/core/decoding/translator';
import type { TrainingEvent, ValidationEvent } from '../../src/core/training/events';
import { coverageLevel, formatCoverage } from '../../src/shared/forcedDecoding';
import { weightOpacity } from '../../src/shared/attentionHeatmap';

const CLI = path.join(REPO_ROOT, 'bin', 'seq2seq.js');

/** Poll `read` until `done`; @throws with the last value after `timeoutMs`. */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`${what} not reached within ${timeoutMs} ms; last: ${JSON.stringify(v)}`);
    await sleep(200);
  }
}

/** The forced-decoding parts of the attention view, read from its DOM. */
interface WhyDom {
  output: string;
  rowLabels: string[];
  coverage: string[];
  coverageClasses: string[];
  alternatives: { token: string; prob: string; disabled: boolean }[];
  whatIfRows: string[][];
  forced: number;
  whatIfHeatmapRows: number;
  summary: string[][];
  verdict: string;
  teacherDots: number;
  ownDots: number;
  divergenceLines: number;
  divergedToken: string;
  tokenRows: number;
  forcedAlignmentRows: number;
  searchErrors: { beam: string; output: string; verdict: string }[];
  treeNodes: number;
  fallOutLines: number;
  fallOutNote: string;
  referenceInput: string;
  focused: string;
}

const WHY_DOM_SCRIPT = `(() => {
  var all = function (s, root) { return Array.prototype.slice.call((root || document).querySelectorAll(s)); };
  var text = function (e) { return e && e.textContent ? e.textContent.trim() : ''; };
  var first = function (e) { var c = e.firstChild; return c && c.nodeType === 3 ? c.textContent : e.textContent; };
  var main = document.querySelector('.heatmap-section svg.heatmap');
  var input = document.getElementById('reference-input');
  return {
    output: text(document.querySelector('.pair .target')),
    rowLabels: main ? all('.row-label', main).map(first) : [],
    coverage: main ? all('.cov-num', main).map(first) : [],
    coverageClasses: main ? all('rect.cov-cell', main).map(function (e) { return e.getAttribute('class'); }) : [],
    alternatives: all('#what-if button.alternative').map(function (b) { return { token: b.dataset.token, prob: text(b.querySelector('.alt-prob')), disabled: b.disabled }; }),
    whatIfRows: all('.what-if-result table.comparison tr').slice(1).map(function (tr) { return all('.tok', tr).map(text); }),
    forced: all('.what-if-result .new-row .tok.forced').length,
    whatIfHeatmapRows: all('svg.what-if-heatmap .row-label').length,
    summary: all('.reference-summary table.score-table tr').slice(1).map(function (tr) { return all('th, td', tr).map(text); }),
    verdict: text(document.querySelector('.reference-summary .verdict-badge')),
    teacherDots: all('svg.exposure-chart circle.dot.teacher').length,
    ownDots: all('svg.exposure-chart circle.dot.own').length,
    divergenceLines: all('svg.exposure-chart line.divergence').length,
    divergedToken: text(document.querySelector('table.token-table tr.diverged td.tok')),
    tokenRows: all('table.token-table tr').length - 1,
    forcedAlignmentRows: all('svg.forced-alignment .row-label').length,
    searchErrors: all('table.search-error-table tr').slice(1).map(function (tr) { var td = all('td', tr); return { beam: text(td[0]), output: text(td[1]), verdict: text(td[4]) }; }),
    treeNodes: all('.reference-tree svg.beam-tree g.node').length,
    fallOutLines: all('.reference-tree .fall-out-line').length,
    fallOutNote: text(document.querySelector('.fall-out-note')),
    referenceInput: input ? input.value : '',
    focused: document.activeElement ? document.activeElement.id : ''
  };
})()`;

const whyDom = (frame: Frame) => frame.evaluate(WHY_DOM_SCRIPT) as Promise<WhyDom>;

/** The Training panel's alignment section, read from its DOM. */
interface AlignmentDom {
  present: boolean;
  note: string;
  max: number;
  value: number;
  label: string;
  step: number;
  rows: string[];
  cells: { row: number; col: number; opacity: number }[];
}

const ALIGNMENT_DOM_SCRIPT = `(() => {
  var sec = document.getElementById('alignment');
  var slider = document.getElementById('alignment-step');
  var svg = sec ? sec.querySelector('svg.alignment-heatmap.reference-heatmap') : null;
  var first = function (e) { var c = e.firstChild; return c && c.nodeType === 3 ? c.textContent : e.textContent; };
  return {
    present: !!slider,
    note: sec ? (sec.querySelector('p.muted') || {}).textContent || '' : '',
    max: slider ? Number(slider.max) : -1,
    value: slider ? Number(slider.value) : -1,
    label: sec && sec.querySelector('.alignment-step-label') ? sec.querySelector('.alignment-step-label').textContent : '',
    step: svg ? Number(svg.dataset.step) : -1,
    rows: svg ? Array.prototype.slice.call(svg.querySelectorAll('.row-label')).map(first) : [],
    cells: svg ? Array.prototype.slice.call(svg.querySelectorAll('rect.cell')).map(function (r) { return { row: Number(r.dataset.row), col: Number(r.dataset.col), opacity: Number(r.getAttribute('fill-opacity')) }; }) : []
  };
})()`;

const alignmentDom = (frame: Frame) => frame.evaluate(ALIGNMENT_DOM_SCRIPT) as Promise<AlignmentDom>;

/**
 * The Training panel of run `name`, found by its content (a match by tab title goes by where the
 * webview sits on screen, which another webview can still cover while a new editor group opens).
 */
/** Wait until the Models view's rows (labels and descriptions) have not changed for a second (at most 15 s). */
async function stableRows(page: Page): Promise<void> {
  const read = () => page.locator('.pane .monaco-list-row').evaluateAll((rows) => rows.map((r) => r.textContent ?? '').join('\n'));
  let last = await read();
  let since = Date.now();
  const end = Date.now() + 15_000;
  while (Date.now() - since < 1_000 && Date.now() < end) {
    await sleep(250);
    const now = await read();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

/**
 * Models view → the run's context menu → Open Training Panel. The menu is opened once the view's rows have
 * stayed the same for a second: in one CI run the panel stayed on another run after this menu, when files
 * had just been copied and rewritten (each makes the view read the folders again, debounced, and draw the
 * rows again under the menu).
 */
async function openTrainingPanelFromMenu(page: Page, name: string): Promise<void> {
  const row = page.locator('.pane .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) }).first();
  await row.waitFor({ state: 'visible', timeout: 20_000 });
  await stableRows(page);
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ state: 'visible', timeout: 10_000 });
  const entry = menu.locator('.action-item .action-label', { hasText: /^Open Training Panel$/ }).first();
  await entry.hover();
  await sleep(200);
  await entry.click();
}

function trainingPanel(page: Page, name: string, timeoutMs = 60_000): Promise<Frame> {
  return webviewFrame(page, async (f) => (await f.locator('#alignment').count()) > 0 && (await f.locator('.run-name').textContent())?.trim() === name, timeoutMs);
}

/** The attention view, found by its content (see {@link trainingPanel}). */
function attentionView(page: Page): Promise<Frame> {
  return webviewFrame(page, async (f) => (await f.locator('.heatmap-section').count()) > 0, 30_000);
}

/** Move the alignment slider to position `k` as a user dragging it does. */
async function slide(frame: Frame, k: number): Promise<void> {
  await frame.evaluate(`(() => { var s = document.getElementById('alignment-step'); s.value = '${k}'; s.dispatchEvent(new Event('input', { bubbles: true })); })()`);
}

/** Scroll the Training panel so that the alignment section's title sits just under the sticky header. */
async function scrollToAlignment(frame: Frame): Promise<void> {
  await frame.evaluate(`(() => {
    var sec = document.getElementById('alignment');
    var header = document.querySelector('.header');
    window.scrollTo(0, sec.getBoundingClientRect().top + window.scrollY - (header ? header.offsetHeight : 0) - 8);
  })()`);
  await sleep(300);
}

/** The validation events of a run folder's metrics.jsonl. */
function validations(runDir: string): ValidationEvent[] {
  return fs
    .readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TrainingEvent)
    .filter((e): e is ValidationEvent => e.type === 'validation');
}

/** Select editor line `index` (0-based; it starts with `text`) and run Translate Selection, then open the attention view. */
async function translateLine(page: Page, text: string, index = 0): Promise<Frame> {
  const line = page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line', { hasText: text }).nth(index);
  await line.waitFor({ state: 'visible', timeout: 15_000 });
  await line.click();
  await page.keyboard.press('Home');
  await page.keyboard.press('Shift+End');
  await runCommand(page, 'Seq2Seq: Translate Selection');
  await waitForNotification(page, /^Translation: /, 90_000);
  await page.locator('.notifications-toasts .notification-toast .monaco-button', { hasText: 'Show Attention' }).first().click();
  return attentionView(page);
}

describe('What-if decoding, the reference score, exposure bias, coverage and alignment as it is learned (packaged extension)', function () {
  this.timeout(600_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;
  let view: Frame;
  /** The line translated, its reference (the reversed words) and what the engine says about them. */
  let line: string;
  let reference: string;
  let want: Translation;
  let wantRef: Translation;
  const cli = (args: string[], input?: string) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: workspace, input, encoding: 'utf8', timeout: 180_000, env: { ...process.env, SEQ2SEQ_BACKEND: 'wasm' } });
    assert.equal(r.status, 0, `seq2seq ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };

  before(async function () {
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-why-'));
    writeReverseWorkspace(workspace, { epochs: 2 });
    const tiny = JSON.parse(fs.readFileSync(path.join(workspace, 'tiny.seq2seq.json'), 'utf8')) as { name: string; train: Record<string, unknown> };
    fs.writeFileSync(path.join(workspace, 'why.seq2seq.json'), JSON.stringify({ ...tiny, name: 'why' }, null, 2) + '\n');
    fs.writeFileSync(path.join(workspace, 'align.seq2seq.json'), JSON.stringify({ ...tiny, name: 'align', train: { ...tiny.train, epochs: 6, validEvery: 15 } }, null, 2) + '\n');
    cli(['train', '--config', 'why.seq2seq.json', '--out', 'runs/why-cli']);
    // A sentence the half-trained model gets wrong after a right first word: its greedy output leaves the reference.
    const candidates = reversePairs(400, 99).slice(0, 60);
    const analysed = cli(['translate', '--model', 'runs/why-cli', '--reference', '--json'], candidates.join('\n') + '\n')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Translation);
    const k = analysed.findIndex((t) => t.reference!.exposure.divergence >= 1 && t.attention.length > 0);
    assert.ok(k >= 0, 'a sentence whose greedy output leaves the reference after its first word');
    [line, reference] = candidates[k].split('\t');
    want = JSON.parse(cli(['translate', '--model', 'runs/why-cli', '--json'], line + '\n').trim()) as Translation;
    wantRef = analysed[k];
    fs.writeFileSync(path.join(workspace, 'sentences.txt'), `${line}\n${candidates[k]}\n`);
    wb = await startWorkbench(workspace, vsix);
    page = wb.page;
  });

  afterEach(async function () {
    // A failing step leaves a picture of the workbench behind.
    if (this.currentTest?.state === 'failed' && page) await screenshot(page, `why-failed-${this.currentTest.title.slice(0, 40)}`).catch(() => undefined);
  });

  after(async function () {
    await closeWorkbench(wb, workspace);
  });

  it('what-if: click an output token, see its alternatives, choose one: the re-decoded translation beside the old one, as `translate --prefix` decodes it', async function () {
    await openFile(page, 'sentences.txt');
    view = await translateLine(page, line);
    const v0 = await until(() => whyDom(view), (x) => x.rowLabels.length > 0, 'the heatmap');
    assert.equal(v0.output, want.text);
    assert.deepEqual(v0.rowLabels, want.targetTokens);
    await clearNotifications(page);
    await runCommand(page, 'View: Close Primary Side Bar');
    await sleep(600);
    // Step 2 (row 1): the decoder's top candidates, the model's choice marked.
    await view.locator('.heatmap-section svg.heatmap .row-label[data-row="1"]').click();
    const v1 = await until(() => whyDom(view), (x) => x.alternatives.length > 0, 'the alternatives');
    assert.deepEqual(
      v1.alternatives.map((a) => a.token),
      want.candidates[1].map((c) => c.token),
    );
    v1.alternatives.forEach((a, i) => {
      const p = want.candidates[1][i].prob;
      assert.equal(a.prob, `${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`);
      assert.equal(a.disabled, a.token === want.targetTokens[1], 'only the model’s own choice is disabled');
    });
    const alt = v1.alternatives.find((a) => !a.disabled && a.token !== '<eos>')!.token;
    await view.locator(`#what-if button.alternative[data-token="${alt}"]`).click();
    const v2 = await until(() => whyDom(view), (x) => x.whatIfRows.length === 2 && x.whatIfHeatmapRows > 0, 'the re-decoded translation', 60_000);
    const expected = JSON.parse(cli(['translate', '--model', 'runs/why-cli', '--prefix', `${want.targetTokens[0]} ${alt}`, '--json'], line + '\n').trim()) as Translation;
    assert.deepEqual(v2.whatIfRows[0], want.targetTokens, 'the old translation');
    assert.deepEqual(v2.whatIfRows[1], expected.targetTokens, 'the new one, as `translate --prefix` decodes it');
    assert.deepEqual(v2.whatIfRows[1].slice(0, 2), [want.targetTokens[0], alt], 'it starts with the prefix and the chosen token');
    assert.equal(v2.forced, 2, 'the two forced tokens are marked');
    assert.equal(v2.whatIfHeatmapRows, expected.targetTokens.length, 'the new translation’s attention');
    const score = await view.locator('.what-if-result .new-row td.num').last().textContent();
    assert.equal(score, expected.score!.toFixed(3), 'its score');
    // The view alone, full width, for the screenshots of this and the next tests: moved into one group,
    // the page loads again and the host replays the translation with its what-if result.
    await runCommand(page, 'View: Single Column Editor Layout');
    view = await attentionView(page);
    const replayed = await until(() => whyDom(view), (x) => x.whatIfRows.length === 2, 'the what-if result replayed');
    assert.deepEqual(replayed.whatIfRows[1], expected.targetTokens);
    await view.locator('.heatmap-section svg.heatmap .row-label[data-row="1"]').click();
    await until(() => whyDom(view), (x) => x.alternatives.length > 0, 'the alternatives again');
    await view.locator('#what-if').scrollIntoViewIfNeeded();
    await screenshot(page, 'why-01-what-if');
  });

  it('coverage: the row under the heatmap is the attention each source token received; under- and over-covered words marked', async function () {
    const v = await whyDom(view);
    assert.deepEqual(v.coverage, want.coverage!.map(formatCoverage));
    assert.deepEqual(
      v.coverageClasses.map((c) => /cov-(under|over|ok)/.exec(c)![1]),
      want.coverage!.map((c, j) => (want.sourceTokens[j] === '<eos>' ? 'ok' : coverageLevel(c))),
      'under- and over-covered words marked (not <eos>)',
    );
    const total = want.coverage!.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - want.targetTokens.length) < 1e-3, 'the coverage sums to the number of target steps');
    await view.locator('.heatmap-section').scrollIntoViewIfNeeded();
    await screenshot(page, 'why-02-coverage');
  });

  it('the reference: per-token log-probs, score and verdict beside the output, exposure-bias tracks with the divergence marked, forced alignment, beams 1/2/5/10 and where the reference fell out', async function () {
    await view.locator('#reference-input').fill(reference);
    await view.locator('button.score-reference').click();
    const v = await until(() => whyDom(view), (x) => x.summary.length === 2 && x.searchErrors.length === 4, 'the reference analysis', 60_000);
    const r = wantRef.reference!;
    assert.deepEqual(v.summary[0].slice(1), [r.tokens.join(' '), r.logProb.toFixed(3), r.perToken.toFixed(3), r.score.toFixed(3)], 'the reference row');
    assert.equal(v.summary[1][2], want.logProb.toFixed(3), 'the output row');
    assert.equal(v.verdict, { correct: 'correct', 'search-error': 'search error', 'model-error': 'model error' }[r.verdict]);
    assert.equal(v.tokenRows, r.tokens.length);
    assert.equal(v.teacherDots, r.tokens.length, 'one teacher-forced point per reference token');
    assert.equal(v.ownDots, r.exposure.ownPrefix.filter((x) => x !== null).length, 'an own-prefix point while greedy’s output lasts');
    assert.equal(v.divergenceLines, 1, 'the first divergence is marked');
    assert.equal(v.divergedToken, r.tokens[r.exposure.divergence]);
    assert.equal(v.forcedAlignmentRows, r.tokens.length, 'the forced alignment: one row per reference token');
    for (const [i, k] of [1, 2, 5, 10].entries()) {
      const out = cli(['translate', '--model', 'runs/why-cli', '--beam', String(k), '--reference', reference], line + '\n').split('\n');
      assert.equal(v.searchErrors[i].output, out[0] || '(empty)', `beam ${k}: the output`);
      assert.ok(out[1].endsWith(`· ${v.searchErrors[i].verdict} · greedy leaves it at step ${r.exposure.divergence + 1}`), `beam ${k}: the verdict: ${out[1]}`);
    }
    assert.ok(v.treeNodes > 1, 'the beam tree of the reference section');
    assert.match(v.fallOutNote, /^The reference (fell out of the beam at step \d+|stayed in the beam to its end)|^The search had ended/);
    assert.equal(v.fallOutLines, /stayed in the beam/.test(v.fallOutNote) ? 0 : 1, 'the step where it fell out is marked');
    await view.locator('#exposure-bias').scrollIntoViewIfNeeded();
    await screenshot(page, 'why-03-reference-exposure');
    await view.locator('.search-errors').scrollIntoViewIfNeeded();
    await screenshot(page, 'why-04-search-errors-tree');
  });

  it('a TSV line brings its reference: Translate Selection on “source<TAB>reference” scores it at once', async function () {
    // One editor group since the what-if screenshots: back to the file's tab.
    await page.locator('.tabs-container .tab', { hasText: 'sentences.txt' }).first().click();
    view = await translateLine(page, line, 1);
    const v = await until(() => whyDom(view), (x) => x.summary.length === 2, 'the reference of the TSV line', 60_000);
    assert.equal(v.output, want.text, 'the source column is translated');
    assert.equal(v.referenceInput, reference);
    assert.equal(v.summary[0][2], wantRef.reference!.logProb.toFixed(3));
    await clearNotifications(page);
  });

  it('“Seq2Seq: Show Reference Score and Exposure Bias” (the walkthrough’s link) opens the reference section', async function () {
    await runCommand(page, 'Seq2Seq: Show Reference Score and Exposure Bias');
    const v = await until(() => whyDom(view), (x) => x.focused === 'reference-input', 'the reference box focused');
    assert.equal(v.referenceInput, reference);
  });

  it('alignment as it is learned: Train Model → the Training panel’s slider grows live, one position per validation, its cells the weights in metrics.jsonl', async function () {
    await page.locator('.tabs-container .tab', { hasText: 'sentences.txt' }).first().click();
    await openTrainPick(page);
    await pickConfig(page, 'align.seq2seq.json');
    let panel = await trainingPanel(page, 'align');
    // Live: the slider appears after the first validation and grows while the run trains.
    const early = await until(() => alignmentDom(panel), (x) => x.present, 'the alignment slider', 120_000);
    const done = await until(
      async () => ({ a: await alignmentDom(panel), state: ((await panel.evaluate(`(document.querySelector('.badge[class*="state-"]') || {}).textContent || ''`)) as string).trim() }),
      (x) => x.state === 'finished',
      'the end of the run',
      240_000,
    );
    const runs = fs.readdirSync(path.join(workspace, 'runs')).filter((d) => d.startsWith('align-'));
    assert.equal(runs.length, 1);
    const recorded = validations(path.join(workspace, 'runs', runs[0])).filter((e) => e.alignments?.length);
    assert.ok(recorded.length >= 4, `several validations recorded (${recorded.length})`);
    assert.ok(early.max < done.a.max, `the slider grew during training (${early.max} → ${done.a.max})`);
    assert.equal(done.a.max, recorded.length - 1, 'one slider position per validation');
    assert.equal(done.a.value, done.a.max, 'it followed the newest validation');
    // The first and the last validation: the forced alignment of the first sample as recorded (the panel alone, full width).
    await clearNotifications(page);
    await panel.locator('.run-name').click();
    await runCommand(page, 'View: Single Column Editor Layout');
    // One group now: show the panel's tab (only a visible webview is loaded).
    await page.locator('.tabs-container .tab', { hasText: 'Training: align' }).first().click();
    panel = await trainingPanel(page, 'align', 30_000);
    await until(() => alignmentDom(panel), (x) => x.max === recorded.length - 1, 'the replayed slider');
    for (const [k, shot] of [
      [0, 'why-05-alignment-first'],
      [recorded.length - 1, 'why-06-alignment-last'],
    ] as const) {
      await slide(panel, k);
      const a = await until(() => alignmentDom(panel), (x) => x.step === recorded[k].step, `the heatmap of step ${recorded[k].step}`);
      const rec = recorded[k].alignments![0];
      assert.deepEqual(a.rows, rec.reference, 'rows: the reference tokens');
      assert.equal(a.cells.length, rec.reference.length * rec.source.length);
      for (const c of a.cells) assert.ok(Math.abs(c.opacity - weightOpacity(rec.referenceAttention[c.row][c.col] / 1000)) < 1e-3, `cell ${c.row},${c.col}`);
      assert.match(a.label, new RegExp(`^step ${recorded[k].step} · validation ${k + 1} of ${recorded.length}$`));
      await scrollToAlignment(panel);
      await screenshot(page, shot);
    }
    await setTheme(page, 'Light Modern', /vscode-light/, panel, 'Training panel');
    await scrollToAlignment(panel);
    await screenshot(page, 'why-07-alignment-light');
    await setTheme(page, 'Dark Modern', /vscode-dark/, panel, 'Training panel');
  });

  it('a recorded run (Models view → Open Training Panel) shows its recorded alignments with the slider', async function () {
    await page.locator('.activitybar .action-item a[aria-label^="Seq2Seq"], .activitybar .action-item .action-label[aria-label^="Seq2Seq"]').first().click();
    await openTrainingPanelFromMenu(page, 'why');
    const panel = await trainingPanel(page, 'why', 30_000);
    const recorded = validations(path.join(workspace, 'runs', 'why-cli')).filter((e) => e.alignments?.length);
    const a = await until(() => alignmentDom(panel), (x) => x.present && x.max === recorded.length - 1, 'the recorded slider');
    assert.equal(a.step, recorded[recorded.length - 1].step);
  });

  it('a run recorded before alignments were (no `alignments` in metrics.jsonl) still opens, and says so', async function () {
    // The CLI run as an older lab wrote it: the same folder, its validation events without `alignments`, named "old".
    const old = path.join(workspace, 'runs', 'old-cli');
    fs.cpSync(path.join(workspace, 'runs', 'why-cli'), old, { recursive: true });
    const lines = fs.readFileSync(path.join(old, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    fs.writeFileSync(path.join(old, 'metrics.jsonl'), lines.map(({ alignments: _, ...e }) => JSON.stringify(e)).join('\n') + '\n');
    const manifest = JSON.parse(fs.readFileSync(path.join(old, 'run.json'), 'utf8')) as { config: { name?: string } };
    manifest.config.name = 'old';
    fs.writeFileSync(path.join(old, 'run.json'), JSON.stringify(manifest, null, 2));
    await runCommand(page, 'Seq2Seq: Refresh Models');
    await openTrainingPanelFromMenu(page, 'old');
    const panel = await trainingPanel(page, 'old', 30_000);
    const a = await until(() => alignmentDom(panel), (x) => x.note.startsWith('No alignments were recorded'), 'the note of a run without alignments');
    assert.equal(a.present, false, 'no slider');
    const charts = await panel.locator('figure.chart[data-points]').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.points)));
    assert.ok(charts.every((n) => n > 0), `its curves are drawn: ${charts}`);
  });
});

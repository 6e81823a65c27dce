/**
 * Compare Runs and the exports end to end in a real VS Code (code-server + Chromium),
 * with the packaged .vsix installed:
 *
 *   two runs on the same data that differ in one hyper-parameter (attention bahdanau vs
 *   none) → Models tree: select both (click, Ctrl+click) → right-click → "Compare Runs" →
 *   the view: three charts with two curves each, the table with only the differing
 *   parameter (all with "Show all parameters"), sorting by a header (asc, desc),
 *   smoothing changes the curves (0 = the raw losses of metrics.jsonl), the x axis
 *   toggles step ↔ wall-clock time, dark and light themes → a line appended to a run's
 *   metrics.jsonl shows up (live) → "Export Metrics as CSV" from the tree's menu through
 *   the save dialog (code-server's simple file dialog: a quick input holding the path;
 *   Enter accepts the default name) → the CSV has one row per metrics.jsonl line → a
 *   chart's SVG and PNG buttons → the files (SVG parses, one path per run; PNG signature)
 *   → the Training panel's chart export → a run folder that disappears is noted.
 *
 * The runs are trained with the CLI in before() (a few seconds each), as translate.e2e.ts does.
 *
 * Run: npx mocha --no-config -r tsx/cjs -t 300000 --exit test/e2e/compare.e2e.ts
 * Screenshots: .e2e/screenshots/compare-*.png.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Frame, Page } from 'playwright-core';
import { DEFAULT_SCREENSHOT_DIR, REPO_ROOT, clearNotifications, closeWorkbench, openFile, runCommand, screenshot, setTheme, startWorkbench, waitForNotification, webviewFrame, type Workbench } from './harness';
import { packagedVsix } from './vsix';
import { writeReverseWorkspace } from './fixtures/reverseTask';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const CLI = path.join(REPO_ROOT, 'bin', 'seq2seq.js');

function cli(args: string[], cwd: string, timeoutMs = 180_000): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, SEQ2SEQ_BACKEND: 'wasm' } });
  if (r.status !== 0) throw new Error(`seq2seq ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

interface MetricsLine {
  type: string;
  step?: number;
  loss?: number;
  bleu?: number;
  elapsedSeconds?: number;
}
const metricsLines = (runDir: string): MetricsLine[] =>
  fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricsLine);

/** What the Compare Runs view shows (read from its DOM). */
interface CompareDom {
  count: string;
  legend: string[];
  notes: string[];
  charts: { kind: string; series: number; points: number; x: string; xMax: number; sum: number }[];
  headers: string[];
  headerKeys: string[];
  sorted: string[];
  rows: Record<string, string>[];
  smoothing: string;
}

const COMPARE_DOM_SCRIPT = `(() => {
  var all = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var text = function (e) { return e && e.textContent ? e.textContent.trim() : ''; };
  return {
    count: text(document.querySelector('.count')),
    legend: all('.legend .legend-name').map(text),
    notes: all('.notes .note').map(text),
    charts: all('figure.chart').map(function (f) {
      return { kind: f.className.replace(/.*chart-/, ''), series: Number(f.dataset.series), points: Number(f.dataset.points), x: f.dataset.x, xMax: Number(f.dataset.xMax), sum: Number(f.dataset.smoothedSum) };
    }),
    headers: all('thead th').map(function (th) { var b = th.querySelector('button'); return b ? b.firstChild.textContent : ''; }),
    headerKeys: all('thead th').map(function (th) { return th.dataset.key || ''; }),
    sorted: all('thead th').map(function (th) { return th.getAttribute('aria-sort') || ''; }),
    rows: all('tbody tr').map(function (tr) {
      var r = {};
      Array.prototype.slice.call(tr.querySelectorAll('td[data-key]')).forEach(function (td) { r[td.dataset.key] = text(td.querySelector('.run-name') || td); });
      return r;
    }),
    smoothing: text(document.querySelector('.smoothing-value'))
  };
})()`;

async function compareDom(frame: Frame): Promise<CompareDom> {
  return (await frame.evaluate(COMPARE_DOM_SCRIPT)) as CompareDom;
}

async function waitForCompare(frame: Frame, done: (v: CompareDom) => boolean, what: string, timeoutMs = 30_000): Promise<CompareDom> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await compareDom(frame);
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`Compare Runs view: ${what} not reached within ${timeoutMs} ms; last view: ${JSON.stringify(v)}`);
    await sleep(200);
  }
}

/** Set the smoothing slider as a user dragging it does (value + input event). */
async function setSmoothing(frame: Frame, value: number): Promise<void> {
  await frame.evaluate(`(() => { var s = document.getElementById('smoothing'); s.value = '${value}'; s.dispatchEvent(new Event('input', { bubbles: true })); })()`);
}

/** A row of the Models tree by its label. */
const modelsRow = (page: Page, label: string) => page.locator('.pane .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();

/** Right-click `label` in the Models tree and choose `item`. */
async function treeMenu(page: Page, label: string, item: string): Promise<string[]> {
  await modelsRow(page, label).click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ state: 'visible', timeout: 10_000 });
  const items = (await menu.locator('.action-item .action-label').allTextContents()).map((l) => l.trim()).filter(Boolean);
  const entry = menu.locator('.action-item .action-label', { hasText: new RegExp(`^${item}$`) }).first();
  if ((await entry.count()) === 0) {
    await page.keyboard.press('Escape');
    throw new Error(`Models context menu has no "${item}": ${JSON.stringify(items)}`);
  }
  // A click right after the menu opens can be taken for the end of the right-click: hover first.
  await entry.hover();
  await sleep(200);
  await entry.click();
  await menu.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  return items;
}

/**
 * Accept code-server's save dialog (the simple file dialog, a quick input whose box
 * holds the path of the default file) as it is; returns the path it offered.
 */
async function acceptSaveDialog(page: Page): Promise<string> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  // The box is filled once the dialog has listed the folder.
  let value = '';
  const end = Date.now() + 10_000;
  while (!/\.\w+$/.test(value) && Date.now() < end) {
    value = await input.inputValue();
    await sleep(150);
  }
  await sleep(300);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10_000 });
  return value;
}

async function waitForFile(file: string, timeoutMs = 15_000): Promise<Buffer> {
  const end = Date.now() + timeoutMs;
  while (!fs.existsSync(file) || fs.statSync(file).size === 0) {
    if (Date.now() > end) throw new Error(`${file} was not written within ${timeoutMs} ms`);
    await sleep(200);
  }
  await sleep(200);
  return fs.readFileSync(file);
}

/** Keep an exported file beside the screenshots (to look at; the workspace is removed afterwards). */
function keep(name: string, data: string | Buffer): void {
  const dir = process.env.SEQ2SEQ_E2E_SCREENSHOTS ?? DEFAULT_SCREENSHOT_DIR;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `compare-export-${name}`), data);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The SVG's root element and its `path.series` elements (fast-xml-parser, attributes kept). */
function svgSeriesPaths(text: string): { root: Record<string, unknown>; series: string[] } {
  assert.equal(XMLValidator.validate(text), true, 'well-formed XML');
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'path' || name === 'g' }).parse(text) as { svg: Record<string, unknown> };
  const groups = (doc.svg.g ?? []) as { '@class'?: string; path?: { '@class'?: string; '@d'?: string }[] }[];
  const series = groups.flatMap((g) => g.path ?? []).filter((p) => p['@class'] === 'series').map((p) => p['@d'] ?? '');
  return { root: doc.svg, series };
}

describe('Compare Runs view and exports in VS Code (packaged extension)', function () {
  this.timeout(240_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;
  let view: Frame;
  let tinyDir: string;
  let flatDir: string;

  before(async function () {
    this.timeout(420_000);
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-compare-'));
    writeReverseWorkspace(workspace, { epochs: 3 });
    // The same config without attention: the runs differ in exactly one hyper-parameter.
    const tiny = JSON.parse(fs.readFileSync(path.join(workspace, 'tiny.seq2seq.json'), 'utf8')) as { name: string; model: Record<string, unknown> };
    fs.writeFileSync(path.join(workspace, 'flat.seq2seq.json'), JSON.stringify({ ...tiny, name: 'flat', model: { ...tiny.model, attention: 'none' } }, null, 2) + '\n');
    cli(['train', '--config', 'flat.seq2seq.json', '--out', 'runs/flat-cli'], workspace);
    await sleep(1100); // distinct creation times: "tiny" is listed first
    cli(['train', '--config', 'tiny.seq2seq.json', '--out', 'runs/tiny-cli'], workspace);
    tinyDir = path.join(workspace, 'runs', 'tiny-cli');
    flatDir = path.join(workspace, 'runs', 'flat-cli');
    wb = await startWorkbench(workspace, vsix);
    page = wb.page;
  });

  after(async function () {
    await closeWorkbench(wb, workspace);
  });

  it('multi-selects two runs in the Models tree and opens Compare Runs from the context menu', async function () {
    await page.locator('.activitybar .action-item a[aria-label^="Seq2Seq"], .activitybar .action-item .action-label[aria-label^="Seq2Seq"]').first().click();
    await modelsRow(page, 'tiny').waitFor({ state: 'visible', timeout: 20_000 });
    await modelsRow(page, 'flat').waitFor({ state: 'visible', timeout: 20_000 });
    await modelsRow(page, 'tiny').click();
    await modelsRow(page, 'flat').click({ modifiers: ['Control'] });
    assert.equal(await page.locator('.pane .monaco-list-row.selected').count(), 2, 'both runs selected');
    const items = await treeMenu(page, 'flat', 'Compare Runs');
    assert.ok(items.includes('Export Metrics as CSV'), JSON.stringify(items));
    view = await webviewFrame(page, /^Compare: /, 30_000);
    const v = await waitForCompare(view, (x) => x.charts.length === 3 && x.charts.every((c) => c.series === 2), 'two curves in each chart');
    assert.equal(v.count, '2 runs');
    assert.deepEqual([...v.legend].sort(), ['flat', 'tiny']);
    assert.deepEqual(v.notes, []);
    const title = (await page.locator('.tabs-container .tab .label-name', { hasText: /^Compare: / }).first().textContent())?.trim();
    assert.ok(title === 'Compare: tiny, flat' || title === 'Compare: flat, tiny', `tab title ${title}`);
    // Every progress report of both runs is a point of the loss chart.
    const progress = [tinyDir, flatDir].map((d) => metricsLines(d).filter((e) => e.type === 'progress').length);
    assert.equal(v.charts.find((c) => c.kind === 'loss')!.points, progress[0] + progress[1]);
  });

  it('tables only the hyper-parameter that differs (attention), all of them with "Show all parameters"', async function () {
    let v = await compareDom(view);
    const params = v.headerKeys.filter((k) => k.startsWith('param:'));
    assert.deepEqual(params, ['param:model.attention']);
    assert.deepEqual(v.headers.slice(0, 3), ['Run', 'Model', 'model.attention']);
    for (const h of ['Best BLEU', 'Lowest perplexity', 'Steps', 'Training time', 'Tokens/s']) assert.ok(v.headers.includes(h), `${h} in ${JSON.stringify(v.headers)}`);
    const byName = Object.fromEntries(v.rows.map((r) => [r.name, r]));
    assert.equal(byName.tiny['param:model.attention'], 'bahdanau');
    assert.equal(byName.flat['param:model.attention'], 'none');
    assert.match(byName.flat.model, /no attention/);
    // The last step recorded (the `done` event's: it can be after the last progress report).
    const lastStep = (d: string) => metricsLines(d).filter((e) => e.type === 'progress' || e.type === 'validation' || e.type === 'done').pop()!.step;
    assert.equal(byName.tiny.steps, String(lastStep(tinyDir)));
    await view.locator('#show-all').click(); // a vscode-checkbox: a click on its label toggles it
    v = await waitForCompare(view, (x) => x.headerKeys.filter((k) => k.startsWith('param:')).length > 20, 'all parameters');
    for (const k of ['param:model.hiddenSize', 'param:train.batchSize', 'param:data.tokenizer']) assert.ok(v.headerKeys.includes(k), k);
    await view.locator('#show-all').click();
    await waitForCompare(view, (x) => x.headerKeys.filter((k) => k.startsWith('param:')).length === 1, 'differing parameters only');
  });

  it('sorts the table by a header, ascending then descending', async function () {
    const bleuOf = (d: string) => Math.max(...metricsLines(d).filter((e) => e.type === 'validation').map((e) => e.bleu!));
    const [tinyBleu, flatBleu] = [bleuOf(tinyDir), bleuOf(flatDir)];
    const header = view.locator('thead th[data-key="bestBleu"] button');
    await header.click();
    let v = await waitForCompare(view, (x) => x.sorted[x.headerKeys.indexOf('bestBleu')] === 'ascending', 'sorted ascending');
    const asc = v.rows.map((r) => r.name);
    await header.click();
    v = await waitForCompare(view, (x) => x.sorted[x.headerKeys.indexOf('bestBleu')] === 'descending', 'sorted descending');
    const desc = v.rows.map((r) => r.name);
    if (tinyBleu !== flatBleu) {
      assert.deepEqual(asc, tinyBleu < flatBleu ? ['tiny', 'flat'] : ['flat', 'tiny']);
      assert.deepEqual(desc, [...asc].reverse());
    }
    // By name: alphabetical.
    await view.locator('thead th[data-key="name"] button').click();
    v = await waitForCompare(view, (x) => x.sorted[0] === 'ascending', 'sorted by name');
    assert.deepEqual(v.rows.map((r) => r.name), ['flat', 'tiny']);
  });

  it('smoothing changes the curves; 0 draws the raw losses of metrics.jsonl', async function () {
    const loss = (v: CompareDom) => v.charts.find((c) => c.kind === 'loss')!;
    const before = loss(await compareDom(view)).sum;
    await setSmoothing(view, 0);
    let v = await waitForCompare(view, (x) => x.smoothing === '0.00' && loss(x).sum !== before, 'smoothing 0');
    const raw = [tinyDir, flatDir].flatMap((d) => metricsLines(d).filter((e) => e.type === 'progress').map((e) => e.loss!)).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(loss(v).sum - raw) < 1e-4 * Math.max(1, raw), `raw sum ${raw} vs drawn ${loss(v).sum}`);
    await setSmoothing(view, 0.9);
    v = await waitForCompare(view, (x) => x.smoothing === '0.90' && Math.abs(loss(x).sum - raw) > 1e-3, 'smoothing 0.9');
    // The loss falls during training: a heavy average lags behind, above the raw values.
    assert.ok(loss(v).sum > raw, `smoothed ${loss(v).sum} above raw ${raw}`);
    await setSmoothing(view, 0.6);
  });

  it('toggles the x axis between step and wall-clock time', async function () {
    const maxStep = Math.max(...[tinyDir, flatDir].flatMap((d) => metricsLines(d).filter((e) => e.type === 'progress').map((e) => e.step!)));
    const maxSeconds = Math.max(...[tinyDir, flatDir].flatMap((d) => metricsLines(d).filter((e) => e.type === 'progress').map((e) => e.elapsedSeconds!)));
    let v = await compareDom(view);
    assert.equal(v.charts[0].x, 'step');
    assert.equal(v.charts[0].xMax, maxStep);
    // Hovering a chart reads out each run's value at the step under the cursor.
    await view.locator('figure.chart-loss .u-over').hover();
    const readout = view.locator('figure.chart-loss .readout');
    const end = Date.now() + 5000;
    while (!(await readout.textContent()) && Date.now() < end) await sleep(100);
    assert.match((await readout.textContent()) ?? '', /^step \d+: (tiny|flat) \d\.\d\d( · (tiny|flat) \d\.\d\d)?$/);
    await view.locator('vscode-radio.x-time').click();
    v = await waitForCompare(view, (x) => x.charts.every((c) => c.x === 'time'), 'wall-clock x axis');
    assert.ok(Math.abs(v.charts[0].xMax - maxSeconds) < 1e-6, `x max ${v.charts[0].xMax} s, metrics ${maxSeconds} s`);
    assert.equal(await view.locator('vscode-radio.x-time').evaluate((r) => (r as unknown as { checked: boolean }).checked), true);
    assert.equal(await view.locator('vscode-radio.x-step').evaluate((r) => (r as unknown as { checked: boolean }).checked), false);
    await screenshot(page, 'compare-01-time-axis');
    // The keyboard, as for any radio group: arrow keys move the choice.
    await view.locator('vscode-radio.x-time').focus();
    await page.keyboard.press('ArrowLeft');
    await waitForCompare(view, (x) => x.charts.every((c) => c.x === 'step'), 'step x axis from the keyboard');
    await view.locator('vscode-radio.x-time').click();
    await waitForCompare(view, (x) => x.charts.every((c) => c.x === 'time'), 'wall-clock x axis again');
    await view.locator('vscode-radio.x-step').click();
    await waitForCompare(view, (x) => x.charts.every((c) => c.x === 'step'), 'step x axis');
  });

  it('renders in dark and light themes', async function () {
    await clearNotifications(page);
    await runCommand(page, 'View: Close Primary Side Bar');
    await sleep(800);
    await page.mouse.move(5, 300);
    await screenshot(page, 'compare-02-dark');
    await setTheme(page, 'Light Modern', /vscode-light/, view, 'the Compare Runs view', 800);
    const v = await compareDom(view);
    assert.ok(v.charts.every((c) => c.series === 2), 'charts redrawn after the theme change');
    await screenshot(page, 'compare-03-light');
    await setTheme(page, 'Dark Modern', /vscode-dark/, view, 'the Compare Runs view', 600);
  });

  it('updates a run live when its metrics.jsonl grows', async function () {
    const loss = (v: CompareDom) => v.charts.find((c) => c.kind === 'loss')!;
    const before = await compareDom(view);
    const last = metricsLines(flatDir).filter((e) => e.type === 'progress').pop()!;
    const next = { ...last, step: last.step! + 5, elapsedSeconds: last.elapsedSeconds! + 1, loss: last.loss! * 0.9 };
    fs.appendFileSync(path.join(flatDir, 'metrics.jsonl'), JSON.stringify(next) + '\n');
    const v = await waitForCompare(view, (x) => loss(x).points === loss(before).points + 1, 'the appended progress point', 20_000);
    assert.equal(loss(v).xMax, Math.max(loss(before).xMax, next.step));
  });

  it('exports a run\'s metrics as CSV from the Models tree, through the save dialog', async function () {
    await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
    await modelsRow(page, 'tiny').waitFor({ state: 'visible', timeout: 10_000 });
    await treeMenu(page, 'tiny', 'Export Metrics as CSV');
    const offered = await acceptSaveDialog(page);
    assert.match(offered, /tiny-cli-metrics\.csv$/);
    const file = path.join(workspace, 'tiny-cli-metrics.csv');
    const text = (await waitForFile(file)).toString('utf8');
    await waitForNotification(page, /^Seq2Seq: wrote \d+ rows of tiny to tiny-cli-metrics\.csv/);
    const rows = parseCsv(text, { columns: true }) as Record<string, string>[];
    const lines = metricsLines(tinyDir);
    assert.equal(rows.length, lines.length, 'one row per metrics.jsonl line');
    const header = text.split('\n')[0].split(',');
    assert.deepEqual(header.slice(0, 6), ['step', 'epoch', 'type', 'loss', 'perplexity', 'bleu']);
    assert.ok(header.includes('learningRate') && header.includes('elapsedSeconds') && header.includes('tokensPerSecond'), JSON.stringify(header));
    assert.ok(!header.includes('samples'), 'sample translations are not a column');
    rows.forEach((r, i) => {
      assert.equal(r.type, lines[i].type);
      if (lines[i].type === 'progress') assert.equal(Number(r.loss), lines[i].loss);
    });
  });

  it('exports a Compare Runs chart as SVG (a vector chart, one path per run) and PNG', async function () {
    await clearNotifications(page);
    await page.locator('.tabs-container .tab .label-name', { hasText: /^Compare: / }).first().click();
    await sleep(500);
    await view.locator('figure.chart-loss button.export-svg').click();
    const svgOffered = await acceptSaveDialog(page);
    const svgName = path.basename(svgOffered);
    assert.match(svgName, /^(tiny-vs-flat|flat-vs-tiny)-training-loss\.svg$/);
    const svg = (await waitForFile(path.join(workspace, svgName))).toString('utf8');
    keep(svgName, svg);
    const { root, series } = svgSeriesPaths(svg);
    assert.equal(root['@xmlns'], 'http://www.w3.org/2000/svg');
    assert.equal(series.length, 2, 'one path per run');
    for (const d of series) assert.match(d, /^M[\d.]+ [\d.]+(L[\d.]+ [\d.]+)+$/);
    for (const word of ['Training loss', 'tiny', 'flat', 'step']) assert.ok(svg.includes(`>${word}<`), `${word} in the SVG`);

    await view.locator('figure.chart-bleu button.export-png').click();
    const pngOffered = await acceptSaveDialog(page);
    const pngName = path.basename(pngOffered);
    assert.match(pngName, /validation-bleu\.png$/);
    const png = await waitForFile(path.join(workspace, pngName));
    keep(pngName, png);
    assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
    assert.ok(png.readUInt32BE(16) > 200 && png.readUInt32BE(20) > 150, `PNG size ${png.readUInt32BE(16)}×${png.readUInt32BE(20)}`);
  });

  it('exports a Training panel chart as SVG', async function () {
    await clearNotifications(page);
    await treeMenu(page, 'tiny', 'Open Training Panel');
    const panel = await webviewFrame(page, /^Training: tiny/, 30_000);
    await panel.locator('figure.chart button.export-svg').first().waitFor({ state: 'visible', timeout: 10_000 });
    // Wait for the replayed curve, then export the loss chart.
    const end = Date.now() + 15_000;
    while (Number(await panel.locator('figure.chart').first().getAttribute('data-points')) === 0 && Date.now() < end) await sleep(200);
    await panel.locator('figure.chart button.export-svg').first().click();
    const offered = await acceptSaveDialog(page);
    assert.equal(path.basename(offered), 'tiny-training-loss.svg');
    const svg = (await waitForFile(path.join(workspace, 'tiny-training-loss.svg'))).toString('utf8');
    assert.equal(svgSeriesPaths(svg).series.length, 1);
  });

  it('from the palette: a multi-select quick pick (the tree selection ticked); the one panel is reused', async function () {
    await clearNotifications(page);
    await modelsRow(page, 'tiny').click();
    await runCommand(page, 'Seq2Seq: Compare Runs');
    const widget = page.locator('.quick-input-widget');
    const row = (label: string) => widget.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();
    await row('flat').waitFor({ state: 'visible', timeout: 10_000 });
    // A multi-select quick pick's rows are checkboxes (role and aria-checked on the row).
    const checked = async (label: string) => (await row(label).getAttribute('aria-checked')) === 'true';
    assert.equal(await checked('tiny'), true, 'the run selected in the tree is ticked');
    assert.equal(await checked('flat'), false);
    // Only "tiny": the view shows one run.
    await page.keyboard.press('Enter');
    await widget.waitFor({ state: 'hidden', timeout: 5000 });
    let v = await waitForCompare(view, (x) => x.count === '1 run', 'one run');
    assert.deepEqual(v.legend, ['tiny']);
    await page.locator('.tabs-container .tab .label-name', { hasText: /^Compare: tiny$/ }).first().waitFor({ state: 'visible', timeout: 5000 });
    // Again, ticking "flat" too.
    await runCommand(page, 'Seq2Seq: Compare Runs');
    await row('flat').waitFor({ state: 'visible', timeout: 10_000 });
    await row('flat').click();
    await sleep(200);
    assert.equal(await checked('flat'), true, 'flat ticked');
    await page.keyboard.press('Enter');
    await widget.waitFor({ state: 'hidden', timeout: 5000 });
    v = await waitForCompare(view, (x) => x.count === '2 runs' && x.charts.every((c) => c.series === 2), 'two runs again');
    assert.deepEqual(v.legend, ['tiny', 'flat'], 'in the order of the pick (newest first)');
    assert.equal(await page.locator('.tabs-container .tab .label-name', { hasText: /^Compare/ }).count(), 1, 'one Compare Runs panel');
  });

  it('exports the attention heatmap as SVG and PNG', async function () {
    await clearNotifications(page);
    fs.writeFileSync(path.join(workspace, 'sentences.txt'), 'red cat sun\n');
    await openFile(page, 'sentences.txt');
    await page.locator('.editor-group-container.active .monaco-editor .view-line', { hasText: 'red cat sun' }).first().waitFor({ state: 'visible', timeout: 15_000 });
    await page.locator('.editor-group-container.active .monaco-editor .view-line', { hasText: 'red cat sun' }).first().click();
    await page.keyboard.press('Control+A');
    await runCommand(page, 'Seq2Seq: Translate Selection');
    await waitForNotification(page, /^Translation: /, 90_000);
    await page.locator('.notifications-toasts .monaco-button', { hasText: 'Show Attention' }).first().click();
    const attention = await webviewFrame(page, 'Seq2Seq Attention', 30_000);
    await attention.locator('svg.heatmap rect.cell').first().waitFor({ state: 'attached', timeout: 15_000 });
    await attention.locator('.heatmap-title button.export-svg').click();
    const svgName = path.basename(await acceptSaveDialog(page));
    assert.equal(svgName, 'attention-tiny-1.svg');
    const svg = (await waitForFile(path.join(workspace, svgName))).toString('utf8');
    keep(svgName, svg);
    assert.equal(XMLValidator.validate(svg), true, 'well-formed XML');
    assert.ok((svg.match(/<rect [^>]*fill=/g) ?? []).length > 9, 'cells with their colours written in');
    await attention.locator('.heatmap-title button.export-png').click();
    const pngName = path.basename(await acceptSaveDialog(page));
    const png = await waitForFile(path.join(workspace, pngName));
    keep(pngName, png);
    assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
  });

  it('says so when a run folder it shows disappears', async function () {
    // Hidden behind the attention view, the page was unloaded: showing it again loads a new one.
    view = await webviewFrame(page, /^Compare: /, 30_000);
    await waitForCompare(view, (x) => x.charts.every((c) => c.series === 2), 'the reloaded page');
    fs.renameSync(flatDir, path.join(workspace, 'runs-moved-flat'));
    const v = await waitForCompare(view, (x) => x.notes.some((n) => /no longer exists/.test(n)), 'a note for the missing folder', 20_000);
    assert.match(v.notes[0], /^flat: The run folder .*flat-cli no longer exists\.$/);
    // The curves read before stay.
    assert.ok(v.charts.every((c) => c.series === 2), JSON.stringify(v.charts));
    await screenshot(page, 'compare-04-missing-run');
  });
});

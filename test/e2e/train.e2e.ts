/**
 * "Train Model" end to end in a real VS Code (code-server + Chromium), with the
 * packaged .vsix installed (not the source folder):
 *
 *   palette "Train seq2seq" → Seq2Seq: Train Seq2Seq Model → pick tiny.seq2seq.json →
 *   Training panel beside the editor with live metrics (wasm backend, step counter,
 *   loss chart, sample translations, finished) → status bar item → "Seq2Seq" output
 *   channel → run folder on disk → panel in light / high-contrast themes →
 *   Seq2Seq: Stop Training on a longer run.
 *
 * Run: npm run test:e2e   (or: bash scripts/e2e/setup.sh && npm run package &&
 *      npx mocha --config test/e2e/.mocharc.json --spec test/e2e/train.e2e.ts)
 * The vsix is taken from $SEQ2SEQ_E2E_VSIX, else dist-vsix/<name>-<version>.vsix when it
 * is newer than every source file, else packaged here (scripts/package.mjs).
 * Screenshots: .e2e/screenshots/train-*.png.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import {
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
import { LONG_CONFIG, TINY_CONFIG, writeReverseWorkspace } from './fixtures/reverseTask';
import { packagedVsix } from './vsix';
import { panelView, pickConfig, sleep, statusBarText, stepNumber, watchPanel } from './trainingPanelView';

const PALETTE_QUERY = 'Train seq2seq';
const TRAIN_COMMAND_LABEL = 'Seq2Seq: Train Seq2Seq Model';

/**
 * Open the palette, type `query` and wait for a row labelled `label` (reopening the
 * palette while the extension's commands are still being registered). Leaves it open.
 */
async function paletteShows(page: Page, query: string, label: string, timeoutMs = 30_000): Promise<string[]> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  const rows = widget.locator('.quick-input-list .monaco-list-row');
  const end = Date.now() + timeoutMs;
  while (true) {
    await page.keyboard.press('F1');
    await widget.waitFor({ state: 'visible', timeout: 5000 });
    await input.fill(`>${query}`);
    const reopenAt = Date.now() + 3000;
    while (Date.now() < reopenAt) {
      const labels = (await rows.locator('.label-name').allTextContents()).map((l) => l.replace(/\s+/g, ' ').trim());
      if (labels.includes(label)) return labels;
      await sleep(150);
    }
    if (Date.now() > end) {
      const labels = await rows.locator('.label-name').allTextContents();
      throw new Error(`palette "${query}" did not offer "${label}" within ${timeoutMs} ms; rows: ${JSON.stringify(labels)}`);
    }
    await page.keyboard.press('Escape');
    await widget.waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
  }
}

describe('Train Model in VS Code (packaged extension, code-server + Chromium)', function () {
  this.timeout(240_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;
  let panel: Frame;
  const statusTexts = new Set<string>();
  const timings: Record<string, number> = {};

  before(async function () {
    let t = Date.now();
    const vsix = packagedVsix();
    timings.packageMs = Date.now() - t;
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-train-'));
    writeReverseWorkspace(workspace);
    t = Date.now();
    wb = await startWorkbench(workspace, vsix);
    page = wb.page;
    // Installed from the vsix, not linked to the source folder.
    const { extensionsDir } = wb.server;
    const installed = fs.readdirSync(extensionsDir).filter((d) => d.startsWith('seq2seq-lab.seq2seq-lab-'));
    assert.equal(installed.length, 1, `expected the vsix to be installed in ${extensionsDir}`);
    assert.ok(!fs.existsSync(path.join(extensionsDir, installed[0], 'node_modules')), 'the installed extension must not contain node_modules');
    timings.startMs = Date.now() - t;
  });

  after(async function () {
    console.log(`      timings: ${JSON.stringify(timings)}`);
    await closeWorkbench(wb, workspace);
  });

  it('offers "Seq2Seq: Train Seq2Seq Model" in the command palette for "Train seq2seq"', async function () {
    await openFile(page, TINY_CONFIG); // the panel opens beside this editor
    const labels = await paletteShows(page, PALETTE_QUERY, TRAIN_COMMAND_LABEL);
    assert.ok(labels.includes(TRAIN_COMMAND_LABEL), JSON.stringify(labels));
    // Stop Training is only offered while a run is training.
    assert.ok(!labels.some((l) => /Stop Training/.test(l)), `Stop Training offered while idle: ${JSON.stringify(labels)}`);
    await page.locator('.part.statusbar', { hasText: 'Activating Extensions' }).waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => undefined);
    await screenshot(page, 'train-01-palette');
  });

  it('runs it and lists the workspace configs in a quick pick', async function () {
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: TRAIN_COMMAND_LABEL }).first().click();
    const t = Date.now();
    const widget = page.locator('.quick-input-widget');
    await widget.locator('.quick-input-list .monaco-list-row', { hasText: TINY_CONFIG }).first().waitFor({ state: 'visible', timeout: 20_000 });
    await screenshot(page, 'train-02-pick-config');
    const labels = await pickConfig(page, TINY_CONFIG);
    timings.trainStartedAt = t;
    assert.ok(labels.some((l) => l.includes(TINY_CONFIG)) && labels.some((l) => l.includes(LONG_CONFIG)), JSON.stringify(labels));
    assert.ok(labels.some((l) => /Create config from a data file/.test(l)), JSON.stringify(labels));
  });

  it('opens the Training panel beside the editor and shows live metrics until finished', async function () {
    panel = await webviewFrame(page, /^Training: tiny$/, 30_000);
    // Beside the config editor: two editor groups, the panel's tab in the second one.
    const groups = page.locator('.editor-group-container');
    assert.equal(await groups.count(), 2, 'expected the panel in a second editor group');
    assert.equal(await groups.nth(1).locator('.tab .label-name', { hasText: 'Training: tiny' }).count(), 1);
    assert.equal(await groups.nth(0).locator('.tab .label-name', { hasText: TINY_CONFIG }).count(), 1);

    const steps: number[] = [];
    let liveShot = false;
    const final = await watchPanel(
      panel,
      (v) => v.state === 'finished',
      120_000,
      async (v) => {
        const sb = await statusBarText(page);
        if (sb) statusTexts.add(sb);
        const s = stepNumber(v);
        if (v.state === 'running' && Number.isFinite(s)) {
          if (steps[steps.length - 1] !== s) steps.push(s);
          if (!liveShot && s >= 20) {
            liveShot = true;
            await screenshot(page, 'train-03-panel-live');
          }
        }
      },
    );
    timings.trainMs = Date.now() - timings.trainStartedAt;
    assert.equal(final.title, 'tiny');
    assert.match(final.backend, /^wasm( · \d+ threads)? · (relaxed SIMD|SIMD|no SIMD)$/, 'backend badge: the backend, the threads when more than one, and the form of the SIMD kernels');
    assert.ok(steps.length >= 2, `the step counter should have changed while running; saw ${JSON.stringify(steps)}`);
    for (let i = 1; i < steps.length; i++) assert.ok(steps[i] > steps[i - 1], `step counter went back: ${JSON.stringify(steps)}`);
    assert.match(final.step, /^102 \/ 102$/, 'final step counter (6 epochs × 17 steps)');
    assert.match(final.epoch, /^6 \/ 6$/);
    assert.ok(final.lossShown, 'loss chart hidden');
    assert.match(final.lossReadout, /^\d+(\.\d+)? at step \d+$/, 'loss readout');
    assert.ok(final.lossPixels > 100, `loss chart has no drawn line (${final.lossPixels} pixels in the series colour)`);
    assert.ok(final.samples >= 1, 'sample translations table is empty');
    assert.match(final.banner, /^Finished: .* at step 102 \(epoch 6\)\.$/);
    assert.ok(!final.stopVisible, 'Stop button still visible after the run finished');
    await waitForNotification(page, /Seq2Seq: tiny finished/, 20_000);
    await screenshot(page, 'train-04-finished-notification');
  });

  it('showed the status bar item while training, then the result', async function () {
    const texts = [...statusTexts];
    assert.ok(texts.some((t) => /Seq2Seq: step \d+ · loss [\d.]+ · [\d.,k]+ tok\/s/.test(t)), `no live status bar text; saw ${JSON.stringify(texts)}`);
    assert.match(await statusBarText(page), /Seq2Seq: done at step 102/);
  });

  it('logs the run to the "Seq2Seq" output channel', async function () {
    await runCommand(page, 'Output: Show Output Channels...');
    const widget = page.locator('.quick-input-widget');
    const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: /^Seq2Seq/ }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
    const lines = page.locator('.part.panel .output-view .view-lines');
    await lines.filter({ hasText: /finished\s\(.*\)\sat\sstep\s102/ }).waitFor({ state: 'visible', timeout: 15_000 });
    // The output editor renders only the visible lines (the end of the log now, its start after Ctrl+Home)
    // and wraps long ones anywhere: compare without whitespace.
    const squash = (t: string) => t.replace(/\s+/g, '');
    const tail = squash(await lines.first().innerText());
    assert.match(tail, /epoch\dstep\d+:loss[\d.]+,perplexity[\d.]+/);
    assert.match(tail, /validationatstep\d+\(epoch\d\):loss[\d.]+,perplexity[\d.]+,BLEU[\d.]+/);
    await screenshot(page, 'train-05-output');
    // Put the caret in the output editor (the .view-lines layer is taller than the viewport: click the editor box).
    const editorBox = await page.locator('.part.panel .output-view .monaco-editor').first().boundingBox();
    assert.ok(editorBox, 'output editor not shown');
    await page.mouse.click(editorBox.x + 60, editorBox.y + 20);
    await page.keyboard.press('Control+Home');
    await lines.filter({ hasText: /started\son\swasm:/ }).waitFor({ state: 'visible', timeout: 10_000 });
    const head = squash(await lines.first().innerText());
    assert.match(head, /Trainingtinywith.*tiny\.seq2seq\.json→.*runs/);
    assert.match(head, /startedonwasm:[\d.,k]+parameters,271train\/29valid\/0testpairs/);
    await runCommand(page, 'View: Toggle Panel Visibility');
    await page.locator('.part.panel .output-view').waitFor({ state: 'hidden', timeout: 5000 });
  });

  it('wrote the run folder (run.json, best/, metrics.jsonl) in the workspace', async function () {
    const runsDir = path.join(workspace, 'runs');
    const runs = fs.readdirSync(runsDir).filter((d) => d.startsWith('tiny-'));
    assert.equal(runs.length, 1, `runs/: ${fs.readdirSync(runsDir).join(', ')}`);
    const dir = path.join(runsDir, runs[0]);
    assert.match(runs[0], /^tiny-\d{8}-\d{6}$/);
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(run.format, 'seq2seq-lab/run@4', 'run.json format');
    assert.ok(fs.statSync(path.join(dir, 'best')).isDirectory(), 'best/ missing');
    assert.ok(fs.readdirSync(path.join(dir, 'best')).length > 0, 'best/ is empty');
    const metrics = fs
      .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type?: string });
    assert.ok(metrics.filter((m) => m.type === 'validation').length >= 5, 'expected ≥ 5 validations (every 20 of 102 steps + final)');
    // The Explorer shows it too.
    await page.keyboard.press('Control+Shift+E');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'runs' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  });

  it('renders the panel in dark, light and high-contrast themes', async function () {
    await clearNotifications(page);
    // README screenshots: the panel's editor group maximised (charts side by side), no side bar.
    await runCommand(page, 'View: Close Primary Side Bar');
    await page.locator('.tabs-container .tab .label-name', { hasText: 'Training: tiny' }).click();
    // VS Code moves focus into the webview a moment after the tab click; a palette opened before
    // that would lose focus and close.
    await sleep(1500);
    await runCommand(page, 'View: Toggle Maximize Editor Group');
    panel = await webviewFrame(page, /^Training: tiny$/);
    const themes: [string, string, RegExp][] = [
      ['Dark Modern', 'dark', /vscode-dark/],
      ['Light Modern', 'light', /vscode-light/],
      ['Dark High Contrast', 'hc', /vscode-high-contrast/],
    ];
    for (const [theme, short, bodyClass] of themes) {
      await setTheme(page, theme, bodyClass, panel, 'the Training panel');
      const v = await panelView(panel);
      assert.equal(v.state, 'finished', `${theme}: state`);
      assert.ok(v.lossPixels > 100, `${theme}: loss line not drawn after the theme change (${v.lossPixels} pixels)`);
      assert.ok(v.samplesContrast >= 3, `${theme}: sample translations hard to read (contrast ${v.samplesContrast.toFixed(2)}:1)`);
      await screenshot(page, `train-06-panel-${short}`);
    }
    await setTheme(page, 'Dark Modern', /vscode-dark/, panel, 'the Training panel');
    await runCommand(page, 'View: Toggle Maximize Editor Group');
  });

  it('"Seq2Seq: Stop Training" stops a longer run and the panel shows it stopped', async function () {
    // Focus the config editor (first group), not the webview (see above).
    await page.locator('.editor-group-container').first().locator('.tab .label-name', { hasText: TINY_CONFIG }).click();
    await page.locator('.editor-group-container').first().locator('.monaco-editor .view-lines').click({ position: { x: 200, y: 20 } });
    await sleep(500);
    await runCommand(page, TRAIN_COMMAND_LABEL);
    await pickConfig(page, LONG_CONFIG);
    panel = await webviewFrame(page, /^Training: long$/, 30_000);
    const running = await watchPanel(panel, (v) => v.state === 'running' && stepNumber(v) >= 4, 60_000);
    assert.ok(running.stopVisible, 'Stop button hidden while running');
    const t = Date.now();
    await runCommand(page, 'Seq2Seq: Stop Training');
    const stopped = await watchPanel(panel, (v) => v.state === 'stopped', 60_000);
    timings.stopMs = Date.now() - t;
    assert.match(stopped.banner, /^Stopped at step \d+ \(epoch \d+\); the last checkpoint was saved\.$/);
    assert.ok(!stopped.stopVisible, 'Stop button still shown after stopping');
    assert.match(await statusBarText(page), /Seq2Seq: stopped at step \d+/);
    await screenshot(page, 'train-07-stopped');
    const runs = fs.readdirSync(path.join(workspace, 'runs')).filter((d) => d.startsWith('long-'));
    assert.equal(runs.length, 1);
    const last = path.join(workspace, 'runs', runs[0], 'last');
    assert.ok(fs.existsSync(last) && fs.readdirSync(last).length > 0, 'no last/ checkpoint after Stop');
    // Stop Training is gone from the palette again.
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget .quick-input-box input').fill('>Seq2Seq: Stop Training');
    await sleep(500);
    const rows = await page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name').allTextContents();
    await page.keyboard.press('Escape');
    assert.ok(!rows.some((r) => /Stop Training/.test(r)), `Stop Training still offered: ${JSON.stringify(rows)}`);
  });
});

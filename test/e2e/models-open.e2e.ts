/**
 * Opening recorded runs in the Training panel, end to end in a real VS Code
 * (code-server + Chromium) with the packaged .vsix installed:
 *
 *   a workspace with two finished runs (trained with the CLI in before(); the newer
 *   one stopped early) and nothing training → "Seq2Seq: Show Training Panel" shows
 *   the most recent run (not "No training run yet"), its banner saying why early
 *   stopping ended it → a click on the other run in the Models view opens it in the
 *   panel, the focus staying in the tree → the context menu keeps its entries (Open Config opens the config, the
 *   panel stays on the run it shows) → a click on the first run brings it back.
 *
 * Run: npx mocha --no-config -r tsx/cjs -t 300000 --exit test/e2e/models-open.e2e.ts
 * Screenshots: .e2e/screenshots/models-open-*.png.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { REPO_ROOT, clearNotifications, closeWorkbench, runCommand, screenshot, startWorkbench, webviewFrame, type Workbench } from './harness';
import { packagedVsix } from './vsix';
import { writeReverseWorkspace } from './fixtures/reverseTask';
import { sleep, watchPanel } from './trainingPanelView';

const CLI = path.join(REPO_ROOT, 'bin', 'seq2seq.js');

function cli(args: string[], cwd: string, timeoutMs = 180_000): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, SEQ2SEQ_BACKEND: 'wasm' } });
  if (r.status !== 0) throw new Error(`seq2seq ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A row of the Models tree by its label. */
const modelsRow = (page: Page, label: string) => page.locator('.pane .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();

/** The title of the Training panel's editor tab. */
async function panelTabTitle(page: Page): Promise<string> {
  return ((await page.locator('.tabs-container .tab .label-name', { hasText: /^Training: / }).first().textContent()) ?? '').trim();
}

describe('Training panel of recorded runs: Show Training Panel and a click in the Models view (packaged extension)', function () {
  this.timeout(240_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;
  let panel: Frame;
  let earlyLog: string;

  before(async function () {
    this.timeout(420_000);
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-models-open-'));
    writeReverseWorkspace(workspace, { epochs: 6 });
    cli(['train', '--config', 'tiny.seq2seq.json', '--out', 'runs/first', '--set', 'train.earlyStoppingPatience=0', '--epochs', '2'], workspace);
    await sleep(1100); // distinct creation times: "early" is the most recent run
    const early = JSON.parse(fs.readFileSync(path.join(workspace, 'tiny.seq2seq.json'), 'utf8')) as { name: string };
    fs.writeFileSync(path.join(workspace, 'early.seq2seq.json'), JSON.stringify({ ...early, name: 'early' }, null, 2) + '\n');
    // An improvement of more than 1000 never comes: the run stops 2 validations after its first (every 20 steps).
    earlyLog = cli(['train', '--config', 'early.seq2seq.json', '--out', 'runs/early', '--set', 'train.earlyStoppingPatience=2', '--set', 'train.minDelta=1000'], workspace);
    wb = await startWorkbench(workspace, vsix);
    page = wb.page;
  });

  after(async function () {
    await closeWorkbench(wb, workspace);
  });

  it('the CLI log says why the run stopped early', () => {
    assert.match(earlyLog, /^stopped early: neither validation BLEU nor perplexity has improved by more than 1000 for 2 validations \(last improvement at step 20: BLEU [\d.]+, perplexity [\d.]+\)$/m);
    assert.match(earlyLog, /^done \(early-stopping\) after 60 steps/m);
  });

  it('Show Training Panel with nothing training shows the most recent run, and why it stopped', async function () {
    await runCommand(page, 'Seq2Seq: Show Training Panel');
    panel = await webviewFrame(page, /^Training: /, 30_000);
    const v = await watchPanel(panel, (x) => x.title === 'early' && x.lossShown, 30_000);
    assert.notEqual(v.title, 'No training run yet');
    assert.equal(v.state, 'finished');
    assert.match(v.banner, /^Stopped early at step 60 \(epoch \d+\): neither validation BLEU nor perplexity has improved by more than 1000 for 2 validations \(last improvement at step 20: BLEU [\d.]+, perplexity [\d.]+\)\.$/);
    assert.equal(await panelTabTitle(page), 'Training: early');
    await clearNotifications(page);
    await page.mouse.move(5, 300);
    await sleep(500);
    await screenshot(page, 'models-open-01-show-training-panel');
  });

  it('a click on a run in the Models view opens it in the Training panel', async function () {
    await page.locator('.activitybar .action-item a[aria-label^="Seq2Seq"], .activitybar .action-item .action-label[aria-label^="Seq2Seq"]').first().click();
    await modelsRow(page, 'tiny').waitFor({ state: 'visible', timeout: 20_000 });
    await modelsRow(page, 'tiny').click();
    const v = await watchPanel(panel, (x) => x.title === 'tiny' && x.lossShown, 30_000);
    assert.equal(v.state, 'finished');
    assert.match(v.banner, /^Finished: all epochs done at step \d+ \(epoch 2\)\.$/);
    assert.equal(await panelTabTitle(page), 'Training: tiny');
    // As a single click in the Explorer: the focus stays in the tree (arrow keys still move through the runs).
    assert.equal(await page.evaluate('!!(document.activeElement && document.activeElement.closest(".pane-body"))'), true, 'focus in the Models view');
    await page.mouse.move(700, 500);
    await sleep(500);
    await screenshot(page, 'models-open-02-click-run');
  });

  it('the context menu keeps the other actions; a right-click does not open the run', async function () {
    await modelsRow(page, 'early').click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    await menu.waitFor({ state: 'visible', timeout: 10_000 });
    const items = (await menu.locator('.action-item .action-label').allTextContents()).map((l) => l.trim()).filter(Boolean);
    // "early" is the active model (the newest with a best checkpoint): no Set Active.
    for (const item of ['Open Training Panel', 'Open Config', 'Reveal Folder', 'Compare Runs', 'Export Metrics as CSV', 'Delete…']) {
      assert.ok(items.includes(item), `"${item}" in ${JSON.stringify(items)}`);
    }
    await screenshot(page, 'models-open-03-context-menu');
    const entry = menu.locator('.action-item .action-label', { hasText: /^Open Config$/ }).first();
    await entry.hover();
    await sleep(200);
    await entry.click();
    await page.locator('.tabs-container .tab .label-name', { hasText: /^early\.seq2seq\.json$/ }).first().waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await panelTabTitle(page), 'Training: tiny', 'the panel still shows the run it showed');
    // A click on the other run brings it back into the panel (a new frame if the config's editor hid the panel).
    await modelsRow(page, 'early').click();
    panel = await webviewFrame(page, /^Training: early$/, 30_000);
    const v = await watchPanel(panel, (x) => x.title === 'early', 30_000);
    assert.match(v.banner, /^Stopped early at step 60/);
  });
});

/**
 * "Seq2Seq: Run Ablation" in a real VS Code (code-server + Chromium, the
 * packaged extension), on the tiny reversal task (fixtures/reverseTask.ts):
 *
 *   palette → Run Ablation → the Train Model pick of configs (tiny.seq2seq.json)
 *   → the field pick lists the schema's settings with their current values
 *   (model.attention: now "bahdanau") → the values multi-select (keep none and
 *   bahdanau) → the minutes box (default: the config's train.maxMinutes) → the
 *   progress notification "Ablation model.attention: 1 of 2 (none)…" while the
 *   Training panel shows tiny-attention-none, then 2 of 2 (bahdanau) → both runs
 *   train to the end → ablation.json lists both → the runs are opened for
 *   comparison in the Compare Runs view (both variants as rows, the ablated
 *   field as the differing parameter). Then Cancel in
 *   the notification of a long ablation stops the first variant (its last/ is
 *   written) and skips the second.
 *
 * Run: npm run build && npx mocha --no-config -r tsx/cjs -t 300000 --exit test/e2e/ablation.e2e.ts
 * Screenshots: .e2e/screenshots/ablation-*.png.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { clearNotifications, closeWorkbench, runCommand, screenshot, startWorkbench, waitForNotification, webviewFrame, type Workbench } from './harness';
import { LONG_CONFIG, TINY_CONFIG, writeReverseWorkspace } from './fixtures/reverseTask';
import { packagedVsix } from './vsix';
import { readMetrics, sleep, stepNumber, watchPanel } from './trainingPanelView';

describe('Seq2Seq: Run Ablation trains two attention variants one after another and opens them for comparison', function () {
  this.timeout(300_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;

  before(async function () {
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-ablation-'));
    writeReverseWorkspace(workspace, { epochs: 2 }); // ≈34 steps per variant
    wb = await startWorkbench(workspace, vsix);
    page = wb.page;
  });

  after(async function () {
    await closeWorkbench(wb, workspace);
  });

  const widget = () => page.locator('.quick-input-widget');
  const row = (text: string | RegExp) => widget().locator('.quick-input-list .monaco-list-row', { hasText: text }).first();

  it('asks for the config, the field (with its current value), the values and the minutes', async function () {
    await runCommand(page, 'Seq2Seq: Run Ablation', 30_000);
    await widget().locator('.quick-input-title', { hasText: 'Seq2Seq: Run Ablation' }).waitFor({ state: 'visible', timeout: 20_000 });
    await row(TINY_CONFIG).click();

    await widget().locator('.quick-input-title', { hasText: 'Seq2Seq: Run Ablation (1/4)' }).waitFor({ state: 'visible', timeout: 20_000 });
    // In schema order, data.* first (the list is virtualised: only the rows in view are in the DOM).
    await row(/^data\.srcColumn/).waitFor({ state: 'visible', timeout: 10_000 });
    await page.locator('.quick-input-widget .quick-input-box input').fill('model.attention');
    const attention = row(/^model\.attention/);
    await attention.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await attention.innerText(), /now "bahdanau"/);
    await screenshot(page, 'ablation-01-field');
    await attention.click();

    // Values: every value is picked at first; keep none and bahdanau.
    await widget().locator('.quick-input-title', { hasText: 'values of model.attention' }).waitFor({ state: 'visible', timeout: 20_000 });
    await row('luong-general').waitFor({ state: 'visible', timeout: 10_000 });
    // Clicking a row of a multi-select toggles it.
    for (const v of ['luong-dot', 'luong-general']) await row(v).click();
    await screenshot(page, 'ablation-02-values');
    const checked = await widget()
      .locator('.quick-input-list .monaco-list-row')
      .evaluateAll((rows) => rows.filter((r) => r.getAttribute('aria-checked') === 'true').map((r) => (r.querySelector('.label-name')?.textContent ?? '').trim()));
    assert.deepEqual(checked, ['none', 'bahdanau']);
    await page.keyboard.press('Enter');

    await widget().locator('.quick-input-title', { hasText: 'time budget' }).waitFor({ state: 'visible', timeout: 20_000 });
    const minutes = page.locator('.quick-input-widget .quick-input-box input');
    assert.equal(await minutes.inputValue(), '0', 'the default is the config’s train.maxMinutes');
    await minutes.fill('2');
    await page.keyboard.press('Enter');

    // Seeds: checked as typed; empty trains each variant once.
    await widget().locator('.quick-input-title', { hasText: '(4/4): seeds' }).waitFor({ state: 'visible', timeout: 20_000 });
    const seeds = page.locator('.quick-input-widget .quick-input-box input');
    await seeds.fill('1, 1');
    await widget().locator('.quick-input-message', { hasText: 'seed 1 is given twice' }).waitFor({ state: 'visible', timeout: 10_000 });
    await seeds.fill('');
    await page.keyboard.press('Enter');
  });

  it('trains the variants one after another, with a progress notification and the Training panel showing each', async function () {
    const first = await waitForNotification(page, /Ablation model\.attention: 1 of 2 \(none\)/, 60_000);
    assert.match(first, /1 of 2 \(none\)/);
    const panel = await webviewFrame(page, /^Training: tiny-attention-none$/, 60_000);
    await screenshot(page, 'ablation-03-first-variant');
    await waitForNotification(page, /Ablation model\.attention: 2 of 2 \(bahdanau\)/, 180_000);
    const second = await watchPanel(panel, (v) => v.title === 'tiny-attention-bahdanau' && (v.state === 'finished' || v.state === 'failed'), 180_000);
    assert.equal(second.state, 'finished', second.banner);
  });

  it('writes ablation.json and opens the runs in the Compare Runs view', async function () {
    const done = await waitForNotification(page, /ablation of model\.attention done: 2 of 2 variants trained/, 60_000);
    assert.doesNotMatch(done, /not available/);
    const compare = await webviewFrame(page, /^Compare 2 Runs$/, 30_000);
    const end = Date.now() + 30_000;
    let view: { rows: string[]; headers: string };
    for (;;) {
      view = (await compare.evaluate(`({ rows: Array.prototype.slice.call(document.querySelectorAll('tbody tr .run-name')).map(function (e) { return e.textContent.trim(); }), headers: (document.querySelector('thead') || {}).textContent || '' })`)) as typeof view;
      if (view.rows.length === 2 || Date.now() > end) break;
      await sleep(250);
    }
    assert.equal(view.rows.length, 2, `Compare Runs rows: ${JSON.stringify(view)}`);
    assert.ok(view.rows.some((r) => /attention-none/.test(r)) && view.rows.some((r) => /attention-bahdanau/.test(r)), JSON.stringify(view.rows));
    assert.match(view.headers, /model\.attention/, 'the table shows the ablated field');
    await screenshot(page, 'ablation-04-done');

    const runs = path.join(workspace, 'runs');
    const dirs = fs.readdirSync(runs).filter((d) => d.startsWith('tiny-ablation-'));
    assert.equal(dirs.length, 1, JSON.stringify(fs.readdirSync(runs)));
    const summary = JSON.parse(fs.readFileSync(path.join(runs, dirs[0]!, 'ablation.json'), 'utf8'));
    assert.deepEqual(summary.fields, ['model.attention']);
    assert.deepEqual(summary.specs[0].values, ['none', 'bahdanau']);
    assert.equal(summary.budget.maxMinutes, 2);
    assert.deepEqual(summary.variants.map((v: { status: string }) => v.status), ['finished', 'finished']);
    assert.equal(summary.runDirs.length, 2);
    for (const [i, dir] of (summary.runDirs as string[]).entries()) {
      assert.match(path.basename(dir), new RegExp(`^tiny-attention-${['none', 'bahdanau'][i]}-\\d{8}-\\d{6}$`));
      const events = readMetrics(dir);
      assert.equal(events[events.length - 1]!.type, 'done');
      const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
      assert.equal(run.config.model.attention, ['none', 'bahdanau'][i]);
      assert.equal(summary.variants[i].steps, 34);
    }
  });

  it('Cancel in the progress notification stops the current variant (last/ kept) and skips the rest', async function () {
    await clearNotifications(page);
    await runCommand(page, 'Seq2Seq: Run Ablation', 30_000);
    await widget().locator('.quick-input-title', { hasText: 'Seq2Seq: Run Ablation' }).waitFor({ state: 'visible', timeout: 20_000 });
    await row(LONG_CONFIG).click();
    await widget().locator('.quick-input-title', { hasText: '(1/4)' }).waitFor({ state: 'visible', timeout: 20_000 });
    await page.locator('.quick-input-widget .quick-input-box input').fill('model.cell');
    await row(/^model\.cell/).click();
    await widget().locator('.quick-input-title', { hasText: 'values of model.cell' }).waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.press('Enter'); // gru and lstm
    await widget().locator('.quick-input-title', { hasText: 'time budget' }).waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await page.locator('.quick-input-widget .quick-input-box input').inputValue(), '5', 'long.seq2seq.json has train.maxMinutes 5');
    await page.keyboard.press('Enter');
    await widget().locator('.quick-input-title', { hasText: '(4/4): seeds' }).waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.press('Enter');

    await waitForNotification(page, /Ablation model\.cell: 1 of 2 \(gru\)/, 60_000);
    const panel = await webviewFrame(page, /^Training: long-cell-gru$/, 60_000);
    await watchPanel(panel, (v) => v.title === 'long-cell-gru' && stepNumber(v) >= 10, 120_000);
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Ablation model.cell' }).first();
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
    const stopped = await watchPanel(panel, (v) => v.state === 'stopped' || v.state === 'finished' || v.state === 'failed', 60_000);
    assert.equal(stopped.state, 'stopped', stopped.banner);
    await waitForNotification(page, /ablation of model\.cell done: 1 of 2 variants trained/, 60_000);
    await screenshot(page, 'ablation-05-cancelled');

    const runs = path.join(workspace, 'runs');
    const dir = fs.readdirSync(runs).filter((d) => d.startsWith('long-ablation-'));
    assert.equal(dir.length, 1);
    const summary = JSON.parse(fs.readFileSync(path.join(runs, dir[0]!, 'ablation.json'), 'utf8'));
    assert.deepEqual(summary.variants.map((v: { status: string }) => v.status), ['stopped', 'skipped']);
    assert.equal(summary.runDirs.length, 1);
    assert.ok(fs.existsSync(path.join(summary.runDirs[0], 'last')), 'the stopped variant keeps last/');
    assert.equal(fs.readdirSync(runs).filter((d) => d.startsWith('long-cell-lstm')).length, 0, 'the skipped variant has no run folder');
  });
});

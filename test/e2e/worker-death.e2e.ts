/**
 * The training worker dies mid-run (real VS Code: code-server + Chromium, the
 * packaged extension). code-server runs with SEQ2SEQ_TEST_WORKER_EXIT_AT_STEP=45,
 * which reaches the extension host and its worker threads: the worker thread
 * exits (code 70) right after reporting step 45, with no `done` and no error
 * message, as a worker killed from outside does. Then:
 *
 *   the Training panel says failed: how (exit code), at which step, that last/
 *   at step 40 is kept, and offers Resume → the status bar says failed at step 45
 *   → the error notification offers Resume and Show Log → the "Seq2Seq" output
 *   channel has the details (cause, run folder, last step, what is kept) → the
 *   Models view marks the run interrupted → the extension stays usable: a new
 *   run (17 steps, below the hook's step) trains to the end.
 *
 * Run: npm run build && npx mocha --no-config -r tsx/cjs -t 300000 --exit test/e2e/worker-death.e2e.ts
 * Screenshots: .e2e/screenshots/worker-death-*.png.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { clearNotifications, closeWorkbench, openFile, runCommand, screenshot, startWorkbench, waitForNotification, webviewFrame, type Workbench } from './harness';
import { TINY_CONFIG, writeReverseWorkspace } from './fixtures/reverseTask';
import { packagedVsix } from './vsix';
import { readMetrics, runFolder, showOutputChannel, sleep, statusBarText, trainConfig, watchPanel, writeConfig } from './trainingPanelView';

const CONFIG = 'crash.seq2seq.json';
const EXIT_AT_STEP = 45;

describe('The training worker dies mid-run: panel, status bar and log say what happened; a new run trains', function () {
  this.timeout(300_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;
  let panel: Frame;
  let runDir: string;

  before(async function () {
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-death-'));
    writeReverseWorkspace(workspace, { epochs: 1 }); // tiny: 17 steps, ends before the hook's step
    writeConfig(workspace, CONFIG, 'crash', { epochs: 100, logEvery: 5, validEvery: 20 });
    wb = await startWorkbench(workspace, vsix, { env: { SEQ2SEQ_TEST_WORKER_EXIT_AT_STEP: String(EXIT_AT_STEP) } });
    page = wb.page;
  });

  after(async function () {
    await closeWorkbench(wb, workspace);
  });

  it('the Training panel says the worker stopped at step 45 (exit code 70), last/ at step 40 is kept, and offers Resume', async function () {
    await openFile(page, CONFIG);
    await trainConfig(page, CONFIG);
    panel = await webviewFrame(page, /^Training: crash$/, 30_000);
    const failed = await watchPanel(panel, (v) => v.state === 'failed', 120_000);
    assert.equal(
      failed.banner,
      'The training worker stopped unexpectedly at step 45 (exit code 70). The last checkpoint (last/, step 40) is kept: Resume continues from there.',
    );
    assert.match(failed.bannerKind, /\berror\b/);
    assert.ok(failed.resumeVisible, 'Resume hidden after the worker died with a checkpoint');
    assert.ok(!failed.stopVisible, 'Stop still shown');
    assert.match(failed.step, /^45 \/ \d+$/);
    runDir = runFolder(workspace, 'crash');
    const events = readMetrics(runDir);
    assert.notEqual(events[events.length - 1].type, 'done');
    assert.ok(!fs.existsSync(path.join(runDir, 'train.lock')), 'the dead worker’s lock was released');
  });

  it('the status bar and an error notification say so (with Resume and Show Log)', async function () {
    assert.match(await statusBarText(page), /Seq2Seq: training failed at step 45/);
    const note = await waitForNotification(page, /Seq2Seq training failed: The training worker stopped unexpectedly at step 45/, 20_000);
    assert.match(note, /exit code 70/);
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Seq2Seq training failed' });
    const buttons = (await toast.locator('.monaco-button').allTextContents()).map((t) => t.trim());
    assert.ok(buttons.includes('Resume') && buttons.includes('Show Log'), JSON.stringify(buttons));
    await screenshot(page, 'worker-death-01-panel');
  });

  it('the "Seq2Seq" output channel has the details', async function () {
    const lines = await showOutputChannel(page);
    await lines.filter({ hasText: /Kept:/ }).waitFor({ state: 'visible', timeout: 15_000 });
    const text = (await lines.first().innerText()).replace(/\s+/g, '');
    assert.match(text, /\[error\]Thetrainingworkerstoppedunexpectedlyatstep45\(exitcode70\)/);
    assert.match(text, /\[error\]Worker:Trainingworkerexitedunexpectedly\(exitcode70\)beforetrainingfinished\./);
    assert.match(text, /Runfolder:.*crash-\d{8}-\d{6}/);
    assert.match(text, /Laststepreached:45/);
    assert.match(text, /Kept:.*crash-\d{8}-\d{6}\/lastatstep40;Resume/);
    await screenshot(page, 'worker-death-02-output');
    await runCommand(page, 'View: Toggle Panel Visibility');
  });

  it('the Models view marks the run interrupted and offers Resume', async function () {
    await runCommand(page, 'Seq2Seq: Focus on Models View');
    const row = page.locator('.pane-body .monaco-list-row', { hasText: 'crash' }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await page.waitForFunction(
      (sel) => Array.from(document.querySelectorAll(sel)).some((r) => /interrupted at step 45/.test(r.textContent ?? '')),
      '.pane-body .monaco-list-row',
      { timeout: 15_000 },
    );
    await row.click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    await menu.waitFor({ state: 'visible', timeout: 5000 });
    const items = (await menu.locator('.action-label').allTextContents()).map((t) => t.trim()).filter(Boolean);
    assert.ok(items.includes('Resume Training'), JSON.stringify(items));
    await screenshot(page, 'worker-death-03-models');
    await page.keyboard.press('Escape');
  });

  it('the extension stays usable: a new run trains to the end', async function () {
    await clearNotifications(page);
    await openFile(page, TINY_CONFIG);
    await sleep(300);
    await trainConfig(page, TINY_CONFIG);
    panel = await webviewFrame(page, /^Training: tiny$/, 30_000);
    // The panel is reused: its title changes before the page has drawn the new run, so wait
    // for the page's own run name before reading the state (else the dead run's "failed" shows).
    const done = await watchPanel(panel, (v) => v.title === 'tiny' && (v.state === 'finished' || v.state === 'failed'), 120_000);
    assert.equal(done.state, 'finished', done.banner);
    assert.match(done.step, /^17 \/ 17$/);
    assert.ok(!done.resumeVisible);
    await waitForNotification(page, /Seq2Seq: tiny finished/, 20_000);
    assert.match(await statusBarText(page), /Seq2Seq: done at step 17/);
    await screenshot(page, 'worker-death-04-new-run');
  });
});

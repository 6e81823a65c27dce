/**
 * A window reload in the middle of a training run (real VS Code: code-server +
 * Chromium, the packaged extension). The reload ends the extension host and
 * with it the training worker; the run folder keeps last/, metrics.jsonl
 * (no `done`) and a lock whose holder is gone. After the reload:
 *
 *   the Training panel is restored by VS Code and shows the recorded curves,
 *   "interrupted at step N" and Resume; a notification offers Resume too; the
 *   status bar says interrupted → Resume in the panel → the worker continues
 *   from last/ (a second `started` with startStep > 0 in metrics.jsonl) and the
 *   curves continue past the recorded steps → Stop.
 *
 * Run: npm run build && npx mocha --no-config -r tsx/cjs -t 300000 --exit test/e2e/reload.e2e.ts
 * Screenshots: .e2e/screenshots/reload-*.png.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { closeWorkbench, openFile, runCommand, screenshot, startWorkbench, waitForNotification, waitForWorkbench, webviewFrame, type Workbench } from './harness';
import { writeReverseWorkspace } from './fixtures/reverseTask';
import { packagedVsix } from './vsix';
import { panelView, readMetrics, readoutStep, runFolder, sleep, statusBarText, stepNumber, trainConfig, watchPanel, writeConfig, type PanelView } from './trainingPanelView';

const CONFIG = 'resume.seq2seq.json';
const TITLE = /^Training: resume$/;

describe('Window reload during training: the run is offered for resuming and continues its curves', function () {
  this.timeout(300_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;
  let panel: Frame;
  let runDir: string;
  /** What the run had recorded when the window was reloaded. */
  let rec: { lastStep: number; checkpointStep: number; lines: number };
  let interrupted: PanelView;

  before(async function () {
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-reload-'));
    writeReverseWorkspace(workspace);
    // ≈17 steps per epoch: minutes of training, last/ written at every validation (every 20 steps).
    writeConfig(workspace, CONFIG, 'resume', { epochs: 300, maxMinutes: 10, logEvery: 5, validEvery: 20 });
    wb = await startWorkbench(workspace, vsix);
    page = wb.page;
  });

  after(async function () {
    await closeWorkbench(wb, workspace);
  });

  it('trains until a few checkpoints are written', async function () {
    await openFile(page, CONFIG);
    await trainConfig(page, CONFIG);
    panel = await webviewFrame(page, TITLE, 30_000);
    await watchPanel(panel, (v) => v.state === 'running' && stepNumber(v) >= 65, 120_000);
    runDir = runFolder(workspace, 'resume');
    const events = readMetrics(runDir);
    const ckpts = events.filter((e) => e.type === 'checkpoint' && e.kind === 'last');
    assert.ok(ckpts.length >= 3, `expected ≥ 3 last/ checkpoints, metrics.jsonl has ${ckpts.length}`);
    assert.ok(fs.existsSync(path.join(runDir, 'train.lock')), 'the running training holds the lock');
    await screenshot(page, 'reload-01-training');
  });

  it('"Developer: Reload Window" kills the worker mid-run; the run folder keeps last/ and no done', async function () {
    await runCommand(page, 'Developer: Reload Window');
    // The page reloads: wait for the old workbench to go, then for the new one.
    await page.waitForEvent('load', { timeout: 30_000 }).catch(() => undefined);
    await waitForWorkbench(page, 60_000);
    // The old extension host (and its worker thread) is gone: metrics.jsonl stops growing.
    let size = fs.statSync(path.join(runDir, 'metrics.jsonl')).size;
    for (let i = 0; i < 20; i++) {
      await sleep(1000);
      const now = fs.statSync(path.join(runDir, 'metrics.jsonl')).size;
      if (now === size && i >= 2) break;
      size = now;
    }
    const events = readMetrics(runDir);
    assert.notEqual(events[events.length - 1].type, 'done', 'the interrupted run must not end with done');
    const steps = events.filter((e) => e.type === 'progress').map((e) => e.step ?? 0);
    const ckpt = events.filter((e) => e.type === 'checkpoint' && e.kind === 'last').map((e) => e.step ?? 0);
    // last/ is the truth. The trainer records a checkpoint event before renaming the checkpoint
    // into place, so a reload during that save leaves the event one checkpoint ahead of last/
    // (a resume cuts metrics.jsonl back to last/'s length).
    const weights = JSON.parse(fs.readFileSync(path.join(runDir, 'last', 'weights.json'), 'utf8')) as { meta: { step: number } };
    rec = { lastStep: Math.max(...steps), checkpointStep: weights.meta.step, lines: events.length };
    const recorded = Math.max(...ckpt);
    assert.ok(
      recorded === rec.checkpointStep || (recorded === rec.checkpointStep + 20 && rec.lastStep === recorded),
      `last/ is at step ${rec.checkpointStep}, metrics.jsonl's last checkpoint event at ${recorded} (last progress ${rec.lastStep})`,
    );
  });

  it('after the reload the restored Training panel shows the recorded curves, "interrupted at step N" and Resume', async function () {
    panel = await webviewFrame(page, TITLE, 60_000);
    interrupted = await watchPanel(panel, (v) => v.state === 'interrupted', 60_000);
    assert.equal(interrupted.title, 'resume');
    assert.match(interrupted.step, new RegExp(`^${rec.lastStep} / \\d+$`));
    assert.match(
      interrupted.banner,
      new RegExp(`^Interrupted at step ${rec.lastStep}: training stopped without finishing \\(the window was reloaded or the worker ended\\)\\. The last checkpoint, at step ${rec.checkpointStep}, is kept; Resume continues from there\\.$`),
    );
    assert.ok(interrupted.resumeVisible, 'Resume button hidden');
    assert.equal(interrupted.resumeTitle, `Continue training from the last checkpoint (step ${rec.checkpointStep})`);
    assert.ok(!interrupted.stopVisible, 'Stop shown for an interrupted run');
    assert.equal(readoutStep(interrupted), rec.lastStep, `loss chart readout: ${interrupted.lossReadout}`);
    assert.ok(interrupted.lossPixels > 100, `recorded loss curve not drawn (${interrupted.lossPixels} pixels)`);
    // Every recorded progress report (every 5 steps from step 5).
    assert.equal(interrupted.lossFirstStep, 5);
    assert.equal(interrupted.lossPoints, rec.lastStep / 5);
  });

  it('a notification offers Resume and the status bar says interrupted', async function () {
    const note = await waitForNotification(page, /Training of resume was interrupted at step \d+\. Resume\?/, 30_000);
    assert.equal(note, `Training of resume was interrupted at step ${rec.lastStep}. Resume?`);
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Training of resume was interrupted' });
    const buttons = (await toast.locator('.monaco-button').allTextContents()).map((t) => t.trim());
    assert.deepEqual(buttons.filter((b) => b === 'Resume' || b === 'Show Panel'), ['Resume', 'Show Panel']);
    assert.match(await statusBarText(page), new RegExp(`Seq2Seq: resume interrupted at step ${rec.lastStep}`));
    await screenshot(page, 'reload-02-interrupted');
  });

  it('Resume (in the panel) continues from last/: new steps after the recorded ones, on the same curves', async function () {
    await panel.locator('.actions button.resume').click();
    const seen: number[] = [];
    const resumed = await watchPanel(panel, (v) => v.state === 'running' && readoutStep(v) > rec.lastStep + 10, 120_000, (v) => {
      const s = readoutStep(v);
      if (Number.isFinite(s) && seen[seen.length - 1] !== s) seen.push(s);
    });
    // The curve went on from the checkpoint: never back to the start of the run.
    assert.ok(seen.every((s) => s > rec.checkpointStep - 1), `loss readout went back before the checkpoint: ${JSON.stringify(seen)}`);
    // The recorded part of the curve is kept (from step 5), the new points continue it.
    assert.equal(resumed.lossFirstStep, 5, 'the recorded part of the curve was cleared');
    assert.ok(resumed.lossPoints > interrupted.lossPoints, `${resumed.lossPoints} points after resuming, ${interrupted.lossPoints} before`);
    assert.equal(resumed.lossPoints, readoutStep(resumed) / 5, 'one point per progress report, none twice');
    assert.ok(!resumed.resumeVisible && resumed.stopVisible, 'Resume hidden and Stop shown while training');
    assert.equal(resumed.banner, '');
    const events = readMetrics(runDir);
    const started = events.filter((e) => e.type === 'started');
    assert.equal(started.length, 2, 'a second started event');
    assert.equal(started[1].startStep, rec.checkpointStep, 'resumed from the last checkpoint');
    const after = events.slice(events.indexOf(started[1]) + 1).filter((e) => e.type === 'progress').map((e) => e.step ?? 0);
    assert.ok(after.length > 0 && after[0] > rec.checkpointStep, `first new progress step ${after[0]} after ${rec.checkpointStep}`);
    assert.ok(Math.max(...after) > rec.lastStep, 'trained past the recorded steps');
    assert.match(await statusBarText(page), /Seq2Seq: step \d+ · loss/);
    await screenshot(page, 'reload-03-resumed');
  });

  it('stops cleanly', async function () {
    await runCommand(page, 'Seq2Seq: Stop Training');
    const stopped = await watchPanel(panel, (v) => v.state === 'stopped', 60_000);
    assert.match(stopped.banner, /^Stopped at step \d+/);
    const events = readMetrics(runDir);
    assert.equal(events[events.length - 1].type, 'done');
  });
});

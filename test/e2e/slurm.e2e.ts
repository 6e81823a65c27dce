/**
 * Slurm from VS Code, end to end: code-server + Chromium with the packaged
 * extension, and the real local cluster of scripts/slurm/local-cluster.sh
 * (sbatch on the extension host's PATH):
 *
 *   palette → Run Ablation → tiny.seq2seq.json → model.attention → none,
 *   bahdanau, luong-dot → minutes → "Where should it train?" offers "On this
 *   machine" and "As Slurm jobs" → As Slurm jobs (seq2seq.slurm.maxParallel 2)
 *   → one job array; Compare Runs opens on the three variants at once →
 *   the Models view shows two running and one queued (waiting for a slot) →
 *   Compare Runs draws the curves as the tasks write metrics.jsonl (points
 *   grow) → Developer: Reload Window → the Models view finds the jobs again
 *   from their run folders → all done; ablation.json is filled in and the
 *   "done" notification opens Compare Runs → Open Slurm Log shows a task's
 *   log. Then Train Model → As Slurm jobs on the long config → running →
 *   Cancel Slurm Job → cancelled (last/ written).
 *
 * Pending unless the local cluster runs or SEQ2SEQ_SLURM_TESTS=1 (which starts
 * it): `npm run test:slurm` first (it starts the cluster and leaves it
 * running), then `npx mocha --no-config -r tsx/cjs -t 600000 --exit test/e2e/slurm.e2e.ts`.
 * Screenshots: .e2e/screenshots/slurm-*.png.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { closeWorkbench, runCommand, screenshot, startWorkbench, waitForNotification, waitForWorkbench, webviewFrame, type Workbench } from './harness';
import { LONG_CONFIG, TINY_CONFIG, writeReverseWorkspace } from './fixtures/reverseTask';
import { packagedVsix } from './vsix';
import { sleep, stepNumber, watchPanel } from './trainingPanelView';

const CLUSTER = path.join(__dirname, '..', '..', 'scripts', 'slurm', 'local-cluster.sh');

/** Rows of the Models tree: label and description as shown. */
async function modelsRows(page: Page): Promise<{ label: string; description: string }[]> {
  return page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Models/i }) }).locator('.monaco-list-row').evaluateAll((rows) =>
    rows.map((r) => ({
      label: (r.querySelector('.label-name')?.textContent ?? '').trim(),
      description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
    })),
  );
}

async function waitForModels(page: Page, done: (rows: { label: string; description: string }[]) => boolean, what: string, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const rows = await modelsRows(page);
    if (done(rows)) return rows;
    if (Date.now() > end) throw new Error(`Models view: ${what} not reached within ${timeoutMs} ms; rows: ${JSON.stringify(rows)}`);
    await sleep(500);
  }
}

/** The chart points Compare Runs draws (loss chart) and its run count. */
async function comparePoints(frame: Frame): Promise<{ count: string; points: number[] }> {
  return (await frame.evaluate(`(() => ({
    count: (document.querySelector('.count') || {}).textContent || '',
    points: Array.prototype.slice.call(document.querySelectorAll('figure.chart')).map(function (f) { return Number(f.dataset.points); }),
    badges: Array.prototype.slice.call(document.querySelectorAll('.badge.job')).map(function (b) { return b.textContent; })
  }))()`)) as { count: string; points: number[] };
}

/** Show the Models view (a click on the activity bar item when it is not shown: a second click would hide it). */
async function openModels(page: Page): Promise<void> {
  const pane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /Models/i }) });
  if (await pane.first().isVisible().catch(() => false)) return;
  await page.locator('.activitybar .action-item a[aria-label^="Seq2Seq"], .activitybar .action-item .action-label[aria-label^="Seq2Seq"]').first().click();
  await pane.first().waitFor({ state: 'visible', timeout: 10_000 });
  // Widen the side bar (drag its sash) so that the runs' Slurm states are readable in the screenshots.
  const bar = await page.locator('.part.sidebar').boundingBox();
  if (bar && bar.width < 500) {
    const x = bar.x + bar.width;
    await page.mouse.move(x - 1, bar.y + bar.height / 2);
    await page.mouse.down();
    await page.mouse.move(x + 260, bar.y + bar.height / 2, { steps: 8 });
    await page.mouse.up();
  }
}

/** Right-click `label` in the Models tree and choose `item`. */
async function treeMenu(page: Page, label: string, item: string): Promise<void> {
  const row = page.locator('.pane .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ state: 'visible', timeout: 10_000 });
  const entry = menu.locator('.action-item .action-label', { hasText: new RegExp(`^${item}$`) }).first();
  if ((await entry.count()) === 0) {
    const items = (await menu.locator('.action-item .action-label').allTextContents()).map((l) => l.trim()).filter(Boolean);
    await page.keyboard.press('Escape');
    throw new Error(`Models context menu has no "${item}": ${JSON.stringify(items)}`);
  }
  await entry.hover();
  await sleep(200);
  await entry.click();
}

/**
 * {@link treeMenu} until `tookEffect` sees the result: while a job runs, every poll re-renders its row
 * with the new step, and a context menu open over the row can close under the click.
 */
async function treeMenuUntil(page: Page, label: string, item: string, tookEffect: (timeoutMs: number) => Promise<boolean>, attempts = 3): Promise<void> {
  for (let i = 1; i <= attempts; i++) {
    // A menu that did not open (a modal dialog already up from the last attempt covers the tree) is retried below.
    await treeMenu(page, label, item).catch((e: unknown) => {
      if (i === attempts) throw e;
    });
    if (await tookEffect(10_000)) return;
    await page.keyboard.press('Escape');
  }
  throw new Error(`"${item}" on ${label} in the Models view had no effect in ${attempts} attempts`);
}

function clusterUp(): boolean {
  return spawnSync('bash', [CLUSTER, 'status'], { encoding: 'utf8' }).status === 0;
}

describe('Slurm from VS Code: Run Ablation as Slurm jobs, followed live in the Models view and Compare Runs (local cluster: npm run test:slurm)', function () {
  this.timeout(600_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;

  before(async function () {
    if (process.env.SEQ2SEQ_SLURM_TESTS === '1' && !clusterUp()) {
      const r = spawnSync('bash', [CLUSTER, 'start'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    }
    if (!clusterUp()) this.skip(); // pending: the local cluster is not running (npm run test:slurm starts it)
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-slurm-'));
    // ≈5,000 steps per variant without early stopping: tens of seconds each with the faster kernels, long enough
    // to see two tasks running and the third queued (60 epochs that stopped early were done in seconds).
    writeReverseWorkspace(workspace, { epochs: 300, earlyStoppingPatience: 0 });
    wb = await startWorkbench(workspace, vsix, { settings: { 'seq2seq.slurm.use': 'auto', 'seq2seq.slurm.maxParallel': 2, 'seq2seq.slurm.pollSeconds': 5 } });
    page = wb.page;
  });

  after(async function () {
    // Nothing of this suite may keep the cluster busy.
    for (const d of fs.existsSync(path.join(workspace ?? '/nonexistent', 'runs')) ? fs.readdirSync(path.join(workspace, 'runs')) : []) {
      const rec = path.join(workspace, 'runs', d, 'slurm.json');
      if (fs.existsSync(rec)) {
        const id = JSON.parse(fs.readFileSync(rec, 'utf8')).jobId;
        if (id) spawnSync('scancel', [id]);
      }
    }
    await closeWorkbench(wb, workspace);
  });

  const widget = () => page.locator('.quick-input-widget');
  const row = (text: string | RegExp) => widget().locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  let compare: Frame;
  const names = ['tiny-attention-none', 'tiny-attention-bahdanau', 'tiny-attention-luong-dot'];

  it('Run Ablation asks where to train, and "As Slurm jobs" submits one job array; Compare Runs opens on the variants at once', async function () {
    await runCommand(page, 'Seq2Seq: Run Ablation', 30_000);
    await widget().locator('.quick-input-title', { hasText: 'Seq2Seq: Run Ablation' }).waitFor({ state: 'visible', timeout: 20_000 });
    await row(TINY_CONFIG).click();
    await widget().locator('.quick-input-title', { hasText: '(1/4)' }).waitFor({ state: 'visible', timeout: 20_000 });
    await page.locator('.quick-input-widget .quick-input-box input').fill('model.attention');
    await row(/^model\.attention/).click();
    await widget().locator('.quick-input-title', { hasText: 'values of model.attention' }).waitFor({ state: 'visible', timeout: 20_000 });
    await row('luong-general').waitFor({ state: 'visible', timeout: 10_000 });
    await row('luong-general').click(); // untick: none, bahdanau, luong-dot stay
    await page.keyboard.press('Enter');
    await widget().locator('.quick-input-title', { hasText: 'time budget' }).waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.press('Enter');
    await widget().locator('.quick-input-title', { hasText: '(4/4): seeds' }).waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.press('Enter');

    await widget().locator('.quick-input-title', { hasText: 'Seq2Seq: Run Ablation' }).waitFor({ state: 'visible', timeout: 20_000 });
    await row('As Slurm jobs').waitFor({ state: 'visible', timeout: 20_000 });
    const items = await widget().locator('.quick-input-list .monaco-list-row').allTextContents();
    assert.ok(items.some((t) => /On this machine/.test(t)), JSON.stringify(items));
    assert.ok(items.some((t) => /As Slurm jobs.*at most 2 at once/s.test(t)), JSON.stringify(items));
    await screenshot(page, 'slurm-01-where');
    await row('As Slurm jobs').click();

    const note = await waitForNotification(page, /submitted to Slurm as job array \d+: 3 variants \(at most 2 at once\)/, 60_000);
    assert.match(note, /The Models view and Compare Runs follow them/);
    compare = await webviewFrame(page, /^Compare 3 Runs$/, 30_000);
  });

  it('the Models view shows the tasks running and the third queued; Compare Runs draws the curves as they grow', async function () {
    await openModels(page);
    const rows = await waitForModels(
      page,
      (r) => names.every((n) => r.some((x) => x.label === n)) && r.filter((x) => /Slurm: running/.test(x.description)).length === 2 && r.some((x) => /Slurm: queued/.test(x.description)),
      'two running, one queued',
      120_000,
    );
    assert.ok(rows.every((x) => !names.includes(x.label) || /\(\d+_\d\)/.test(x.description)), `job ids shown: ${JSON.stringify(rows)}`);
    await screenshot(page, 'slurm-02-running-queued');

    // Live: the loss chart's points grow while the tasks run.
    const first = await comparePoints(compare);
    let later = first;
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      await sleep(2000);
      later = await comparePoints(compare);
      if ((later.points[0] ?? 0) > (first.points[0] ?? 0) + 10) break;
    }
    assert.ok((later.points[0] ?? 0) > (first.points[0] ?? 0), `Compare Runs points ${JSON.stringify(first)} → ${JSON.stringify(later)}`);
    await screenshot(page, 'slurm-03-compare-live');
  });

  it('after Reload Window the Models view finds the jobs again from their run folders; all finish and ablation.json is filled in', async function () {
    await runCommand(page, 'Developer: Reload Window');
    await page.waitForEvent('load', { timeout: 30_000 }).catch(() => undefined);
    await waitForWorkbench(page, 60_000);
    await openModels(page);
    await waitForModels(page, (r) => names.every((n) => r.some((x) => x.label === n && /Slurm: (queued|running|done)/.test(x.description))), 'the Slurm runs found again', 60_000);
    await waitForModels(page, (r) => names.every((n) => r.some((x) => x.label === n && /Slurm: done/.test(x.description))), 'all three done', 300_000);
    const done = await waitForNotification(page, /ablation of model\.attention on Slurm done: 3 of 3 variants finished/, 60_000);
    assert.ok(done);
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'on Slurm done' }).locator('.monaco-button', { hasText: 'Compare Runs' }).first().click();
    compare = await webviewFrame(page, /^Compare 3 Runs$/, 30_000);
    await sleep(1500);
    await screenshot(page, 'slurm-04-done');

    const runs = path.join(workspace, 'runs');
    const abl = fs.readdirSync(runs).find((d) => d.startsWith('tiny-ablation-'))!;
    const summary = JSON.parse(fs.readFileSync(path.join(runs, abl, 'ablation.json'), 'utf8'));
    assert.deepEqual(summary.variants.map((v: { status: string }) => v.status), ['finished', 'finished', 'finished']);
    assert.ok(summary.variants.every((v: { test?: { bleu: number } }) => typeof v.test?.bleu === 'number'), 'each task evaluated its variant on test');
    assert.match(String(summary.slurm.jobId), /^\d+$/);
  });

  it('Open Slurm Log opens the task\'s log', async function () {
    await openModels(page);
    await treeMenu(page, 'tiny-attention-bahdanau', 'Open Slurm Log');
    await page.locator('.tabs-container .tab', { hasText: /_1\.out/ }).first().waitFor({ state: 'visible', timeout: 20_000 });
    const text = await page.locator('.monaco-editor .view-lines').first().innerText();
    assert.match(text, /Slurm\sjob\s\d+_1\s\(attempt\s1\)/); // the editor shows spaces as no-break spaces
  });

  it('Train Model → As Slurm jobs, then Cancel Slurm Job in the Models view: the run is cancelled with its last checkpoint', async function () {
    await runCommand(page, 'Seq2Seq: Train Seq2Seq Model', 30_000);
    await widget().locator('.quick-input-title', { hasText: 'Seq2Seq: Train Model' }).waitFor({ state: 'visible', timeout: 20_000 });
    await row(LONG_CONFIG).click();
    await row('As Slurm jobs').waitFor({ state: 'visible', timeout: 20_000 });
    await row('As Slurm jobs').click();
    await waitForNotification(page, /long submitted as Slurm job \d+/, 60_000);
    // The Training panel follows the job's metrics.jsonl as the task writes it.
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'submitted as Slurm job' }).locator('.monaco-button', { hasText: 'Show in Training Panel' }).first().click();
    const panel = await webviewFrame(page, /^Training: long$/, 30_000);
    const early = await watchPanel(panel, (v) => stepNumber(v) >= 4, 120_000);
    const later = await watchPanel(panel, (v) => stepNumber(v) >= stepNumber(early) + 20, 120_000);
    assert.ok(stepNumber(later) > stepNumber(early));
    // Steps keep coming: the panel says running even while the monitor (every 5 s here) may still say queued.
    assert.equal(later.state, 'running', `panel state ${JSON.stringify(later)}`);
    await screenshot(page, 'slurm-05-training-panel');
    await openModels(page);
    await waitForModels(page, (r) => r.some((x) => x.label === 'long' && /Slurm: running step \d+/.test(x.description)), 'long running', 120_000);
    const dialog = page.locator('.monaco-dialog-box');
    await treeMenuUntil(page, 'long', 'Cancel Slurm Job', (timeout) => dialog.waitFor({ state: 'visible', timeout }).then(() => true, () => false));
    await dialog.locator('.monaco-button', { hasText: 'Cancel Job' }).click();
    await waitForModels(page, (r) => r.some((x) => x.label === 'long' && /Slurm: cancelled/.test(x.description)), 'long cancelled', 120_000);
    // The panel that follows it shows it stopped (the task's last event, done with reason cancelled).
    const stopped = await watchPanel(panel, (v) => v.state === 'stopped', 30_000);
    assert.equal(stopped.title, 'long');
    await screenshot(page, 'slurm-06-cancelled');
    const dir = fs.readdirSync(path.join(workspace, 'runs')).find((d) => d.startsWith('long-'))!;
    assert.ok(fs.existsSync(path.join(workspace, 'runs', dir, 'last', 'weights.json')), 'last/ written before the job ended');
  });
});

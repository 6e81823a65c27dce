/**
 * Screenshots of a model trained on real data, in a real VS Code (code-server
 * + Chromium, the packaged extension installed, as in the e2e suite): the
 * attention view of a sentence translated with Translate Selection, and the
 * Training panel of the run (opened from the Models tree).
 *
 *   npx tsx scripts/e2e/screenshot-real-data.ts --run <run folder> [--out media/screenshots] [--sentence "…"]
 *
 * The run folder (e.g. one written by `seq2seq train --config
 * examples/tatoeba-fra-eng.seq2seq.json`) is copied into a temporary
 * workspace under `runs/`, with a `sentences.txt` holding the sentence to
 * translate. Writes `<out>/attention-real.png` and `<out>/training-panel-real.png`.
 * Needs `bash scripts/e2e/setup.sh` once (code-server and Chromium).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import { closeWorkbench, openFile, REPO_ROOT, runCommand, screenshot, startWorkbench, waitForNotification, webviewFrame, type Workbench } from '../../test/e2e/harness';
import { packagedVsix } from '../../test/e2e/vsix';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const o = new Command()
    .name('npx tsx scripts/e2e/screenshot-real-data.ts')
    .description('Screenshots of the attention view and the Training panel of a trained run in a real VS Code')
    .requiredOption('--run <dir>', 'run folder to show (copied into a temporary workspace)')
    .option('--out <dir>', 'where the PNG files go', path.join(REPO_ROOT, 'media', 'screenshots'))
    .option('--sentence <text>', 'the sentence to translate', 'I think it will rain tomorrow.')
    .parse(process.argv)
    .opts<{ run: string; out: string; sentence: string }>();
  const run = path.resolve(o.run);
  if (!fs.existsSync(path.join(run, 'run.json'))) throw new Error(`${o.run} is not a run folder (no run.json)`);
  const vsix = packagedVsix();
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-real-shots-'));
  const name = path.basename(run);
  fs.cpSync(run, path.join(workspace, 'runs', name), { recursive: true, filter: (src) => !/\.tsv$/.test(src) });
  fs.writeFileSync(path.join(workspace, 'sentences.txt'), o.sentence + '\n');
  let wb: Workbench | undefined;
  try {
    wb = await startWorkbench(workspace, vsix);
    const page = wb.page;
    await openFile(page, 'sentences.txt');
    const line = page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line').first();
    await line.click();
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await runCommand(page, 'Seq2Seq: Translate Selection');
    const msg = await waitForNotification(page, /^Translation: /, 120_000);
    console.log(`${o.sentence} → ${msg}`);
    await page
      .locator('.notifications-toasts .notification-toast', { has: page.locator('.notification-list-item-message', { hasText: /^Translation: / }) })
      .first()
      .locator('.monaco-button', { hasText: 'Show Attention' })
      .click();
    const attention = await webviewFrame(page, 'Seq2Seq Attention', 30_000);
    await attention.locator('svg.heatmap rect.cell').first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Escape'); // no toast over the view
    await sleep(800);
    fs.mkdirSync(o.out, { recursive: true });
    console.log(await screenshot(page, 'attention-real', o.out));

    // Models tree → the run → Open Training Panel, alone in the editor area.
    await runCommand(page, 'View: Close All Editors');
    await page.locator('.activitybar .action-item a[aria-label^="Seq2Seq"], .activitybar .action-item .action-label[aria-label^="Seq2Seq"]').first().click();
    const row = page.locator('.pane .monaco-list-row').first();
    await row.waitFor({ timeout: 20_000 });
    await row.click({ button: 'right' });
    const menu = page.locator('.context-view .monaco-menu');
    await menu.waitFor({ state: 'visible', timeout: 10_000 });
    const item = menu.locator('.action-item .action-label', { hasText: /^Open Training Panel$/ }).first();
    await item.hover();
    await sleep(200);
    await item.click();
    const panel = await webviewFrame(page, /Seq2Seq Training/, 30_000);
    await panel.locator('canvas').first().waitFor({ timeout: 30_000 });
    await sleep(1500);
    console.log(await screenshot(page, 'training-panel-real', o.out));
  } finally {
    await closeWorkbench(wb, workspace);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

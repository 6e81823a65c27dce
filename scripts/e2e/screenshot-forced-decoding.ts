/**
 * Screenshots of the forced-decoding tools (docs/analysis.md) on trained
 * runs, in a real VS Code (code-server + Chromium, the packaged extension, as
 * in the e2e suite):
 *
 * - with `--run`: a TSV line "source<TAB>reference" translated with
 *   Translate Selection; the attention view's heatmap with its coverage row,
 *   what-if decoding after `--step`/`--alternative`, the reference's score
 *   and exposure-bias tracks, the search-error table and the beam tree;
 * - with `--alignment-run`: that run's Training panel (Models view → Open
 *   Training Panel) with the alignment slider at its first and last
 *   validation (a run trained with recorded alignments).
 *
 *   npx tsx scripts/e2e/screenshot-forced-decoding.ts --run <run> --pair 'source<TAB>reference' \
 *     [--step 3 --alternative autre] [--alignment-run <run>] [--out media/screenshots]
 *
 * Run folders are copied into a temporary workspace (without their .tsv
 * splits). Writes `<out>/why-*.png`. Needs `bash scripts/e2e/setup.sh` once.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import type { Frame, Page } from 'playwright-core';
import { clearNotifications, closeWorkbench, openFile, REPO_ROOT, runCommand, screenshot, startWorkbench, waitForNotification, webviewFrame, type Workbench } from '../../test/e2e/harness';
import { packagedVsix } from '../../test/e2e/vsix';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Scroll the page in `frame` so that `selector` sits just under its sticky header (if any). */
async function scrollTo(frame: Frame, selector: string): Promise<void> {
  await frame.evaluate(`(() => {
    var el = document.querySelector(${JSON.stringify(selector)});
    var header = document.querySelector('.header');
    var sticky = header && getComputedStyle(header).position === 'sticky' ? header.offsetHeight : 0;
    window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - sticky - 8);
  })()`);
  await sleep(400);
}

async function shot(page: Page, name: string, out: string): Promise<void> {
  console.log(await screenshot(page, name, out));
}

async function main(): Promise<void> {
  const o = new Command()
    .name('npx tsx scripts/e2e/screenshot-forced-decoding.ts')
    .description('Screenshots of what-if decoding, the reference score, exposure bias, search errors, coverage and the alignment slider in a real VS Code')
    .option('--run <dir>', 'run folder whose attention view is shown')
    .option('--pair <tsv>', 'the line to translate: source, a tab, the reference')
    .option('--step <n>', 'what-if: the output step (1-based) to change', '3')
    .option('--alternative <token>', 'what-if: the alternative chosen at that step (default: the second candidate)')
    .option('--alignment-run <dir>', 'run folder with recorded alignments whose Training panel is shown')
    .option('--out <dir>', 'where the PNG files go', path.join(REPO_ROOT, 'media', 'screenshots'))
    .parse(process.argv)
    .opts<{ run?: string; pair?: string; step: string; alternative?: string; alignmentRun?: string; out: string }>();
  if (!o.run && !o.alignmentRun) throw new Error('give --run (with --pair) and/or --alignment-run');
  if (o.run && !o.pair?.includes('\t')) throw new Error('--pair must be "source<TAB>reference"');
  const vsix = packagedVsix();
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-why-shots-'));
  const copy = (run: string) => {
    const dir = path.resolve(run);
    if (!fs.existsSync(path.join(dir, 'run.json'))) throw new Error(`${run} is not a run folder (no run.json)`);
    fs.cpSync(dir, path.join(workspace, 'runs', path.basename(dir)), { recursive: true, filter: (src) => !/\.tsv$/.test(src) });
    return path.basename(dir);
  };
  if (o.run) copy(o.run);
  fs.writeFileSync(path.join(workspace, 'sentences.txt'), (o.pair ?? '') + '\n');
  fs.mkdirSync(o.out, { recursive: true });
  let wb: Workbench | undefined;
  try {
    wb = await startWorkbench(workspace, vsix);
    const page = wb.page;
    if (o.run) {
      await openFile(page, 'sentences.txt');
      const line = page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line').first();
      await line.click();
      await page.keyboard.press('Home');
      await page.keyboard.press('Shift+End');
      await runCommand(page, 'Seq2Seq: Translate Selection');
      console.log(await waitForNotification(page, /^Translation: /, 120_000));
      await page.locator('.notifications-toasts .notification-toast .monaco-button', { hasText: 'Show Attention' }).first().click();
      await clearNotifications(page);
      // The view alone, full width.
      await webviewFrame(page, async (f) => (await f.locator('.heatmap-section').count()) > 0, 60_000);
      await runCommand(page, 'View: Single Column Editor Layout');
      await runCommand(page, 'View: Close Primary Side Bar');
      await page.locator('.tabs-container .tab', { hasText: 'Seq2Seq Attention' }).first().click();
      const view = await webviewFrame(page, async (f) => (await f.locator('.reference-summary').count()) > 0, 60_000);
      await sleep(800);
      await scrollTo(view, '.heatmap-section');
      await shot(page, 'why-coverage', o.out);
      // What-if: the step's alternatives, then the chosen one.
      const step = Number(o.step) - 1;
      await view.locator(`.heatmap-section svg.heatmap .row-label[data-row="${step}"]`).click();
      const alternatives = view.locator('#what-if button.alternative:not([disabled])');
      await alternatives.first().waitFor({ timeout: 10_000 });
      const pick = o.alternative ? view.locator(`#what-if button.alternative[data-token="${o.alternative}"]`) : alternatives.first();
      await pick.click();
      await view.locator('.what-if-result svg.what-if-heatmap').waitFor({ timeout: 60_000 });
      await scrollTo(view, '#what-if');
      await shot(page, 'why-what-if', o.out);
      await scrollTo(view, '.reference-summary');
      await shot(page, 'why-reference', o.out);
      await scrollTo(view, '#exposure-bias');
      await shot(page, 'why-exposure-bias', o.out);
      await scrollTo(view, '.search-errors');
      await shot(page, 'why-search-errors', o.out);
    }
    if (o.alignmentRun) {
      const name = copy(o.alignmentRun);
      await runCommand(page, 'View: Close All Editors');
      await page.locator('.activitybar .action-item a[aria-label^="Seq2Seq"], .activitybar .action-item .action-label[aria-label^="Seq2Seq"]').first().click();
      await runCommand(page, 'Seq2Seq: Refresh');
      const config = JSON.parse(fs.readFileSync(path.join(workspace, 'runs', name, 'run.json'), 'utf8')) as { config?: { name?: string } };
      const label = config.config?.name ?? name;
      const row = page.locator('.pane .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
      await row.waitFor({ timeout: 20_000 });
      await row.click({ button: 'right' });
      const menu = page.locator('.context-view .monaco-menu');
      await menu.waitFor({ state: 'visible', timeout: 10_000 });
      const item = menu.locator('.action-item .action-label', { hasText: /^Open Training Panel$/ }).first();
      await item.hover();
      await sleep(200);
      await item.click();
      const panel = await webviewFrame(page, async (f) => (await f.locator('#alignment-step').count()) > 0, 60_000);
      // A click on the active view container's icon hides the side bar: the panel gets the width.
      await page.locator('.activitybar .action-item a[aria-label^="Seq2Seq"], .activitybar .action-item .action-label[aria-label^="Seq2Seq"]').first().click();
      await sleep(1000);
      for (const [k, file] of [
        ['0', 'why-alignment-first'],
        ['max', 'why-alignment-last'],
      ] as const) {
        await panel.evaluate(`(() => { var s = document.getElementById('alignment-step'); s.value = ${k === 'max' ? 's.max' : `'${k}'`}; s.dispatchEvent(new Event('input', { bubbles: true })); })()`);
        await sleep(300);
        await scrollTo(panel, '#alignment');
        await shot(page, file, o.out);
      }
    }
  } finally {
    await closeWorkbench(wb, workspace);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

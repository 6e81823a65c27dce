/**
 * Screenshots of the Compare Runs view and the Training panel in a dark, a
 * light and a high-contrast theme, in a real VS Code (code-server +
 * Chromium, the packaged extension installed, as in the e2e suite): what the
 * panels' controls (buttons, toggles, slider, checkbox, table) look like in
 * each theme. Used to weigh control libraries against plain HTML
 * (docs/how-it-works.md, "Webviews").
 *
 *   npx tsx scripts/e2e/screenshot-themes.ts [--out DIR] [--prefix NAME]
 *
 * Two tiny runs (the e2e reversal task, with and without attention) are
 * trained with the CLI into a temporary workspace; writes
 * `<out>/<prefix>-compare-{dark,light,hc}.png` and `<out>/<prefix>-training-{dark,light,hc}.png`.
 * Needs `bash scripts/e2e/setup.sh` once (code-server and Chromium).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import type { Page } from 'playwright-core';
import { DEFAULT_SCREENSHOT_DIR, REPO_ROOT, clearNotifications, closeWorkbench, runCommand, screenshot, setTheme, startWorkbench, webviewFrame, type Workbench } from '../../test/e2e/harness';
import { packagedVsix } from '../../test/e2e/vsix';
import { writeReverseWorkspace } from '../../test/e2e/fixtures/reverseTask';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function cli(args: string[], cwd: string): void {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'seq2seq.js'), ...args], { cwd, encoding: 'utf8', env: { ...process.env, SEQ2SEQ_BACKEND: 'wasm' } });
  if (r.status !== 0) throw new Error(`seq2seq ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
}

const THEMES = [
  { key: 'dark', label: 'Dark Modern', body: /vscode-dark/ },
  { key: 'light', label: 'Light Modern', body: /vscode-light/ },
  { key: 'hc', label: 'Dark High Contrast', body: /vscode-high-contrast/ },
] as const;

const modelsRow = (page: Page, label: string) => page.locator('.pane .monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();

async function main(): Promise<void> {
  const o = new Command()
    .name('npx tsx scripts/e2e/screenshot-themes.ts')
    .option('--out <dir>', 'where the PNG files go', process.env.SEQ2SEQ_E2E_SCREENSHOTS ?? DEFAULT_SCREENSHOT_DIR)
    .option('--prefix <name>', 'file name prefix', 'themes')
    .parse(process.argv)
    .opts<{ out: string; prefix: string }>();
  const vsix = packagedVsix();
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-theme-shots-'));
  writeReverseWorkspace(workspace, { epochs: 3 });
  const tiny = JSON.parse(fs.readFileSync(path.join(workspace, 'tiny.seq2seq.json'), 'utf8')) as { model: Record<string, unknown> };
  fs.writeFileSync(path.join(workspace, 'flat.seq2seq.json'), JSON.stringify({ ...tiny, name: 'flat', model: { ...tiny.model, attention: 'none' } }, null, 2) + '\n');
  cli(['train', '--config', 'flat.seq2seq.json', '--out', 'runs/flat'], workspace);
  await sleep(1100);
  cli(['train', '--config', 'tiny.seq2seq.json', '--out', 'runs/tiny'], workspace);
  let wb: Workbench | undefined;
  try {
    wb = await startWorkbench(workspace, vsix);
    const page = wb.page;
    await page.setViewportSize({ width: 1200, height: 760 });
    await page.locator('.activitybar .action-item a[aria-label^="Seq2Seq"], .activitybar .action-item .action-label[aria-label^="Seq2Seq"]').first().click();
    await modelsRow(page, 'tiny').waitFor({ state: 'visible', timeout: 20_000 });
    await modelsRow(page, 'tiny').click();
    const training = await webviewFrame(page, /^Training: /, 30_000);
    await training.locator('.charts canvas').first().waitFor({ timeout: 30_000 });
    await modelsRow(page, 'flat').click({ modifiers: ['Control'] });
    await runCommand(page, 'Seq2Seq: Compare Runs');
    // The palette's multi-select quick pick, the tree selection ticked: accept it.
    await page.locator('.quick-input-widget').waitFor({ state: 'visible', timeout: 10_000 });
    await sleep(500);
    await page.keyboard.press('Enter');
    let compare = await webviewFrame(page, /^Compare: /, 30_000);
    await compare.locator('figure.chart canvas').first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'View: Close Primary Side Bar');
    await clearNotifications(page);
    fs.mkdirSync(o.out, { recursive: true });
    for (const t of THEMES) {
      compare = await webviewFrame(page, /^Compare: /, 30_000);
      await compare.locator('figure.chart canvas').first().waitFor({ timeout: 30_000 });
      await setTheme(page, t.label, t.body, compare, 'Compare Runs', 1200);
      // Show a focused control and a checked box, as a user sees them.
      await compare.locator('.show-all').first().click();
      await compare.locator('.x-axis').first().focus().catch(() => undefined);
      await page.mouse.move(5, 400);
      await sleep(600);
      console.log(await screenshot(page, `${o.prefix}-compare-${t.key}`, o.out));
      await compare.locator('.show-all').first().click();
      await page.locator('.tabs-container .tab', { hasText: /^Training: / }).first().click();
      const panel = await webviewFrame(page, /^Training: /, 30_000);
      await panel.locator('.charts canvas').first().waitFor({ timeout: 30_000 });
      await sleep(800);
      console.log(await screenshot(page, `${o.prefix}-training-${t.key}`, o.out));
      await page.locator('.tabs-container .tab', { hasText: /^Compare: / }).first().click();
    }
  } finally {
    await closeWorkbench(wb, workspace);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});

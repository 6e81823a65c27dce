/**
 * The Get Started walkthrough in a real VS Code (code-server + Chromium, the
 * packaged .vsix installed): Help: Welcome → "Get started with Seq2Seq Lab"
 * → its first button writes the sample workspace into the (empty) workspace
 * folder → the step is checked off → the second button trains
 * dates.seq2seq.json and the Training panel opens.
 *
 * Run: npm run test:e2e   (or: npx mocha --config test/e2e/.mocharc.json --spec test/e2e/walkthrough.e2e.ts)
 * Screenshots: .e2e/screenshots/walkthrough-*.png.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { closeWorkbench, runCommand, screenshot, startWorkbench, webviewFrame, type Workbench } from './harness';
import { packagedVsix } from './vsix';
import { sampleWorkspaceFiles } from '../../src/core/data/sampleData';

const WALKTHROUGH_TITLE = 'Get started with Seq2Seq Lab';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The walkthrough's step whose title is `title` (the Welcome editor's DOM). */
function step(page: Page, title: string): Locator {
  return page.locator('.getting-started-step', { has: page.locator('.step-title', { hasText: title }) }).first();
}

/** Expand the step `title` and press its button `label`; @returns the step. */
async function pressStepButton(page: Page, title: string, label: string): Promise<Locator> {
  const s = step(page, title);
  await s.click();
  await s.locator('.monaco-button', { hasText: label }).click();
  return s;
}

describe('Get Started walkthrough (code-server + Chromium)', function () {
  this.timeout(300_000);
  let workspace: string;
  let wb: Workbench | undefined;

  before(async function () {
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-walkthrough-'));
    wb = await startWorkbench(workspace, vsix);
  });

  after(async function () {
    if (wb) await runCommand(wb.page, 'Seq2Seq: Stop Training').catch(() => undefined);
    await closeWorkbench(wb, workspace);
  });

  it('opens from the Welcome page', async function () {
    const page = wb!.page;
    await runCommand(page, 'Help: Welcome');
    const welcome = page.locator('.gettingStartedContainer');
    await welcome.waitFor({ state: 'visible', timeout: 30_000 });
    // code-server opens its featured walkthrough first: go back to the Welcome page's list.
    const back = page.locator('.gettingStartedContainer .prev-button');
    if (await back.isVisible().catch(() => false)) await back.click();
    const card = page.locator('.getting-started-category', { hasText: WALKTHROUGH_TITLE }).first();
    await card.waitFor({ state: 'visible', timeout: 20_000 });
    await screenshot(page, 'walkthrough-01-welcome');
    await card.click();
    await page.locator('.getting-started-category-title, .category-title', { hasText: WALKTHROUGH_TITLE }).first().waitFor({ state: 'visible', timeout: 20_000 });
    for (const title of ['Open a sample workspace', 'Train an encoder–decoder', 'Watch it learn', 'Translate a selection', 'Look at the attention weights', 'Take the attention away']) {
      assert.equal(await step(page, title).count(), 1, `step "${title}" is listed`);
    }
    await sleep(800); // the step's media (Markdown) renders in its own frame
    await screenshot(page, 'walkthrough-02-steps');
  });

  it('its first button writes the sample workspace, and the step is checked off', async function () {
    const page = wb!.page;
    const first = await pressStepButton(page, 'Open a sample workspace', 'Create Sample Workspace');
    const here = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Into this workspace' }).first();
    await here.waitFor({ state: 'visible', timeout: 20_000 });
    await page.keyboard.press('Enter'); // the first row, focused
    const config = path.join(workspace, 'dates.seq2seq.json');
    const deadline = Date.now() + 30_000;
    while (!fs.existsSync(path.join(workspace, 'sentences.txt')) && Date.now() < deadline) await sleep(250);
    for (const f of Object.keys(sampleWorkspaceFiles())) {
      assert.ok(fs.existsSync(path.join(workspace, f)), `${f} written`);
    }
    assert.equal((JSON.parse(fs.readFileSync(config, 'utf8')) as { model: { attention: string } }).model.attention, 'bahdanau');
    await page.locator('.tabs-container .tab .label-name', { hasText: 'dates.seq2seq.json' }).first().waitFor({ state: 'visible', timeout: 20_000 });
    // Back to the walkthrough: the first step shows as done.
    await page.locator('.tabs-container .tab', { hasText: /Welcome|Walkthrough|Get started/ }).first().click();
    // The step's check mark: VS Code marks a completed step's checkbox with the class "complete".
    await first.locator('.codicon.complete').first().waitFor({ state: 'visible', timeout: 20_000 }).catch(async (e: Error) => {
      throw new Error(`${e.message.split('\n')[0]}; the step: ${(await first.innerHTML()).slice(0, 1500)}`);
    });
    await screenshot(page, 'walkthrough-03-sample-written');
  });

  it('its second button trains dates.seq2seq.json and the Training panel shows the run', async function () {
    const page = wb!.page;
    await pressStepButton(page, 'Train an encoder–decoder', 'Train Model');
    const tab = page.locator('.tabs-container .tab', { hasText: 'Training: dates' }).first();
    await tab.waitFor({ state: 'visible', timeout: 60_000 });
    await tab.click();
    // The frame that holds the Training panel itself: by tab position alone, the
    // walkthrough's Markdown media (a webview too, in the same editor group)
    // can be picked while the panel's own frame is still loading.
    const panel = await webviewFrame(page, async (f) => (await f.locator('.run-name', { hasText: 'dates' }).count()) > 0, 120_000).catch(
      async (e: Error) => {
        await screenshot(page, 'walkthrough-04-failed');
        throw e;
      },
    );
    // A few steps of progress: the worker is really training the sample.
    await panel.locator('canvas').first().waitFor({ timeout: 60_000 });
    await sleep(3000);
    await screenshot(page, 'walkthrough-04-training');
    const runs = path.join(workspace, 'runs');
    assert.ok(fs.existsSync(runs) && fs.readdirSync(runs).some((d) => d.startsWith('dates-')), 'a dates-<time> run folder in runs/');
  });
});

/**
 * The extension in a Chinese VS Code (code-server `--locale zh-cn`, the
 * packaged .vsix installed). VS Code's own menus stay English here (no
 * language pack can be installed), but every string of the extension must
 * switch: command titles in the palette, the quick pick, the Training panel,
 * Translate Selection's notification, the attention view, the Models view and
 * the settings.
 *
 * Run: npm run test:e2e   (or: npx mocha --config test/e2e/.mocharc.json --spec test/e2e/l10n.e2e.ts)
 * Screenshots: .e2e/screenshots/zh-cn-*.png.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { clearNotifications, closeWorkbench, openFile, runCommand, screenshot, startWorkbench, waitForNotification, webviewFrame, type Workbench } from './harness';
import { packagedVsix } from './vsix';
import { TINY_CONFIG, writeReverseWorkspace } from './fixtures/reverseTask';
import { stubLanguagePackVsix } from './fixtures/languagePack';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const CJK = /[\u3400-\u9fff]/;
const SENTENCES = ['red cat sun', 'green dog moon'];

/** Visible text of a webview page, whitespace collapsed. */
const pageText = (f: Frame) => f.evaluate(() => (document.body.innerText || '').replace(/\s+/g, ' ').trim());

/** Poll `read` until `done` holds. @throws Error with the last value after `timeoutMs`. */
async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read().catch(() => undefined as T);
    if (v !== undefined && done(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: not reached within ${timeoutMs} ms; last: ${JSON.stringify(v)?.slice(0, 1500)}`);
    await sleep(250);
  }
}

describe('Chinese UI (code-server --locale zh-cn, packaged extension)', function () {
  this.timeout(300_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;

  before(async function () {
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-zh-'));
    writeReverseWorkspace(workspace);
    fs.writeFileSync(path.join(workspace, 'sentences.txt'), SENTENCES.join('\n') + '\n');
    // With a (stand-in) language pack installed, as a Chinese user has the official one.
    wb = await startWorkbench(workspace, vsix, { locale: 'zh-cn', moreVsix: [await stubLanguagePackVsix('zh-cn')] });
    page = wb.page;
  });

  after(async function () {
    if (wb) await runCommand(wb.page, 'Seq2Seq: 停止训练').catch(() => undefined);
    await closeWorkbench(wb, workspace);
  });

  it('the palette offers the commands by their Chinese titles; training shows the Training panel in Chinese', async function () {
    await runCommand(page, 'Seq2Seq: 训练 Seq2Seq 模型');
    const widget = page.locator('.quick-input-widget');
    const row = widget.locator('.quick-input-list .monaco-list-row', { hasText: TINY_CONFIG }).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    const title = (await widget.locator('.quick-input-title').textContent().catch(() => '')) ?? '';
    const placeholder = (await widget.locator('.quick-input-box input').getAttribute('placeholder')) ?? '';
    assert.match(title + placeholder, CJK, `the config quick pick is in Chinese: "${title}" / "${placeholder}"`);
    await screenshot(page, 'zh-cn-01-pick-config');
    await row.click();

    await page.locator('.tabs-container .tab', { hasText: '训练：tiny' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    const panel = await webviewFrame(page, async (f) => (await f.locator('.run-name', { hasText: 'tiny' }).count()) > 0, 120_000);
    assert.equal(await panel.evaluate(() => document.documentElement.lang), 'zh-cn');
    // Finished (a few seconds): the state badge and the stats are Chinese words.
    const text = await until('the Training panel finishes, in Chinese', () => pageText(panel), (t) => /已完成/.test(t), 120_000);
    for (const word of ['步', '轮', '训练损失', '验证困惑度', 'BLEU']) assert.ok(text.includes(word), `the panel shows "${word}": ${text.slice(0, 600)}`);
    assert.ok(!/\b(Step|Epoch|Training loss|Validation perplexity|finished)\b/.test(text), `no English UI words left: ${text.slice(0, 600)}`);
    await sleep(500);
    await screenshot(page, 'zh-cn-02-training-panel');
    await waitForNotification(page, CJK, 30_000);
  });

  it('Translate Selection and the attention view speak Chinese', async function () {
    await openFile(page, 'sentences.txt');
    const line = page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line', { hasText: SENTENCES[0] }).first();
    await line.click({ position: { x: 2, y: 5 } });
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await runCommand(page, 'Seq2Seq: 翻译所选内容');
    const note = await waitForNotification(page, /^译文：/, 90_000).catch(async (e: Error) => {
      await screenshot(page, 'zh-cn-03-failed');
      throw e;
    });
    assert.match(note, /^译文：“.+”$/, `the translation's notification is in Chinese: ${note}`);
    const buttons = (await page.locator('.notifications-toasts .notification-toast .monaco-button').allTextContents()).map((b) => b.trim());
    for (const label of ['替换', '在下方插入', '显示注意力']) assert.ok(buttons.includes(label), `button ${label}: ${JSON.stringify(buttons)}`);
    await screenshot(page, 'zh-cn-03-translate-notification');
    await runCommand(page, 'Seq2Seq: 显示注意力');
    const view = await webviewFrame(page, async (f) => (await f.locator('svg.heatmap').count()) > 0, 60_000);
    const text = await until('the attention view shows the translation', () => pageText(view), (t) => CJK.test(t) && t.includes(SENTENCES[0].split(' ')[0]));
    for (const word of ['注意力', '源', '候选']) assert.ok(text.includes(word), `the attention view shows "${word}": ${text.slice(0, 600)}`);
    await sleep(500);
    await screenshot(page, 'zh-cn-04-attention');
  });

  it('the Models view and the settings are in Chinese', async function () {
    await page.locator('.activitybar .action-item a[aria-label^="Seq2Seq"], .activitybar .action-item .action-label[aria-label^="Seq2Seq"]').first().click();
    // The only view of its container: its header is in the DOM (named 模型) but hidden, the container's title shows it.
    await page.locator('.pane-header[aria-label^="模型"]').first().waitFor({ state: 'attached', timeout: 20_000 });
    const rows = await until('the Models tree lists the run', () => page.locator('.pane .monaco-list-row').allTextContents(), (r) => r.some((x) => /tiny/.test(x)), 30_000);
    assert.ok(rows.some((r) => /tiny.*BLEU/.test(r)), `the run with its BLEU: ${JSON.stringify(rows)}`);
    await screenshot(page, 'zh-cn-05-models');

    await runCommand(page, 'Preferences: Open Settings (UI)');
    const search = page.locator('.settings-editor .suggest-input-container .monaco-editor textarea, .settings-editor .search-container textarea').first();
    await search.waitFor({ state: 'visible', timeout: 20_000 });
    await search.fill('@ext:seq2seq-lab.seq2seq-lab');
    const descriptions = page.locator('.settings-editor .setting-item-description');
    // The settings with a description (seq2seq.backend and seq2seq.threads have a Markdown one).
    await until('the extension settings are listed', () => descriptions.allTextContents(), (d) => d.filter((x) => CJK.test(x)).length >= 3, 30_000);
    const all = await descriptions.allTextContents();
    assert.ok(all.filter((d) => d.trim()).every((d) => CJK.test(d)), `every setting description is Chinese: ${JSON.stringify(all)}`);
    await sleep(500);
    await screenshot(page, 'zh-cn-06-settings');
    // The machine-overridable ones (backend, threads) are on the Remote tab: code-server is a remote.
    await page.locator('.settings-editor .settings-tabs-widget .action-label', { hasText: /^Remote/ }).first().click();
    // The list is virtualised and the seq2seq.slurm.* settings come between them: look for each in turn.
    for (const name of ['Backend', 'Threads']) {
      await search.fill(`@ext:seq2seq-lab.seq2seq-lab ${name.toLowerCase()}`);
      const remote = await until(`the Remote tab lists ${name}`, () => page.locator('.settings-editor .setting-item-contents').allTextContents(), (d) => d.some((x) => x.includes(name)), 30_000);
      for (const item of remote.filter((x) => x.includes(name))) assert.match(item, CJK, `described in Chinese: ${item.slice(0, 200)}`);
    }
  });

  it('the walkthrough is in Chinese, its pages too', async function () {
    await clearNotifications(page);
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'Help: Welcome');
    const back = page.locator('.gettingStartedContainer .prev-button');
    await page.locator('.gettingStartedContainer').waitFor({ state: 'visible', timeout: 30_000 });
    if (await back.isVisible().catch(() => false)) await back.click();
    const card = page.locator('.getting-started-category', { hasText: 'Seq2Seq Lab 入门' }).first();
    await card.waitFor({ state: 'visible', timeout: 20_000 });
    await card.click();
    for (const title of ['打开示例工作区', '训练一个编码器–解码器', '观察它学习', '翻译所选内容', '查看注意力权重', '去掉注意力']) {
      await page.locator('.getting-started-step .step-title', { hasText: title }).first().waitFor({ state: 'attached', timeout: 20_000 });
    }
    await page.locator('.getting-started-step', { has: page.locator('.step-title', { hasText: '训练一个编码器–解码器' }) }).first().click();
    // The step's page (Markdown, in its own webview) is the Chinese one.
    const media = await webviewFrame(page, async (f) => /教师强制/.test(await f.evaluate(() => document.body.innerText).catch(() => '')), 30_000);
    assert.match(await media.evaluate(() => document.body.innerText), /编码器/);
    await sleep(500);
    await screenshot(page, 'zh-cn-07-walkthrough');
  });
});

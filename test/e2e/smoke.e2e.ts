/**
 * Smoke test for the e2e harness: real code-server + Chromium, no extension.
 * Run: bash scripts/e2e/setup.sh && npx mocha --config test/e2e/.mocharc.json
 * Screenshots go to .e2e/screenshots/ (gitignored).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  launchBrowser,
  openFile,
  openWorkbench,
  runCommand,
  screenshot,
  startCodeServer,
  type BrowserSession,
  type CodeServer,
} from './harness';

describe('e2e harness smoke (code-server + Chromium)', function () {
  let workspace: string;
  let server: CodeServer | undefined;
  let session: BrowserSession | undefined;

  before(async function () {
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-ws-'));
    fs.writeFileSync(path.join(workspace, 'hello.txt'), 'Hello from the seq2seq-lab e2e smoke test\n');
    const t0 = Date.now();
    server = await startCodeServer({ workspace });
    const t1 = Date.now();
    session = await launchBrowser();
    await openWorkbench(session.page, server);
    console.log(`      code-server ready in ${t1 - t0} ms; browser + workbench in ${Date.now() - t1} ms`);
  });

  after(async function () {
    await session?.close();
    await server?.stop();
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('shows the workspace folder in the explorer', async function () {
    const page = session!.page;
    const folderName = path.basename(workspace).toUpperCase();
    await page.keyboard.press('Control+Shift+E');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'hello.txt' }).waitFor({ timeout: 20_000 });
    const header = await page.locator('.pane-header', { hasText: folderName }).count();
    assert.ok(header > 0, `explorer header for ${folderName} not shown`);
  });

  it('opens a file in an editor and shows its text', async function () {
    const page = session!.page;
    await openFile(page, 'hello.txt');
    await page.locator('.monaco-editor .view-lines', { hasText: 'Hello from the seq2seq-lab e2e smoke test' }).waitFor({ timeout: 15_000 });
  });

  it('toggles the terminal from the command palette', async function () {
    const page = session!.page;
    await runCommand(page, 'View: Toggle Terminal');
    const terminal = page.locator('.part.panel .terminal-wrapper, .part.panel .xterm');
    await terminal.first().waitFor({ state: 'visible', timeout: 20_000 });
    const file = await screenshot(page, 'smoke-terminal');
    assert.ok(fs.statSync(file).size > 10_000, `screenshot ${file} is suspiciously small`);
  });
});

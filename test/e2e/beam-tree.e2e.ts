/**
 * The beam search tree in the attention view (real VS Code: code-server +
 * Chromium, the packaged extension). A tiny reversal model trained for a few
 * epochs with beam size 4 (so the beam holds real alternatives) translates a
 * line; the attention view draws the tree below the heatmap:
 *
 *   as many nodes as the engine recorded (`seq2seq translate --beam-tree
 *   --json` on the same run) → the highlighted path spells the translation →
 *   pruned expansions faded → a click on another finished hypothesis shows its
 *   tokens and alignment in the heatmap → "Show the translation" goes back →
 *   dark and light screenshots.
 *
 * Run: npm run build && npx mocha --no-config -r tsx/cjs -t 300000 --exit test/e2e/beam-tree.e2e.ts
 * Screenshots: .e2e/screenshots/beam-tree-*.png.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { REPO_ROOT, clearNotifications, closeWorkbench, openFile, runCommand, screenshot, setTheme, startWorkbench, waitForNotification, webviewFrame, type Workbench } from './harness';
import { writeReverseWorkspace } from './fixtures/reverseTask';
import { packagedVsix } from './vsix';
import type { Translation } from '../../src/core/decoding/translator';

const CLI = path.join(REPO_ROOT, 'bin', 'seq2seq.js');
const LINE = 'red cat sun moon dog';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What the tree and the heatmap show (read from the page's DOM). */
interface TreeDom {
  nodes: number;
  finished: number;
  pruned: number;
  pathTokens: string[];
  shownTokens: string[];
  rowLabels: string[];
  output: string;
  note: string;
}

const TREE_DOM_SCRIPT = `(() => {
  var all = function (s) { return Array.prototype.slice.call(document.querySelectorAll(s)); };
  var label = function (e) { var t = e.querySelector('text'); return t ? t.textContent : ''; };
  var rowLabel = function (e) { var c = e.firstChild; return c && c.nodeType === 3 ? c.textContent : e.textContent; };
  var out = document.querySelector('.pair .target');
  var note = document.querySelector('.shown-hypothesis');
  return {
    nodes: all('svg.beam-tree g.node').length,
    finished: all('svg.beam-tree g.node.finished').length,
    pruned: all('svg.beam-tree g.node.pruned').length,
    pathTokens: all('svg.beam-tree g.node.on-path').map(label),
    shownTokens: all('svg.beam-tree g.node.shown').map(label),
    rowLabels: all('svg.heatmap .row-label').map(rowLabel),
    output: out ? out.textContent : '',
    note: note ? note.textContent : ''
  };
})()`;

async function treeDom(frame: Frame): Promise<TreeDom> {
  return (await frame.evaluate(TREE_DOM_SCRIPT)) as TreeDom;
}

async function waitForTree(frame: Frame, done: (v: TreeDom) => boolean, timeoutMs = 30_000): Promise<TreeDom> {
  const end = Date.now() + timeoutMs;
  while (true) {
    const v = await treeDom(frame);
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`beam tree did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(v)}`);
    await sleep(200);
  }
}

describe('Beam search tree in the attention view (packaged extension)', function () {
  this.timeout(300_000);
  let workspace: string;
  let wb: Workbench | undefined;
  let page: Page;
  let view: Frame;
  let want: Translation;

  before(async function () {
    const vsix = packagedVsix();
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-e2e-beam-'));
    writeReverseWorkspace(workspace, { epochs: 2 });
    const tiny = JSON.parse(fs.readFileSync(path.join(workspace, 'tiny.seq2seq.json'), 'utf8')) as { name: string; train: Record<string, unknown> };
    const beam = { ...tiny, name: 'beam', train: { ...tiny.train, beamSize: 4 } };
    fs.writeFileSync(path.join(workspace, 'beam.seq2seq.json'), JSON.stringify(beam, null, 2) + '\n');
    fs.writeFileSync(path.join(workspace, 'sentences.txt'), LINE + '\n');
    const run = (args: string[], input?: string) => {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: workspace, input, encoding: 'utf8', timeout: 180_000, env: { ...process.env, SEQ2SEQ_BACKEND: 'wasm' } });
      assert.equal(r.status, 0, `seq2seq ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    run(['train', '--config', 'beam.seq2seq.json', '--out', 'runs/beam-cli']);
    want = JSON.parse(run(['translate', '--model', 'runs/beam-cli', '--beam-tree', '--json'], LINE + '\n').trim()) as Translation;
    assert.ok(want.beamTree && want.beamTree.finished.length >= 2, `the engine's tree has alternatives: ${JSON.stringify(want.beamTree?.finished.map((f) => f.text))}`);
    wb = await startWorkbench(workspace, vsix);
    page = wb.page;
  });

  after(async function () {
    await closeWorkbench(wb, workspace);
  });

  it('Translate Selection with beam 4, then Show Attention: the tree below the heatmap, as recorded by the engine', async function () {
    await openFile(page, 'sentences.txt');
    const line = page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line', { hasText: LINE }).first();
    await line.waitFor({ state: 'visible', timeout: 15_000 });
    await line.click();
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await runCommand(page, 'Seq2Seq: Translate Selection');
    await waitForNotification(page, /^Translation: /, 90_000);
    await page.locator('.notifications-toasts .notification-toast .monaco-button', { hasText: 'Show Attention' }).first().click();
    view = await webviewFrame(page, 'Seq2Seq Attention', 30_000);
    const tree = want.beamTree!;
    const v = await waitForTree(view, (x) => x.nodes > 0);
    assert.equal(v.output, want.text);
    assert.equal(v.nodes, tree.nodes.length, 'one node per recorded expansion (and the root)');
    assert.equal(v.finished, tree.finished.length);
    assert.equal(v.pruned, tree.nodes.filter((n) => n.status === 'pruned').length);
    assert.ok(v.pruned > 0, 'pruned expansions drawn');
    assert.deepEqual(v.pathTokens.slice(1), want.targetTokens, 'the highlighted path spells the translation');
    assert.deepEqual(v.rowLabels, want.targetTokens);
    assert.equal(await view.locator('svg.beam-tree g.node.pruned').first().evaluate((e) => getComputedStyle(e).opacity), '0.4', 'pruned nodes faded');
    await clearNotifications(page);
    await runCommand(page, 'View: Close Primary Side Bar');
    await sleep(600); // the view lays itself out again for its new width
    await view.locator('svg.beam-tree').scrollIntoViewIfNeeded();
    await screenshot(page, 'beam-tree-01-dark');
  });

  it('a click on another finished hypothesis shows its tokens and alignment; "Show the translation" goes back', async function () {
    const tree = want.beamTree!;
    const k = tree.finished.findIndex((f) => f.node !== tree.winner);
    const other = tree.finished[k];
    await view.locator(`svg.beam-tree g.node[data-finished="${k}"]`).click();
    const v = await waitForTree(view, (x) => x.note !== '');
    assert.equal(v.output, other.text);
    assert.deepEqual(v.rowLabels, other.tokens, 'the heatmap shows the picked hypothesis');
    assert.match(v.note, new RegExp(`score ${other.score.toFixed(3).replace('.', '\\.')}`));
    assert.equal(v.shownTokens.length, 1);
    assert.equal(await view.locator('svg.heatmap rect.cell').count(), other.tokens.length * want.sourceTokens.length);
    await view.locator('svg.beam-tree').scrollIntoViewIfNeeded();
    await screenshot(page, 'beam-tree-02-picked');
    await view.locator('.shown-hypothesis button').click();
    const back = await waitForTree(view, (x) => x.note === '');
    assert.equal(back.output, want.text);
    assert.deepEqual(back.rowLabels, want.targetTokens);
  });

  it('renders in the light theme', async function () {
    await setTheme(page, 'Light Modern', /vscode-light/, view, 'attention view');
    await view.locator('svg.beam-tree').scrollIntoViewIfNeeded();
    await screenshot(page, 'beam-tree-03-light');
    await setTheme(page, 'Dark Modern', /vscode-dark/, view, 'attention view');
  });
});

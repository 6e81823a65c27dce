// Integration tests in a real VS Code desktop, run by @vscode/test-cli (`npm run test:integration`).
// @vscode/test-electron downloads VS Code (into .vscode-test/) on first use, so this runs where
// that download is possible (a developer machine, CI with network access); it cannot run on an
// offline machine — the browser end-to-end suite (npm run test:e2e) covers the same ground there.
//
// The tests are compiled from test/integration/*.itest.ts to out/integration/ by the npm script;
// the extension under test is this folder (dist/ built by `npm run build`).
// VS Code version: $VSCODE_TEST_VERSION, default the lowest one package.json's engines allow.
import { defineConfig } from '@vscode/test-cli';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A fresh workspace with a tiny data set and a config, and no runs yet.
const workspace = mkdtempSync(join(tmpdir(), 's2s-integration-'));
mkdirSync(join(workspace, 'data'));
writeFileSync(join(workspace, 'data', 'pairs.tsv'), 'red cat\tcat red\nblue dog\tdog blue\ngreen sun\tsun green\n');
writeFileSync(
  join(workspace, 'tiny.seq2seq.json'),
  JSON.stringify({ name: 'tiny', data: { train: 'data/pairs.tsv', tokenizer: 'word' }, model: { hiddenSize: 16, embeddingSize: 8 }, train: { epochs: 1 } }, null, 2),
);
writeFileSync(join(workspace, 'sentences.txt'), 'red cat\nblue dog\n');

export default defineConfig({
  label: 'integration',
  files: 'out/integration/**/*.itest.js',
  version: process.env.VSCODE_TEST_VERSION ?? '1.100.0',
  workspaceFolder: workspace,
  // Other installed extensions stay out of the way; the extension under development is still loaded.
  launchArgs: ['--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  mocha: { ui: 'bdd', timeout: 60_000 },
});

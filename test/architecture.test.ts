/**
 * The source tree's layering and the absence of import cycles, as
 * .dependency-cruiser.cjs states them, checked with dependency-cruiser on
 * every module under src/ and webview/ (type-only imports included).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.join(__dirname, '..');

describe('architecture (dependency-cruiser)', function () {
  this.timeout(60_000);

  it('has no import cycle and keeps src/core plain Node, the CLI and workers out of src/host, and webviews to their protocols', () => {
    const cli = path.join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
    const r = spawnSync(process.execPath, [cli, 'src', 'webview', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `dependency-cruiser found violations:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /no dependency violations found \((\d+) modules/);
    const modules = Number(/\((\d+) modules/.exec(r.stdout)![1]);
    assert.ok(modules > 100, `only ${modules} modules cruised: the paths or the tsconfig were not picked up`);
  });
});
